"""Epochs and seconds to a target loss, this batch size vs a reference one, in one process
(protocol: impls.measure.batch_timing)."""

from typing import Any

from impls import measure
from impls.spec import TrialSpec
from impls.torch_impl import train


def run(spec: TrialSpec, seed: int, threads: int) -> dict[str, Any]:
    return measure.batch_timing(spec, seed, train)
