"""ES with the population sharded over 4 (virtual CPU) devices equals the one-device run.

Equal up to float32 rounding: each member's computation is the same, but XLA may pick other
kernels for the smaller per-device batches (differences ~1e-8 relative)."""

import json
import subprocess
import sys
import textwrap

import numpy as np

from tests import xla

SCRIPT = textwrap.dedent("""
    import json, jax, numpy as np
    from nca_jax.nca import growing
    from nca_jax.targets.growing import load_target
    from nca_jax.train import es
    from runio import devices
    assert jax.device_count() == 4
    target = load_target("carrot", 9)
    out = {}
    for n in (1, 4):
        cfg = es.ESConfig(population=8, min_steps=8, max_steps=10)
        tr = es.make(growing.ModelConfig(), cfg, target, devices.population_mesh(n))
        state = tr.init(jax.random.PRNGKey(0))
        losses = []
        for _ in range(3):
            state, m = tr.step(state)
            losses.append(float(m["loss"]))
        flat = jax.flatten_util.ravel_pytree(tr.params(state))[0]
        out[n] = [losses, np.asarray(flat).tolist()]
    print(json.dumps(out))
""")


def test_four_devices_equal_one():
    env = xla.env(device_count=4)
    proc = subprocess.run([sys.executable, "-c", "import jax.flatten_util\n" + SCRIPT],
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    np.testing.assert_allclose(out["4"][0], out["1"][0], rtol=1e-5)  # fitness per generation
    np.testing.assert_allclose(out["4"][1], out["1"][1], rtol=1e-4, atol=1e-6)  # parameters
