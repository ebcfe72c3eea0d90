"""Grid expansion, trial ids, paired seeds and `name[factor=value]` selectors."""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from typing import Any

from claims.api import Claim, Point


def points(claim: type[Claim] | Claim) -> list[Point]:
    """The factor grid in declaration order: the product of every factor's values."""
    keys = list(claim.factors)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*claim.factors.values())]


def _canon(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def _hash(obj: Any, n: int = 16) -> str:
    return hashlib.sha256(_canon(obj).encode()).hexdigest()[:n]


def trial_seed(claim: type[Claim] | Claim, point: Point, seed_index: int) -> int:
    """Seed from (claim, point without the compared factors, seed index): the arms of a
    comparison get the same seed, hence the same data subset, order and shared initial weights."""
    compared = claim.compared_factors()
    shared = {k: v for k, v in point.items() if k not in compared}
    return int(_hash([claim.name, shared, seed_index], 15), 16)


def trial_id(
    claim: str,
    version: int,
    framework: str,
    point: Point,
    seed_index: int,
    profile: str,
    code: str,
    mode: str = "sequential",
) -> str:
    """Stable id: a hash of the canonical JSON of the trial and the code fingerprint. The order of
    factors or CLI arguments never changes it (keys are sorted). An execution mode other than the
    default (e.g. "seedbatch": equal to sequential only up to rounding) enters the hash; the
    sequential mode adds no key, so its ids are the ones stored before modes existed."""
    fields: dict[str, Any] = {
        "claim": claim,
        "version": version,
        "framework": framework,
        "point": point,
        "seed_index": seed_index,
        "profile": profile,
        "code": code,
    }
    if mode != "sequential":
        fields["mode"] = mode
    return _hash(fields, 24)


@dataclass(frozen=True)
class Selector:
    """`claim-name` or `claim-name[factor=value,...]` as typed on the command line."""

    name: str
    where: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, text: str) -> Selector:
        text = text.strip()
        if "[" not in text:
            return cls(text)
        if not text.endswith("]"):
            raise ValueError(f"bad selector {text!r}: expected name[factor=value,...]")
        name, inner = text[:-1].split("[", 1)
        pairs = []
        for part in filter(None, (p.strip() for p in inner.split(","))):
            if "=" not in part:
                raise ValueError(f"bad selector {text!r}: {part!r} is not factor=value")
            k, v = part.split("=", 1)
            pairs.append((k.strip(), v.strip()))
        return cls(name.strip(), tuple(pairs))

    def matches(self, point: Point) -> bool:
        return all(k in point and str(point[k]) == v for k, v in self.where)

    def check(self, claim: type[Claim]) -> None:
        for k, v in self.where:
            if k not in claim.factors:
                raise ValueError(f"{self.name}: no factor {k!r}; factors are {', '.join(claim.factors)}")
            if v not in {str(x) for x in claim.factors[k]}:
                raise ValueError(f"{self.name}: {k}={v!r} is not one of {claim.factors[k]}")
