"""Every strategy of the zoo, through the evolution trainer, moves its mean toward the
known optimum of a quadratic; the learning-rate decay and the mean's lr live in the state."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nca_jax.train import es, evolution, strategies

OPTIMUM = {"a": jnp.linspace(-0.5, 0.5, 12), "b": jnp.full((2, 3), 0.3)}


def quadratic(population, extra, iteration, key):
    loss = sum(jnp.sum(jnp.square(population[k] - OPTIMUM[k][None]), axis=tuple(
        range(1, population[k].ndim))) for k in OPTIMUM)
    return evolution.Evaluation(loss, loss, extra, {})


@dataclasses.dataclass(frozen=True)
class Cfg:  # the strategy settings of strategies.build
    strategy: str
    population: int = 16
    sigma: float = 0.1
    lr: float = 0.05
    optimizer: str = "adam"
    antithetic: bool = True
    std_lr: float = 0.0
    max_velocity: float = 0.0
    elite_ratio: float = 0.5


def distance(params):
    return float(jnp.sqrt(sum(jnp.sum(jnp.square(params[k] - OPTIMUM[k])) for k in OPTIMUM)))


@pytest.mark.parametrize("name", list(strategies.STRATEGIES))
def test_each_strategy_approaches_the_optimum_of_a_quadratic(name):
    cfg = Cfg(name)
    template = jax.tree.map(jnp.zeros_like, OPTIMUM)
    algo, params = strategies.build(template, **dataclasses.asdict(cfg))
    trainer = evolution.make(algo, params, lambda key: template, quadratic, lr=cfg.lr)
    state = trainer.init(jax.random.PRNGKey(0))
    start = distance(trainer.params(state))
    step = jax.jit(trainer.step)
    for _ in range(150):
        state, m = step(state)
    end = distance(trainer.params(state))
    assert end < 0.3 * start, (name, start, end)
    assert np.isfinite(float(m["loss"])) and int(state.iteration) == 150


def test_learning_rate_decays_at_the_thresholds_and_stays_decayed():
    cfg = Cfg("open_es", lr=0.1)
    template = jax.tree.map(jnp.zeros_like, OPTIMUM)
    algo, params = strategies.build(template, **dataclasses.asdict(cfg))
    losses = iter([5.0, 0.5, 5.0])  # mean losses handed in by a fake evaluation

    def fake(population, extra, iteration, key):
        loss = jnp.full((cfg.population,), next(losses), jnp.float32)
        return evolution.Evaluation(loss, loss, extra, {})

    trainer = evolution.make(algo, params, lambda key: template, fake, lr=cfg.lr,
                             decay_thresholds=(1.0, 0.1), decay_factors=(0.5, 0.2))
    state = trainer.init(jax.random.PRNGKey(0))
    lrs = []
    for _ in range(3):  # not jitted: the fake's losses come from Python
        state, m = trainer.step.__wrapped__(state)
        lrs.append(float(m["lr"]))
    assert lrs == pytest.approx([0.1, 0.05, 0.05])  # decayed at 0.5 ≤ 1.0, never rises again
    assert float(state.es_state.opt_state.hyperparams["learning_rate"]) == pytest.approx(0.05)


def test_es_config_resolves_each_strategys_defaults_and_checks_pairs():
    for name, spec in strategies.STRATEGIES.items():
        c = es.ESConfig(strategy=name, pool=not spec.truncated)  # truncated ones have no pool
        assert c.sigma is None and c.lr is None  # the config holds what was given
        assert c.sigma_value == spec.sigma and (c.lr_value == spec.lr or np.isnan(spec.lr))
        swapped = dataclasses.replace(es.ESConfig(strategy="open_es", pool=not spec.truncated),
                                      strategy=name)
        assert swapped.sigma_value == spec.sigma  # swapping strategies needs no sigma=None
    assert es.ESConfig(sigma=0.02, lr=0.03).sigma_value == 0.02
    from runio.errors import ConfigError

    with pytest.raises(ConfigError, match="even") as e:
        es.ESConfig(strategy="pgpe", population=7)
    assert e.value.field == "population"
    assert es.ESConfig(strategy="snes", population=7).population == 7  # SNES need not mirror
    with pytest.raises(ConfigError) as e:
        es.ESConfig(strategy="nope")
    assert e.value.field == "strategy"



def test_truncated_strategies_carry_each_members_grids_across_segments():
    """PersistentES / NoiseReuseES on the growing NCA: generation g advances every member's
    own grids by ``unroll`` steps from where generation g - 1 left them (the reference: the
    same members' rollout of those steps, replayed), ranks nothing before ``min_steps``, and
    starts again from the seed after ceil(max_steps / unroll) segments."""
    from nca_jax.nca import growing, losses

    mcfg = growing.ModelConfig(channels=8, hidden=16)
    target = jnp.zeros((9, 9, 4)).at[3:6, 3:6].set(1.0)
    cfg = es.ESConfig(strategy="noise_reuse_es", population=4, pool=False, min_steps=6,
                      max_steps=8, unroll=3, sigma=0.01, lr=0.01)
    assert cfg.rollouts_per_iteration == pytest.approx(4 / 3)  # three segments per unroll
    algo, params = es.strategy(mcfg, cfg)
    trainer = es.make(mcfg, cfg, target)
    state = trainer.init(jax.random.PRNGKey(0))
    seed_loss = jnp.mean(losses.mse(growing.seed(mcfg, 9, 9)[None], target))
    step = jax.jit(trainer.step)
    for g in range(4):
        before = state
        state, m = step(state)
        grids, t, last = state.extra
        assert int(t) == [3, 6, 0, 3][g]
        if g == 0:  # step 3 < min_steps: not counted, the seed's loss is still reported
            assert np.allclose(last, seed_loss)
        if g == 1:  # steps 3..6 continue each member's grids of steps 0..3
            _, k_ask, k_eval, _ = jax.random.split(before.key, 4)  # as evolution.make splits
            population, _ = algo.ask(k_ask, before.es_state, params)
            want = jax.vmap(lambda p, x: growing.rollout(p, x, k_eval, 3, mcfg))(
                population, before.extra[0])
            assert np.allclose(grids, want, atol=1e-5)
            assert np.allclose(last, jnp.mean(losses.mse(want, target), -1), atol=1e-6)
    assert np.isfinite(float(m["loss"]))
