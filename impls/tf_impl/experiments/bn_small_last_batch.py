"""What BN does with a 1-sample last batch (framework behaviour; the procedure and metrics are
shared in `impls.experiment_data.small_last_batch`, so only the engine differs)."""

from __future__ import annotations

from typing import Any

from impls import data, experiment_data
from impls.spec import TrialSpec
from impls.tf_impl import train


def run(spec: TrialSpec, seed: int, threads: int) -> dict[str, Any]:
    split = data.load(spec.data, seed, spec.training.dtype)
    engine, _ = train.setup(spec, seed, split)
    out = experiment_data.small_last_batch(spec, seed, split, engine)
    errors = out.pop("errors")
    return {**out, "env": {**train.env(), "tiny_batch_errors": errors}}
