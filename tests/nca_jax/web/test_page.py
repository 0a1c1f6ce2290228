"""The exported page in a real browser (Debian's chromium, headless, driven by Playwright):
it runs the same step as JAX, draws the same pictures, erases what the mouse brushes, and a
trained model regrows there as the damage battery says it does.

Without chromium these tests are skipped, unless ``CA_JAX_LAB_REQUIRE_BROWSER`` is set
(``.ci/run`` installs chromium and sets it, so CI never skips them silently).
"""

import dataclasses
import json
import os
import shutil

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nca_jax.nca import growing, losses
from nca_jax.nca import texture as tm
from nca_jax.robustness import battery
from nca_jax.web import masks
from nca_jax.web import model as web_model
from nca_jax.web import page as web_page
from tests.nca_jax.web import carrot

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover
    sync_playwright = None
MISSING = CHROMIUM is None or sync_playwright is None
if MISSING and os.environ.get("CA_JAX_LAB_REQUIRE_BROWSER"):
    raise RuntimeError("CA_JAX_LAB_REQUIRE_BROWSER is set but chromium or playwright is missing")
pytestmark = [pytest.mark.skipif(MISSING, reason="needs chromium and playwright"),
              pytest.mark.xdist_group("browser")]

SEED = 1  # the page's mask seed


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def open_page(browser, models, folder):
    index = web_page.write(models, folder)
    page = browser.new_page(viewport={"width": 1600, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(index.as_uri())
    page.wait_for_function("window.ncaPage !== undefined")
    page.evaluate("ncaPage.pause()")
    assert not errors, errors
    return page


def state(page, i):
    return np.array(page.evaluate(f"Array.from(ncaPage.panels[{i}].x)"), np.float32)


def pixels(page, i, h, w):
    data = page.evaluate(f"Array.from(ncaPage.panels[{i}].ctx.getImageData(0, 0, {w}, {h}).data)")
    return np.array(data, np.uint8).reshape(h, w, 4)[..., :3]


def _random_out(params, key, scale):
    """Random output weights (trained ones are zero at init: every step would be a no-op)."""
    out = dict(params["out"], kernel=scale * jax.random.normal(key, params["out"]["kernel"].shape))
    return dict(params, out=out)


def random_models(grid=24):
    k = jax.random.split(jax.random.PRNGKey(3), 6)
    g = growing.ModelConfig()
    gp = _random_out(growing.init_params(k[0], g), k[1], 0.05)
    models = [web_model.PageModel("growing (random)", "growing", gp, g, (grid, grid), None)]
    for kind, kk in (("niklasson", k[2:4]), ("srnca", k[4:6])):
        c = tm.TextureModelConfig(kind=kind)
        p = _random_out(tm.init_params(kk[0], c), kk[1], 0.02)
        models.append(web_model.PageModel(f"{kind} (random)", kind, p, c, (grid, grid), None))
    return models


@pytest.fixture(scope="module")
def trained():
    """A carrot trained to regrow (shipped test data, see :mod:`tests.nca_jax.web.carrot`),
    loaded as the page loads a grow run's model; it grows into its target from the seed."""
    m = carrot.load()
    h, w = m.grid
    grown = web_model.run(m, web_model.seed_state(m, h, w), SEED, 0, 60)
    assert float(losses.mse(jnp.asarray(grown), jnp.asarray(m.target))) < 0.01
    return m


def test_page_steps_equal_jax_on_its_test_vectors(browser, tmp_path):
    page = open_page(browser, random_models(), tmp_path)
    checks = page.evaluate("ncaPage.panels.map(p => [p.maxDiff, p.verified])")
    assert [v for _, v in checks] == [True, True, True]
    assert max(d for d, _ in checks) <= 1e-4
    # the page's own hash gives numpy's masks
    js = page.evaluate("Array.from(fireMask(5, 77, 1000, 0.5, new Uint8Array(1000)))")
    assert js == masks.fire(5, 77, (1000,), 0.5).astype(int).tolist()


def test_a_wrong_test_vector_is_shown_as_not_verified(browser, tmp_path):
    m = random_models()[1]
    spec = web_model.describe(m)
    spec["test"]["y"][0] += 0.01
    web_page.write([m], tmp_path)
    (tmp_path / "models.js").write_text(web_page.PREFIX + json.dumps([spec]))
    page = browser.new_page()
    page.goto((tmp_path / "index.html").as_uri())
    page.wait_for_function("window.ncaPage !== undefined")
    assert page.evaluate("ncaPage.panels[0].verified") is False
    assert "NOT verified" in page.inner_text(".check")


def test_100_steps_draw_what_jax_draws(browser, tmp_path, trained):
    grown = trained
    grown = grown._replace(grid=(20, 20))  # room around the 9x9 carrot
    models = [grown] + random_models()[1:]
    page = open_page(browser, models, tmp_path)
    page.evaluate("ncaPage.panels.forEach(p => { p.reset(); p.step(100); })")
    for i, m in enumerate(models):
        h, w = m.grid
        x = web_model.run(m, web_model.seed_state(m, h, w), SEED, 0, 100)
        want = web_model.render(m, x)
        got = pixels(page, i, h, w)
        assert np.abs(got.astype(int) - want).mean() <= 2, m.name
        assert want.std() > 5, m.name  # a picture, not a flat field


def test_mouse_erase_zeroes_exactly_the_brushed_cells(browser, tmp_path, trained):
    grown = trained
    grown = grown._replace(grid=(20, 20))
    page = open_page(browser, [grown], tmp_path)
    page.evaluate("ncaPage.panels[0].reset(); ncaPage.panels[0].step(60)")
    page.evaluate("b => { const e = document.getElementById('brush'); e.value = b;"
                  " e.dispatchEvent(new Event('input')); }", "2.5")
    before = state(page, 0).reshape(20, 20, -1)
    box = page.locator("canvas.view").bounding_box()
    cy, cx = 9, 11
    px = box["x"] + (cx + 0.5) * box["width"] / 20
    py = box["y"] + (cy + 0.5) * box["height"] / 20
    page.mouse.move(px, py)
    page.mouse.down()
    page.mouse.up()
    after = state(page, 0).reshape(20, 20, -1)
    yy, xx = np.mgrid[:20, :20]
    disc = (yy - cy) ** 2 + (xx - cx) ** 2 <= 2.5**2
    assert before[disc].any()  # the brush hit living cells
    assert not after[disc].any()
    np.testing.assert_array_equal(after[~disc], before[~disc])


def test_erased_carrot_regrows_in_the_page(browser, tmp_path, trained):
    grown = trained
    h, w = grown.grid  # the training canvas, as the battery runs it
    target = jnp.asarray(grown.target)
    d, after = 51, 150
    # the damage battery: the 3x3 hole recovers (within 2x of the undamaged loss)
    keys = jax.random.split(jax.random.PRNGKey(0), 8)
    clean, _ = battery.long_horizon(grown.params, target, keys, grown.config, d + after)
    hole = battery.erase_mask("3x3", h, w)
    damaged, _ = battery.erase(grown.params, target, keys, grown.config, d + after, hole, d)
    _, steps = battery.recovery(np.asarray(damaged).mean(0), d, np.asarray(clean).mean(0))
    assert steps is not None and steps < after

    page = open_page(browser, [grown], tmp_path)
    page.evaluate(f"ncaPage.panels[0].reset(); ncaPage.panels[0].step({d})")
    page.evaluate("ncaPage.brush = 1.5")  # the battery's 3x3 square
    box = page.locator("canvas.view").bounding_box()
    page.mouse.click(box["x"] + (w // 2 + 0.5) * box["width"] / w,
                     box["y"] + (h // 2 + 0.5) * box["height"] / h)
    erased = state(page, 0).reshape(h, w, -1)
    assert not erased[h // 2 - 1:h // 2 + 2, w // 2 - 1:w // 2 + 2].any()
    page.evaluate(f"ncaPage.panels[0].step({after})")
    regrown = state(page, 0).reshape(h, w, -1)

    mse = lambda x: float(losses.mse(jnp.asarray(x), target))  # noqa: E731
    undamaged = web_model.run(grown, web_model.seed_state(grown, h, w), SEED, 0, d + after)
    assert mse(erased) > 3 * mse(undamaged)  # the damage was real
    assert mse(regrown) <= 2 * mse(undamaged) + 1e-3  # and it grew back
    # the hole itself holds the carrot again
    hole_cells = np.asarray(hole) == 0
    assert np.abs(regrown[hole_cells][:, :4] - grown.target[hole_cells]).mean() < 0.1


def test_export_cli_and_grow_job_write_the_page(run_dir, tmp_path):
    import subprocess
    import sys

    assert (run_dir / "page" / "index.html").is_file()  # written by the grow job
    r = subprocess.run([sys.executable, "-m", "nca_jax.export", f"--checkpoint={run_dir}",
                        f"--out={tmp_path / 'p'}"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "p" / "models.js").read_text()
    assert text.startswith(web_page.PREFIX)
    spec = json.loads(text[len(web_page.PREFIX):].rstrip().rstrip(";"))
    (one,) = spec
    (grown,) = web_model.load(run_dir)
    w1 = np.asarray(grown.params["hidden"]["kernel"], np.float32)
    np.testing.assert_array_equal(np.asarray(one["w1"], np.float32), w1.ravel())
    assert (one["height"], one["width"]) == grown.target.shape[:2]
    assert dataclasses.asdict(grown.config)["fire_rate"] == one["fire_rate"]
