"""The environment an embedded Ray starts with: its own metrics and event bookkeeping turned down
(they take CPU from the trials on a small machine); a cluster given by address keeps its own."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runners import backends


@pytest.mark.parametrize("embedded", [True, False])
def test_only_an_embedded_ray_gets_the_quiet_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embedded: bool
) -> None:
    for k in backends.QUIET:
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("RAY_AUTH_TOKEN", "kept")  # so the auth branch leaves the environment alone
    backends._ray_env(tmp_path / "ray", embedded=embedded)
    got = {k: os.environ.get(k) for k in backends.QUIET}
    assert got == (backends.QUIET if embedded else dict.fromkeys(backends.QUIET))
    assert (tmp_path / "ray").is_dir()


def test_a_user_setting_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    name = "RAY_event_stats"  # Ray's own spelling (RAY_ + its config key)
    monkeypatch.setenv(name, "1")
    monkeypatch.setenv("RAY_AUTH_TOKEN", "kept")
    backends._ray_env(tmp_path, embedded=True)
    assert os.environ[name] == "1"
