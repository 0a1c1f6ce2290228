import jax
import jax.numpy as jnp
import numpy as np

from nca_jax.nca import growing

SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]) / 8.0


def np_perceive(x):
    h, w, c = x.shape
    xp = np.pad(x, ((1, 1), (1, 1), (0, 0)))
    outs = [x]
    for k in (SOBEL_X, SOBEL_X.T):
        o = np.zeros_like(x)
        for i in range(3):
            for j in range(3):
                o += k[i, j] * xp[i : i + h, j : j + w]
        outs.append(o)
    return np.concatenate(outs, -1)


def np_alive(x):
    a = np.pad(x[..., 3], 1, constant_values=-np.inf)
    h, w = x.shape[:2]
    m = np.max([a[i : i + h, j : j + w] for i in range(3) for j in range(3)], axis=0)
    return m > 0.1


def np_step(w1, b1, w2, b2, x):
    pre = np_alive(x)
    p = np_perceive(x)
    dx = np.maximum(p @ w1 + b1, 0) @ w2 + b2
    y = x + dx
    return y * (pre & np_alive(y))[..., None]


def random_params(cfg, key, scale=0.2):
    p = growing.init_params(key, cfg)
    leaves, tree = jax.tree.flatten(p)
    keys = jax.random.split(key, len(leaves))
    return jax.tree.unflatten(tree, [scale * jax.random.normal(k, l.shape) for k, l in zip(keys, leaves)])


def test_seed_and_zero_last_layer():
    cfg = growing.ModelConfig()
    p = growing.init_params(jax.random.PRNGKey(0), cfg)
    assert not np.any(np.asarray(p["out"]["kernel"]))
    assert "bias" not in p["hidden"]
    x = np.asarray(growing.seed(cfg, 5, 7))
    assert x.sum() == 13 and np.all(x[2, 3, 3:] == 1) and np.all(x[2, 3, :3] == 0)
    # a zero last layer changes nothing
    np.testing.assert_array_equal(np.asarray(growing.step(p, jnp.asarray(x), jax.random.PRNGKey(1), cfg)), x)


def test_step_matches_numpy_at_fire_rate_one():
    cfg = growing.ModelConfig(channels=8, hidden=12, use_bias=True, fire_rate=1.0)
    params = random_params(cfg, jax.random.PRNGKey(0))
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, size=(7, 6, 8)).astype(np.float32)
    x[..., 3] = 0.0
    x[1:3, 1:3, 3] = 0.8  # one living blob; the far cells must be zeroed
    w1, b1 = (np.asarray(params["hidden"][k], np.float64) for k in ("kernel", "bias"))
    w2, b2 = (np.asarray(params["out"][k], np.float64) for k in ("kernel", "bias"))
    want = np_step(w1, b1, w2, b2, x.astype(np.float64))
    got = np.asarray(growing.step(params, jnp.asarray(x), jax.random.PRNGKey(3), cfg))
    np.testing.assert_allclose(got, want, atol=1e-5)
    assert np.all(got[5:, 4:] == 0)  # dead far away: alive masking


def test_stochastic_mask_is_per_cell_shared_and_not_rescaled():
    cfg = growing.ModelConfig(fire_rate=0.5)
    params = random_params(cfg, jax.random.PRNGKey(1), scale=0.05)
    x = np.full((32, 32, 16), 0.5, np.float32)
    x[..., 3] = 1.0  # everything alive before and after
    w1, b1 = np.asarray(params["hidden"]["kernel"]), 0.0
    w2, b2 = np.asarray(params["out"]["kernel"]), 0.0
    dx = np.maximum(np_perceive(x) @ w1 + b1, 0) @ w2 + b2
    got = np.asarray(growing.step(params, jnp.asarray(x), jax.random.PRNGKey(2), cfg))
    fired = np.all(np.abs(got - (x + dx)) < 1e-5, axis=-1)
    idle = np.all(got == x, axis=-1)
    assert np.all(fired ^ idle)  # every cell either took the full update or none
    assert 0.4 < fired.mean() < 0.6


def test_rollout_is_repeated_step_and_masked_scan_agrees():
    cfg = growing.ModelConfig()
    params = random_params(cfg, jax.random.PRNGKey(4), scale=0.1)
    x = growing.seed(cfg, 9, 9)
    key = jax.random.PRNGKey(5)
    y = x
    for t in range(4):
        y = growing.step(params, y, jax.random.fold_in(key, t), cfg)
    np.testing.assert_array_equal(np.asarray(growing.rollout(params, x, key, 4, cfg)), np.asarray(y))
    np.testing.assert_allclose(
        np.asarray(growing.rollout_masked(params, x, key, 4, 7, cfg)), np.asarray(y), atol=1e-6
    )
    traj = growing.trajectory(params, x, key, 4, cfg)
    np.testing.assert_allclose(np.asarray(traj[4]), np.asarray(y), atol=1e-6)


def test_vmap_over_population_equals_each_member():
    cfg = growing.ModelConfig(hidden=8)
    pops = [random_params(cfg, jax.random.PRNGKey(i), 0.1) for i in range(3)]
    stacked = jax.tree.map(lambda *a: jnp.stack(a), *pops)
    x = growing.seed(cfg, 7, 7)
    key = jax.random.PRNGKey(0)
    out = jax.vmap(lambda p: growing.rollout(p, x, key, 5, cfg))(stacked)
    for i, p in enumerate(pops):
        np.testing.assert_allclose(np.asarray(out[i]), np.asarray(growing.rollout(p, x, key, 5, cfg)), atol=1e-6)
