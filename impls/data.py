"""Offline datasets and the data order shared by both frameworks.

A dataset is a function registered with `@dataset("name")` that returns the whole pool
(x: (n, features) float64, y: (n,) int64 labels or (n, k) float targets, n_classes; 0 = regression)
from its params alone. `load(spec, seed)` splits it: the test split is fixed (split seed 0), the
validation split too; the training subset and every epoch's order follow the trial seed. Nothing
here downloads anything.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import os
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from impls.spec import Data

Pool = tuple[np.ndarray, np.ndarray, int]
_REGISTRY: dict[str, Callable[..., Pool]] = {}
_DISK_CACHED: set[str] = set()
# Where slow pools are kept between processes (`disk_cache=True`): every Ray worker, every
# fresh process of the memory experiment and every test process would otherwise remake them.
CACHE_DIR = Path(os.environ.get("CLAIMBENCH_CACHE_DIR") or Path(__file__).resolve().parent.parent / ".cache")


def dataset(name: str, disk_cache: bool = False) -> Callable[[Callable[..., Pool]], Callable[..., Pool]]:
    """Register a dataset maker: `f(**params) -> (x, y, n_classes)`; plugins may add their own.
    `disk_cache`: the maker is slow (seconds of imports or generation), so its pool is kept in
    CACHE_DIR/data, keyed by the maker's source and params and checked by a digest on load."""

    def register(fn: Callable[..., Pool]) -> Callable[..., Pool]:
        _REGISTRY[name] = fn
        (_DISK_CACHED.add if disk_cache else _DISK_CACHED.discard)(name)
        return fn

    return register


def names() -> list[str]:
    return sorted(_REGISTRY)


@dataset("digits", disk_cache=True)
def _digits() -> Pool:
    from sklearn.datasets import load_digits  # bundled with scikit-learn, no download

    d = load_digits()
    return d.data.astype(np.float64), d.target.astype(np.int64), 10


@dataset("mnist1d", disk_cache=True)
def _mnist1d(num_samples: int = 5000) -> Pool:
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.num_samples = num_samples
    state = np.random.get_state()  # make_dataset reseeds numpy's global RNG: put it back after
    try:
        d = make_dataset(args)
    finally:
        np.random.set_state(state)
    x = np.concatenate([d["x"], d["x_test"]]).astype(np.float64)
    y = np.concatenate([d["y"], d["y_test"]]).astype(np.int64)
    return x, y, 10


@dataset("gaussian_mixture")
def _gaussian_mixture(
    n: int = 2000, features: int = 20, classes: int = 4, separation: float = 2.0, seed: int = 0
) -> Pool:
    """Isotropic Gaussian blobs around random unit-norm centres scaled by `separation`."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(classes, features))
    centres *= separation / np.linalg.norm(centres, axis=1, keepdims=True)
    y = rng.integers(0, classes, n)
    x = centres[y] + rng.normal(size=(n, features))
    return x, y.astype(np.int64), classes


@dataset("teacher_student")
def _teacher_student(
    n: int = 2000, features: int = 20, outputs: int = 1, hidden: int = 32, noise: float = 0.1, seed: int = 0
) -> Pool:
    """Regression targets from a random one-hidden-layer tanh teacher plus Gaussian noise."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features))
    w1 = rng.normal(size=(features, hidden)) / np.sqrt(features)
    w2 = rng.normal(size=(hidden, outputs)) / np.sqrt(hidden)
    y = np.tanh(x @ w1) @ w2 + noise * rng.normal(size=(n, outputs))
    return x, y, 0


@functools.lru_cache(maxsize=32)
def pool(name: str, params: tuple[tuple[str, Any], ...]) -> Pool:
    if name not in _REGISTRY:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(names())}")
    maker = _REGISTRY[name]
    x, y, k = _disk_pool(name, params, maker) if name in _DISK_CACHED else maker(**dict(params))
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y, k


def _digest(x: np.ndarray, y: np.ndarray, k: int) -> str:
    h = hashlib.sha256(f"{x.dtype}{x.shape}{y.dtype}{y.shape}{k}".encode())
    h.update(np.ascontiguousarray(x).tobytes())
    h.update(np.ascontiguousarray(y).tobytes())
    return h.hexdigest()


def _disk_pool(name: str, params: tuple[tuple[str, Any], ...], maker: Callable[..., Pool]) -> Pool:
    """The maker's pool from CACHE_DIR/data when a valid copy is there, else made and stored
    (atomically: written to a temporary file, then renamed, so concurrent workers never read a
    half-written file). The same arrays bit for bit either way; an unreadable, stale or
    corrupt file is remade, and an unwritable cache only costs the time."""
    key = hashlib.sha256(repr((name, params, inspect.getsource(maker))).encode()).hexdigest()[:20]
    path = CACHE_DIR / "data" / f"{name}-{key}.npz"
    try:
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as f:  # np.load leaks on bad zips
            x, y, k = f["x"], f["y"], int(f["k"])
            if str(f["digest"]) == _digest(x, y, k):
                return x, y, k
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
        pass
    x, y, k = maker(**dict(params))
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as tmp:
            np.savez(tmp, x=x, y=y, k=np.int64(k), digest=np.str_(_digest(x, y, k)))
        os.replace(tmp.name, path)
    except OSError:
        if tmp is not None:
            Path(tmp.name).unlink(missing_ok=True)
    return x, y, k


@dataclass(frozen=True)
class Split:
    x_train: np.ndarray  # (n_train, features)
    y_train: np.ndarray  # (n_train,) labels or (n_train, outputs)
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int  # 0 = regression

    @property
    def n_outputs(self) -> int:
        return self.n_classes if self.n_classes else int(self.y_train.shape[1])


def load(spec: Data, seed: int, dtype: str = "float32") -> Split:
    x, y, k = pool(spec.name, spec.params)
    fixed = np.random.default_rng(0).permutation(len(x))  # split seed 0: same test set for all
    n_test = round(spec.test_fraction * len(x))
    test, rest = fixed[:n_test], fixed[n_test:]
    n_val = round(spec.val_fraction * len(rest))
    val, train = rest[:n_val], rest[n_val:]
    if spec.n_train is not None:
        if spec.n_train > len(train):
            raise ValueError(f"data.n_train={spec.n_train} exceeds the {len(train)} training examples")
        train = np.random.default_rng(seed).choice(train, spec.n_train, replace=False)
    x = x.astype(np.float64)
    if spec.unit_range:  # the training pool's global range (not per feature: blank pixels stay 0)
        lo, hi = x[rest].min(), x[rest].max()
        x = (x - lo) / (hi - lo)
    elif spec.standardize:
        mu, sd = x[train].mean(0), x[train].std(0)
        x = (x - mu) / np.where(sd > 0, sd, 1.0)
    x = x.astype(dtype)
    if spec.target == "input":  # autoencoders: the target is the (scaled) input itself
        return Split(x[train], x[train], x[val], x[val], x[test], x[test], 0)
    yy = y if k else y.astype(dtype)
    return Split(x[train], yy[train], x[val], yy[val], x[test], yy[test], k)


def batches(
    n: int, batch_size: int, epochs: int, seed: int, drop_last: bool = False
) -> list[list[np.ndarray]]:
    """Index batches per epoch: one numpy permutation per epoch, fed to both frameworks."""
    rng = np.random.default_rng([seed & 0xFFFFFFFFFFFF, 7])
    out = []
    for _ in range(epochs):
        order = rng.permutation(n)
        stop = n - n % batch_size if drop_last else n
        out.append([order[i : i + batch_size] for i in range(0, stop, batch_size)])
    return out


from impls import datasets_sequences, datasets_sparse  # noqa: E402,F401  (registers)
