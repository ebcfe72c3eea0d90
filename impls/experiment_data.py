"""Framework-free pieces of the experiments in impls/*_impl/experiments (numpy only), so the two
frameworks' experiment modules cannot differ in data, order or scoring."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np

from impls import data, init, loop, metrics


def test_chunks(n: int, size: int, seed: int) -> list[np.ndarray]:
    """The test set cut into batches of `size` in a seeded order (the last one may be short)."""
    order = np.random.default_rng([seed & 0xFFFFFFFFFFFF, 13]).permutation(n)
    return [order[i : i + size] for i in range(0, n, size)]


def chunked_accuracy(outputs: list[np.ndarray], chunks: list[np.ndarray], y: np.ndarray) -> float:
    """Accuracy over all chunks: outputs[i] (len(chunks[i]), k) are the chunk's outputs."""
    correct = sum(int((o.argmax(1) == y[c]).sum()) for o, c in zip(outputs, chunks, strict=True))
    return correct / len(y)


def class_split(split: data.Split, classes: tuple[int, ...], per_class: int | None, seed: int) -> data.Split:
    """The examples of `classes` only, relabelled 0..len(classes)-1; `per_class` training examples
    of each class drawn with the trial seed (None = all of them). Test examples: all of the classes."""
    rng = np.random.default_rng([seed & 0xFFFFFFFFFFFF, 17])

    def pick(x: np.ndarray, y: np.ndarray, k: int | None) -> tuple[np.ndarray, np.ndarray]:
        idx = []
        for c in classes:
            where = np.flatnonzero(y == c)
            if k is not None:
                if k > len(where):
                    raise ValueError(f"per_class={k} exceeds the {len(where)} training examples of class {c}")
                where = rng.choice(where, k, replace=False)
            idx.append(where)
        sel = np.sort(np.concatenate(idx))
        relabel = np.searchsorted(np.array(classes), y[sel])
        return x[sel], relabel.astype(np.int64)

    xt, yt = pick(split.x_train, split.y_train, per_class)
    xs, ys = pick(split.x_test, split.y_test, None)
    empty = split.x_train[:0]
    return data.Split(xt, yt, empty, yt[:0], xs, ys, len(classes))


def bn_state_summary(before: dict[str, np.ndarray], after: dict[str, np.ndarray]) -> dict[str, float]:
    """How one update changed the BN running statistics (canonical '*/mean', '*/var' arrays)."""
    var_keys = [k for k in before if k.endswith("/var")]
    mean_keys = [k for k in before if k.endswith("/mean")]
    vb = np.concatenate([before[k] for k in var_keys]).astype(np.float64)
    va = np.concatenate([after[k] for k in var_keys]).astype(np.float64)
    mb = np.concatenate([before[k] for k in mean_keys]).astype(np.float64)
    ma = np.concatenate([after[k] for k in mean_keys]).astype(np.float64)
    with np.errstate(all="ignore"):
        ratio = va / vb
    finite = np.isfinite(ratio) & (ratio > 0)
    return {
        "bn/last_step_log10_var_ratio": float(np.mean(np.log10(ratio[finite])))
        if finite.any()
        else float("nan"),
        "bn/last_step_mean_shift": float(np.mean(np.abs(ma - mb)) / max(float(np.mean(np.abs(mb))), 1e-12)),
    }


def score_split(outputs: np.ndarray, split: data.Split, head: str, prefix: str) -> dict[str, float]:
    return {f"{prefix}/{k}": v for k, v in metrics.score(outputs, split.y_test, head).items()}


def small_last_batch(spec: Any, seed: int, split: data.Split, engine: loop.Engine) -> dict[str, Any]:
    """Train through epochs whose last batch is tiny (n_train % batch_size, e.g. 1 sample) and record
    what the framework does with it: an exception (the batch is then skipped, as a user catching it
    would), a non-finite loss, non-finite running statistics, and how the last tiny update moved the
    stored statistics and the test accuracy. Same code for both frameworks (any `loop.Engine`)."""
    t, head = spec.training, spec.model.head
    order = data.batches(len(split.x_train), t.batch_size, t.epochs, seed)
    errors, bad_loss, tiny_steps = 0, 0, 0
    kinds: list[str] = []
    found: dict[str, float] = {}
    start = time.perf_counter()
    for e, epoch in enumerate(order):
        for idx in epoch:
            tiny = len(idx) < t.batch_size
            last = tiny and e == len(order) - 1
            if last:
                before, acc_before = engine.export(), _test_accuracy(engine, split, head)
            try:
                loss = engine.step(split.x_train[idx], split.y_train[idx])
            except Exception as exc:  # the behaviour under test: recorded, the batch skipped
                errors += tiny
                kinds.append(type(exc).__name__)
                if not tiny:
                    raise
                continue
            tiny_steps += tiny
            bad_loss += tiny and not np.isfinite(loss)
            if last:
                found.update(bn_state_summary(before, engine.export()))
                found["bn/last_step_acc_change"] = _test_accuracy(engine, split, head) - acc_before
    weights = engine.export()
    stats = [v for k, v in weights.items() if k.endswith(("/mean", "/var"))]
    nan_stats = float(not all(np.isfinite(v).all() for v in stats))
    nan_weights = float(not all(np.isfinite(v).all() for v in weights.values()))
    found.setdefault("bn/last_step_acc_change", 0.0)
    found.update(
        {
            "bn/error_raised": float(errors > 0),
            "bn/nonfinite_loss": float(bad_loss > 0),
            "bn/nan_in_running": nan_stats,
            "bn/nan_in_weights": nan_weights,
            "bn/cannot_cope": float(errors > 0 or bad_loss > 0 or nan_stats > 0 or nan_weights > 0),
            "bn/tiny_steps_taken": float(tiny_steps),
            "bn/min_running_var": float(
                min(float(np.min(v)) for k, v in weights.items() if k.endswith("/var"))
            ),
        }
    )
    if not nan_weights:
        found.update(
            {
                f"test/{k}": v
                for k, v in metrics.score(engine.outputs(split.x_test), split.y_test, head).items()
            }
        )
    return {
        "metrics": found,
        "curves": {},
        "diverged": False,
        "timings": {"train_s": time.perf_counter() - start},
        "errors": sorted(set(kinds)),
    }


def _test_accuracy(engine: loop.Engine, split: data.Split, head: str) -> float:
    return metrics.score(engine.outputs(split.x_test), split.y_test, head).get("accuracy", float("nan"))


def transfer(spec: Any, seed: int, setup: Any) -> dict[str, Any]:
    """Pretrain on classes `pre_classes`, then fit `fine_classes` with `per_class` labels each:
    mode "scratch" (fresh weights), "finetune" (pretrained body, fresh head, all updated) or
    "frozen" (pretrained body, fresh head, only the head updated: `Training.frozen`). The
    pretraining (params pre_epochs, pre_classes) is part of the trial. `setup(spec, seed, split, w0)`
    is the framework's `train.setup`. Both arms get the same fresh head (seed + 1)."""
    p = dict(spec.params)
    mode, t = p["mode"], spec.training
    full = data.load(spec.data, seed, t.dtype)
    fine = class_split(full, tuple(p["fine_classes"]), p["per_class"], seed)
    w_fresh = init.initial_weights(spec.model, fine.x_train.shape[1], fine.n_classes, seed + 1, t.dtype)
    found: dict[str, float] = {}
    start = time.perf_counter()
    if mode in ("finetune", "frozen"):
        pre = class_split(full, tuple(p["pre_classes"]), None, seed)
        pre_spec = dataclasses.replace(
            spec, training=dataclasses.replace(t, epochs=p["pre_epochs"], frozen=())
        )
        engine, w0 = setup(pre_spec, seed, pre)
        out = loop.train(pre_spec, seed, pre, engine, w0)
        found.update({f"pre/{k}": v for k, v in out["metrics"].items() if k.startswith("test/")})
        pretrained = engine.export()
        body = {k: v for k, v in pretrained.items() if not k.startswith("head/")}
        w_fresh = {**w_fresh, **body}
    fine_spec = spec
    if mode == "frozen":
        fine_spec = dataclasses.replace(
            spec, training=dataclasses.replace(t, frozen=("conv", "dense", "norm", "dnorm"))
        )
    engine, w0 = setup(fine_spec, seed, fine, w_fresh)
    out = loop.train(fine_spec, seed, fine, engine, w0)
    out["metrics"].update(found)
    out["timings"]["total_s"] = time.perf_counter() - start
    return out
