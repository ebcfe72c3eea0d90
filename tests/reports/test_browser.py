"""The report in a real browser: headless Chromium opens the pages from disk, network off.

The report is the one `conftest.py` builds from the synthetic store. Chromium is driven through its DevTools protocol over a pipe (`--remote-debugging-pipe`: JSON
messages separated by NUL bytes on file descriptors 3 and 4), so nothing but the standard library
is needed. Per page it asserts no console message, no uncaught exception, no log entry of level
warning or error, nothing requested but file: and data: URLs, no failed request and every image
decoded; on the index, the verdict matrix has one cell per claim and framework, and the filters
work. Screenshots go to test-artifacts/ (git-ignored).

Chromium is Debian's `chromium` (`scripts/test` installs it where missing). Without it the test
skips, unless CLAIMBENCH_REQUIRE_BROWSER is set (as `scripts/test` does): then it fails.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--window-size=1280,1000",
    "--remote-debugging-pipe",
]
TIMEOUT_S = 30.0
# (claim, framework) -> the verdict its matrix cell must show (tests/reports/synthetic.py)
MATRIX = {
    ("bn-after-activation", "torch"): "supported",
    ("bn-after-activation", "tf"): "supported",
    ("xss-claim", "torch"): "supported",
    ("xss-claim", "tf"): "refuted",
    ("orphan", "torch"): "no verdict",
    ("orphan", "tf"): "n/a",
}


def _high(*fds: int) -> tuple[int, ...]:
    """The descriptors moved to 10 and up, so that none of them is 3 or 4 (dup2 targets below)."""
    moved = tuple(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in fds)
    for fd in fds:
        os.close(fd)
    return moved


class Browser:
    """A headless Chromium and one page (tab), over the DevTools pipe."""

    def __init__(self, exe: str, profile_dir: Path) -> None:
        ours_in, chrome_out = _high(*os.pipe())  # Chromium writes fd 4
        chrome_in, ours_out = _high(*os.pipe())  # Chromium reads fd 3

        def fds() -> None:
            os.dup2(chrome_in, 3)
            os.dup2(chrome_out, 4)

        self.proc = subprocess.Popen(
            [exe, *FLAGS, f"--user-data-dir={profile_dir}", "about:blank"],
            pass_fds=(3, 4),
            preexec_fn=fds,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,  # D-Bus complaints of a container; the protocol says the rest
        )
        os.close(chrome_in)
        os.close(chrome_out)
        self.rfd, self.wfd = ours_in, ours_out
        self.buf = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=True)

    def _recv(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.rfd], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer")
            chunk = os.read(self.rfd, 1 << 16)
            if not chunk:
                raise EOFError("Chromium closed the DevTools pipe")
            self.buf += chunk
        message, self.buf = self.buf.split(b"\0", 1)
        return dict(json.loads(message))

    def call(self, method: str, params: dict[str, Any] | None = None, session: bool = False) -> Any:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        os.write(self.wfd, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            reply = self._recv(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def open(self, path: Path) -> list[dict[str, Any]]:
        """Load `path`; return the protocol events of that load (console, log, network)."""
        self.events = []
        self.call("Page.navigate", {"url": path.as_uri()}, session=True)
        deadline = time.monotonic() + TIMEOUT_S
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            self.events.append(self._recv(deadline))
        self.eval("new Promise(r => setTimeout(r, 100))")  # late console messages, if any
        return self.events

    def eval(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session=True,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path) -> None:
        shot = self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except (EOFError, TimeoutError, OSError):
            pass
        finally:
            os.close(self.rfd)
            os.close(self.wfd)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _chromium() -> str:
    exe = shutil.which("chromium")
    if exe is None:
        message = "no chromium on PATH (scripts/test installs Debian's package)"
        if os.environ.get("CLAIMBENCH_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    return exe


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    b = Browser(_chromium(), tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield b
    finally:
        b.close()


def problems(events: list[dict[str, Any]]) -> list[str]:
    """Console messages, exceptions, warnings and errors, network use and failed requests."""
    found = []
    for e in events:
        method, p = e.get("method"), e.get("params", {})
        if method == "Runtime.consoleAPICalled":
            found.append(f"console.{p['type']}: {[a.get('value') for a in p.get('args', [])]}")
        elif method == "Runtime.exceptionThrown":
            found.append(f"exception: {p['exceptionDetails'].get('text')}")
        elif method == "Log.entryAdded" and p["entry"]["level"] in ("warning", "error"):
            found.append(f"log {p['entry']['level']}: {p['entry']['text']}")
        elif method == "Network.requestWillBeSent":
            url = p["request"]["url"]
            if not url.startswith(("file://", "data:")):
                found.append(f"request to {url}")
        elif method == "Network.loadingFailed":
            found.append(f"failed request: {p.get('errorText')}")
    return found


IMAGES = "[...document.images].map(i => i.complete && i.naturalWidth > 0)"
PAGES = [
    "index.html",
    "claims/bn-after-activation.html",
    "claims/xss-claim.html",
    "crosscheck.html",
    "method.html",
]


@pytest.mark.parametrize("page", PAGES)
def test_page_loads_offline_without_errors(report: Path, browser: Browser, page: str) -> None:
    events = browser.open(report / page)
    assert problems(events) == []
    images = browser.eval(IMAGES)
    assert all(images), f"{images.count(False)} of {len(images)} images did not load"
    if page == "claims/bn-after-activation.html":
        assert len(images) == 3  # forest plot, loss curve, gradient-norm profile
    browser.screenshot(ARTIFACTS / "report" / page.replace("/", "-").replace(".html", ".png"))
    # the title with a <script> in it stayed text
    assert browser.eval("document.querySelectorAll('script:not(:empty)').length") == (
        1 if page == "index.html" else 0
    )


def test_verdict_matrix_has_a_cell_per_claim_and_framework(report: Path, browser: Browser) -> None:
    assert problems(browser.open(report / "index.html")) == []
    cells = browser.eval(
        "[...document.querySelectorAll('#matrix tr.claim')].flatMap(row =>"
        " [...row.querySelectorAll('td.cell')].map(td =>"
        " [row.querySelector('a').textContent, td.dataset.framework, td.textContent.trim()]))"
    )
    assert {(c, fw): v for c, fw, v in cells} == MATRIX
    assert len(cells) == len(MATRIX)


def test_filters_show_only_the_matching_claims(report: Path, browser: Browser) -> None:
    browser.open(report / "index.html")
    shown = (
        "(v, s) => { const f = id => document.getElementById(id);"
        " f('filter-verdict').value = v; f('filter-section').value = s;"
        " f('filter-verdict').dispatchEvent(new Event('change'));"
        " const vis = sel => [...document.querySelectorAll(sel)].filter(r => !r.hidden);"
        " return [vis('#matrix tr.claim').map(r => r.querySelector('a').textContent),"
        " vis('#matrix tr.section').map(r => r.textContent.trim()),"
        " f('filter-count').textContent]; }"
    )

    def show(verdict: str, section: str = "") -> list[Any]:
        return list(browser.eval(f"({shown})({json.dumps(verdict)}, {json.dumps(section)})"))

    assert browser.eval("document.getElementById('filters').hidden") is False
    assert show("") == [
        ["xss-claim", "bn-after-activation", "orphan"],
        ["A. Gradients and activations", "B. Normalisation", "Claims without metadata"],
        "3 of 3 claims shown",
    ]
    assert show("refuted")[:2] == [["xss-claim"], ["A. Gradients and activations"]]
    assert show("disagree")[0] == ["xss-claim"]
    assert show("supported")[0] == ["xss-claim", "bn-after-activation"]
    assert show("supported", "2") == [["bn-after-activation"], ["B. Normalisation"], "1 of 3 claims shown"]
    assert show("none")[0] == ["orphan"]
    assert show("mixed") == [[], [], "0 of 3 claims shown"]
