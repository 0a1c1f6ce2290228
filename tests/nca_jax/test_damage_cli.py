"""``python -m nca_jax.damage`` end to end on a folder of an ``optimizer=both`` run (bad input:
``tests/cli/test_bad_input.py``)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args, tmp):
    env = dict(os.environ, PYTHONPATH=str(ROOT), JAX_PLATFORMS="cpu")
    return subprocess.run([sys.executable, "-m", "nca_jax.damage", f"--out={tmp}/out", "--noprogress", *args],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


def test_cli_runs_the_battery_on_a_both_run_folder(tmp_path, run_dir):
    import shutil

    both = tmp_path / "both"
    shutil.copytree(run_dir, both / "adam")
    s = json.loads((both / "adam" / "summary.json").read_text())
    r = run_cli(f"--checkpoint={both}", f"--checkpoint={both / 'adam'}", "--seeds=1", "--steps=6",
                "--damage_step=3", "--erase_steps=3", "--fgsm_steps=4", "--fgsm_until=2",
                "--fgsm_eps_after=0.05", tmp=tmp_path)
    assert r.returncode == 0, r.stderr
    j = json.loads((tmp_path / "out" / "results.json").read_text())
    names = [m["name"] for m in j["config"]["models"]]
    assert len(names) == 2 and len(set(names)) == 2 and s["optimizer"] == "adam"
    assert j["config"]["fgsm_eps_after"] == [0.05] and j["config"]["models"][0]["canvas"] == 19
    # the same checkpoint twice, same keys: identical curves
    a, b = (j["long_horizon"][n]["loss"] for n in names)
    assert a == b and np.shape(a) == (1, 7)
    assert (tmp_path / "out" / "report.md").is_file()
    r = run_cli(f"--checkpoint={run_dir}", "--steps=6", tmp=tmp_path)  # out not empty
    assert r.returncode == 2 and "--out" in r.stderr and "Traceback" not in r.stderr
