"""The on-disk cache of slow dataset pools: the same arrays bit for bit, never a wrong one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from impls import data

CALLS: list[int] = []


def _slow_maker(n: int = 50) -> data.Pool:
    CALLS.append(n)
    rng = np.random.default_rng(n)
    return rng.normal(size=(n, 3)), rng.integers(0, 4, n).astype(np.int64), 4


@pytest.fixture
def cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(data, "CACHE_DIR", tmp_path)
    data.dataset("_test_slow", disk_cache=True)(_slow_maker)
    data.pool.cache_clear()
    CALLS.clear()
    yield tmp_path / "data"
    data._REGISTRY.pop("_test_slow", None)
    data._DISK_CACHED.discard("_test_slow")
    data.pool.cache_clear()


def _fresh(params: tuple[tuple[str, int], ...] = ()) -> data.Pool:
    data.pool.cache_clear()  # as a new process would see it
    return data.pool("_test_slow", params)


def test_second_process_reads_the_same_bits_without_remaking(cached: Path) -> None:
    x0, y0, k0 = _fresh()
    x1, y1, k1 = _fresh()
    assert CALLS == [50]  # made once, read back the second time
    assert x1.tobytes() == x0.tobytes() and y1.tobytes() == y0.tobytes() and k1 == k0 == 4
    assert x1.dtype == x0.dtype and y1.dtype == np.int64 and not x1.flags.writeable
    _fresh((("n", 60),))
    assert CALLS == [50, 60]  # other params, other file
    assert len(list(cached.glob("*.npz"))) == 2 and not list(cached.glob("*.tmp"))


@pytest.mark.parametrize("damage", ["truncate", "garbage", "tamper"])
def test_a_damaged_file_is_remade_not_trusted(cached: Path, damage: str) -> None:
    x0, _, _ = _fresh()
    (path,) = cached.glob("*.npz")
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[:100])
    elif damage == "garbage":
        path.write_bytes(b"not a zip file")
    else:  # valid file, wrong contents: the digest no longer matches
        with np.load(path) as f:
            parts = {k: f[k] for k in f.files}
        parts["x"] = parts["x"] + 1.0
        np.savez(path, **parts)
    x1, _, _ = _fresh()
    assert CALLS == [50, 50]
    assert x1.tobytes() == x0.tobytes()


def test_an_unwritable_cache_only_costs_time(
    tmp_path: Path, cached: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setattr(data, "CACHE_DIR", blocker)  # CACHE_DIR/data cannot be created
    x0, _, _ = _fresh()
    x1, _, _ = _fresh()
    assert CALLS == [50, 50] and x1.tobytes() == x0.tobytes()


def test_real_digits_pool_is_bit_identical_to_a_fresh_make(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(data, "CACHE_DIR", tmp_path)
    made = data._REGISTRY["digits"]()
    for _ in range(2):  # the first call writes the file, the second reads it
        data.pool.cache_clear()
        x, y, k = data.pool("digits", ())
        assert x.tobytes() == made[0].tobytes() and y.tobytes() == made[1].tobytes() and k == made[2]
    data.pool.cache_clear()
