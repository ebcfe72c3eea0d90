"""`check_claim`: the conformance check every claim passes (built-in or plugin).

Errors are one line: `<file>: <Class>.<field>: given <value>, expected <what>`.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from claims.api import FRAMEWORKS, PROFILES, Claim, Expect
from impls.spec import TrialSpec, validate

NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
SCALAR = (str, int, float, bool)


class ClaimError(ValueError):
    pass


def check_claim(cls: type[Claim], origin: str | None = None) -> None:
    """Raise ClaimError naming file, field, what was given and what was expected."""
    where = origin or _origin(cls)

    def fail(fld: str, given: Any, expected: str) -> None:
        raise ClaimError(f"{where}: {cls.__name__}.{fld}: given {given!r:.80}, expected {expected}")

    if not (inspect.isclass(cls) and issubclass(cls, Claim)):
        raise ClaimError(f"{where}: {cls!r} is not a Claim subclass")
    if not isinstance(cls.name, str) or not NAME.match(cls.name):
        fail("name", cls.name, "a lower-case id like 'bn-after-activation'")
    if not isinstance(cls.version, int) or isinstance(cls.version, bool) or cls.version < 1:
        fail("version", cls.version, "an int >= 1")
    for text in ("title", "section", "source", "operationalisation"):
        value = getattr(cls, text)
        if not isinstance(value, str) or not value.strip():
            fail(text, value, "a non-empty string")
    if not isinstance(cls.factors, dict) or not cls.factors:
        fail("factors", cls.factors, "a non-empty dict of lists")
    for key, values in cls.factors.items():
        if not isinstance(values, list) or not values or not all(isinstance(v, SCALAR) for v in values):
            fail(f"factors[{key!r}]", values, "a non-empty list of str/int/float/bool")
        if len(set(map(repr, values))) != len(values):
            fail(f"factors[{key!r}]", values, "distinct values")
    if set(cls.seeds) != set(PROFILES) or not all(isinstance(n, int) and n >= 1 for n in cls.seeds.values()):
        fail("seeds", cls.seeds, f"an int >= 1 for each of {PROFILES}")
    if not cls.frameworks or not set(cls.frameworks) <= set(FRAMEWORKS):
        fail("frameworks", cls.frameworks, f"a non-empty subset of {FRAMEWORKS}")
    if (
        not isinstance(cls.metrics, list)
        or not cls.metrics
        or not all(isinstance(m, str) for m in cls.metrics)
    ):
        fail("metrics", cls.metrics, "a non-empty list of metric names")
    if not isinstance(cls.expect, list) or not cls.expect:
        fail("expect", cls.expect, "a non-empty list of Expect (the pre-registered comparisons)")
    for i, e in enumerate(cls.expect):
        _check_expect(cls, e, f"expect[{i}]", fail)
    _check_specs(cls, fail)


def _check_expect(cls: type[Claim], e: Any, fld: str, fail: Any) -> None:
    if not isinstance(e, Expect):
        fail(fld, e, "an Expect(...)")
    if e.metric not in cls.metrics:
        fail(f"{fld}.metric", e.metric, f"one of metrics {cls.metrics}")
    if e.direction not in ("greater", "less", "equivalent"):
        fail(f"{fld}.direction", e.direction, "'greater', 'less' or 'equivalent'")
    if not isinstance(e.min_effect, int | float) or e.min_effect < 0:
        fail(f"{fld}.min_effect", e.min_effect, "a number >= 0")
    if e.direction == "equivalent" and e.min_effect <= 0:
        fail(f"{fld}.min_effect", e.min_effect, "a margin > 0 for an equivalence claim")
    arms = [("treatment", e.treatment)] + ([("control", e.control)] if e.control is not None else [])
    for arm, point in arms:
        if not isinstance(point, dict):
            fail(f"{fld}.{arm}", point, "a dict factor -> value")
        for k, v in point.items():
            if k not in cls.factors:
                fail(f"{fld}.{arm}", k, f"a factor in {list(cls.factors)}")
            if v not in cls.factors[k]:
                fail(f"{fld}.{arm}[{k!r}]", v, f"one of {cls.factors[k]}")
    if e.control is not None and set(e.treatment) != set(e.control):
        fail(f"{fld}.control", e.control, f"the same factors as the treatment {sorted(e.treatment)}")
    if e.control is not None and e.control == e.treatment:
        fail(f"{fld}.control", e.control, "a point different from the treatment")
    if e.across is not None:
        if not (isinstance(e.across, tuple | list) and len(e.across) == 3):
            fail(f"{fld}.across", e.across, "(factor, high, low)")
        f, hi, lo = e.across
        if (
            f not in cls.factors
            or f in e.treatment
            or hi not in cls.factors[f]
            or lo not in cls.factors[f]
            or hi == lo
        ):
            fail(
                f"{fld}.across",
                e.across,
                "(factor, high, low) with a factor not in the arms and two of its values",
            )
    for k, vals in e.where.items():
        if k not in cls.factors or not all(v in cls.factors[k] for v in vals):
            fail(f"{fld}.where[{k!r}]", vals, f"values of factor {k!r}")


def _check_specs(cls: type[Claim], fail: Any) -> None:
    from claims.grid import points  # local: grid imports api, not check

    claim = cls()
    for profile in PROFILES:
        for point in points(cls):
            try:
                spec = claim.spec(dict(point), profile)
            except Exception as exc:
                fail(
                    "spec",
                    point,
                    f"a TrialSpec for profile {profile!r}, but it raised {type(exc).__name__}: {exc}",
                )
            if not isinstance(spec, TrialSpec):
                fail("spec", spec, f"a TrialSpec at {point} ({profile})")
            try:
                validate(spec)
            except ValueError as exc:
                fail("spec", point, f"a valid TrialSpec ({profile}): {exc}")


def _origin(cls: type[Claim]) -> str:
    try:
        return inspect.getfile(cls)
    except (TypeError, OSError):
        return cls.__module__
