"""`claimbench new NAME`: a claim file that passes `check_claim` as written."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATE = '''"""{name}: replace with one line on what the note claims."""

from claims import Claim, Expect, spec


class {cls}(Claim):
    name = "{name}"
    version = 1
    title = "Wider hidden layers reach a higher test accuracy"
    section = "Z. My claims"
    source = "the note's own words, quoted"
    literature = "where the setup comes from (paper, section)"
    operationalisation = (
        "How the vague words became a measurement: an MLP on sklearn digits, width 16 vs 64, "
        "10 epochs of SGD; the claim holds if the wider net's test accuracy is higher by >= 1 point."
    )
    factors = {{"width": [16, 64]}}
    seeds = {{"smoke": 1, "quick": 5, "full": 20}}
    metrics = ["test/accuracy"]
    expect = [Expect("test/accuracy", {{"width": 64}}, {{"width": 16}}, "greater", min_effect=0.01)]
    figures = [("curve", "test/accuracy")]

    def spec(self, point, profile):
        epochs = self.by_profile(profile, smoke=1, quick=10, full=50)
        return spec.TrialSpec(
            data=spec.Data("digits"),
            model=spec.MLP(depth=2, width=point["width"], activation="relu", init=spec.Init("he_normal")),
            optimizer=spec.Optimizer("sgd", lr=0.05),
            training=spec.Training(epochs=epochs, batch_size=32),
        )
'''


def write_skeleton(name: str, folder: Path) -> Path:
    if not re.match(r"^[a-z0-9]+(-[a-z0-9]+)*$", name):
        raise ValueError(f"claim name {name!r}: expected lower-case words joined by '-', like 'my-claim'")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name.replace('-', '_')}.py"
    if path.exists():
        raise FileExistsError(f"{path} exists; not overwriting it")
    cls = "".join(part.capitalize() for part in name.split("-"))
    path.write_text(TEMPLATE.format(name=name, cls=cls))
    return path
