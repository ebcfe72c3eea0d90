"""Two arms of one comparison trained inside one trial, for claims about an INTERACTION.

A claim such as "dropout helps more on a larger network" compares an effect (dropout minus no
dropout) across another factor (width). `Expect` compares one metric between factor points, so the
effect itself must be a per-seed metric: this experiment trains the control and the treatment arm
with the same seed (same data order, split and initial weights) and records
`contrast/<metric>` = treatment - control for every final metric both arms report, plus each
arm's metrics as `control/<metric>` and `treatment/<metric>`.

params: ("field", "model.dropout"): a dotted spec field; ("values", (control, treatment)).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from impls.spec import TrialSpec

RunTrial = Callable[[TrialSpec, int, int], dict[str, Any]]


def with_field(obj: Any, dotted: str, value: Any) -> Any:
    """A copy of a spec dataclass with one (possibly nested) field replaced: "model.dropout"."""
    head, _, rest = dotted.partition(".")
    new = value if not rest else with_field(getattr(obj, head), rest, value)
    return dataclasses.replace(obj, **{head: new})


def run(spec: TrialSpec, seed: int, threads: int, run_trial: RunTrial) -> dict[str, Any]:
    params = dict(spec.params)
    field, values = params["field"], tuple(params["values"])
    base = dataclasses.replace(spec, experiment="train", params=())
    metrics: dict[str, float] = {}
    curves: dict[str, list[list[float]]] = {}
    timings: dict[str, float] = {}
    arms: dict[str, dict[str, float]] = {}
    result: dict[str, Any] = {}
    for arm, value in zip(("control", "treatment"), values, strict=True):
        result = run_trial(with_field(base, field, value), seed, threads)
        if result["diverged"]:
            return {**result, "metrics": {}, "curves": {}}
        arms[arm] = result["metrics"]
        metrics.update({f"{arm}/{k}": v for k, v in result["metrics"].items()})
        curves.update({f"{arm}/{k}": v for k, v in result["curves"].items()})
        timings.update({f"{arm}/{k}": v for k, v in result["timings"].items()})
    for k in sorted(set(arms["control"]) & set(arms["treatment"])):
        metrics[f"contrast/{k}"] = arms["treatment"][k] - arms["control"][k]
    return {"metrics": metrics, "curves": curves, "diverged": False, "timings": timings, "env": result["env"]}
