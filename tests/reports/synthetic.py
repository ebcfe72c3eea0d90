"""A small synthetic store with known truth (no training), shared by the report tests:

- `bn-after-activation`: two factors (position x act), both frameworks, 5 seeds, a planted
  accuracy gain of +0.10 for position=after (noise sd 0.01; smallest effect that matters 0.02),
  one failed and one diverged trial, a loss curve and per-layer gradient norms.
- `xss-claim`: a `<script>` title; lr=0.1 lowers the loss by 0.2 in torch only, so torch comes
  out supported and tf refuted (its effect sits inside the ±0.05 band): the frameworks disagree.
- `orphan`: trials but no claim metadata.
- an older smoke run of bn-after-activation, which the default report must not use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from runners.store import Store, TrialRecord

SEEDS = 5
T0 = 1_700_000_000.0
ENV = {"python": "3.11.9", "device": "cpu", "threads": 1, "host": "test", "code": "abc123"}

BN_META: dict[str, Any] = {
    "name": "bn-after-activation",
    "version": 2,
    "title": "Batch norm after the activation works better",
    "section": "B. Normalisation",
    "source": "BN is better placed after the activation",
    "literature": "Ioffe & Szegedy 2015",
    "literature_effect": "no consistent difference",
    "operationalisation": "Validation accuracy after a fixed budget, BN before vs after the activation.",
    "factors": {"position": ["before", "after"], "act": ["relu", "tanh"]},
    "fixed": {"epochs": 3},
    "seeds": {"smoke": 1, "quick": SEEDS, "full": 20},
    "frameworks": ["torch", "tf"],
    "metrics": ["val/accuracy", "train/loss", *(f"probe/grad_norm/layer{i}" for i in range(4))],
    "expect": [
        {
            "metric": "val/accuracy",
            "treatment": {"position": "after"},
            "control": {"position": "before"},
            "direction": "greater",
            "min_effect": 0.02,
            "relative": False,
            "reference": 0.0,
            "where": {},
            "paired": True,
            "label": "BN after the activation raises accuracy",
            "description": "accuracy(after) - accuracy(before) > 0.02",
        }
    ],
    "figures": [["curve", "train/loss"], ["profile", "probe/grad_norm/"]],
    "origin": "claims/library/bn_after_activation.py",
    "command": "claimbench run bn-after-activation --profile quick",
}

XSS_META: dict[str, Any] = {
    "name": "xss-claim",
    "version": 1,
    "title": "<script>alert('x')</script> a hostile title",
    "section": "A. Gradients and activations",
    "source": "a <b>bold</b> | claim",
    "operationalisation": "loss at lr=0.1 minus loss at lr=0.01",
    "factors": {"lr": [0.1, 0.01]},
    "seeds": {"quick": SEEDS},
    "frameworks": ["torch", "tf"],
    "metrics": ["train/loss"],
    "expect": [
        {
            "metric": "train/loss",
            "treatment": {"lr": 0.1},
            "control": {"lr": 0.01},
            "direction": "less",
            "min_effect": 0.05,
        }
    ],
    "figures": [],
    "command": "claimbench run xss-claim",
}


def _trial(claim: str, version: int, fw: str, point: dict[str, Any], seed: int, **kw: Any) -> TrialRecord:
    fields: dict[str, Any] = {
        "profile": "quick",
        "status": "ok",
        "env": {**ENV, "framework": fw, "version": "2.x"},
        "started": T0 + seed,
        "finished": T0 + seed + 1,
        "wall_s": 1.0,
        **kw,
    }
    key = ",".join(f"{k}={v}" for k, v in point.items())
    return TrialRecord(
        id=f"{claim}/{fw}/{key}/{seed}/{fields['profile']}",
        claim=claim,
        version=version,
        framework=fw,
        factors=point,
        seed_index=seed,
        seed=1000 + seed,
        **fields,
    )


def make_store(path: Path) -> Path:
    rng = np.random.default_rng(7)
    store = Store(path)
    store.put_claim("bn-after-activation", 2, BN_META)
    store.put_claim("xss-claim", 1, XSS_META)
    for fw in ("torch", "tf"):
        for act in ("relu", "tanh"):
            for position in ("before", "after"):
                point = {"position": position, "act": act}
                for s in range(SEEDS):
                    acc = 0.80 + (0.10 if position == "after" else 0.0) + rng.normal(0, 0.01)
                    depth_decay = 0.5 if act == "tanh" else 0.9
                    metrics = {
                        "val/accuracy": acc,
                        "train/loss": 1 - acc,
                        **{
                            f"probe/grad_norm/layer{i}": depth_decay**i * (1 + rng.normal(0, 0.05))
                            for i in range(4)
                        },
                    }
                    curve = [
                        [step, float(np.exp(-step / 50) + rng.normal(0, 0.01))] for step in range(0, 200, 20)
                    ]
                    status, error = "ok", None
                    if (fw, position, act, s) == ("torch", "after", "relu", 4):
                        status, metrics, curve = "failed", {}, []
                        error = "Traceback (most recent call last):\n  File x\nRuntimeError: planted failure"
                    if (fw, position, act, s) == ("tf", "before", "tanh", 2):
                        status, metrics["val/accuracy"], metrics["train/loss"] = (
                            "diverged",
                            float("nan"),
                            float("inf"),
                        )
                        error = "loss became inf at step 40"
                    store.put(
                        _trial(
                            "bn-after-activation",
                            2,
                            fw,
                            point,
                            s,
                            status=status,
                            metrics=metrics,
                            curves={"train/loss": curve} if curve else {},
                            error=error,
                        )
                    )
        for lr in (0.1, 0.01):
            for s in range(SEEDS):
                gain = -0.2 if (fw == "torch" and lr == 0.1) else 0.0
                loss = 0.5 + gain + rng.normal(0, 0.005)
                store.put(_trial("xss-claim", 1, fw, {"lr": lr}, s, metrics={"train/loss": loss}))
    for s in range(3):
        store.put(_trial("orphan", 1, "torch", {"k": 1}, s, metrics={"m": float(s)}))
    # An older smoke run of bn-after-activation, which the default report must not use.
    store.put(
        _trial(
            "bn-after-activation",
            2,
            "torch",
            {"position": "after", "act": "relu"},
            0,
            profile="smoke",
            metrics={"val/accuracy": 0.1},
            finished=T0 - 1e5,
        )
    )
    store.close()
    return path
