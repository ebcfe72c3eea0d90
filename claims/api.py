"""The Claim base class and the pre-registered expectations a verdict rests on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from impls.spec import TrialSpec

PROFILES = ("smoke", "quick", "full")
FRAMEWORKS = ("torch", "tf")
Point = dict[str, Any]  # one factor point: {"depth": 10, "activation": "tanh"}


@dataclass(frozen=True)
class Expect:
    """One pre-registered comparison, evaluated per framework.

    The effect is `metric(treatment) - metric(control)` per seed (paired, since arms share seeds),
    or `metric(treatment) - reference` when `control` is None. With `relative`, it is divided by
    |control| (or |reference|). Factors named in neither arm are conditions: the comparison is made
    separately under each of their combinations (restricted by `where`), and the claim's verdict
    says under which conditions it holds.

    direction: "greater" | "less" (the claimed sign of the effect) or "equivalent" (|effect| small).
    min_effect: the smallest effect that matters; for "equivalent" it is the margin.
    across: (factor, high, low) makes it an interaction: "the effect grows with factor" is the
      per-seed effect at factor=high minus the effect at factor=low (e.g. the dropout benefit at
      width 1024 minus the benefit at width 64), compared with 0 in `direction`.
    """

    metric: str
    treatment: Point
    control: Point | None = None
    direction: Literal["greater", "less", "equivalent"] = "greater"
    min_effect: float = 0.0
    relative: bool = False
    reference: float = 0.0
    where: dict[str, list[Any]] = field(default_factory=dict)
    paired: bool = True
    label: str = ""
    across: tuple[str, Any, Any] | None = None

    def describe(self) -> str:
        if self.label:
            return self.label
        arms = _fmt(self.treatment) + (
            f" vs {_fmt(self.control)}" if self.control is not None else f" vs {self.reference:g}"
        )
        if self.across:
            f, hi, lo = self.across
            arms += f", effect at {f}={hi} minus at {f}={lo}"
        return f"{self.metric}: {arms} ({self.direction})"


def _fmt(point: Point) -> str:
    return ",".join(f"{k}={v}" for k, v in point.items()) or "all"


class Claim:
    """Subclass, fill the declarative attributes, and map a factor point to a `TrialSpec`.

    Attributes (see the README for a complete example):
      name, version, title, section, source (the note's words), literature, literature_effect,
      operationalisation, factors (dict of lists; the grid is their product), fixed, seeds (per
      profile), frameworks, resources ({"cpus": 1, "gpus": 0}), metrics, expect (list of Expect).
    """

    name: ClassVar[str] = ""
    version: ClassVar[int] = 1
    title: ClassVar[str] = ""
    section: ClassVar[str] = ""
    source: ClassVar[str] = ""
    literature: ClassVar[str] = ""
    literature_effect: ClassVar[str] = ""
    operationalisation: ClassVar[str] = ""
    factors: ClassVar[dict[str, list[Any]]] = {}
    fixed: ClassVar[dict[str, Any]] = {}
    seeds: ClassVar[dict[str, int]] = {"smoke": 1, "quick": 5, "full": 20}
    frameworks: ClassVar[tuple[str, ...]] = FRAMEWORKS
    resources: ClassVar[dict[str, float]] = {"cpus": 1, "gpus": 0}
    metrics: ClassVar[list[str]] = []
    expect: ClassVar[list[Expect]] = []
    # Figures the report draws for this claim: ("curve", metric) draws the learning curve of a
    # recorded curve; ("profile", prefix) plots metrics named prefix + "{i}" against i.
    figures: ClassVar[list[tuple[str, str]]] = []

    def spec(self, point: Point, profile: str) -> TrialSpec:
        """The trial for one factor point under one profile (smoke, quick, full)."""
        raise NotImplementedError(f"claim {self.name!r} does not define spec(point, profile)")

    def derive(self, metrics: dict[str, float]) -> dict[str, float]:
        """Optional: metrics computed from the recorded ones (pure Python, no framework)."""
        return {}

    # Helpers shared by the claims -------------------------------------------------------------
    @classmethod
    def compared_factors(cls) -> set[str]:
        """Factors an expectation contrasts; seeds do not depend on them, so arms are paired."""
        keys: set[str] = set()
        for e in cls.expect:
            keys |= set(e.treatment) | set(e.control or {}) | ({e.across[0]} if e.across else set())
        return keys

    @staticmethod
    def by_profile(profile: str, smoke: Any, quick: Any, full: Any) -> Any:
        return {"smoke": smoke, "quick": quick, "full": full}[profile]
