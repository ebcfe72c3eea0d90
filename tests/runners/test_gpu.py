"""The GPU resource mapping, unit-tested on the CPU: what a task asks Ray for and what it caps."""

from __future__ import annotations

from pathlib import Path

import pytest

from runners.gpu import plan


def test_cpu_trial_hides_gpus_and_asks_for_none() -> None:
    p = plan(0)
    assert p.num_gpus == 0 and p.torch_memory_fraction is None and p.tf_hide_gpus


def test_fractional_share_caps_both_frameworks() -> None:
    p = plan(0.25, card_memory_mb=80_000)
    assert p.num_gpus == 0.25
    assert p.torch_memory_fraction == 0.25
    assert p.tf_memory_limit_mb == 20_000 and not p.tf_hide_gpus
    assert plan(0.25).tf_memory_limit_mb is None  # unknown card size: memory growth instead


def test_whole_gpus() -> None:
    p = plan(2)
    assert p.num_gpus == 2 and p.torch_memory_fraction == 1.0 and p.tf_memory_limit_mb is None


@pytest.mark.parametrize("bad", [-0.5, 1.5])
def test_bad_shares_are_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="gpus-per-trial"):
        plan(bad)


def test_ray_temp_dir_keeps_socket_paths_short(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from runners.backends import default_temp_dir

    deep = tmp_path / ("x" * 60)
    deep.mkdir()
    monkeypatch.chdir(deep)
    assert len(str(default_temp_dir())) <= 40  # AF_UNIX paths under it stop at 107 bytes
