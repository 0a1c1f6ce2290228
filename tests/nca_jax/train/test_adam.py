import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nca_jax.nca import growing, losses
from nca_jax.targets.growing import load_target
from nca_jax.train import adam


def test_grad_norm_gives_unit_norm_per_variable():
    g = {"a": jnp.array([3.0, 4.0]), "b": jnp.ones((2, 2)) * 2.0}
    out = adam.normalize_grads(g)
    np.testing.assert_allclose(np.asarray(out["a"]), [0.6, 0.8], atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(np.asarray(out["b"])), 1.0, atol=1e-6)


def test_adam_decreases_loss_and_commits_batch_to_pool():
    mcfg = growing.ModelConfig(channels=8, hidden=16)
    cfg = adam.AdamConfig(batch_size=4, min_steps=6, max_steps=8, pool_size=16, lr=5e-3)
    target = jnp.asarray(load_target("carrot", 5))
    tr = adam.make(mcfg, cfg, target)
    state = tr.init(jax.random.PRNGKey(0))
    seed = np.asarray(growing.seed(mcfg, 5, 5))

    def fresh(s):
        return float(losses.fresh_loss(tr.params(s), target, jax.random.PRNGKey(9), mcfg, 4, 6, 8))

    before = fresh(state)
    for _ in range(80):
        state, m = tr.step(state)
    assert fresh(state) < 0.5 * before
    old = np.asarray(state.pool)
    state, m = tr.step(state)
    changed = np.any(np.asarray(state.pool) != old, axis=(1, 2, 3))
    assert 1 <= changed.sum() <= 4  # only the sampled batch was written back
    assert np.any(old != seed, axis=(1, 2, 3)).sum() >= 4  # the pool holds grown grids


def test_average_is_the_moving_average_of_the_iterates():
    """With ``average`` the trainer's parameters are the EMA of Adam's iterates, recomputed by
    hand from an identical run without it (same key: same batches and steps)."""
    target = jnp.asarray(load_target("carrot", 5))
    mcfg = growing.ModelConfig(channels=8, hidden=4)
    base = dict(batch_size=2, pool_size=4, min_steps=2, max_steps=3)
    plain = adam.make(mcfg, adam.AdamConfig(average=0.0, **base), target)
    averaged = adam.make(mcfg, adam.AdamConfig(average=0.2, **base), target)
    s, a = plain.init(jax.random.PRNGKey(0)), averaged.init(jax.random.PRNGKey(0))
    leaves = lambda t: [np.asarray(x, np.float64) for x in jax.tree.leaves(t)]  # noqa: E731
    ema = leaves(plain.params(s))
    for t in range(4):
        s, _ = plain.step(s)
        a, _ = averaged.step(a)
        d = min(0.2, (1 + t) / (10 + t))  # 0.1, 0.18, then the cap 0.2
        ema = [d * e + (1 - d) * p for e, p in zip(ema, leaves(plain.params(s)))]
        for got, want in zip(leaves(averaged.params(a)), ema):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    for got, want in zip(leaves(a.params), leaves(s.params)):  # Adam's own iterates: untouched
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    with pytest.raises(ValueError, match="average"):
        adam.AdamConfig(average=-0.1)


@pytest.mark.parametrize("decay_at", [2000, 3])
def test_piecewise_schedule_is_a_tenth_of_the_lr_from_lr_decay_at_on(decay_at):
    cfg = adam.AdamConfig(lr=4e-3, lr_schedule="piecewise", lr_decay_at=decay_at)
    rates = [float(adam.schedule(cfg)(i)) for i in (0, decay_at - 1, decay_at, decay_at + 10)]
    np.testing.assert_allclose(rates, [4e-3, 4e-3, 4e-4, 4e-4], rtol=1e-6)
    constant = adam.schedule(adam.AdamConfig(lr=4e-3, lr_decay_at=decay_at))
    assert float(constant(decay_at + 10)) == pytest.approx(4e-3)
