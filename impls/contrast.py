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


def arms(spec: TrialSpec) -> list[tuple[str, TrialSpec]]:
    """("control", spec), ("treatment", spec): the two training runs of the trial, in order."""
    params = dict(spec.params)
    field, values = params["field"], tuple(params["values"])
    base = dataclasses.replace(spec, experiment="train", params=())
    return [
        (arm, with_field(base, field, v)) for arm, v in zip(("control", "treatment"), values, strict=True)
    ]


def combine(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The trial's result from its arms' results, in arm order. A diverged arm ends the trial
    with its own result and no metrics (`run` does not train the next arm)."""
    metrics: dict[str, float] = {}
    curves: dict[str, list[list[float]]] = {}
    timings: dict[str, float] = {}
    result: dict[str, Any] = {}
    for arm, result in results.items():
        if result["diverged"]:
            return {**result, "metrics": {}, "curves": {}}
        metrics.update({f"{arm}/{k}": v for k, v in result["metrics"].items()})
        curves.update({f"{arm}/{k}": v for k, v in result["curves"].items()})
        timings.update({f"{arm}/{k}": v for k, v in result["timings"].items()})
    control, treatment = (results[a]["metrics"] for a in ("control", "treatment"))
    for k in sorted(set(control) & set(treatment)):
        metrics[f"contrast/{k}"] = treatment[k] - control[k]
    return {"metrics": metrics, "curves": curves, "diverged": False, "timings": timings, "env": result["env"]}


def run(spec: TrialSpec, seed: int, threads: int, run_trial: RunTrial) -> dict[str, Any]:
    results: dict[str, dict[str, Any]] = {}
    for arm, arm_spec in arms(spec):
        results[arm] = run_trial(arm_spec, seed, threads)
        if results[arm]["diverged"]:
            break
    return combine(results)
