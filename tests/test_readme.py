"""Every Python block of the README runs as written, each in a fresh process; the first
is the quickstart: it trains a growing NCA from Python and prints its loss."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_the_first_python_block_is_a_short_quickstart():
    first = BLOCKS[0]
    assert len(first.strip().splitlines()) <= 15
    assert "nca.fit(" in first and "print(" in first


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_python_block_runs(index, tmp_path):
    env = {**os.environ, "JAX_DISABLE_MOST_OPTIMIZATIONS": "0"}  # trains as users run it
    done = subprocess.run([sys.executable, "-c", BLOCKS[index]], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert list(tmp_path.iterdir()) == []  # nothing written
    if index == 0:  # Adam reaches the project's target (MSE 0.003) in about 400 steps
        loss = float(re.search(r"MSE (\d\.\d+)", done.stdout).group(1))
        assert loss <= 0.01, done.stdout


def test_the_packages_say_the_installed_version():
    from importlib.metadata import version

    import ca_search
    import nca_jax

    assert nca_jax.__version__ == ca_search.__version__ == version("ca-jax-lab")
