"""The robustness battery (nca_jax.robustness, nca_jax.damage) against independent numpy
computations on tiny models and short horizons."""

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nca_jax import experiment, model, robustness, train_adam, train_es
from nca_jax.checkpoint import Checkpointer
from runio.cli import BadInput

ROOT = Path(__file__).resolve().parents[2]
MCFG = model.ModelConfig(channels=8, hidden=4)
TINY = experiment.GrowConfig(
    size=5, optimizer="adam", max_seconds=0, max_iterations=3, eval_every=3, eval_samples=2,
    checkpoint_every=3, progress=False, gif_steps=2, model=MCFG,
    es=train_es.ESConfig(population=4, min_steps=3, max_steps=4),
    adam=train_adam.AdamConfig(batch_size=2, min_steps=3, max_steps=4, pool_size=4),
)
SHORT = robustness.BatteryConfig(seeds=2, steps=12, damage_step=5, erase_steps=6, fgsm_steps=10,
                                 fgsm_until=3, fgsm_eps_after=(0.01, 0.1))


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("grow") / "run"
    experiment.run(TINY, out)
    return out


def random_params(seed=0, scale=0.3):
    p = model.init_params(jax.random.PRNGKey(seed), MCFG)
    leaves, tree = jax.tree.flatten(p)
    keys = jax.random.split(jax.random.PRNGKey(seed + 1), len(leaves))
    return jax.tree.unflatten(tree, [scale * jax.random.normal(k, x.shape) for k, x in zip(keys, leaves)])


# ------------------------------------------------------------------------------- masks


def np_mask(kind, h, w):
    m = np.ones((h, w), np.float32)
    if kind == "bottom_half":
        m[h - h // 2:, :] = 0  # the last floor(h/2) rows
    else:
        k = int(kind[0])
        top, left = (h - k) // 2, (w - k) // 2
        m[top:top + k, left:left + k] = 0
    return m


@pytest.mark.parametrize("h,w", [(5, 5), (6, 6), (15, 15), (7, 10)])
@pytest.mark.parametrize("kind", robustness.ERASE_MASKS)
def test_erase_masks_match_numpy(kind, h, w):
    got = np.asarray(robustness.erase_mask(kind, h, w))
    np.testing.assert_array_equal(got, np_mask(kind, h, w))
    if kind != "bottom_half":
        assert got[h // 2, w // 2] == 0 and (got == 0).sum() == int(kind[0]) ** 2  # holds the seed


def test_erase_masks_by_hand():
    # 6×6, 2×2: exactly centred rows/cols 2,3; 5×5 3×3: rows/cols 1..3; 5×5 bottom half: rows 3, 4
    m = np.ones((6, 6)); m[2:4, 2:4] = 0
    np.testing.assert_array_equal(robustness.erase_mask("2x2", 6, 6), m)
    m = np.ones((5, 5)); m[1:4, 1:4] = 0
    np.testing.assert_array_equal(robustness.erase_mask("3x3", 5, 5), m)
    m = np.ones((5, 5)); m[3:] = 0
    np.testing.assert_array_equal(robustness.erase_mask("bottom_half", 5, 5), m)


# -------------------------------------------------------------------------------- FGSM


def test_fgsm_sign_matches_finite_differences():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (3, 4, 6)).astype(np.float32)
    t = rng.uniform(0, 1, (3, 4, 4)).astype(np.float32)
    eps = 0.03

    def mse(s):  # float64 numpy
        return np.mean((s[..., :4] - t) ** 2)

    x64 = x.astype(np.float64)
    g = np.zeros_like(x64)
    h = 1e-6
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x64); e[i] = h
        g[i] = (mse(x64 + e) - mse(x64 - e)) / (2 * h)
    d = np.asarray(robustness.fgsm(jnp.asarray(x), jnp.asarray(t), eps))
    np.testing.assert_array_equal(np.sign(d), np.sign(np.where(np.abs(g) > 1e-9, g, 0)))
    assert np.max(np.abs(d)) == pytest.approx(eps, rel=1e-6)
    assert np.all(d[..., 4:] == 0)  # hidden channels are not in the loss
    assert mse(x64 + d) > mse(x64)  # ascent


# ----------------------------------------------------------- curves vs a manual rollout


def manual_curve(params, target, key, n, perturb=lambda t, x: x):
    x = model.seed(MCFG, *target.shape[:2])
    out = [np.mean((np.asarray(x)[..., :4] - target) ** 2)]
    for t in range(n):
        x = model.step(params, x, jax.random.fold_in(key, t), MCFG)
        x = jnp.asarray(perturb(t + 1, np.asarray(x)))
        out.append(np.mean((np.asarray(x)[..., :4] - target) ** 2))
    return np.array(out)


@pytest.fixture(scope="module")
def rp():
    params = random_params()
    target = np.random.default_rng(1).uniform(0, 1, (7, 7, 4)).astype(np.float32)
    keys = jax.random.split(jax.random.PRNGKey(3), 2)
    return params, target, keys


def test_long_horizon_equals_manual_rollout(rp):
    params, target, keys = rp
    ls, snaps = robustness.long_horizon(params, jnp.asarray(target), keys, MCFG, 8, (0, 2, 8))
    assert ls.shape == (2, 9) and snaps.shape == (3, 7, 7, 8)
    for i in range(2):
        np.testing.assert_allclose(np.asarray(ls[i]), manual_curve(params, target, keys[i], 8), rtol=1e-5)
    traj = model.trajectory(params, model.seed(MCFG, 7, 7), keys[0], 8, MCFG)
    np.testing.assert_allclose(np.asarray(snaps), np.asarray(traj[jnp.array([0, 2, 8])]), atol=1e-6)
    assert np.asarray(ls).std() > 0  # the model does something


def test_erase_curve_equals_manual_rollout(rp):
    params, target, keys = rp
    mask = np_mask("bottom_half", 7, 7)
    ls, _ = robustness.erase(params, jnp.asarray(target), keys, MCFG, 8, jnp.asarray(mask), 4)
    ref = manual_curve(params, target, keys[0], 8, lambda t, x: x * mask[..., None] if t == 4 else x)
    np.testing.assert_allclose(np.asarray(ls[0]), ref, rtol=1e-5)


def test_fgsm_curve_equals_manual_rollout(rp):
    params, target, keys = rp
    eps = 0.05

    def attack(t, x):  # numpy FGSM: d MSE / dx has the sign of (x - target) on RGBA
        if 2 <= t <= 3:
            d = np.zeros_like(x); d[..., :4] = eps * np.sign(x[..., :4] - target)
            return x + d
        return x

    ls, _ = robustness.fgsm_attack(params, jnp.asarray(target), keys, MCFG, 6, eps, 2, 3)
    np.testing.assert_allclose(np.asarray(ls[1]), manual_curve(params, target, keys[1], 6, attack), rtol=1e-5)


# ----------------------------------------------------------------------------- metrics


def test_recovery_metric_on_hand_made_curves():
    c = [1.0, 0.1, 0.1, 0.9, 0.5, 0.25, 0.2, 0.15]
    # damage at index 3, pre-damage 0.1: within 2× (<= 0.2) first at index 6 -> 3 steps
    assert robustness.recovery(c, 3, 0.1) == (0.9, 3)
    assert robustness.recovery(c, 3, 0.01) == (0.9, None)  # never
    assert robustness.recovery([0.1, 0.1, 0.15, 0.3], 2, 0.1) == (0.3, 0)  # already within 2×
    assert robustness.recovery([0.1, 0.5, 0.2], 1, 0.1) == (0.5, 1)  # exactly 2× counts


# ------------------------------------------------------------------------ larger canvas


@pytest.mark.parametrize("h,c", [(15, 39), (15, 40), (6, 11), (6, 6)])
def test_padded_target_stays_centred(h, c):
    t = np.zeros((h, h, 4), np.float32)
    t[h // 2, h // 2] = 1.0  # the cell under the seed
    t[0, 0] = 0.5
    p = robustness.pad_target(t, c)
    assert p.shape == (c, c, 4)
    assert p[c // 2, c // 2, 0] == 1.0  # under the canvas seed
    off = c // 2 - h // 2
    assert p[off, off, 0] == 0.5 and p.sum() == t.sum()
    seed = np.asarray(model.seed(MCFG, c, c))
    assert seed[c // 2, c // 2, 3] == 1.0


def test_canvas_smaller_than_training_grid_is_refused():
    with pytest.raises(BadInput, match="--canvas"):
        robustness.pad_target(np.zeros((9, 9, 4), np.float32), 8)


# ------------------------------------------------------------------- loading and battery


def test_load_model_restores_the_last_checkpoint(run_dir):
    m = robustness.load_model(run_dir)
    target = np.zeros((5, 5, 4), np.float32)
    template = experiment.make_trainer("adam", TINY, target).init(jax.random.PRNGKey(0))
    state, counters = Checkpointer(run_dir / "checkpoints").restore(template)
    assert counters["iteration"] == 3
    for a, b in zip(jax.tree.leaves(m.params), jax.tree.leaves(state.params)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert m.mcfg == MCFG and m.target.shape == (5, 5, 4) and m.optimizer == "adam" and m.pool


def test_load_model_bad_folders(tmp_path, run_dir):
    with pytest.raises(BadInput, match="no such folder"):
        robustness.load_model(tmp_path / "missing")
    with pytest.raises(BadInput, match="not a growing-NCA checkpoint"):
        robustness.load_model(tmp_path)
    (tmp_path / "summary.json").write_text(json.dumps({"hello": 1}))
    with pytest.raises(BadInput, match="not a growing-NCA checkpoint"):
        robustness.load_model(tmp_path)
    (tmp_path / "summary.json").write_text((run_dir / "summary.json").read_text())
    with pytest.raises(BadInput, match="no checkpoints"):
        robustness.load_model(tmp_path)
    assert not (tmp_path / "checkpoints").exists()  # nothing created


def test_battery_writes_results_figures_and_report(run_dir, tmp_path):
    models = [robustness.load_model(run_dir), robustness.load_model(run_dir)._replace(pool=False, name="other")]
    cfg = dataclasses.replace(SHORT, canvas=8)
    res = robustness.run_battery(models, cfg, tmp_path, progress=False)
    j = json.loads((tmp_path / "results.json").read_text())
    for k in ("config", "long_horizon", "erase", "fgsm_during_growth", "fgsm_after_growth", "larger_canvas"):
        assert k in j
    names = ["adam +pool", "other"]
    assert [m["name"] for m in j["config"]["models"]] == names and j["config"]["seeds"] == 2
    for n in names:
        lh = j["long_horizon"][n]
        assert len(lh["loss_mean"]) == 13 and np.shape(lh["loss"]) == (2, 13)
        np.testing.assert_allclose(lh["loss_mean"], np.mean(lh["loss"], 0), rtol=1e-5)
        assert lh["strip_steps"] == [0, 1, 2, 3, 4, 10]
        assert set(j["erase"][n]) == {"2x2", "3x3", "bottom_half"}
        e = j["erase"][n]["3x3"]
        assert np.shape(e["loss"]) == (2, 12) and e["strip_steps"] == [4, 5]
        # before the damage the erase run is the long-horizon run (same keys)
        np.testing.assert_allclose(np.asarray(e["loss"])[:, :5], np.asarray(lh["loss"])[:, :5], rtol=1e-5)
        assert np.shape(j["fgsm_during_growth"][n]["loss"]) == (2, 11)
        assert set(j["fgsm_after_growth"][n]) == {"0.01", "0.1"}
        assert np.shape(j["larger_canvas"][n]["loss"]) == (2, 13) and j["larger_canvas"][n]["canvas"] == 8
        d = res["summary"][n]["damages"]["erase 3x3"]
        mean = np.mean(e["loss"], 0)
        peak, steps = robustness.recovery(mean, 5, mean[4])
        assert d["peak_loss"] == pytest.approx(peak, rel=1e-5) and d["recovery_steps"] == steps
    for f in ("long_horizon", "erase", "fgsm_during_growth", "fgsm_after_growth", "larger_canvas"):
        assert (tmp_path / f"{f}.png").stat().st_size > 0
    assert len(list((tmp_path / "strips").glob("*.png"))) == 10
    report = (tmp_path / "report.md").read_text()
    assert "## adam +pool" in report and "![erase](erase.png)" in report
    assert "| loss at step | 40 | 200 | 1000 |" in report and "steps back within 2×" in report
    with pytest.raises(BadInput, match="--canvas"):
        robustness.run_battery(models, dataclasses.replace(SHORT, canvas=4), tmp_path / "x", progress=False)


# --------------------------------------------------------------------------------- CLI


def run_cli(*args, tmp):
    env = dict(os.environ, PYTHONPATH=str(ROOT), JAX_PLATFORMS="cpu")
    return subprocess.run([sys.executable, "-m", "nca_jax.damage", f"--out={tmp}/out", "--noprogress", *args],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


@pytest.mark.parametrize(
    "args,flag",
    [
        (["--checkpoint=MISSING"], "--checkpoint"),
        (["--checkpoint=EMPTY"], "--checkpoint"),
        (["--checkpoint=RUN", "--canvas=4"], "--canvas"),
        (["--checkpoint=RUN", "--fgsm_eps_growth=-1e-7"], "--fgsm_eps_growth"),
        (["--checkpoint=RUN", "--fgsm_eps_after=0.01,-0.07"], "--fgsm_eps_after"),
        (["--checkpoint=RUN", "--seeds=0"], "--seeds"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(tmp_path, run_dir, args, flag):
    (tmp_path / "empty").mkdir()
    sub = {"MISSING": str(tmp_path / "missing"), "EMPTY": str(tmp_path / "empty"), "RUN": str(run_dir)}
    args = [a.split("=")[0] + "=" + sub.get(a.split("=", 1)[1], a.split("=", 1)[1]) for a in args]
    r = run_cli(*args, tmp=tmp_path)
    assert r.returncode == 2, r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and flag in lines[0], r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "out").exists()


def test_cli_runs_the_battery_on_a_both_run_folder(tmp_path, run_dir):
    import shutil

    both = tmp_path / "both"
    shutil.copytree(run_dir, both / "adam")
    s = json.loads((both / "adam" / "summary.json").read_text())
    assert [p.name for p in robustness.run_folders(both)] == ["adam"]
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
