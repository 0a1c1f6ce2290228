"""Steps per second of the exported page in headless Chromium, against JAX on the same CPU.

    python -m benchmarks.page_speed              # growing 40x40, textures 128x128
    python -m benchmarks.page_speed --seconds=3 --repeats=5

Worst cases, so the figure holds for any trained model: the growing model runs on a grid
whose every cell is alive (the page skips cells that cannot change, so a young shape from
one seed cell is faster), the texture models on a random state. Weights are random with a
non-zero output layer. For each, the page steps for ``--seconds`` ``--repeats`` times
(median), then a jitted JAX step of the same model and grid is timed on the same machine
(one step per call, as the page steps) and the ratio given. Goals: growing ≥ 60 steps/s,
texture ≥ 10 steps/s. Needs Debian's ``chromium`` and the ``playwright`` package (the
``bench`` extra).
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from absl import flags

from benchmarks import common

flags.DEFINE_float("seconds", 2.0, "Stepping time per measurement (s).")
flags.DEFINE_integer("repeats", 3, "Measurements per model (median).")
FLAGS = flags.FLAGS

GOALS = {"growing": 60.0, "niklasson": 10.0, "srnca": 10.0}


def models():
    from nca_jax.nca import growing
    from nca_jax.nca import texture as tm
    from nca_jax.web.model import PageModel

    def noisy_out(params, key, scale):
        k = params["out"]["kernel"]
        return dict(params, out=dict(params["out"], kernel=scale * jax.random.normal(key, k.shape)))

    k = jax.random.split(jax.random.PRNGKey(0), 6)
    g = growing.ModelConfig()
    out = [PageModel("growing", "growing", noisy_out(growing.init_params(k[0], g), k[1], 0.02),
                     g, (40, 40), None)]
    for kind, kk in (("niklasson", k[2:4]), ("srnca", k[4:6])):
        c = tm.TextureModelConfig(kind=kind)
        p = noisy_out(tm.init_params(kk[0], c), kk[1], 0.02)
        out.append(PageModel(kind, kind, p, c, (128, 128), None))
    return out


def start_state(m) -> np.ndarray:
    h, w = m.grid
    rng = np.random.default_rng(0)
    x = rng.uniform(0.0, 1.0, (h, w, m.config.channels)).astype(np.float32)
    if m.kind == "growing":
        x[..., 3] = 1.0  # every cell alive
    return x


def jax_steps_per_s(m, x) -> float:
    from nca_jax.nca import growing
    from nca_jax.nca import texture as tm
    from nca_jax.web import masks
    from nca_jax.web import model as web_model

    step = growing.step_with_fire if m.kind == "growing" else tm.step_with_fire
    fn = jax.jit(lambda p, x, f: step(p, x, f, m.config))
    xj = jnp.asarray(x)
    fire = jnp.asarray(masks.fire(1, 0, web_model.mask_shape(m, *m.grid), web_model.fire_rate(m)))
    return 1.0 / common.timeit(lambda: fn(m.params, xj, fire).block_until_ready(), repeats=20)


def main(argv):
    del argv
    common.require(FLAGS.seconds > 0, f"--seconds={FLAGS.seconds}: must be > 0")
    common.require(FLAGS.repeats >= 1, f"--repeats={FLAGS.repeats}: must be >= 1")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    common.require(chromium is not None, "no chromium on PATH: install Debian's chromium "
                                         "(apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        common.fail("the playwright package is missing: pip install -e '.[bench]'")
    from nca_jax.web import page as web_page

    ms = models()
    results = common.Results("page_speed")
    with tempfile.TemporaryDirectory() as d, sync_playwright() as p:
        index = web_page.write(ms, Path(d))
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        pg = browser.new_page()
        pg.goto(index.as_uri())
        pg.wait_for_function("window.ncaPage !== undefined")
        pg.evaluate("ncaPage.pause()")
        version = browser.version
        for i, m in enumerate(ms):
            x = start_state(m)
            rates = []
            for _ in range(FLAGS.repeats):
                pg.evaluate(f"x => {{ const p = ncaPage.panels[{i}]; p.x = Float32Array.from(x);"
                            f" p.t = 0; }}", x.ravel().tolist())
                rates.append(pg.evaluate(f"ncaPage.panels[{i}].measure({FLAGS.seconds})"))
            page_rate = statistics.median(rates)
            jax_rate = jax_steps_per_s(m, x)
            results.emit({"model": m.kind, "grid": f"{m.grid[0]}x{m.grid[1]}",
                          "browser": f"chromium {version} headless",
                          "page_steps_per_s": round(page_rate, 1),
                          "page_runs": [round(r, 1) for r in rates],
                          "jax_steps_per_s": round(jax_rate, 1),
                          "page_over_jax": round(page_rate / jax_rate, 3),
                          "goal_steps_per_s": GOALS[m.kind],
                          "goal_met": page_rate >= GOALS[m.kind]})
        browser.close()
    results.close()


if __name__ == "__main__":
    common.run(main)
