"""Texture training: Adam lowers the style loss on a tiny target, a resumed run ends with
the same parameters as an uninterrupted one, the VGG loss path runs at a small size."""

import dataclasses
import functools
import json
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nca_jax.jobs import texture as texture_job
from nca_jax.nca import texture as tm
from nca_jax.style import losses as style
from nca_jax.style import score as scoring
from nca_jax.style import vgg
from nca_jax.train import texture as train_texture
from runio.checkpoint import Checkpointer

SIZE = 24
MCFG = tm.TextureModelConfig(channels=6, hidden=16, n_filters=4, update_rate=0.5)
TCFG = train_texture.TextureTrainConfig(lr=3e-3, batch_size=2, ca_steps=4, pool_size=8)


def stripes(size):
    """A cheap synthetic texture: diagonal colour stripes, period 6 cells."""
    yy, xx = np.mgrid[:size, :size]
    phase = 2 * np.pi * (xx + yy) / 6
    return np.stack([0.5 + 0.4 * np.sin(phase), 0.5 + 0.4 * np.cos(phase),
                     np.full_like(phase, 0.3)], -1).astype(np.float32)


@pytest.fixture(scope="module")
def target_and_loss():
    target = stripes(SIZE)
    return target, style.make_style_loss("swd", target, key=jax.random.PRNGKey(5))


@functools.partial(jax.jit, static_argnums=1)
def fresh_loss(params, loss_fn, data):
    """Style loss of 4 fresh seeds rolled out for ca_steps with a fixed key."""
    keys = jax.random.split(jax.random.PRNGKey(123), 4)
    x = jax.vmap(lambda k: tm.seed(k, MCFG, SIZE, SIZE))(keys)
    y = tm.rollout(params, x, jax.random.PRNGKey(7), TCFG.ca_steps, TCFG.ca_steps, MCFG)
    return jnp.mean(loss_fn(data, tm.to_rgb(y, MCFG)))


def test_adam_reduces_loss(target_and_loss):
    _, (loss_fn, data) = target_and_loss
    tr = train_texture.make(MCFG, TCFG, loss_fn, data, (SIZE, SIZE))
    state = tr.init(jax.random.PRNGKey(0))
    before = float(fresh_loss(tr.params(state), loss_fn, data))
    for _ in range(40):
        state, _ = tr.step(state)
    after = float(fresh_loss(tr.params(state), loss_fn, data))
    assert np.isfinite(after) and after < 0.8 * before, (before, after)
    # the overflow penalty keeps the pool's grids near [-1, 1] without a hard clamp
    assert float(jnp.mean(tm.overflow(state.pool))) < 0.01 * SIZE * SIZE * MCFG.channels


def test_resume_equals_uninterrupted(tmp_path, target_and_loss):
    target, loss = target_and_loss
    cfg = texture_job.TextureConfig(
        target="grayscott:stripes", size=SIZE, train_steps=4, loss="swd", checkpoint_every=2,
        gif_steps=3, progress=False, model=MCFG, train=TCFG, final_samples=7)
    full = texture_job.train(cfg, target, tmp_path / "full", loss=loss)
    texture_job.train(dataclasses.replace(cfg, train_steps=2), target, tmp_path / "part",
                      loss=loss)
    resumed = texture_job.train(cfg, target, tmp_path / "part", loss=loss)
    assert resumed["final_loss"] == full["final_loss"]

    def metrics(run):
        return [json.loads(r) for r in (tmp_path / run / "metrics.jsonl").read_text().splitlines()]

    m_full, m_part = metrics("full"), metrics("part")
    assert [r["loss"] for r in m_full] == [r["loss"] for r in m_part]
    tr = train_texture.make(MCFG, TCFG, *loss, (SIZE, SIZE))
    tmpl = {"state": tr.init(jax.random.PRNGKey(0))}
    with Checkpointer(tmp_path / "full/checkpoints") as ca, \
            Checkpointer(tmp_path / "part/checkpoints") as cb:
        (step_a, a), (step_b, b) = ca.restore(tmpl), cb.restore(tmpl)
    assert step_a == step_b == 4
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
    s = json.loads((tmp_path / "full/summary.json").read_text())
    # the final score: the mean VGG loss of 7 → 8 samples, the figure's 4 and 4 more
    with Checkpointer(tmp_path / "full/checkpoints") as ca:
        _, p = ca.restore({"params": tr.params(tmpl["state"])})
    k_viz = jax.random.split(jax.random.PRNGKey(cfg.seed), 4)[2]
    scorer = scoring.scorer(target, vgg.load_vgg16_params())
    draws = [tm.samples(p["params"], k, MCFG, 4, cfg.score_steps, (SIZE, SIZE))
             for k in (k_viz, jax.random.fold_in(k_viz, 1))]
    assert s["score_samples"] == 8
    assert s["score"] == pytest.approx(scorer.score(np.concatenate(draws)), rel=1e-5, abs=1e-6)
    assert set(s["hyperparameters"]) == {"channels", "hidden", "ca_steps", "batch_size",
                                         "filters", "update_rate", "lr"}
    for name in ("texture.png", "texture.gif", "summary.json"):
        assert (tmp_path / "full" / name).is_file()


def test_es_generation_moves_mean_towards_lower_loss(target_and_loss):
    _, (loss_fn, data) = target_and_loss
    cfg = dataclasses.replace(TCFG, optimizer="es", population=4, sigma=0.05, lr=0.02,
                              ca_steps=2)
    tr = train_texture.make(MCFG, cfg, loss_fn, data, (SIZE, SIZE))
    state = tr.init(jax.random.PRNGKey(0))
    p0 = tr.params(state)
    for _ in range(3):
        state, m = tr.step(state)
    assert np.isfinite(float(m["loss"])) and int(state.iteration) == 3
    assert tr.step._cache_size() == 1  # the state's types are stable: compiled once
    moved = sum(float(jnp.abs(a - b).sum()) for a, b in zip(jax.tree.leaves(tr.params(state)),
                                                           jax.tree.leaves(p0)))
    assert moved > 0


def test_vgg_loss_of_the_first_rollout_is_the_loss_of_the_grey_seed():
    """VGG path at a small size (forward only, for speed). The output layer starts at zero,
    so the first rollout leaves the zero seeds unchanged: the loss the trainer computes
    equals the VGG style loss of the grey image 0.5, computed here from vgg/style."""
    size = 16
    target = stripes(size)
    cfg = texture_job.TextureConfig(target="stripes", size=size, loss="vgg",
                                    model=MCFG, train=TCFG)
    loss_fn, data = texture_job.make_loss(cfg, target, None)
    state = train_texture.adam_init(jax.random.PRNGKey(0), MCFG, TCFG, (size, size))
    x = state.pool[:2]
    got, y = jax.jit(lambda p, x: train_texture.batch_loss(
        p, x, jax.random.PRNGKey(1), 3, loss_fn, data, MCFG, TCFG, 0.5))(state.params, x)
    np.testing.assert_array_equal(np.asarray(y), np.asarray(x))
    params = vgg.load_vgg16_params()
    # the job's loss pads circularly (a torus); compiled whole, not op by op, for speed
    want = jax.jit(lambda p, grey, t: style.vgg_style_loss(
        p, grey, style.vgg_grams(p, t, periodic=True), periodic=True))(
            params, jnp.full(x.shape[:-1] + (3,), 0.5), jnp.asarray(target)[None])
    assert float(got) == pytest.approx(float(jnp.mean(want)), rel=1e-4)
    assert float(got) > 0


def test_cosine_schedule_runs_from_lr_to_its_floor_and_is_the_rate_adam_uses():
    cfg = train_texture.TextureTrainConfig(lr=4e-3, decay_steps=10, lr_floor=0.1)
    for it, want in [(0, 4e-3), (5, 4e-3 * (0.1 + 0.9 * 0.5)), (10, 4e-4), (25, 4e-4),
                     (2, 4e-3 * (0.1 + 0.45 * (1 + math.cos(math.pi * 0.2))))]:
        assert float(train_texture.lr_at(4e-3, it, cfg)) == pytest.approx(want, rel=1e-6)
    const = train_texture.TextureTrainConfig(lr=4e-3)
    assert float(train_texture.lr_at(4e-3, 7, const)) == 4e-3
    size = 8
    shared, per = jnp.array([1.0, 2.0, 3.0]), jnp.array([0.2, 0.5, 0.7])

    def loss_fn(data, images):
        w, mean_colour = data
        return jnp.sum(w * jnp.square(images.mean((-3, -2)) - mean_colour), -1)

    tcfg = dataclasses.replace(TCFG, lr=4e-3, decay_steps=4, lr_floor=0.25)
    tr = train_texture.make(MCFG, tcfg, loss_fn, (shared, per), (size, size))
    state, rates = tr.init(jax.random.PRNGKey(0)), []
    for _ in range(6):
        state, m = tr.step(state)
        rates.append(float(m["lr"]))
    want = [4e-3 * (0.25 + 0.375 * (1 + math.cos(math.pi * min(i / 4, 1)))) for i in range(6)]
    np.testing.assert_allclose(rates, want, rtol=1e-6)


def test_es_on_the_output_layer_keeps_the_hidden_layer_and_lowers_a_colour_loss():
    """es_layers="out": the strategy's mean is the output layer only; the hidden layer
    stays as drawn at init, and the evolved NCA moves its mean colour towards a target."""
    size, goal = 8, jnp.array([0.8, 0.3, 0.6])

    def loss_fn(data, images):  # squared distance of the mean colour to ``data``
        return jnp.sum(jnp.square(images.mean((-3, -2)) - data), -1)

    cfg = dataclasses.replace(TCFG, optimizer="es", es_layers="out", population=16, sigma=0.02,
                              lr=0.02, batch_size=1, ca_steps=4)
    tr = train_texture.make(MCFG, cfg, loss_fn, goal, (size, size))
    state = tr.init(jax.random.PRNGKey(0))
    p0 = tr.params(state)
    assert jax.tree.structure(p0) == jax.tree.structure(tm.init_params(jax.random.PRNGKey(0),
                                                                       MCFG))
    assert jax.tree.structure(train_texture.strategy(MCFG, cfg)[0].get_mean(
        state.es_state)) == jax.tree.structure(p0["out"])
    for _ in range(40):
        state, m = tr.step(state)
    p = tr.params(state)
    for a, b in zip(jax.tree.leaves(p["hidden"]), jax.tree.leaves(p0["hidden"])):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))

    def colour_loss(params):
        x = jnp.zeros((4, size, size, MCFG.channels))
        y = tm.rollout(params, x, jax.random.PRNGKey(3), 4, 4, MCFG)
        return float(jnp.mean(loss_fn(goal, tm.image(y, MCFG))))

    assert colour_loss(p0) == pytest.approx(float(jnp.sum(jnp.square(0.5 - goal))), rel=1e-6)
    assert colour_loss(p) < 0.5 * colour_loss(p0)
