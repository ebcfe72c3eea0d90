"""Misuse answers one line on stderr and exit code 2; the skeleton passes the checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from claims import check_claim, discover
from runners.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _err(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err  # exactly one line
    return err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["run", "svm-head-vs-sofmax", "--backend", "local"], "did you mean 'svm-head-vs-softmax'"),
        (["show", "no-such-claim-at-all"], "unknown claim 'no-such-claim-at-all'"),
        (["run", "--profile", "huge"], "invalid choice: 'huge'"),
        (["run", "--framework", "jax"], "invalid choice: 'jax'"),
        (["run", "--max-retries", "-1"], "expected >= 0"),
        (["run", "relu-resists-vanishing[depth=7]"], "depth='7' is not one of [10, 20]"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["new", "Bad Name"], "expected lower-case words"),
        (["export", "--out", "x.xlsx"], "no store at"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _err(["--store", str(tmp_path / "none.db"), *argv], capsys)
    assert expected in err and err.startswith("claimbench: error:")


def test_unreadable_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.db"
    bad.write_text("garbage" * 500)
    assert "cannot open the store" in _err(["--store", str(bad), "list"], capsys)


def test_new_writes_a_claim_that_passes_the_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["new", "wider-is-better", "--dir", str(tmp_path)]) == 0
    reg = discover([str(tmp_path)], entry_points_too=False)
    check_claim(reg.claims["wider-is-better"])
    assert main(["--claims-dir", str(tmp_path), "list"]) == 0
    assert "wider-is-better" in capsys.readouterr().out
    assert "exists" in _err(["new", "wider-is-better", "--dir", str(tmp_path)], capsys)


def test_list_shows_broken_claims(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "oops.py").write_text("from claims import Claim\nclass Oops(Claim:\n")
    assert main(["--store", str(tmp_path / "s.db"), "--claims-dir", str(tmp_path), "list"]) == 0
    out = capsys.readouterr().out
    assert "BROKEN" in out and "oops.py" in out and "svm-head-vs-softmax" in out


def test_console_script_entry_point() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "runners.cli", "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0 and "crosscheck" in out.stdout
