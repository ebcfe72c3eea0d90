#!/usr/bin/env bash
# Create .venv (Python 3.11) and install claimbench with its pinned frameworks, once.
# Re-runs only when pyproject.toml changes. Sourced by scripts/sweep and scripts/test.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
stamp=.venv/.claimbench-installed
want=$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setting up .venv (first run: installs torch, tensorflow-cpu and ray; a few minutes)" >&2
  "$PY" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip >&2
  # torch is pinned to the CPU build (2.13.0); a looser pin would pull a multi-GB CUDA build.
  .venv/bin/python -m pip install -q -e ".[dev]" >&2
  echo "$want" > "$stamp"
fi
export PATH="$PWD/.venv/bin:$PATH"
export TF_CPP_MIN_LOG_LEVEL=3 TF_ENABLE_ONEDNN_OPTS=0 RAY_USAGE_STATS_ENABLED=0
