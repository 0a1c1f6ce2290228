"""The texture NCAs' steps against hand-written numpy steps (circular padding, MLP, update
masks, SRNCA's soft clamp), the kernels against the published ones."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nca_jax.nca import texture as tm
from runio.errors import ConfigError

NIKLASSON = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "laplacian": np.array([[1, 2, 1], [2, -12, 2], [1, 2, 1]]) / 16,
    "sobel_x": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]) / 8,
    "sobel_y": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]]) / 8,
    "moore": np.array([[1, 1, 1], [1, 0, 1], [1, 1, 1]]) / 8,
}
SRNCA = [  # the texture study's kernels, unnormalised; its "sobel" are Prewitt's
    [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    [[1, 2, 1], [2, -12, 2], [1, 2, 1]],
    [[-1, -1, -1], [0, 0, 0], [1, 1, 1]],
    [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]],
    [[1, 1, 1], [1, 0, 1], [1, 1, 1]],
]


def np_perceive(x, bank):
    feats = []
    for k in bank:
        acc = np.zeros_like(x)
        for i in (-1, 0, 1):
            for j in (-1, 0, 1):
                # out[y, x] += K[i+1, j+1] * state[y+i, x+j]   (periodic)
                acc += k[i + 1, j + 1] * np.roll(x, (-i, -j), axis=(-3, -2))
        feats.append(acc)
    return np.concatenate(feats, -1)


def np_step(params, x, fire, bank, kind):
    """numpy reference of one step of either model."""
    hid, out = params["hidden"], params["out"]
    h = np_perceive(x, bank) @ np.asarray(hid["kernel"]) + np.asarray(hid["bias"])
    if kind == "niklasson":
        h = np.maximum(h, 0)
    dx = h @ np.asarray(out["kernel"])  # no output bias
    if kind == "niklasson":
        return x + dx * fire
    return 1.0 / (1.0 + np.exp(-4.0 * (x + dx * fire - 0.5)))


def test_banks_are_the_published_kernels_then_seeded_random():
    cfg = tm.TextureModelConfig(channels=4, n_filters=7, filter_seed=3)
    bank = tm.filter_bank(cfg)
    assert bank.shape == (7, 3, 3)
    for k, name in zip(bank, tm.NAMED_FILTERS):
        np.testing.assert_allclose(k, NIKLASSON[name], atol=1e-12)
    other = tm.filter_bank(tm.TextureModelConfig(channels=4, n_filters=7, filter_seed=4))
    assert not np.allclose(bank[5:], other[5:])
    np.testing.assert_array_equal(bank[:5], other[:5])
    srnca = tm.filter_bank(tm.TextureModelConfig(kind="srnca", channels=4, n_filters=5))
    np.testing.assert_array_equal(srnca, np.array(SRNCA, float))


def _random_params(cfg, scale):
    params = tm.init_params(jax.random.PRNGKey(0), cfg)
    k1 = jax.random.PRNGKey(1)
    out = {"kernel": scale * jax.random.normal(k1, params["out"]["kernel"].shape)}
    return dict(params, out=out)


def test_init_has_live_hidden_units_and_a_silent_output():
    """The hidden bias is PyTorch's U(±1/sqrt(fan_in)) (a zero grid must give a gradient);
    the output layer starts at zero and has no bias."""
    cfg = tm.TextureModelConfig(channels=12, hidden=96, n_filters=4)
    p = tm.init_params(jax.random.PRNGKey(0), cfg)
    b = np.asarray(p["hidden"]["bias"])
    bound = 1 / np.sqrt(4 * 12)
    assert np.abs(b).max() <= bound and b.min() < -bound / 2 and b.max() > bound / 2
    assert set(p["out"]) == {"kernel"} and not np.any(np.asarray(p["out"]["kernel"]))


@pytest.mark.parametrize("kind", tm.KINDS)
@pytest.mark.parametrize("n_filters,rate", [(4, 0.5), (6, 1.0), (5, 0.3)])
def test_step_matches_numpy(kind, n_filters, rate):
    cfg = tm.TextureModelConfig(kind=kind, channels=5, hidden=7, n_filters=n_filters,
                                update_rate=rate)
    params = _random_params(cfg, 0.5)
    x = np.asarray(jax.random.uniform(jax.random.PRNGKey(3), (2, 6, 7, 5), minval=-1, maxval=1))
    key = jax.random.PRNGKey(9)
    got = np.asarray(tm.step(params, jnp.asarray(x), key, cfg))
    shape = x.shape if kind == "srnca" else x.shape[:-1] + (1,)  # per element / per cell
    fire = np.asarray(jax.random.uniform(key, shape)) < rate
    want = np_step(jax.tree.map(np.asarray, params), x.astype(np.float64), fire,
                   [np.asarray(k, np.float64) for k in tm.filter_bank(cfg)], kind)
    np.testing.assert_allclose(got, want, atol=2e-5)
    if kind == "srnca":
        assert 0 <= got.min() and got.max() <= 1  # the soft clamp (saturates in float32)
        if rate < 1:  # some elements of one cell updated, others not
            assert fire.any(-1).sum() > fire.all(-1).sum()
    elif rate < 1:  # cells that did not fire are unchanged
        np.testing.assert_array_equal(got[~fire[..., 0]], x[~fire[..., 0]])


def test_seeds_images_overflow_and_step_ranges():
    nik = tm.TextureModelConfig(channels=6)
    srnca = tm.TextureModelConfig(kind="srnca", channels=6)
    for cfg in (nik, srnca):
        x = tm.seed(jax.random.PRNGKey(1), cfg, 8, 8)
        assert x.shape == (8, 8, 6) and not np.any(np.asarray(x))
    s = jnp.zeros((1, 1, 6)).at[0, 0, :3].set(jnp.array([-0.7, 0.2, 0.6]))
    np.testing.assert_allclose(tm.image(s, nik)[0, 0], [-0.2, 0.7, 1.1], atol=1e-6)
    np.testing.assert_allclose(tm.to_rgb(s, nik)[0, 0], [0.0, 0.7, 1.0], atol=1e-6)
    np.testing.assert_allclose(tm.image(s, srnca)[0, 0], [-0.7, 0.2, 0.6], atol=1e-6)
    big = jnp.array([[[1.5, -2.0, 0.3]]])
    assert float(tm.overflow(big)) == pytest.approx(0.5 + 1.0)
    assert tm.step_range(nik, 32) == (16, 32) and tm.step_range(nik, 5) == (3, 5)
    assert tm.step_range(srnca, 32) == (33, 47)


def test_rollout_and_trajectory_agree():
    cfg = tm.TextureModelConfig(channels=6, hidden=8, n_filters=4)
    params = _random_params(cfg, 0.1)
    x0 = tm.seed(jax.random.PRNGKey(1), cfg, 8, 8)
    key = jax.random.PRNGKey(2)
    traj = tm.trajectory(params, x0, key, 5, cfg)
    for n in (0, 3, 5):
        np.testing.assert_allclose(tm.rollout(params, x0, key, n, 5, cfg), traj[n], atol=1e-6)


@pytest.mark.parametrize("kw,allowed", [({"channels": 2}, r"\[3, 64\]"),
                                        ({"hidden": 0}, r"\[1, 1024\]"),
                                        ({"n_filters": 17}, r"\[1, 16\]"),
                                        ({"update_rate": 0.0}, r"\(0, 1\]"),
                                        ({"kind": "gatys"}, "niklasson, srnca")])
def test_config_rejects_out_of_range_naming_the_field_and_the_range(kw, allowed):
    with pytest.raises(ConfigError, match=allowed) as e:
        tm.TextureModelConfig(**kw)
    assert e.value.field == next(iter(kw))
