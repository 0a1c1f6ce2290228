"""FLOPs of the growing-NCA trainers: XLA's count of one step against a hand count of its
multiply-adds, an iteration against an unrolled population evaluation, and FLOPs to each
rung of the ladder from a hand-made metrics series."""

import jax
import numpy as np
import pytest

from nca_jax.nca import growing, perception
from nca_jax.train import cost
from nca_jax.train.adam import AdamConfig
from nca_jax.train.es import ESConfig


def hand_flops(mcfg: growing.ModelConfig, cells: int) -> float:
    """2 FLOPs per multiply-add: the two 1×1 layers, and the perception's shifted adds over
    the non-zero taps of each 3×3 kernel (the identity filter is free)."""
    c, f, h = mcfg.channels, len(mcfg.filters), mcfg.hidden
    dense = f * c * h + h * c
    taps = sum(int(np.count_nonzero(perception.KERNELS[k])) for k in mcfg.filters
               if k != "identity")
    return 2.0 * cells * (dense + taps * c)


@pytest.mark.parametrize("channels, hidden, size", [(16, 32, 9), (8, 128, 7)])
def test_one_step_costs_its_multiply_adds(channels, hidden, size):
    mcfg = growing.ModelConfig(channels=channels, hidden=hidden)
    forward, both = cost.step_flops(mcfg, size, size)
    hand = hand_flops(mcfg, size * size)
    # the rest is elementwise (ReLU, fire mask, alive masks): a few per cent
    assert hand <= forward <= 1.12 * hand, (forward, hand)
    assert 2.0 * forward <= both <= 4.0 * forward  # the backward pass: about twice forward


def test_an_iteration_is_its_rollouts_of_single_steps():
    """A population's step costs its members' steps; a rollout's loop is counted by XLA as
    one step (the reason iterations are assembled from steps)."""
    mcfg = growing.ModelConfig(channels=8, hidden=16)
    params = jax.vmap(lambda k: growing.init_params(k, mcfg))(jax.random.split(
        jax.random.PRNGKey(0), 4))
    x, key = growing.seed(mcfg, 7, 7), jax.random.PRNGKey(1)
    one = cost.step_flops(mcfg, 7, 7)[0]
    xs = jax.numpy.stack([x] * 4)  # past the first step every member has its own grids
    population = cost.xla_flops(
        lambda pop, xs, k: jax.vmap(lambda p, x: growing.step(p, x, k, mcfg))(pop, xs),
        params, xs, key)
    assert population == pytest.approx(4 * one, rel=0.05)
    single = jax.tree.map(lambda a: a[0], params)
    looped = cost.xla_flops(lambda p, k: growing.rollout(p, x, k, 5, mcfg), single, key)
    assert looped == pytest.approx(one, rel=0.1)  # 5 steps, counted once
    es = ESConfig(population=4, min_steps=2, max_steps=4, pool=False)
    assert cost.iteration_flops("es", mcfg, es, 7, 7) == pytest.approx(4 * 3 * one)
    segment = ESConfig(strategy="persistent_es", population=4, min_steps=2, max_steps=4,
                       pool=False, unroll=2)  # a generation: 2 of the unroll's 4 steps
    assert cost.iteration_flops("es", mcfg, segment, 7, 7) == pytest.approx(4 * 2 * one)
    adam = AdamConfig(batch_size=2, min_steps=2, max_steps=4, pool_size=4)
    assert cost.iteration_flops("adam", mcfg, adam, 7, 7) == pytest.approx(
        2 * 3 * cost.step_flops(mcfg, 7, 7)[1])
    # the window loss runs every rollout to max_steps, whatever the step it starts counting at
    windowed = ESConfig(population=4, min_steps=2, max_steps=4, pool=False, fitness="window")
    assert cost.iteration_flops("es", mcfg, windowed, 7, 7) == pytest.approx(4 * 4 * one)
    adam_w = AdamConfig(batch_size=2, min_steps=2, max_steps=4, pool_size=4, loss="window")
    assert cost.iteration_flops("adam", mcfg, adam_w, 7, 7) == pytest.approx(
        2 * 4 * cost.step_flops(mcfg, 7, 7)[1])


def test_flops_to_each_rung_from_a_metrics_series(tmp_path):
    from benchmarks.es_vs_adam import times_to_losses

    rows = [{"iteration": i, "wall_time_s": 0.1 * i, "eval_loss": loss}
            for i, loss in [(25, 0.08), (50, 0.03), (75, 0.012), (100, 0.004), (125, 0.0029)]]
    (tmp_path / "metrics.jsonl").write_text(
        "".join(__import__("json").dumps(r) + "\n" for r in rows))
    iterations = times_to_losses(tmp_path / "metrics.jsonl", field="iteration")
    assert iterations == {"0.05": 50, "0.02": 75, "0.01": 100, "0.005": 100, "0.003": 125}
    got = cost.flops_to_rungs({**iterations, "0.001": None}, 2.5e6)
    assert got == {"0.05": 1.25e8, "0.02": 1.875e8, "0.01": 2.5e8, "0.005": 2.5e8,
                   "0.003": 3.125e8, "0.001": None}
