"""Mini-batch vs full-batch gradients at fixed weights (protocol: impls.measure.grad_noise)."""

from typing import Any

from impls import measure
from impls.spec import TrialSpec
from impls.tf_impl import train


def run(spec: TrialSpec, seed: int, threads: int) -> dict[str, Any]:
    return measure.grad_noise(spec, seed, train)
