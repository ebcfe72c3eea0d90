"""Cross-framework ladder for batch 9: max-norm after every update, the dropout_forms experiment,
the accuracy_semantics experiment, and the shared early stopping against Keras' own callback."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from impls import data, init
from impls.loop import EarlyStopper
from impls.spec import MLP, Data, EarlyStopping, Init, Optimizer, Training, TrialSpec

pytestmark = pytest.mark.frameworks


def _engines(spec: TrialSpec, seed: int = 3) -> tuple[object, object, data.Split]:
    from impls.tf_impl.train import TFEngine
    from impls.torch_impl import models
    from impls.torch_impl.train import TorchEngine

    split = data.load(spec.data, seed, spec.training.dtype)
    n_in = split.x_train.shape[1]
    w0 = init.initial_weights(spec.model, n_in, split.n_outputs, seed, spec.training.dtype)
    net = models.build(spec.model, n_in, split.n_outputs, spec.training.dtype)
    models.load_weights(net, w0)
    tf_engine = TFEngine(spec, n_in, split.n_outputs)
    tf_engine.reset(w0, seed, spec)
    return TorchEngine(spec, net), tf_engine, split


def test_max_norm_trajectory_matches_and_binds() -> None:
    spec = TrialSpec(
        data=Data("digits", n_train=128),
        model=MLP(depth=2, width=16, init=Init("he_normal")),
        optimizer=Optimizer("momentum", lr=0.2, momentum=0.9),
        training=Training(dtype="float64", max_norm=1.0),
    )
    torch_engine, tf_engine, split = _engines(spec)
    for idx in data.batches(len(split.x_train), 16, 2, seed=3)[0] * 2:
        lt = torch_engine.step(split.x_train[idx], split.y_train[idx])  # type: ignore[attr-defined]
        lf = tf_engine.step(split.x_train[idx], split.y_train[idx])  # type: ignore[attr-defined]
        assert abs(lt - lf) < 1e-10
    wt, wf = torch_engine.export(), tf_engine.export()  # type: ignore[attr-defined]
    # Observed max |diff| 5e-16 after 16 steps (float64); 1e-10 leaves headroom.
    for k in wt:
        np.testing.assert_allclose(wt[k], wf[k], atol=1e-10, rtol=0)
    norms = np.linalg.norm(wt["hidden0/kernel"], axis=0)  # (units,) incoming-weight norms
    assert norms.max() <= 1.0 + 1e-12 and np.isclose(norms, 1.0, atol=1e-6).any()  # the constraint binds
    assert np.linalg.norm(wt["head/kernel"], axis=0).max() > 1.0  # the head is not constrained


def _dropout_forms(framework: str, mapping: str) -> dict[str, Any]:
    import importlib

    spec = TrialSpec(
        data=Data("digits", n_train=64),
        model=MLP(depth=2, width=16, init=Init("he_normal"), dropout=0.5, input_dropout=0.2),
        optimizer=Optimizer("sgd", lr=0.05),
        training=Training(epochs=2, batch_size=16, dtype="float64"),
        experiment="dropout_forms",
        params=(("mapping", mapping),),
    )
    impl = importlib.import_module(f"impls.{framework}_impl")
    return impl.run_trial(spec, 5)


def test_dropout_forms_equal_across_frameworks() -> None:
    rt, rf = _dropout_forms("torch", "rescaled"), _dropout_forms("tf", "rescaled")
    # Observed: the forms agree to 1e-15 in each framework, the frameworks to 1e-15; bound 1e-10.
    assert (
        rt["metrics"]["equiv/test_prob_maxdiff"] < 1e-10 and rf["metrics"]["equiv/test_prob_maxdiff"] < 1e-10
    )
    for name in ("inverted/batch_loss", "original/batch_loss"):
        np.testing.assert_allclose(
            np.array(rt["curves"][name]), np.array(rf["curves"][name]), atol=1e-10, rtol=0
        )
    naive = _dropout_forms("torch", "same")
    assert naive["metrics"]["equiv/loss_maxdiff"] > 1e-3  # the check can fail: the naive mapping differs


def test_accuracy_semantics_both_frameworks_match_reference() -> None:
    import importlib

    spec = TrialSpec(data=Data("digits"), model=MLP(), experiment="accuracy_semantics")
    for fw in ("torch", "tf"):
        m = importlib.import_module(f"impls.{fw}_impl").run_trial(spec, 1)["metrics"]
        assert m["cases/binary_at_half"] > 50 and m["cases/categorical_ties"] > 50
        for kind in ("binary", "categorical", "sparse_categorical"):
            assert m[f"mismatch/{kind}"] == 0 and m[f"mean_diff/{kind}"] < 0.5, (fw, kind)


class _DummyModel:
    def __init__(self) -> None:
        self.weights = [np.zeros(1)]
        self.stop_training = False

    def get_weights(self) -> list[np.ndarray]:
        return [w.copy() for w in self.weights]

    def set_weights(self, w: list[np.ndarray]) -> None:
        self.weights = [x.copy() for x in w]


@pytest.mark.parametrize("patience,min_delta,start", [(0, 0.0, 0), (2, 0.0, 0), (3, 0.05, 0), (2, 0.0, 3)])
def test_early_stopper_matches_keras_callback(patience: int, min_delta: float, start: int) -> None:
    import keras

    rng = np.random.default_rng(patience * 10 + start)
    for _ in range(20):
        values = list(1.0 + np.cumsum(rng.normal(-0.02, 0.05, 15)))
        cb = keras.callbacks.EarlyStopping(
            monitor="val_loss",
            mode="min",
            patience=patience,
            min_delta=min_delta,
            restore_best_weights=True,
            start_from_epoch=start,
        )
        model = _DummyModel()
        cb._model = model
        cb.on_train_begin()
        keras_run = 0
        for epoch, v in enumerate(values):
            model.weights[0][:] = epoch
            keras_run += 1
            cb.on_epoch_end(epoch, {"val_loss": v})
            if model.stop_training:
                break
        cb.on_train_end()

        class Engine:
            w = np.zeros(1)

            def export(self) -> dict[str, np.ndarray]:
                return {"w": self.w.copy()}

            def restore(self, weights: dict[str, np.ndarray]) -> None:
                self.w = weights["w"].copy()

        engine = Engine()
        es = EarlyStopping(patience=patience, min_delta=min_delta, start_from_epoch=start)
        stopper = EarlyStopper(es, engine)  # type: ignore[arg-type]
        ours = 0
        for epoch, v in enumerate(values):
            engine.w[:] = epoch
            ours += 1
            if stopper.epoch_end(epoch, v):
                break
        stopper.finish(ours)
        assert ours == keras_run and engine.w[0] == model.weights[0][0], (values, ours, keras_run)
