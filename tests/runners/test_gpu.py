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


@pytest.mark.frameworks
def test_torch_trials_follow_their_gpu_share() -> None:
    """A share on a machine with CUDA moves the torch trial there (model, data, env); without a
    share, or without CUDA, it stays on the CPU. A reused worker is reset by each trial."""
    import torch

    from impls.spec import MLP, Data, Optimizer, Training, TrialSpec
    from impls.torch_impl import device, train

    spec = TrialSpec(
        Data("digits", n_train=64), MLP(depth=1, width=8), Optimizer("sgd", lr=0.1), Training(epochs=1)
    )
    try:
        want = "cuda" if torch.cuda.is_available() else "cpu"
        assert device.configure(0.25) == want and device.current().type == want
        engine, split, _ = train.fresh_engine(spec, 1)
        assert {p.device.type for p in engine.net.parameters()} == {want}
        out = train.run_trial(spec, 1)
        assert out["env"]["device"] == want and out["metrics"]["test/accuracy"] >= 0.0
        assert device.configure(None) == "cpu"  # the next trial on this worker has no share
        engine, _, _ = train.fresh_engine(spec, 1)
        assert {p.device.type for p in engine.net.parameters()} == {"cpu"}
        x = split.x_train[:4]
        assert device.tensor(x).data_ptr() == torch.from_numpy(x).data_ptr()  # no copy on the CPU
    finally:
        device.configure(None)
