"""Transfer learning with the pretraining inside the trial (procedure shared in
`impls.experiment_data.transfer`; only the engine differs). params: mode, per_class,
pre_classes, fine_classes, pre_epochs."""

from __future__ import annotations

from typing import Any

from impls import experiment_data
from impls.spec import TrialSpec
from impls.tf_impl import train


def run(spec: TrialSpec, seed: int, threads: int) -> dict[str, Any]:
    return {**experiment_data.transfer(spec, seed, train.setup), "env": train.env()}
