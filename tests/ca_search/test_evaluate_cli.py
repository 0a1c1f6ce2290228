import json
import subprocess
import sys

import imageio.v3 as iio
import pytest


def _run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "ca_search.evaluate", *args],
                          capture_output=True, text=True, cwd=cwd, timeout=300)


def test_default_run_reports_gkl_and_writes_diagram(tmp_path):
    png = tmp_path / "gkl.png"
    proc = _run("--n_ics=2000", f"--diagram={png}")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["rule"] == "005f005f005f005f005fff5f005fff5f"
    assert result["n_ics"] == 2000 and result["n_cells"] == 149 and result["max_steps"] == 298
    assert result["performance"] == pytest.approx(0.816, abs=0.035)
    assert result["seconds"] > 0
    img = iio.imread(png)
    assert img.ndim == 3 and min(img.shape[:2]) > 200  # a labelled figure was written


def test_chaos_task_reports_nc_pt():
    proc = _run("--wolfram=30", "--task=chaos", "--n_ics=1", "--n_cells=49", "--max_steps=20")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["rule"] == "78" and result["radius"] == 1 and result["nc_pt"] > 0
    assert proc.stdout.startswith("rule Wolfram 30 (hex 78, r=1)")
