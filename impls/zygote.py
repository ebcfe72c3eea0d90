"""Fresh processes without paying the framework import each time: a zygote.

A zygote is a new Python (exec'd, so nothing of the caller's heap or threads) that imports one
module, e.g. `impls.torch_impl.experiments.peak_memory` and with it its framework, and then waits.
Each `call` forks it: the child runs `module.child(payload)`, writes the JSON result and exits
without the zygote's atexit handlers. The child starts with the zygote's pages (imported code,
no model, no tensors) and a high-water mark equal to them (Linux `dup_mm` sets VmHWM to the RSS at
fork), so what a child measures about its own work is what a freshly started one measured, for
~0.5 s instead of the 2-6 s of importing torch or TensorFlow again.

Wire format (zygote stdin/stdout): each request and reply is an 8-byte big-endian length and a
body; requests are pickles, replies JSON `{"ok": result}` or `{"error": text}`. One request at a
time; the zygote exits when its stdin closes (its owner died or called `close`)."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
ENV = {  # one thread, quiet TF, the repository importable
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "PYTHONPATH": str(ROOT),
}


def _send(f: IO[bytes], body: bytes) -> None:
    f.write(struct.pack(">Q", len(body)) + body)
    f.flush()


def _recv(f: IO[bytes]) -> bytes | None:
    head = f.read(8)
    if len(head) < 8:
        return None
    (n,) = struct.unpack(">Q", head)
    return f.read(n)


def serve(module: str) -> None:
    """The zygote's main loop (run as `python -m impls.zygote MODULE`)."""
    import importlib

    # the replies get a private copy of stdout; fd 1 goes to /dev/null, so nothing a library
    # prints (at import, or in a child) can corrupt the wire format
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    m = importlib.import_module(module)
    inp = sys.stdin.buffer
    while (req := _recv(inp)) is not None:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: run, reply through the pipe, leave without cleanup handlers
            os.close(r)
            code = 0
            try:
                reply = {"ok": m.child(pickle.loads(req))}
            except BaseException as exc:  # any failure, SystemExit too, goes back as text
                reply, code = {"error": f"{type(exc).__name__}: {exc}"}, 1
            with os.fdopen(w, "wb") as f:
                f.write(json.dumps(reply).encode())
            os._exit(code)
        os.close(w)
        with os.fdopen(r, "rb") as f:
            body = f.read()
        _, status = os.waitpid(pid, 0)
        if not body:  # killed or crashed before replying
            body = json.dumps({"error": f"child died ({_describe(status)})"}).encode()
        _send(out, body)


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"


class Zygote:
    """The owner's handle: starts the zygote on first use, restarts it if it died."""

    def __init__(self, module: str) -> None:
        self.module = module
        self.proc: subprocess.Popen[bytes] | None = None

    def _start(self) -> subprocess.Popen[bytes]:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "impls.zygote", self.module],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                cwd=ROOT,
                env=ENV,
                start_new_session=True,  # so `close` can kill the zygote and any child it forked
            )
        return self.proc

    def call(self, payload: Any, timeout: float = 300.0) -> Any:
        """`module.child(payload)` in a fresh child; RuntimeError naming the cause if it fails."""
        proc = self._start()
        assert proc.stdin is not None and proc.stdout is not None
        try:
            _send(proc.stdin, pickle.dumps(payload))
        except BrokenPipeError:
            self.close()
            raise RuntimeError(f"zygote for {self.module} exited ({proc.poll()})") from None
        ready, _, _ = select.select([proc.stdout], [], [], timeout)
        body = _recv(proc.stdout) if ready else None
        if body is None:
            self.close()  # timed out, or the zygote itself died: the next call starts a new one
            raise RuntimeError(f"zygote for {self.module}: no reply within {timeout:.0f} s")
        reply = json.loads(body)
        if "error" in reply:
            raise RuntimeError(f"child of the zygote for {self.module} failed: {reply['error']}")
        return reply["ok"]

    def close(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            for pipe in (self.proc.stdin, self.proc.stdout):
                if pipe is not None:
                    pipe.close()
            self.proc = None


_ZYGOTES: dict[str, Zygote] = {}


def call(module: str, payload: Any, timeout: float = 300.0) -> Any:
    """`module.child(payload)` in a child forked from this process's zygote for `module`."""
    if module not in _ZYGOTES:
        _ZYGOTES[module] = Zygote(module)
    return _ZYGOTES[module].call(payload, timeout)


@atexit.register
def _close_all() -> None:
    for z in _ZYGOTES.values():
        z.close()


if __name__ == "__main__":
    serve(sys.argv[1])
