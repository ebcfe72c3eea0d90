"""Cross-framework ladder for the CNN family (issue 7): the same canonical weights in PyTorch and
Keras give the same forward outputs and kernel gradients (float64), the BN difference is the named
one, a short SGD trajectory stays together, frozen parameters stay put, and BN batch-statistics
inference agrees. Mutations at the bottom show the checks can fail (flatten order, 'same' padding).

Measured on the dev machine (float64, the cases below): outputs <= 6e-15 abs, gradients <= 2e-15
relative to the largest entry; tolerances 1e-11 (>1000x headroom). The 5-step trajectory tolerance
(1e-10 abs) was set, not measured: it passes, its observed figure is not recorded yet."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

from impls import init
from impls.spec import CNN, Data, Optimizer, Probes, Training, TrialSpec
from runners.crosscheck_cases import CNN_CASES, SMALL

pytestmark = pytest.mark.frameworks

TOL_OUT, TOL_GRAD, TOL_TRAJ = 1e-11, 1e-11, 1e-10
# The cases are shared with the ladder (`claimbench crosscheck --family cnn`).
CASES = CNN_CASES
PERM = {4: (3, 2, 0, 1), 2: (1, 0)}


def _weights(m: CNN, seed: int = 3) -> dict[str, np.ndarray]:
    w = init.initial_weights(m, 64, 10, seed, "float64")
    rng = np.random.default_rng(seed)
    for k in w:  # non-trivial biases, affine and g so that their mapping is exercised
        if k.endswith(("/bias", "/beta")):
            w[k] = rng.normal(0, 0.1, w[k].shape)
        if k.endswith(("/gamma", "/g")):
            w[k] = rng.uniform(0.5, 1.5, w[k].shape)
    return w


def _nets(m: CNN, w: dict[str, np.ndarray]) -> tuple[Any, Any]:
    from impls.tf_impl import models as fm
    from impls.torch_impl import models as tm

    nt = tm.build(m, 64, 10, "float64")
    tm.load_weights(nt, w)
    nf = fm.build(m, 64, 10, "float64")
    fm.load_weights(nf, w)
    return nt, nf


def _batch(n: int = 16) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 64)), rng.integers(0, 10, n)


def _forward_and_grads(m: CNN) -> tuple[float, float, float]:
    import tensorflow as tf
    import torch

    nt, nf = _nets(m, _weights(m))
    x, y = _batch()
    nt.eval()
    eval_diff = float(
        np.abs(nt(torch.from_numpy(x)).detach().numpy() - nf(tf.constant(x), training=False).numpy()).max()
    )
    nt.train()
    out_t = nt(torch.from_numpy(x))
    grads_t = torch.autograd.grad(torch.nn.functional.cross_entropy(out_t, torch.from_numpy(y)), nt.kernels())
    with tf.GradientTape() as tape:
        out_f = nf(tf.constant(x), training=True)
        loss_f = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=out_f))
    grads_f = tape.gradient(loss_f, nf.kernels())
    train_diff = float(np.abs(out_t.detach().numpy() - out_f.numpy()).max())
    grad_diff = max(
        float(
            np.abs(np.transpose(gf.numpy(), PERM[gf.shape.rank]) - gt.numpy()).max()
            / np.abs(gt.numpy()).max()
        )
        for gf, gt in zip(grads_f, grads_t, strict=True)
    )
    return eval_diff, train_diff, grad_diff


@pytest.mark.parametrize("case", sorted(CASES))
def test_forward_and_gradients_match(case: str) -> None:
    eval_diff, train_diff, grad_diff = _forward_and_grads(CASES[case])
    assert eval_diff < TOL_OUT and train_diff < TOL_OUT, (eval_diff, train_diff)
    assert grad_diff < TOL_GRAD, grad_diff


def test_param_counts_and_canonical_names_match() -> None:
    for m in CASES.values():
        nt, nf = _nets(m, _weights(m))
        assert sorted(nt.canonical()) == sorted(nf.canonical()) == sorted(_weights(m))
        assert sum(p.numel() for p in nt.parameters()) == sum(
            int(np.prod(v.shape)) for v in nf.trainable_variables
        )


def test_bn_running_variance_difference_is_the_named_one() -> None:
    """Keras' moving variance uses the biased batch variance, torch's the unbiased: after one train
    step the running means agree and the variance updates differ by n/(n-1), n = batch*H*W."""
    import tensorflow as tf
    import torch

    m = CASES["bn-before"]
    w = _weights(m)
    nt, nf = _nets(m, w)
    x, _ = _batch()
    nt.train()
    nt(torch.from_numpy(x))
    nf(tf.constant(x), training=True)
    from impls.tf_impl import models as fm
    from impls.torch_impl import models as tm

    et, ef = tm.export_weights(nt), fm.export_weights(nf)
    np.testing.assert_allclose(et["norm0/mean"], ef["norm0/mean"], rtol=1e-12)
    n = 16 * 8 * 8  # conv0 sees the full 8x8 image (pad 1)
    mom = m.bn_momentum
    upd_t, upd_f = et["norm0/var"] - (1 - mom) * w["norm0/var"], ef["norm0/var"] - (1 - mom) * w["norm0/var"]
    np.testing.assert_allclose(upd_t / upd_f, n / (n - 1), rtol=1e-10)


def _trajectory(fw: str, spec: TrialSpec, seed: int = 1, steps: int = 5) -> dict[str, np.ndarray]:
    from impls import data

    split = data.load(spec.data, seed, "float64")
    if fw == "torch":
        from impls.torch_impl import train
    else:
        from impls.tf_impl import train  # type: ignore[no-redef]
    engine, _ = train.setup(spec, seed, split)
    for idx in data.batches(len(split.x_train), 32, 1, seed)[0][:steps]:
        engine.step(split.x_train[idx], split.y_train[idx])
    return engine.export()


def _spec(m: CNN, **training: Any) -> TrialSpec:
    return TrialSpec(
        data=Data("digits"),
        model=m,
        optimizer=Optimizer("momentum", lr=0.05, momentum=0.9),
        training=Training(batch_size=32, dtype="float64", **training),
        probes=Probes(),
    )


@pytest.mark.parametrize("case", ["weightnorm", "cosine", "layer"])
def test_short_trajectory_stays_together(case: str) -> None:
    spec = _spec(CASES[case])
    wt, wf = _trajectory("torch", spec), _trajectory("tf", spec)
    for k in wt:
        if not k.endswith("/var"):  # BN variance: the named difference above
            np.testing.assert_allclose(wt[k], wf[k], atol=TOL_TRAJ, rtol=0, err_msg=k)


def test_frozen_body_stays_put_in_both() -> None:
    m = dataclasses.replace(CASES["plain"], dense=(12,))
    spec = _spec(m, frozen=("conv", "dense"))
    w0 = init.initial_weights(m, 64, 10, 1, "float64")
    for fw in ("torch", "tf"):
        w = _trajectory(fw, spec)
        for k in w:
            moved = not np.array_equal(w[k], w0[k])
            assert moved == k.startswith("head/"), (fw, k)


def test_bn_batch_statistics_inference_agrees() -> None:
    from impls.tf_impl.experiments import bn_inference as fb
    from impls.torch_impl.experiments import bn_inference as tb

    m = CNN(convs=SMALL, norm="batch")  # no dense BN: a 1-sample batch is legal in conv BN only
    nt, nf = _nets(m, _weights(m))
    x, _ = _batch(8)
    for rows in (x[:1], x):
        np.testing.assert_allclose(
            tb.batch_stat_outputs(nt, rows), fb.batch_stat_outputs(nf, rows), atol=TOL_OUT
        )


# The checks can fail: break one framework on purpose. -----------------------------------------------
def test_flatten_order_mutation_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Flattening torch's NCHW directly (no permute to NHWC) must break the forward match."""
    import torch

    from impls.torch_impl import cnn

    real = torch.Tensor.permute

    def no_nhwc(self: torch.Tensor, *dims: Any) -> torch.Tensor:
        return self if tuple(dims) == (0, 2, 3, 1) else real(self, *dims)

    monkeypatch.setattr(cnn.torch.Tensor, "permute", no_nhwc)
    _, train_diff, _ = _forward_and_grads(CASES["plain"])
    assert train_diff > 1e-3


def test_tf_same_padding_at_stride2_differs_from_explicit() -> None:
    """Why the spec pads explicitly: TF 'SAME' at stride 2 on an even input pads only bottom/right."""
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x, k = rng.normal(size=(1, 8, 8, 2)), rng.normal(size=(3, 3, 2, 4))
    same = tf.nn.conv2d(x, k, strides=2, padding="SAME").numpy()
    explicit = tf.nn.conv2d(
        tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]), k, strides=2, padding="VALID"
    ).numpy()
    assert same.shape == explicit.shape and np.abs(same - explicit).max() > 1e-3
