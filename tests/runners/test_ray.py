"""The Ray backend, for real: same results as in-process, a two-node cluster by address, and
faults survived (a worker that dies, an exception in a trial, a driver killed mid-sweep, Ctrl-C,
two runs on one store)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from claims import Selector, discover
from runners.backends import RayBackend
from runners.cli import main
from runners.store import Store
from runners.sweep import run_sweep
from tests.conftest import TINY_CLAIM, write_claim

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.ray, pytest.mark.frameworks]


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", TF_ENABLE_ONEDNN_OPTS="0", RAY_USAGE_STATS_ENABLED="0")
    env.update(extra)
    return env


def _cli(args: list[str], **extra: str) -> list[str]:
    return [sys.executable, "-m", "runners.cli", *args]


SLOW_CLAIM = TINY_CLAIM.replace("epochs=1", "epochs=60").replace('"quick": 2', '"quick": 4')


def _run_args(db: Path, claims_dir: Path, claim: str, profile: str, backend: str) -> list[str]:
    return [
        "--store",
        str(db),
        "--claims-dir",
        str(claims_dir),
        "run",
        claim,
        "--profile",
        profile,
        "--backend",
        backend,
    ]


@pytest.fixture(scope="module")
def ray_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    import ray  # auth env is set in tests/conftest.py, before ray is imported

    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        logging_level="ERROR",
        _temp_dir=str(tmp_path_factory.mktemp("ray")),
        _node_ip_address="127.0.0.1",
        runtime_env={"env_vars": {"PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}},
    )
    yield
    ray.shutdown()


def test_ray_stores_exactly_what_in_process_stores(
    ray_session: None, tmp_path: Path, claims_dir: Path
) -> None:
    reg = discover([str(claims_dir)], entry_points_too=False)
    chosen = [(reg.claims["tiny-claim"], Selector("tiny-claim"))]
    for backend, db in (("ray", "r.db"), ("local", "l.db")):
        run_sweep(
            chosen, reg.origins, Store(tmp_path / db), profile="smoke", frameworks=None, backend=backend
        )
    by_ray = {r.id: r for r in Store(tmp_path / "r.db").trials()}
    local = {r.id: r for r in Store(tmp_path / "l.db").trials()}
    assert by_ray.keys() == local.keys() and len(local) == 8
    for i, r in local.items():
        assert by_ray[i].status == r.status == "ok"
        assert by_ray[i].metrics == r.metrics  # bit-identical at one thread per trial
        assert by_ray[i].env["node"]  # the Ray node that ran it
    assert RayBackend().name == "ray"


def test_a_gpu_share_on_a_cluster_without_gpus_is_a_clear_error(
    ray_session: None, tmp_path: Path, claims_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "s.db"
    args = ["--store", str(db), "--claims-dir", str(claims_dir), "run", "tiny-claim", "--profile", "smoke"]
    assert main([*args, "--gpus-per-trial", "0.25"]) == 2  # instead of waiting forever for a GPU
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("claimbench: error: a trial asks for 0.25 GPU (--gpus-per-trial")
    assert Store(db).trials() == []


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("exit", "worker lost after 1 retries"),  # the worker dies (segfault, OOM): retried, then failed
        ("raise", "RuntimeError: injected fault in crashes"),  # an exception: failed with its traceback
    ],
)
def test_a_faulty_trial_is_stored_failed_and_the_rest_finishes(
    tmp_path: Path, claims_dir: Path, fault: str, error: str
) -> None:
    write_claim(claims_dir, "crashes")
    db = tmp_path / "s.db"
    args = [*_run_args(db, claims_dir, "crashes", "smoke", "ray"), "--framework", "torch"]
    args.insert(args.index("crashes") + 1, "tiny-claim")
    args += ["--max-retries", "1", "--workers", "2"]
    out = subprocess.run(
        _cli(args),
        cwd=ROOT,
        env=_env(CLAIMBENCH_FAULT=f"{fault}:crashes"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == ""  # nothing on stdout: it is for machine-readable output only
    rows = Store(db).trials()
    crashed = [r for r in rows if r.claim == "crashes"]
    assert len(crashed) == 4 and {r.status for r in crashed} == {"failed"}
    assert all(error in (r.error or "") for r in crashed)
    if fault == "raise":
        assert all("Traceback" in (r.error or "") for r in crashed)
    assert [r.status for r in rows if r.claim == "tiny-claim"] == ["ok"] * 4


def _wait_for_trials(db: Path, n: int, proc: subprocess.Popen[bytes], timeout: float = 240) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None and (not db.exists() or len(Store(db).trials()) < n):
        time.sleep(0.5)
    assert proc.poll() is None, "the run ended before it could be interrupted"


@pytest.mark.parametrize("backend", ["local", "ray"])
def test_driver_killed_mid_sweep_then_resumed(tmp_path: Path, claims_dir: Path, backend: str) -> None:
    write_claim(claims_dir, "slow-claim", body=SLOW_CLAIM.format(name="slow-claim", n_train=200))
    db = tmp_path / "s.db"
    args = _run_args(db, claims_dir, "slow-claim", "quick", backend)
    # its own session: SIGKILL to the group takes the driver and the Ray it started, as a crash would
    proc = subprocess.Popen(
        _cli(args), cwd=ROOT, env=_env(), stderr=subprocess.DEVNULL, start_new_session=True
    )
    _wait_for_trials(db, 2, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = len(Store(db).trials())
    assert 2 <= before < 16
    subprocess.run(_cli(args), cwd=ROOT, env=_env(), check=True, capture_output=True, timeout=300)
    rows = Store(db).trials()
    assert len(rows) == len({r.id for r in rows}) == 16 and {r.status for r in rows} == {"ok"}


def _sigint_as_at_a_terminal() -> None:
    """In the child before exec: SIGINT at its default, as for a command typed at a terminal. A
    test run started as a background job of a non-interactive shell (`cmd &` in a script) has SIGINT
    ignored, the ignoring is inherited through exec, and a Python started that way never turns
    SIGINT into KeyboardInterrupt: the sweep would then finish, deaf to the Ctrl-C under test."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_stops_a_ray_sweep_cleanly_and_the_next_run_resumes(tmp_path: Path, claims_dir: Path) -> None:
    write_claim(claims_dir, "slow-claim", body=SLOW_CLAIM.format(name="slow-claim", n_train=200))
    db = tmp_path / "s.db"
    args = _run_args(db, claims_dir, "slow-claim", "quick", "ray")
    proc = subprocess.Popen(
        _cli(args),
        cwd=ROOT,
        env=_env(),
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=_sigint_as_at_a_terminal,
    )
    _wait_for_trials(db, 2, proc)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C on a terminal sends: the whole foreground group
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err.decode()[-2000:]
    assert err.decode().strip().splitlines()[-1] == (
        "claimbench: interrupted; stored trials are kept, `claimbench run` resumes"
    )
    rows = Store(db).trials()
    # consistent: only finished trials, each once; the cancelled ones are not stored as failures
    assert 2 <= len(rows) < 16 and len({r.id for r in rows}) == len(rows)
    assert {r.status for r in rows} == {"ok"}
    subprocess.run(_cli(args), cwd=ROOT, env=_env(), check=True, capture_output=True, timeout=300)
    rows = Store(db).trials()
    assert len(rows) == len({r.id for r in rows}) == 16 and {r.status for r in rows} == {"ok"}


@pytest.mark.parametrize("backend", ["local", "ray"])
def test_two_runs_at_once_on_one_store(tmp_path: Path, claims_dir: Path, backend: str) -> None:
    db = tmp_path / "s.db"
    args = _run_args(db, claims_dir, "tiny-claim", "smoke", backend)
    procs = [
        subprocess.Popen(_cli(args), cwd=ROOT, env=_env(), stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    rows = Store(db).trials()
    assert len(rows) == len({r.id for r in rows}) == 8 and {r.status for r in rows} == {"ok"}


EMBEDDED_ENV = """
import json, os, sys
from pathlib import Path
from runners.backends import RayBackend, worker_env
want = worker_env()
before = {k: os.environ.get(k) for k in want}
ray, owned = RayBackend(num_cpus=1, temp_dir=Path(sys.argv[1]))._init()
seen = ray.get(ray.remote(lambda: {k: os.environ.get(k) for k in want}).remote())
ray.shutdown()
after = {k: os.environ.get(k) for k in want}
print(json.dumps({"owned": owned, "seen": seen == want, "kept": after == before, "was": before}))
"""


def test_embedded_ray_workers_inherit_the_worker_env_and_the_driver_keeps_its_own() -> None:
    """The embedded Ray gets `worker_env` through its raylet's environment (no runtime_env, so the
    workers Ray starts during init can take the first tasks); the driver's environment is put back."""
    env = {k: v for k, v in _env().items() if k not in ("PYTHONPATH", "TF_ENABLE_ONEDNN_OPTS")}
    with tempfile.TemporaryDirectory(prefix="cbray") as tmp:  # short: Ray's socket paths stop at 107 bytes
        out = subprocess.run(
            [sys.executable, "-c", EMBEDDED_ENV, tmp],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["owned"] and got["seen"] and got["kept"]
    assert got["was"]["PYTHONPATH"] is None and got["was"]["TF_ENABLE_ONEDNN_OPTS"] is None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_two_node_cluster_by_address(tmp_path: Path, claims_dir: Path) -> None:
    port = _free_port()
    ray_bin = str(Path(sys.executable).parent / "ray")
    env = _env(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=secrets.token_hex(16))
    # No --node-ip-address: Ray registers nodes under the machine's address, and a driver whose
    # node address differs from its raylet's waits forever (seen with 127.0.0.1 here).
    common = ["--num-cpus", "1", "--block", "--disable-usage-stats"]
    # A short temp dir: Ray's unix sockets live under it and AF_UNIX paths stop at 107 bytes
    # (pytest's tmp_path is too long, and the head then dies at start).
    temp_dir = tempfile.mkdtemp(prefix="cbray", dir="/tmp")
    head = subprocess.Popen(
        [
            ray_bin,
            "start",
            "--head",
            "--port",
            str(port),
            "--temp-dir",
            temp_dir,
            "--include-dashboard",
            "false",
            "--resources",
            json.dumps({"head": 1}),
            *common,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    nodes = [head]
    try:
        time.sleep(8)
        assert head.poll() is None, "the Ray head exited at start"
        second = subprocess.Popen(
            [
                ray_bin,
                "start",
                "--address",
                f"127.0.0.1:{port}",
                "--resources",
                json.dumps({"second": 1}),
                *common,
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        nodes.append(second)
        time.sleep(8)
        assert second.poll() is None, "the second Ray node exited at start"
        db = tmp_path / "s.db"
        args = [
            "--store",
            str(db),
            "--claims-dir",
            str(claims_dir),
            "run",
            "tiny-claim",
            "--profile",
            "smoke",
            "--address",
            f"127.0.0.1:{port}",
        ]
        out = subprocess.run(_cli(args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
        assert out.returncode == 0, out.stderr[-2000:]
        rows = Store(db).trials()
        assert len(rows) == 8 and {r.status for r in rows} == {"ok"}
        assert len({r.env["node"] for r in rows}) == 2  # trials ran on both nodes
    finally:
        for p in reversed(nodes):
            os.killpg(p.pid, signal.SIGTERM)
        for p in nodes:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        shutil.rmtree(temp_dir, ignore_errors=True)
