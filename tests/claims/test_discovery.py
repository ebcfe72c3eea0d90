"""Discovery: built-ins, --claims-dir, the environment variable and entry points; broken files
are listed with a reason and never stop the others; duplicate names name both origins."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from claims import DuplicateClaimError, discover
from claims.discovery import ENV_VAR
from tests.conftest import TINY_CLAIM, write_claim


def test_builtins_are_found() -> None:
    reg = discover(entry_points_too=False)
    assert {"mlp-vanishing-gradient", "relu-resists-vanishing", "svm-head-vs-softmax"} <= set(reg.claims)
    assert not reg.broken


def test_claims_dir_and_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_claim(tmp_path / "a", "from-dir")
    write_claim(tmp_path / "b", "from-env")
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "b"))
    reg = discover([str(tmp_path / "a")])
    assert {"from-dir", "from-env"} <= set(reg.claims)
    assert reg.origins["from-dir"].endswith("from_dir.py")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("from claims import Claim\nclass X(Claim:\n    pass\n", "syntax error"),
        (
            TINY_CLAIM.format(name="no-source", n_train=200).replace('source = "wider is better"', ""),
            "Tiny.source: given '', expected a non-empty string",
        ),
        (
            TINY_CLAIM.format(name="bad-factor", n_train=200).replace('{"width": [4, 16]}', '{"width": 4}'),
            "Tiny.factors['width']: given 4, expected a non-empty list",
        ),
        (
            TINY_CLAIM.format(name="bad-expect", n_train=200).replace(
                '{"width": 16}, {"width": 4}', '{"width": 32}, {"width": 4}'
            ),
            "expect[0].treatment['width']: given 32, expected one of [4, 16]",
        ),
        (
            TINY_CLAIM.format(name="bad-spec", n_train=200).replace(
                'spec.Init("he_normal")', 'spec.Init("hee")'
            ),
            "model.init='hee'",
        ),
        ("raise RuntimeError('boom at import')\n", "RuntimeError: boom at import"),
        ("x = 1\n", "no Claim subclass"),
    ],
)
def test_broken_file_is_listed_and_others_still_load(tmp_path: Path, body: str, expected: str) -> None:
    write_claim(tmp_path, "good-one")
    bad = write_claim(tmp_path, "zz-broken", body=body)
    reg = discover([str(tmp_path)], entry_points_too=False)
    assert "good-one" in reg.claims
    assert len(reg.broken) == 1
    reason = reg.broken[0].reason
    assert str(bad) in reason and expected in reason, reason
    assert "\n" not in reason


def test_duplicate_names_name_both_files(tmp_path: Path) -> None:
    first = write_claim(tmp_path / "a", "same-name")
    second = write_claim(tmp_path / "b", "same-name")
    with pytest.raises(DuplicateClaimError) as err:
        discover([str(tmp_path / "a"), str(tmp_path / "b")], entry_points_too=False)
    assert str(first) in str(err.value) and str(second) in str(err.value)


def test_duplicate_of_a_builtin(tmp_path: Path) -> None:
    write_claim(tmp_path, "svm-head-vs-softmax")
    with pytest.raises(DuplicateClaimError, match=r"svm_head_vs_softmax\.py"):
        discover([str(tmp_path)], entry_points_too=False)


def test_entry_point_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real installed-package layout: a module plus a .dist-info with entry_points.txt on sys.path."""
    site = tmp_path / "site"
    write_claim(site, "plugin-claim")
    (site / "plugin_claim.py").rename(site / "myplugin.py")
    info = site / "myplugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: myplugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[claimbench.claims]\ntiny = myplugin:Tiny\n")
    monkeypatch.syspath_prepend(str(site))
    reg = discover()
    assert "plugin-claim" in reg.claims
    assert reg.origins["plugin-claim"].startswith("entry point tiny")
    sys.modules.pop("myplugin", None)
