"""`runners.execute.keep_freed_memory`: freed blocks are reused, not handed back to the kernel and
faulted in again (counted in page faults, not time)."""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHILD = """
import ctypes, resource, sys
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
if sys.argv[1] == "keep":
    from runners.execute import keep_freed_memory
    keep_freed_memory()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for mib in range(1, 25):  # temporaries of growing sizes, each written and freed: by default each
    n = mib << 20  # is above the mmap threshold its predecessor set, so a fresh mapping to fault in
    p = libc.malloc(n)
    ctypes.memset(p, 1, n)
    libc.free(p)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str) -> int:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return int(out.stdout.split()[-1])


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_freed_memory_is_reused_not_faulted_in_again() -> None:
    default, kept = _faults("default"), _faults("keep")
    # measured: 76,824 faults by default (300 MiB of fresh mappings, 256 pages a MiB), ~6,110 kept
    # (the heap's one growth to 24 MiB)
    assert default > 70_000
    assert kept < default / 5
