"""Bad JAX environment variables and an over-long --out name are one error line (exit 2)
for every kind of CLI, checked before anything is written."""

import importlib.util
import os
import subprocess
import sys

import pytest

CASES = [
    ({"JAX_NUM_CPU_DEVICES": "abc"}, [], "JAX_NUM_CPU_DEVICES=abc: expected a number"),
    ({"JAX_PLATFORMS": "warp"}, [], "unknown platform 'warp'"),
    ({}, ["--out=/tmp/" + "n" * 300], "longer than the 255"),
]
if not importlib.util.find_spec("jax_cuda12_plugin"):
    CASES.append(({"JAX_PLATFORMS": "cuda"}, [], "no cuda backend is installed here"))


@pytest.mark.parametrize("module", ["nca_jax.grow", "ca_search.search", "nca_jax.damage"])
@pytest.mark.parametrize("env, args, message", CASES)
def test_one_error_line_and_exit_2(tmp_path, module, env, args, message):
    argv = args or [f"--out={tmp_path / 'out'}"]
    if module == "nca_jax.damage":
        argv.append(f"--checkpoint={tmp_path}")
    done = subprocess.run([sys.executable, "-m", module, *argv], capture_output=True,
                          text=True, env={**os.environ, **env}, timeout=120)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr[-1500:]
    assert lines[0].startswith("error: ") and message in lines[0]
    assert not (tmp_path / "out").exists()
