"""Texture NCA step against a hand-written numpy step (circular padding, update mask, clamp)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nca_jax.nca import texture as tm
from runio.errors import ConfigError

HAND = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "laplacian": np.array([[1, 2, 1], [2, -12, 2], [1, 2, 1]]) / 16,
    "sobel_x": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]) / 8,
    "sobel_y": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]]) / 8,
    "moore": np.array([[1, 1, 1], [1, 0, 1], [1, 1, 1]]) / 8,
}


def np_step(params, x, fire, bank):
    """numpy reference: wrap-around cross-correlation, MLP with biases, masked add, clamp."""
    feats = []
    for k in bank:
        acc = np.zeros_like(x)
        for i in (-1, 0, 1):
            for j in (-1, 0, 1):
                # out[y, x] += K[i+1, j+1] * state[y+i, x+j]   (periodic)
                acc += k[i + 1, j + 1] * np.roll(x, (-i, -j), axis=(-3, -2))
        feats.append(acc)
    p = np.concatenate(feats, -1)
    hid = params["hidden"]
    h = np.maximum(p @ np.asarray(hid["kernel"]) + np.asarray(hid["bias"]), 0)
    dx = h @ np.asarray(params["out"]["kernel"]) + np.asarray(params["out"]["bias"])
    return np.clip(x + dx * fire, -1.0, 1.0)


def test_bank_named_then_seeded_random():
    cfg = tm.TextureModelConfig(channels=4, n_filters=7, filter_seed=3)
    bank = tm.filter_bank(cfg)
    assert bank.shape == (7, 3, 3)
    for k, name in zip(bank, tm.NAMED_FILTERS):
        np.testing.assert_allclose(k, HAND[name], atol=1e-12)
    again = tm.filter_bank(tm.TextureModelConfig(channels=4, n_filters=7, filter_seed=3))
    other = tm.filter_bank(tm.TextureModelConfig(channels=4, n_filters=7, filter_seed=4))
    np.testing.assert_array_equal(bank, again)
    assert not np.allclose(bank[5:], other[5:])
    np.testing.assert_array_equal(bank[:5], other[:5])


@pytest.mark.parametrize("n_filters,rate,scale", [(4, 0.5, 1.0), (6, 1.0, 1.0), (5, 0.3, 50.0)])
def test_step_matches_numpy(n_filters, rate, scale):
    cfg = tm.TextureModelConfig(channels=5, hidden=7, n_filters=n_filters, update_rate=rate)
    params = tm.init_params(jax.random.PRNGKey(0), cfg)
    # non-zero output layer (it is zero-initialised); `scale` large drives the clamp
    k1, k2, k3 = jax.random.split(jax.random.PRNGKey(1), 3)
    shape = params["out"]["kernel"].shape
    params = dict(params, out={"kernel": scale * jax.random.normal(k1, shape),
                               "bias": scale * 0.1 * jax.random.normal(k2, (5,))})
    x = np.asarray(jax.random.uniform(k3, (2, 6, 7, 5), minval=-1, maxval=1))
    key = jax.random.PRNGKey(9)
    got = np.asarray(tm.step(params, jnp.asarray(x), key, cfg))
    fire = np.asarray(jax.random.uniform(key, x.shape[:-1] + (1,))) < rate
    want = np_step(jax.tree.map(np.asarray, params), x.astype(np.float64), fire,
                   [np.asarray(k, np.float64) for k in tm.filter_bank(cfg)])
    np.testing.assert_allclose(got, want, atol=2e-5)
    if rate < 1:  # cells that did not fire are unchanged
        np.testing.assert_array_equal(got[~fire[..., 0]], x[~fire[..., 0]])
    if scale > 1:
        assert np.abs(got).max() == 1.0 and (np.abs(want) == 1.0).mean() > 0.2
    assert np.abs(got).max() <= tm.STATE_BOUND


def test_rgb_channels_and_rollout_masks_steps():
    cfg = tm.TextureModelConfig(channels=6, hidden=8, n_filters=4)
    x = jnp.full((3, 3, 6), -0.7).at[..., 1].set(0.2).at[..., 2].set(0.7)
    np.testing.assert_allclose(tm.to_rgb(x)[0, 0], [0.0, 0.7, 1.0], atol=1e-6)
    params = tm.init_params(jax.random.PRNGKey(0), cfg)
    params = dict(params, out={"kernel": jnp.ones_like(params["out"]["kernel"]) * 0.01,
                               "bias": jnp.full((6,), 0.01)})
    x0 = tm.seed(jax.random.PRNGKey(1), cfg, 8, 8)
    key = jax.random.PRNGKey(2)
    traj = tm.trajectory(params, x0, key, 5, cfg)
    for n in (0, 3, 5):
        np.testing.assert_allclose(tm.rollout(params, x0, key, n, 5, cfg), traj[n], atol=1e-6)


@pytest.mark.parametrize("kw,allowed", [({"channels": 2}, r"\[3, 64\]"),
                                        ({"hidden": 0}, r"\[1, 1024\]"),
                                        ({"n_filters": 17}, r"\[1, 16\]"),
                                        ({"update_rate": 0.0}, r"\(0, 1\]")])
def test_config_rejects_out_of_range_naming_the_field_and_the_range(kw, allowed):
    with pytest.raises(ConfigError, match=allowed) as e:
        tm.TextureModelConfig(**kw)
    assert e.value.field == next(iter(kw))
