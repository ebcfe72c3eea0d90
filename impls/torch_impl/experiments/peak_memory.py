"""Peak memory of one training update, measured in a fresh process (protocol: impls.measure.peak_memory).
RSS rather than an allocator counter: on CPU neither torch nor TF exposes an allocator peak.
`train` is imported here, not in `child`, so that a zygote importing this module (impls.zygote)
has the framework loaded before it forks each arm's process."""

from typing import Any

# Optimizer.step imports torch._dynamo on first use (~2 s): here once per zygote, not per arm
import torch._dynamo  # noqa: F401

from impls import measure
from impls.spec import TrialSpec
from impls.torch_impl import train


def run(spec: TrialSpec, seed: int, threads: int) -> dict[str, Any]:
    return measure.peak_memory(spec, seed, __name__)


def child(payload: tuple[TrialSpec, int]) -> dict[str, float]:
    train.pin_threads(1)
    return measure.memory_child(payload[0], payload[1], train)
