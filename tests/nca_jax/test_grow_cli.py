import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args, tmp):
    env = dict(os.environ, PYTHONPATH=str(ROOT), JAX_PLATFORMS="cpu")
    return subprocess.run([sys.executable, "-m", "nca_jax.grow", f"--out={tmp}/out", *args],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


@pytest.mark.parametrize(
    "args,flag",
    [
        (["--target=no_such_emoji"], "--target"),
        (["--target=JUNKFILE"], "--target"),
        (["--size=2"], "--size"),
        (["--fire_rate=0"], "--fire_rate"),
        (["--fire_rate=1.5"], "--fire_rate"),
        (["--population=7"], "--population"),
        (["--population=1", "--noantithetic"], "--population"),
        (["--sigma=0"], "--sigma"),
        (["--sigma=-0.1"], "--sigma"),
        (["--optimizer=sgd"], "optimizer"),
        (["--devices=many"], "--devices"),
        (["--devices=100000"], "--devices"),
        (["--devices=0"], "--devices"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, args, flag):
    junk = tmp_path / "junk.png"
    junk.write_text("this is not an image")
    args = [a.replace("JUNKFILE", str(junk)) for a in args]
    r = run_cli(*args, tmp=tmp_path)
    assert r.returncode == 2, r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and flag in lines[0], r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "out").exists()  # nothing written on bad input
