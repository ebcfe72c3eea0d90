"""Training samples per second at several batch sizes, interleaved (protocol: impls.measure.throughput)."""

from typing import Any

from impls import measure
from impls.spec import TrialSpec
from impls.torch_impl import train


def run(spec: TrialSpec, seed: int, threads: int) -> dict[str, Any]:
    return measure.throughput(spec, seed, train)
