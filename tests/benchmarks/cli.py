"""A benchmark's command line run as a user runs it, for the bad-input tests."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def one_line_error(module: str, *args: str) -> str:
    """The one stderr line of ``python -m module args`` (which must exit with status 2)."""
    r = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True,
                       check=False, cwd=ROOT, timeout=60,
                       env=dict(os.environ, PYTHONPATH=str(ROOT), JAX_PLATFORMS="cpu"))
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1, r.stderr
    return lines[0]
