"""TensorFlow side of the "autoencode" experiment (see `impls.autoencode`): engine and encoder only."""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from impls import autoencode
from impls.spec import TrialSpec
from impls.tf_impl.train import TFEngine, engine_for


def make_engine(spec: TrialSpec, n_in: int, w0: dict[str, np.ndarray], seed: int) -> TFEngine:
    engine = engine_for(spec, n_in, n_in)  # cached per graph shape; new weights, optimiser state, RNG
    engine.reset(w0, seed, spec)
    return engine


def encode(engine: TFEngine, x: np.ndarray) -> np.ndarray:
    return np.asarray(engine.net.encode(tf.constant(x)))


def run(spec: TrialSpec, seed: int, threads: int) -> dict[str, Any]:
    result = autoencode.run(spec, seed, make_engine, encode)
    result["env"] = {"framework": "tf", "version": tf.__version__, "device": "cpu", "threads": threads}
    return result
