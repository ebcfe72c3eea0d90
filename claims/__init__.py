"""claimbench's public API for claim authors: everything a plugin needs is importable from here.

    from claims import Claim, Expect, spec
    class MyClaim(Claim): ...

Never imports torch, tensorflow or ray (a test proves it).
"""

from claims.api import FRAMEWORKS, PROFILES, Claim, Expect, Point
from claims.check import ClaimError, check_claim
from claims.discovery import Broken, DuplicateClaimError, Registry, discover
from claims.grid import Selector, points, trial_id, trial_seed
from impls import spec

__all__ = [
    "FRAMEWORKS",
    "PROFILES",
    "Broken",
    "Claim",
    "ClaimError",
    "DuplicateClaimError",
    "Expect",
    "Point",
    "Registry",
    "Selector",
    "check_claim",
    "discover",
    "points",
    "spec",
    "trial_id",
    "trial_seed",
]
