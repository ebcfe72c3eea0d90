"""Execution backends behind one interface: `local` (in-process, serial; for debugging and tests)
and `ray` (an embedded local Ray started for the run, or an existing cluster by address).

Both call `on_record` in the driver as each trial finishes, so the store is written trial by
trial: killing the driver loses at most what was in flight."""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from runners.execute import FRAMEWORK_MODULES, run_group
from runners.plan import Trial
from runners.store import TrialRecord

OnRecord = Callable[[TrialRecord], None]


class LocalBackend:
    name = "local"

    def run(self, groups: list[list[Trial]], on_record: OnRecord) -> None:
        for group in groups:
            for record in run_group(group):
                on_record(record)


# An embedded Ray's own bookkeeping that nothing here reads: metrics, event-loop statistics, task
# events every second. Its processes (GCS, raylet, agents, idle workers) took 6.7% of a core while
# idle, 5.4% with these settings; on 2 cores that time comes out of the trials.
QUIET = {
    "RAY_enable_metrics_collection": "0",
    "RAY_event_stats": "0",
    "RAY_metrics_report_interval_ms": "600000",
    "RAY_task_events_report_interval_ms": "10000",
}


def _ray_env(temp_dir: Path, embedded: bool) -> None:
    """Quiet and self-contained: no usage stats (and, embedded, none of `QUIET`), temp files under
    the project. An embedded Ray keeps token authentication on (Ray >= 2.59 default for local
    clusters) with a fresh random token held in this process' environment, so nothing is written
    into the user's home; a cluster given by address keeps whatever auth settings the user's
    environment has.
    Ray reads these variables when it is imported, so this runs before `import ray`."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if embedded:
        for k, v in QUIET.items():
            os.environ.setdefault(k, v)
    already = "ray" in sys.modules  # Ray read its auth settings at import: changing them now breaks it
    if (
        embedded
        and not already
        and "RAY_AUTH_TOKEN" not in os.environ
        and "RAY_AUTH_TOKEN_PATH" not in os.environ
    ):
        os.environ.setdefault("RAY_AUTH_MODE", "token")
        os.environ["RAY_AUTH_TOKEN"] = secrets.token_hex(24)
    temp_dir.mkdir(parents=True, exist_ok=True)


def default_temp_dir() -> Path:
    """Project-local `.ray_tmp/` — unless its path is too long: Ray puts unix sockets under
    `<temp>/session_<date>_<pid>/sockets/` and AF_UNIX paths stop at 107 bytes, so a deep checkout
    gets a short per-project folder in the system temp dir instead."""
    local = Path(".ray_tmp").resolve()
    if len(str(local)) <= 40:
        return local
    tag = hashlib.sha1(str(local).encode()).hexdigest()[:8]
    return Path(tempfile.gettempdir()) / f"claimbench-ray-{tag}"


def worker_env() -> dict[str, str]:
    """Environment of every trial's worker: quiet TF, the project importable, and the CLAIMBENCH_*
    variables of the driver (e.g. CLAIMBENCH_FAULT, used by the fault tests)."""
    env = {
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "TF_ENABLE_ONEDNN_OPTS": "0",
        "RAY_USAGE_STATS_ENABLED": "0",
    }
    env.update({k: v for k, v in os.environ.items() if k.startswith("CLAIMBENCH_")})
    return env


@contextlib.contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    """These environment variables set for the block, then put back as they were."""
    before = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class RayBackend:
    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        num_cpus: int | None = None,
        max_retries: int = 2,
        max_in_flight: int | None = None,
        temp_dir: Path | None = None,
    ) -> None:
        self.address = address or os.environ.get("RAY_ADDRESS") or None
        self.num_cpus = num_cpus
        self.max_retries = max_retries
        self.max_in_flight = max_in_flight
        self.temp_dir = (temp_dir or default_temp_dir()).resolve()

    def _init(self) -> tuple[Any, bool]:
        """Ray, and whether this run owns it (then it shuts it down after). A Ray already
        initialised in this process (a test session, a notebook) is used as it is."""
        _ray_env(self.temp_dir, embedded=not self.address)
        import ray

        if ray.is_initialized():
            return ray, False
        kwargs: dict[str, Any] = dict(include_dashboard=False, log_to_driver=False, logging_level="ERROR")
        if self.address:
            ray.init(address=self.address, runtime_env={"env_vars": worker_env()}, **kwargs)
            return ray, True
        # embedded: a local Ray listening on loopback only, started for this run. Its raylet, and
        # so every worker it starts, inherits this environment: without a runtime_env the workers
        # Ray starts during init take the first tasks (~0.2 s after init, against ~1 s for the new
        # workers a runtime_env of its own needs)
        with _environ(worker_env()):
            ray.init(
                num_cpus=self.num_cpus or os.cpu_count(),
                _temp_dir=str(self.temp_dir),
                _node_ip_address="127.0.0.1",
                **kwargs,
            )
        return ray, True

    def run(self, groups: list[list[Trial]], on_record: OnRecord) -> None:
        """One task per group (all seeds of one condition; single seeds at the sweep's tail), as
        many at once as the embedded Ray has CPUs (twice as many on a cluster by address, or
        `max_in_flight`), results written in completion order as `ray.wait` hands them back.

        On one machine no task waits in Ray's queue, so a task goes to the worker that just freed,
        and the driver picks it of that worker's framework (`_framework_wanted`): a worker imports
        one framework (torch ~2 s, TF ~3-5 s) and traces its own TF steps, rather than every
        worker paying for both."""
        if not groups:
            return
        ray, owned = self._init()
        pending: dict[Any, list[Trial]] = {}
        try:
            _check_feasible(ray, groups)
            remote = ray.remote(_ray_task)
            cpus = int(ray.cluster_resources().get("CPU", 2))
            # embedded, one machine: a task reaches a freed worker in milliseconds, so none need
            # wait in Ray's queue. A cluster by address: a task that spills to another node waits
            # there for a worker to start, and the one it waits behind here keeps every node fed
            limit = self.max_in_flight or (2 * cpus if self.address else max(1, cpus))
            queue = list(groups)

            def fill(freed: str | None) -> None:  # freed: the framework of the task that just ended
                while queue and len(pending) < limit:
                    g = next_task(queue, cpus, _framework_wanted(pending.values(), freed))
                    opts = dict(num_cpus=g[0].cpus, num_gpus=g[0].gpus, max_retries=self.max_retries)
                    pending[remote.options(**opts).remote(g)] = g
                    freed = None

            fill(None)
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                g = pending.pop(done[0])
                try:
                    records = ray.get(done[0])
                except Exception as exc:  # the worker died (segfault, OOM, exit) after its retries
                    msg = f"worker lost after {self.max_retries} retries: {type(exc).__name__}: {str(exc)[:300]}"
                    records = [_failed(t, msg) for t in g]
                fill(g[0].framework)  # the freed worker's next task first, then this one's records
                for r in records:
                    on_record(r)
        except KeyboardInterrupt:
            if not owned:  # a cluster outlives this run: stop its tasks; an embedded Ray just goes
                for ref in pending:  # (cancelling while replies arrive raced in Ray's core worker)
                    ray.cancel(ref, force=True)
            raise
        finally:
            if owned:
                ray.shutdown()


def _ray_task(group: list[Trial]) -> list[TrialRecord]:
    """`run_group` in a Ray worker, deaf to SIGINT: a terminal's Ctrl-C reaches every process of
    its group, and only the driver should act on it (it shuts the workers down)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    return run_group(group)


def _framework_wanted(running: Iterable[list[Trial]], freed: str | None) -> str:
    """The framework of the next task: the one that has the fewest tasks running, and on a tie
    the one whose task just ended (its worker is the one that will get the task)."""
    counts = Counter(g[0].framework for g in running)
    return min(sorted(FRAMEWORK_MODULES), key=lambda f: (counts[f], f != freed))


def next_task(queue: list[list[Trial]], cpus: int, framework: str | None = None) -> list[Trial]:
    """Pop the next task's trials: the first group of `framework` (any, if none is left), whole,
    except at the sweep's tail (fewer groups left than CPUs), where a group goes one seed per task
    so idle workers share the last conditions (same trials, same results; a worker's traced TF
    engines are cached per process, not per task). A seed batch stays whole: its rounding depends
    on its members."""
    i = next((k for k, g in enumerate(queue) if g[0].framework == framework), 0)
    g = queue.pop(i)
    if len(queue) < cpus and len(g) > 1 and g[0].mode == "sequential":
        queue[i:i] = [[t] for t in g[1:]]
        g = g[:1]
    return g


class InfeasibleError(RuntimeError):
    """No node of the cluster has what a trial asks for: Ray would wait for one forever."""


def _check_feasible(ray: Any, groups: list[list[Trial]]) -> None:
    have = ray.cluster_resources()
    for kind, key in (("GPU", "gpus"), ("CPU", "cpus")):
        need = max(getattr(g[0], key) for g in groups)
        if need > have.get(kind, 0.0):
            flag = f"--{key}-per-trial"
            raise InfeasibleError(
                f"a trial asks for {need:g} {kind} ({flag} or the claim's resources) but the Ray "
                f"cluster has {have.get(kind, 0.0):g}: it would wait forever"
            )


def _failed(t: Trial, error: str) -> TrialRecord:
    now = time.time()
    return TrialRecord(
        id=t.id,
        claim=t.claim,
        version=t.version,
        framework=t.framework,
        factors=t.point,
        seed_index=t.seed_index,
        seed=t.seed,
        profile=t.profile,
        status="failed",
        env={"code": t.code},
        started=now,
        finished=now,
        wall_s=0.0,
        error=error,
    )


def make_backend(name: str, **kwargs: Any) -> LocalBackend | RayBackend:
    if name == "local":
        return LocalBackend()
    if name == "ray":
        return RayBackend(**kwargs)
    raise ValueError(f"--backend {name!r}: expected 'ray' or 'local'")
