"""Running the maintainers' command lines as a subprocess on a local store, as a maintainer would."""

from __future__ import annotations

import os
import subprocess
import sys


def run_module(module: str, data_dir, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "AIES_DATA_DIR": str(data_dir), "PYTHONPATH": os.getcwd()}
    env.pop("AIES_BACKEND", None)
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, env=env, timeout=120)
