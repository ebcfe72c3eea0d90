"""Both arms of a comparison in one trial (see `impls.contrast`), trained by this framework's loop."""

from __future__ import annotations

from typing import Any

from impls import contrast
from impls.spec import TrialSpec
from impls.tf_impl.train import run_trial


def run(spec: TrialSpec, seed: int, threads: int) -> dict[str, Any]:
    return contrast.run(spec, seed, threads, run_trial)
