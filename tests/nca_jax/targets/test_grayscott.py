import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nca_jax.targets import grayscott as gs
from runio.errors import ConfigError


def test_laplacian_matches_numpy_loop():
    x = np.random.default_rng(0).normal(size=(2, 5, 7)).astype(np.float32)
    ref = np.zeros_like(x)
    b, h, w = x.shape
    for n in range(b):
        for i in range(h):
            for j in range(w):
                ref[n, i, j] = (x[n, (i - 1) % h, j] + x[n, (i + 1) % h, j] + x[n, i, (j - 1) % w]
                                + x[n, i, (j + 1) % w] - 4 * x[n, i, j])
    np.testing.assert_allclose(gs.laplacian(jnp.asarray(x)), ref, rtol=1e-5, atol=1e-5)
    assert abs(float(gs.laplacian(jnp.asarray(x)).sum())) < 1e-4  # periodic: no net flux


def test_step_matches_hand_computation_and_invariants():
    rng = np.random.default_rng(1)
    u = rng.random((6, 6)).astype(np.float32)
    v = rng.random((6, 6)).astype(np.float32)
    F, k, du, dv = 0.03, 0.06, 0.2, 0.1
    u1, v1 = gs.step(jnp.asarray(u), jnp.asarray(v), F, k, du, dv)

    def lap(a):
        return np.roll(a, 1, 0) + np.roll(a, -1, 0) + np.roll(a, 1, 1) + np.roll(a, -1, 1) - 4 * a

    np.testing.assert_allclose(u1, u + du * lap(u) - u * v * v + F * (1 - u), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(v1, v + dv * lap(v) + u * v * v - (F + k) * v, rtol=1e-5, atol=1e-6)
    # F = k = 0: the reaction converts v into u one for one and diffusion is conservative
    uu, vv = jnp.asarray(u), jnp.asarray(v)
    for _ in range(50):
        uu, vv = gs.step(uu, vv, 0.0, 0.0, du, dv)
    assert float((uu + vv).sum()) == pytest.approx(float((u + v).sum()), rel=1e-5)
    assert uu.shape == vv.shape == (6, 6)
    # the trivial state u = 1, v = 0 is a fixed point
    one, zero = jnp.ones((4, 4)), jnp.zeros((4, 4))
    u2, v2 = gs.step(one, zero, F, k, du, dv)
    np.testing.assert_array_equal(u2, one)
    np.testing.assert_array_equal(v2, zero)


@pytest.mark.parametrize("name", sorted(gs.PRESETS))
def test_presets_form_their_pattern(name):
    p = gs.PRESETS[name]
    u, v = gs.simulate(jax.random.key(0), (48, 48), p)
    u, v = np.asarray(u), np.asarray(v)
    assert np.isfinite(u).all() and np.isfinite(v).all()
    assert u.min() >= 0 and u.max() <= 1 and v.min() >= 0 and v.max() <= 1
    assert v.max() - v.min() > 0.2  # a pattern formed: not the uniform state
    high = v > (v.min() + v.max()) / 2
    dx = np.abs(np.diff(v, axis=1)).mean()
    dy = np.abs(np.diff(v, axis=0)).mean()
    if name == "spots":
        assert 0.05 < high.mean() < 0.35 and 0.7 < dx / dy < 1.4
    elif name == "stripes":  # horizontal bands: v varies along y, much less along x
        assert 0.25 < high.mean() < 0.65 and dx < 0.6 * dy
    elif name == "maze":
        assert 0.3 < high.mean() < 0.7 and 0.7 < dx / dy < 1.4


def test_texture_rgb_seeded_and_any_size():
    a = gs.texture("spots", (40, 56), seed=0)
    b = gs.texture("spots", (40, 56), seed=0)
    c = gs.texture("spots", (40, 56), seed=1)
    assert a.shape == (40, 56, 3) and a.dtype == np.float32
    assert a.min() >= 0 and a.max() <= 1 and a.std() > 0.1
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).mean() > 0.05
    # colours: the two ends of the preset's ramp are used
    p = gs.PRESETS["spots"]
    np.testing.assert_allclose(a.reshape(-1, 3).min(0), np.minimum(p.low, p.high), atol=1e-5)


def test_unknown_preset_and_bad_size():
    with pytest.raises(ConfigError, match="maze, spots, stripes"):
        gs.texture("dots", 32)
    with pytest.raises(ConfigError, match="at least 8x8"):
        gs.texture("spots", 4)
