"""The robustness battery's pure functions against independent numpy computations on tiny
models and short horizons."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nca_jax.nca import growing
from nca_jax.robustness import battery
from runio.errors import ConfigError
from tests.nca_jax.tiny import MCFG


def random_params(seed=0, scale=0.3):
    p = growing.init_params(jax.random.PRNGKey(seed), MCFG)
    leaves, tree = jax.tree.flatten(p)
    keys = jax.random.split(jax.random.PRNGKey(seed + 1), len(leaves))
    return jax.tree.unflatten(tree, [scale * jax.random.normal(k, x.shape)
                                     for k, x in zip(keys, leaves)])


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
@pytest.mark.parametrize("kind", battery.ERASE_MASKS)
def test_erase_masks_match_numpy(kind, h, w):
    got = np.asarray(battery.erase_mask(kind, h, w))
    np.testing.assert_array_equal(got, np_mask(kind, h, w))
    if kind != "bottom_half":
        assert got[h // 2, w // 2] == 0 and (got == 0).sum() == int(kind[0]) ** 2  # holds the seed


def test_erase_masks_by_hand():
    # 6×6, 2×2: exactly centred rows/cols 2,3; 5×5 3×3: rows/cols 1..3; 5×5 bottom half: rows 3, 4
    m = np.ones((6, 6)); m[2:4, 2:4] = 0
    np.testing.assert_array_equal(battery.erase_mask("2x2", 6, 6), m)
    m = np.ones((5, 5)); m[1:4, 1:4] = 0
    np.testing.assert_array_equal(battery.erase_mask("3x3", 5, 5), m)
    m = np.ones((5, 5)); m[3:] = 0
    np.testing.assert_array_equal(battery.erase_mask("bottom_half", 5, 5), m)


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
    d = np.asarray(battery.fgsm(jnp.asarray(x), jnp.asarray(t), eps))
    np.testing.assert_array_equal(np.sign(d), np.sign(np.where(np.abs(g) > 1e-9, g, 0)))
    assert np.max(np.abs(d)) == pytest.approx(eps, rel=1e-6)
    assert np.all(d[..., 4:] == 0)  # hidden channels are not in the loss
    assert mse(x64 + d) > mse(x64)  # ascent


# ----------------------------------------------------------- curves vs a manual rollout


def manual_curve(params, target, key, n, perturb=lambda t, x: x):
    x = growing.seed(MCFG, *target.shape[:2])
    out = [np.mean((np.asarray(x)[..., :4] - target) ** 2)]
    for t in range(n):
        x = growing.step(params, x, jax.random.fold_in(key, t), MCFG)
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
    ls, snaps = battery.long_horizon(params, jnp.asarray(target), keys, MCFG, 8, (0, 2, 8))
    assert ls.shape == (2, 9) and snaps.shape == (3, 7, 7, 8)
    for i in range(2):
        np.testing.assert_allclose(np.asarray(ls[i]), manual_curve(params, target, keys[i], 8), rtol=1e-5)
    traj = growing.trajectory(params, growing.seed(MCFG, 7, 7), keys[0], 8, MCFG)
    np.testing.assert_allclose(np.asarray(snaps), np.asarray(traj[jnp.array([0, 2, 8])]), atol=1e-6)
    assert np.asarray(ls).std() > 0  # the model does something


def test_erase_curve_equals_manual_rollout(rp):
    params, target, keys = rp
    mask = np_mask("bottom_half", 7, 7)
    ls, _ = battery.erase(params, jnp.asarray(target), keys, MCFG, 8, jnp.asarray(mask), 4)
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

    ls, _ = battery.fgsm_attack(params, jnp.asarray(target), keys, MCFG, 6, eps, 2, 3)
    np.testing.assert_allclose(np.asarray(ls[1]), manual_curve(params, target, keys[1], 6, attack), rtol=1e-5)


# ----------------------------------------------------------------------------- metrics


def test_recovery_metric_against_the_undamaged_curve_at_the_same_step():
    clean = [1.0, 0.1, 0.1, 0.1, 0.1, 0.12, 0.14, 0.16]  # the undamaged curve drifts up
    c = [1.0, 0.1, 0.1, 0.9, 0.5, 0.25, 0.2, 0.15]
    # damage at index 3: within 2x of clean first at index 5 (0.25 > 0.24) -> index 6 (0.2 <= 0.28)
    assert battery.recovery(c, 3, clean) == (0.9, 3)
    assert battery.recovery(c, 3, [x / 10 for x in clean]) == (0.9, None)  # never
    assert battery.recovery([0.1, 0.1, 0.15, 0.2], 2, [0.1, 0.1, 0.1, 0.1]) == (0.2, 0)
    # a dip within 2x that drifts out again is no recovery; the last return is
    assert battery.recovery([0.1, 0.1, 0.15, 0.3], 2, [0.1, 0.1, 0.1, 0.1]) == (0.3, None)
    assert battery.recovery([0.1, 0.5, 0.15, 0.3, 0.2, 0.1], 1, [0.1] * 6) == (0.5, 3)
    assert battery.recovery([0.1, 0.5, 0.2], 1, [0.1, 0.1, 0.1]) == (0.5, 1)  # exactly 2x
    # a curve longer than the undamaged one is judged only where both exist
    assert battery.recovery([0.1, 0.9, 0.9, 0.1], 1, [0.1, 0.1, 0.1]) == (0.9, None)


# ------------------------------------------------------------------------ larger canvas


@pytest.mark.parametrize("h,c", [(15, 39), (15, 40), (6, 11), (6, 6)])
def test_padded_target_stays_centred(h, c):
    t = np.zeros((h, h, 4), np.float32)
    t[h // 2, h // 2] = 1.0  # the cell under the seed
    t[0, 0] = 0.5
    p = battery.pad_target(t, c)
    assert p.shape == (c, c, 4)
    assert p[c // 2, c // 2, 0] == 1.0  # under the canvas seed
    off = c // 2 - h // 2
    assert p[off, off, 0] == 0.5 and p.sum() == t.sum()
    seed = np.asarray(growing.seed(MCFG, c, c))
    assert seed[c // 2, c // 2, 3] == 1.0


def test_canvas_smaller_than_training_grid_is_refused():
    with pytest.raises(ConfigError, match="smaller than the training size") as e:
        battery.pad_target(np.zeros((9, 9, 4), np.float32), 8)
    assert e.value.field == "canvas"


def test_persistence_is_the_ratio_of_mean_losses_of_a_manual_rollout(rp):
    params, target, keys = rp
    got = battery.persistence(params, jnp.asarray(target), keys, MCFG, steps=(3, 8))
    curves = np.stack([manual_curve(params, target, k, 8) for k in keys])
    mean = curves.mean(0)
    assert got["loss_3"] == pytest.approx(mean[3], rel=1e-5)
    assert got["loss_8"] == pytest.approx(mean[8], rel=1e-5)
    assert got["ratio"] == pytest.approx(mean[8] / mean[3], rel=1e-5)
