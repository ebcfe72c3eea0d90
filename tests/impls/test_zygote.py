"""impls.zygote: each call is a fresh forked process that measures only its own work, and a
failing child (exception, crash, hang) is a clear error that leaves the next call working."""

from __future__ import annotations

import pytest

from impls import zygote

MODULE = "tests.impls.zygote_child"


@pytest.fixture
def z() -> zygote.Zygote:
    handle = zygote.Zygote(MODULE)
    yield handle
    handle.close()


def test_each_call_is_a_fresh_child_with_its_own_high_water_mark(z: zygote.Zygote) -> None:
    big = z.call(("alloc", 200))
    small = z.call(("alloc", 16))
    assert big["pid"] != small["pid"] and big["zygote"] == small["zygote"]
    assert 190 <= big["grew"] <= 230
    assert 12 <= small["grew"] <= 40
    # the second child does not start at the first one's peak: the 200 MiB died with it
    assert small["base"] < big["base"] + 100


def test_a_child_exception_is_an_error_and_the_zygote_lives_on(z: zygote.Zygote) -> None:
    first = z.call(("alloc", 1))["zygote"]
    with pytest.raises(RuntimeError, match="ValueError: bad arm"):
        z.call(("raise", "bad arm"))
    assert z.call(("alloc", 1))["zygote"] == first


def test_a_killed_child_is_named(z: zygote.Zygote) -> None:
    with pytest.raises(RuntimeError, match=r"child died \(signal 9\)"):
        z.call(("die", None))
    assert z.call(("alloc", 1))["grew"] >= 0


def test_prints_do_not_corrupt_the_replies(z: zygote.Zygote) -> None:
    assert z.call(("print", None)) == {"printed": 1.0}
    assert z.call(("alloc", 1))["grew"] >= 0


def test_a_hung_child_times_out_and_the_next_call_gets_a_new_zygote(z: zygote.Zygote) -> None:
    first = z.call(("alloc", 1))["zygote"]
    with pytest.raises(RuntimeError, match="no reply within 1 s"):
        z.call(("sleep", 60), timeout=1)
    assert z.call(("alloc", 1))["zygote"] != first


@pytest.mark.frameworks
@pytest.mark.parametrize("framework", ["torch", "tf"])
def test_the_memory_experiment_measures_each_arm_in_a_forked_child(framework: str) -> None:
    """minibatch-less-memory's protocol end to end: each arm in its own child of the framework's
    zygote, the step's growth visible (2x1024 MLP, ~16 MB of activations per layer at 4096)."""
    import importlib

    from impls.spec import MLP, Data, Init, Optimizer, Training, TrialSpec

    module = f"impls.{framework}_impl.experiments.peak_memory"
    exp = importlib.import_module(module)

    def arm(b: int) -> dict[str, float]:
        spec = TrialSpec(
            data=Data("mnist1d"),
            model=MLP(depth=2, width=1024, activation="relu", init=Init("he_normal")),
            optimizer=Optimizer("sgd", lr=0.01),
            training=Training(batch_size=b),
            experiment="peak_memory",
            params=(("fresh_process", True),),
        )
        out = exp.run(spec, 7, 1)
        assert out["env"] == {"subprocess": module}
        return out["metrics"]

    small, large = arm(32), arm(4096)
    assert large["memory/step_mb"] - small["memory/step_mb"] >= 10.0
    assert small["memory/base_mb"] > 100.0  # the framework is resident before the first step
