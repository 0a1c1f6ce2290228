import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nca_jax.nca import growing, losses
from nca_jax.targets.growing import load_target
from nca_jax.train import es, evolution


def np_shaping(f):
    """The NTNU thesis, eq. 24–25, by hand: centred ranks (0 = lowest loss), then zero mean, unit std."""
    n = len(f)
    order = np.argsort(f, kind="stable")
    ranks = np.empty(n)
    ranks[order] = np.arange(n)
    c = ranks / (n - 1) - 0.5
    return (c - c.mean()) / c.std()


def test_fitness_shaping_equals_eq_24_25():
    f = np.random.default_rng(0).permutation(np.linspace(0.1, 2.0, 10)).astype(np.float32)
    got = np.asarray(es.centered_rank_normalized(None, jnp.asarray(f), None, None))
    np.testing.assert_allclose(got, np_shaping(f), atol=1e-5)
    assert abs(got.mean()) < 1e-6 and abs(got.std() - 1) < 1e-5


def test_lr_decay_factor_at_thresholds():
    cfg = es.ESConfig(decay_thresholds=(0.03, 0.01), decay_factors=(0.3, 0.5))
    for loss, want in [(0.05, 1.0), (0.03, 0.3), (0.02, 0.3), (0.01, 0.15), (0.001, 0.15)]:
        got = evolution.decay_factor(jnp.float32(loss), cfg.decay_thresholds, cfg.decay_factors)
        assert float(got) == pytest.approx(want)


@pytest.mark.parametrize("bad", [dict(population=7), dict(sigma=0.0),
                                 dict(population=1, antithetic=False),
                                 dict(pool_below=0.0), dict(pool_below=float("nan"))])
def test_bad_es_configs(bad):
    with pytest.raises(ValueError):
        es.ESConfig(**bad)


def test_es_decreases_loss_on_a_tiny_problem():
    mcfg = growing.ModelConfig(channels=8, hidden=8, fire_rate=1.0)
    cfg = es.ESConfig(population=16, sigma=0.02, lr=0.03, min_steps=6, max_steps=8,
                      decay_thresholds=(), decay_factors=())
    target = jnp.asarray(load_target("carrot", 5))
    tr = es.make(mcfg, cfg, target)
    state = tr.init(jax.random.PRNGKey(0))

    def fresh(s):
        return float(losses.fresh_loss(tr.params(s), target, jax.random.PRNGKey(9), mcfg, 4, 6, 8))

    before = fresh(state)
    np.testing.assert_allclose(before, float(jnp.mean(target ** 2)) - 0.0, rtol=0.2)
    for _ in range(60):
        state, m = tr.step(state)
    assert fresh(state) < 0.5 * before
    assert int(state.iteration) == 60 and float(m["lr"]) == pytest.approx(0.03)


def test_es_step_decays_lr_and_keeps_it_decayed():
    mcfg = growing.ModelConfig(channels=8, hidden=4)
    cfg = es.ESConfig(population=4, lr=0.1, min_steps=2, max_steps=3,
                      decay_thresholds=(10.0, 1e-9), decay_factors=(0.5, 0.1))
    tr = es.make(mcfg, cfg, jnp.asarray(load_target("carrot", 5)))
    state, m = tr.step(tr.init(jax.random.PRNGKey(0)))
    assert float(m["lr"]) == pytest.approx(0.05)  # mean loss < 10 but > 1e-9
    assert float(state.es_state.opt_state.hyperparams["learning_rate"]) == pytest.approx(0.05)
    assert float(state.decay) == pytest.approx(0.5)


def test_es_gradient_direction_matches_numpy():
    """One tell with SGD lr=1 moves the mean by -sum_i shaped_i * z_i / (P σ)."""
    mcfg = growing.ModelConfig(channels=4, hidden=2)
    cfg = es.ESConfig(population=6, sigma=0.1, optimizer="sgd", lr=1.0)
    strategy, params = es.strategy(mcfg, cfg)
    mean0 = growing.init_params(jax.random.PRNGKey(1), mcfg)
    st = strategy.init(jax.random.PRNGKey(2), mean0, params)
    pop, st = strategy.ask(jax.random.PRNGKey(3), st, params)
    flat = jax.vmap(lambda p: jax.flatten_util.ravel_pytree(p)[0])(pop)
    m0 = np.asarray(st.mean)
    fit = np.array([3.0, 1.0, 2.0, 6.0, 5.0, 4.0], np.float32)
    st2, _ = strategy.tell(jax.random.PRNGKey(4), pop, jnp.asarray(fit), st, params)
    z = (np.asarray(flat) - m0) / 0.1
    want = m0 - np_shaping(fit) @ z / (6 * 0.1)
    np.testing.assert_allclose(np.asarray(st2.mean), want, atol=1e-4)


def test_window_fitness_is_mean_of_losses_over_the_window():
    from tests.nca_jax.nca.test_growing import random_params

    mcfg = growing.ModelConfig(channels=8, hidden=8)
    params = random_params(mcfg, jax.random.PRNGKey(3), 0.1)
    target = jnp.asarray(load_target("carrot", 5))
    x = growing.seed(mcfg, 5, 5)[None]
    key = jax.random.PRNGKey(4)
    y, got = losses.window(params, x, key, target, mcfg, 3, 6)
    want = np.mean([np.mean((np.asarray(growing.rollout(params, x, key, n, mcfg))[..., :4]
                             - np.asarray(target)) ** 2) for n in range(3, 7)])
    np.testing.assert_allclose(float(got[0]), want, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(y), np.asarray(growing.rollout(params, x, key, 6, mcfg)), atol=1e-6)


def test_dead_members_rank_last():
    ys = np.zeros((3, 2, 4, 4, 5), np.float32)
    ys[1, 0, 2, 2, 3] = 0.5  # member 1 alive in one grid; members 0, 2 dead
    loss = jnp.asarray([0.05, 0.2, 0.01])
    shaped = np.asarray(es.centered_rank_normalized(
        None, es.dead_last(loss, jnp.asarray(ys)), None, None))
    # independent: member 1 best (only living), then dead ones by their loss
    np.testing.assert_allclose(shaped, np_shaping(np.array([2.0, 0.0, 1.0])), atol=1e-5)


def test_state_types_are_stable_across_steps():
    """Same avals before and after a step: one compilation, AOT-compiled steps fit."""
    from nca_jax.train import adam

    target = jnp.asarray(load_target("carrot", 5))
    mcfg = growing.ModelConfig(channels=8, hidden=4)
    for tr in (es.make(mcfg, es.ESConfig(population=4, min_steps=2, max_steps=3), target),
               adam.make(mcfg, adam.AdamConfig(batch_size=2, pool_size=4, min_steps=2,
                                               max_steps=3), target)):
        s0 = tr.init(jax.random.PRNGKey(0))
        s1, _ = tr.step(s0)
        assert [jax.typeof(a) for a in jax.tree.leaves(s0)] == [jax.typeof(b) for b in jax.tree.leaves(s1)]


def test_average_is_the_moving_average_of_the_means():
    """With ``average`` the trainer's parameters are the EMA of the means, recomputed here by
    hand from the means of an identical run without it (same key: same generations)."""
    target = jnp.asarray(load_target("carrot", 5))
    mcfg = growing.ModelConfig(channels=8, hidden=4)
    base = dict(population=4, min_steps=2, max_steps=3)
    plain = es.make(mcfg, es.ESConfig(average=0.0, **base), target)
    averaged = es.make(mcfg, es.ESConfig(average=0.5, **base), target)
    s, a = plain.init(jax.random.PRNGKey(0)), averaged.init(jax.random.PRNGKey(0))
    ema = jax.tree.map(np.asarray, plain.params(s))
    leaves = lambda t: [np.asarray(x, np.float64) for x in jax.tree.leaves(t)]  # noqa: E731
    for t in range(4):
        s, _ = plain.step(s)
        a, _ = averaged.step(a)
        d = min(0.5, (1 + t) / (10 + t))  # 0.1, 0.18, 0.25, 0.31
        ema = jax.tree.map(lambda e, m: d * e + (1 - d) * np.asarray(m), ema, plain.params(s))
        for got, want in zip(leaves(averaged.params(a)), leaves(ema)):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    # the strategy itself is untouched: its mean is the plain run's
    for got, want in zip(leaves(a.es_state.mean), leaves(s.es_state.mean)):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    with pytest.raises(ValueError, match="average"):
        es.ESConfig(average=1.0)


@pytest.mark.parametrize("below, grown", [(1e-9, False), (10.0, True)])
def test_pool_holds_seeds_until_a_generation_reaches_pool_below(below, grown):
    mcfg = growing.ModelConfig(channels=8, hidden=8)
    cfg = es.ESConfig(population=4, min_steps=2, max_steps=3, pool_size=8, reseed_every=1,
                      pool_below=below, average=0.0)
    target = jnp.asarray(load_target("carrot", 5))
    tr = es.make(mcfg, cfg, target)
    state = tr.init(jax.random.PRNGKey(0))
    for _ in range(6):
        state, m = tr.step(state)
    seed = np.asarray(growing.seed(mcfg, 5, 5))
    is_seed = [np.array_equal(g, seed) for g in np.asarray(state.extra)]
    assert float(m["loss"]) > below or grown  # no generation reached 1e-9
    assert all(is_seed) != grown  # nothing but seeds, or some grown grids committed
