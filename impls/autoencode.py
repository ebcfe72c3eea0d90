"""The "autoencode" experiment, written once: the shared loop trains the autoencoder, then the
trial also reports what only an autoencoder study needs, all framework-free (numpy / sklearn):

- the PCA baseline on the same split (`pca/*`) and the AE/PCA error ratio;
- principal angles between the decoder's subspace and the PCA subspace (linear AEs);
- reconstruction of the clean input from masked test inputs, and a linear probe on the codes;
- sharpness of the reconstructions (`impls.imagestats`) relative to the inputs;
- optionally, training stops at a matched reconstruction error (PCA's with `match_pca_k` parts).

Each framework's `experiments/autoencode.py` supplies only `make_engine` and `encode`.
Params (TrialSpec.params): pca_k (default: the code size), match_pca_k, eval_mask (tuple of
masking probabilities), probe (bool), angles (bool), sharpness (bool).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from impls import data, imagestats, init, loop, pca
from impls.spec import Autoencoder, TrialSpec

MakeEngine = Callable[[TrialSpec, int, dict[str, np.ndarray], int], Any]
Encode = Callable[[Any, np.ndarray], np.ndarray]


def masked(x: np.ndarray, p: float) -> np.ndarray:
    """The test inputs with each feature zeroed with probability p: one fixed numpy draw per level,
    so both frameworks and every arm see the same corrupted test set."""
    rng = np.random.default_rng([20080, round(p * 1000)])
    return np.where(rng.random(x.shape) >= p, x, 0.0).astype(x.dtype)


def linear_probe(z_train: np.ndarray, y_train: np.ndarray, z_test: np.ndarray, y_test: np.ndarray) -> float:
    """Test accuracy of a multinomial logistic regression on standardised codes (lbfgs, C = 1)."""
    from sklearn.linear_model import LogisticRegression

    mu, sd = z_train.mean(0), z_train.std(0) + 1e-8
    clf = LogisticRegression(C=1.0, max_iter=2000)
    clf.fit((z_train - mu) / sd, y_train)
    return float(clf.score((z_test - mu) / sd, y_test))


def run(spec: TrialSpec, seed: int, make_engine: MakeEngine, encode: Encode) -> dict[str, Any]:
    m = spec.model
    assert isinstance(m, Autoencoder) and spec.data.target == "input"
    p = dict(spec.params)
    t0 = time.perf_counter()
    dtype = spec.training.dtype
    split = data.load(spec.data, seed, dtype)
    n_in = split.x_train.shape[1]
    w0 = init.initial_weights(m, n_in, n_in, seed, dtype)
    engine = make_engine(spec, n_in, w0, seed)
    stop = None
    if "match_pca_k" in p:  # matched error: stop at the first evaluation at or below the target
        target = pca.fit(split.x_train, int(p["match_pca_k"])).mse(split.x_train)

        def stop(ev: dict[str, float]) -> bool:
            return ev["train/loss"] <= target

    build_s = time.perf_counter() - t0
    result = loop.train(spec, seed, split, engine, w0, stop=stop)
    result["timings"]["build_s"] = build_s
    return finish(spec, seed, split, engine, lambda x: encode(engine, x), result)


def finish(
    spec: TrialSpec,
    seed: int,
    split: data.Split,
    engine: Any,
    encode: Callable[[np.ndarray], np.ndarray],
    result: dict[str, Any],
) -> dict[str, Any]:
    """The study's own metrics of a trained autoencoder, added to `result` (the shared loop's): what
    `run` does after training, and the seed-batched run (`impls.seedbatch`) per seed, where `engine`
    is that seed's view of the stack (`outputs`, `export`) and `encode` its encoder."""
    m = spec.model
    assert isinstance(m, Autoencoder)
    if result["diverged"]:
        return result
    p = dict(spec.params)
    t1 = time.perf_counter()
    base = pca.fit(split.x_train, int(p.get("pca_k", m.code)))
    extra: dict[str, float] = {
        "pca/train_mse": base.mse(split.x_train),
        "pca/test_mse": base.mse(split.x_test),
    }
    if "match_pca_k" in p:
        extra["match/target_mse"] = pca.fit(split.x_train, int(p["match_pca_k"])).mse(split.x_train)
    out = result["metrics"]
    out["ae/train_mse"], out["ae/test_mse"] = out["train/loss"], out["test/loss"]
    for part in ("train", "test"):
        out[f"ae/{part}_mse_rel_pca"] = out[f"ae/{part}_mse"] / extra[f"pca/{part}_mse"] - 1.0
    if "match_pca_k" in p:
        out["match/reached"] = float(out["train/loss"] <= extra["match/target_mse"])
    if p.get("angles"):  # decoder subspace: the span of the code layer's image in input space
        w = engine.export()
        dec = w["code/kernel"] if m.tied else w["dec0/kernel"].T  # (n_in, code)
        ang = pca.principal_angles_deg(dec, base.components.T)
        out["subspace/max_angle_deg"], out["subspace/mean_angle_deg"] = float(ang[-1]), float(ang.mean())
    if p.get("sharpness"):
        shape = m.image
        for k, v in imagestats.sharpness(engine.outputs(split.x_test), split.x_test, shape).items():
            out[f"test/{k}"] = v
        for k, v in imagestats.sharpness(base.reconstruct(split.x_test), split.x_test, shape).items():
            out[f"pca/{k}"] = v
    dtype = spec.training.dtype
    labels = (
        data.load(dataclasses.replace(spec.data, target="label"), seed, dtype) if p.get("probe") else None
    )
    z_train = encode(split.x_train) if labels is not None else None
    if labels is not None and z_train is not None:
        out["probe/accuracy_clean"] = linear_probe(
            z_train, labels.y_train, encode(split.x_test), labels.y_test
        )
    for level in p.get("eval_mask", ()):
        noisy = masked(split.x_test, level)
        tag = f"noisy{round(level * 100)}"
        out[f"{tag}/mse_clean"] = float(
            ((engine.outputs(noisy).astype(np.float64) - split.x_test) ** 2).mean()
        )
        out[f"{tag}/pca_mse_clean"] = float(((base.reconstruct(noisy) - split.x_test) ** 2).mean())
        if labels is not None and z_train is not None:
            out[f"{tag}/probe_accuracy"] = linear_probe(z_train, labels.y_train, encode(noisy), labels.y_test)
    out.update(extra)
    result["timings"]["extras_s"] = time.perf_counter() - t1
    return result
