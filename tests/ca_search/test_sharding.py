"""Sharding the population over 4 (virtual CPU) devices gives the single-device results."""

import json
import subprocess
import sys
import textwrap

from tests import xla

SCRIPT = textwrap.dedent("""
    import json, sys, jax
    from ca_search import SearchConfig, run_search
    from runio.devices import population_mesh
    assert jax.device_count() == 4, jax.devices()
    out = {}
    for task in ("density", "chaos"):
        for n in (1, 4):
            config = SearchConfig(task=task, strategy="bglpso", trials=2, generations=2,
                                  population=8, n_ics=32, chaos_ics=2, performance_ics=64,
                                  chunk=2, n_cells=59, steps=60)
            s = run_search(config, f"{sys.argv[1]}/{task}{n}", progress=False,
                           mesh=population_mesh(n))
            hist = open(f"{sys.argv[1]}/{task}{n}/history.csv").read()
            out[f"{task}{n}"] = [s["trials"], hist]
    print(json.dumps(out))
""")


def test_four_devices_equal_one(tmp_path):
    env = xla.env(device_count=4)
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["density4"] == out["density1"]
    assert out["chaos4"] == out["chaos1"]
