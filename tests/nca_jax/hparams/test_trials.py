"""Hyperparameter search: sampling, encoding, PCA, cross-texture fit, evolve budget, and
vmapped trial groups equal to trials run alone."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nca_jax.hparams import analysis as hparam_analysis
from nca_jax.hparams import space as hparams
from nca_jax.hparams import trials as hparam_trials
from nca_jax.hparams import search as hparam_search
from runio import driver
from nca_jax.nca import texture as tm
from nca_jax.style import score
from runio.errors import ConfigError


# a cheap stand-in for the VGG loss: a weighted mean-colour distance to each texture's colour
SHARED = jnp.array([1.0, 2.0, 3.0])  # the weights
PER = jnp.array([[0.2, 0.5, 0.7], [0.8, 0.1, 0.4]])  # per-texture mean colours


def mean_colour_loss(data, images):
    w, mean_colour = data
    return jnp.sum(w * jnp.square(images.mean((-3, -2)) - mean_colour), -1)


SCORERS = [score.Scorer(mean_colour_loss, (SHARED, PER[t]), loss_reference=0.1, loss_flat=2.0)
           for t in range(2)]


def test_sampling_stays_in_range_and_covers_the_sets():
    hs = hparams.sample(jax.random.PRNGKey(0), 3000)
    for name, opts in hparams.CHOICES.items():
        vals = [h[name] for h in hs]
        assert set(vals) == set(opts)  # every value, nothing else
        counts = np.array([vals.count(o) for o in opts])
        assert counts.min() > 0.7 * len(hs) / len(opts)  # roughly uniform
    rate = np.array([h["update_rate"] for h in hs])
    loglr = np.log10([h["lr"] for h in hs])
    assert rate.min() >= 0.1 and rate.max() <= 1.0 and abs(rate.mean() - 0.55) < 0.02
    assert loglr.min() >= -5 and loglr.max() <= -3 and abs(loglr.mean() + 4) < 0.04


def test_encoding_round_trips_and_any_vector_decodes_to_valid_values():
    for h in hparams.sample(jax.random.PRNGKey(1), 50):
        back = hparams.decode(hparams.encode(h))
        assert {k: back[k] for k in hparams.CHOICES} == {k: h[k] for k in hparams.CHOICES}
        assert back["update_rate"] == pytest.approx(h["update_rate"], rel=1e-9)
        assert back["lr"] == pytest.approx(h["lr"], rel=1e-9)
    rng = np.random.default_rng(0)
    for u in rng.normal(0.5, 2.0, (200, 7)):
        h = hparams.decode(u)
        assert all(h[k] in opts for k, opts in hparams.CHOICES.items())
        assert 0.1 <= h["update_rate"] <= 1.0 and 1e-5 <= h["lr"] <= 1e-3
    assert hparams.decode(np.ones(7))["channels"] == 15  # u = 1 is the last value
    assert hparams.decode(np.zeros(7))["hidden"] == 16


def test_pca_explained_variance_matches_eigenvalues():
    rng = np.random.default_rng(0)
    t = rng.normal(size=200)
    x = np.stack([t, 2 * t + 0.1 * rng.normal(size=200), rng.normal(size=200),
                  5.0 + 0 * t], axis=1)  # a constant column is allowed
    scores, comps, ratio = hparam_analysis.pca(x)
    z = (x - x.mean(0))
    z[:, :3] /= z[:, :3].std(0)
    eig = np.sort(np.linalg.eigvalsh(np.cov(z.T, bias=True)))[::-1]
    np.testing.assert_allclose(ratio, eig / eig.sum(), atol=1e-10)
    assert ratio[0] == pytest.approx(2 / 3, abs=0.02)  # 2 of 3 columns alike
    np.testing.assert_allclose(np.var(scores, axis=0), eig, rtol=1e-8, atol=1e-12)


def test_cross_fit_recovers_slope_intercept_and_r():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, 500)
    f = hparam_analysis.cross_fit(x, 1.7 * x + 0.25 + 0.01 * rng.normal(size=500))
    assert f["slope"] == pytest.approx(1.7, abs=0.01)
    assert f["intercept"] == pytest.approx(0.25, abs=0.005)
    assert f["r"] > 0.999
    exact = hparam_analysis.cross_fit([1, 2, 3, np.nan], [2, 4, 6, 1])
    assert exact["slope"] == pytest.approx(2) and exact["intercept"] == pytest.approx(0, abs=1e-9)
    assert exact["n"] == 3 and exact["r"] == pytest.approx(1)


def test_evolve_uses_the_same_budget_and_improves_on_a_known_objective():
    cfg = hparam_trials.HparamSearchConfig(mode="evolve", trials=48, population=6, seed=0)
    calls = []

    def fake_run(hs, ids):  # score highest at channels 15, lr 10^-2.5, update rate 0.9
        calls.append(len(hs))
        score = np.array([[-abs(h["channels"] - 15) - 10 * abs(np.log10(h["lr"]) + 2.5)
                           - 5 * abs(h["update_rate"] - 0.9)] for h in hs])
        return hparam_trials.Results(-score, score, np.ones(len(hs)))

    trainer, steps = hparam_search.evolve_trainer(cfg, fake_run, 1)
    res_ = driver.train(trainer, jax.random.PRNGKey(0),
                        loop=driver.LoopConfig(max_iterations=steps, progress=False))
    hs, res = hparam_search.results(res_.state)
    assert sum(calls) == len(hs) == 48 and calls == [6] * 8 and steps == 8
    assert res.scores.shape == (48, 1) and res.wall.shape == (48,)
    lo, hi = cfg.log10_lr  # the short-budget range of the default model
    assert (lo, hi) == hparam_trials.LR_RANGES["niklasson"]
    assert all(lo <= np.log10(h["lr"]) <= hi for h in hs)
    first, last = res.scores[:6, 0].mean(), res.scores[-6:, 0].mean()
    assert last > first  # it maximises
    with pytest.raises(ConfigError, match="multiple of population=4") as e:
        hparam_trials.HparamSearchConfig(mode="evolve", trials=10, population=4)
    assert e.value.field == "trials"


def test_vmapped_group_equals_trials_run_alone():
    """Two trials of one shape run as a vmapped group give the losses they give alone."""
    size = 24
    # a cheap stand-in style loss of the same (shared, per-texture) data layout
    shared = jnp.array([1.0, 2.0, 3.0])
    per = jnp.array([[0.2, 0.5, 0.7], [0.8, 0.1, 0.4]])  # per-texture mean colours

    def loss_fn(data, images):
        w, mean_colour = data
        return jnp.sum(w * jnp.square(images.mean((1, 2)) - mean_colour), -1)

    cfg = hparam_trials.HparamSearchConfig(trials=2, train_steps=3, size=size, loss="swd",
                                     pool_size=4, progress=False)
    base = {"channels": 6, "hidden": 8, "ca_steps": 2, "batch_size": 2, "filters": 4}
    h1 = dict(base, update_rate=0.5, lr=1e-3)
    h2 = dict(base, update_rate=0.9, lr=1e-4)
    both = hparam_trials.run_trials([h1, h2], [0, 2], cfg, loss_fn, shared, per,
                                    (size, size)).losses
    alone = hparam_trials.run_trials([h2], [2], cfg, loss_fn, shared, per, (size, size)).losses
    np.testing.assert_allclose(both[1], alone[0], rtol=1e-5)
    assert both.shape == (2, 2) and np.isfinite(both).all()
    assert not np.allclose(both[0], both[1])  # trials differ
    assert both[1, 0] != both[1, 1]  # textures differ


def test_an_untrained_trial_scores_as_the_flat_grey_image_it_paints():
    """A trial whose lr is ~0 keeps the zero-initialised output layer: its rollouts show the
    grey image 0.5, whose score against each texture is computed here by hand."""
    size, shared, per, loss_fn, scorers = 24, SHARED, PER, mean_colour_loss, SCORERS
    cfg = hparam_trials.HparamSearchConfig(trials=1, train_steps=2, size=size, loss="swd",
                                     pool_size=4, progress=False, eval_samples=3)
    h = {"channels": 6, "hidden": 8, "ca_steps": 2, "batch_size": 2, "filters": 4,
         "update_rate": 0.5, "lr": 1e-9}
    res = hparam_trials.run_trials([h], [0], cfg, loss_fn, shared, per, (size, size), scorers)
    for t in range(2):
        grey_loss = float(np.sum(np.array([1.0, 2.0, 3.0]) * (0.5 - np.asarray(per[t])) ** 2))
        expected = (2.0 - grey_loss) / (2.0 - 0.1)
        assert res.scores[0, t] == pytest.approx(expected, rel=1e-4)
    assert hparam_trials.search_score(res.scores)[0] == pytest.approx(res.scores[0].mean())


def test_trials_are_scored_at_the_update_rate_they_trained_with():
    """The scoring rollouts of a group run each trial at its own (traced) update rate: equal
    to rollouts of a model configured with that rate."""
    size, cfg = 24, hparam_trials.HparamSearchConfig(size=24, loss="swd", eval_samples=2)
    h = {"channels": 6, "hidden": 8, "ca_steps": 2, "batch_size": 2, "filters": 4}
    _, _, images = hparam_trials._group_fns(hparams.shape_key(h), cfg, None, (size, size))
    mcfg = tm.TextureModelConfig(channels=6, hidden=8, n_filters=4)
    p = tm.init_params(jax.random.PRNGKey(0), mcfg)
    p = jax.tree.map(lambda a: a + 0.3 * jax.random.normal(jax.random.PRNGKey(1), a.shape), p)
    stacked = jax.tree.map(lambda a: jnp.stack([a[None], a[None]]), p)  # (K=2, T=1, ...)
    key = jax.random.PRNGKey(2)
    got = np.asarray(images(stacked, jnp.array([0.2, 0.9]), key))
    for k, rate in enumerate((0.2, 0.9)):
        want = tm.samples(p, key, dataclasses.replace(mcfg, update_rate=rate), 2, 8, (size, size))
        np.testing.assert_allclose(got[k, 0], np.asarray(want), atol=1e-6)
    assert np.abs(got[0] - got[1]).max() > 0.01  # the rate matters


def test_a_search_stopped_after_a_group_resumes_to_the_same_results(tmp_path):
    """Trials of two shapes (two groups, two driver steps); a search stopped after the first
    group resumes from its checkpoint, trains only the second and gives exactly the results
    of a search never stopped."""
    size, shared, per, loss_fn, scorers = 24, SHARED, PER, mean_colour_loss, SCORERS
    cfg = hparam_trials.HparamSearchConfig(trials=3, train_steps=2, size=size, loss="swd",
                                           pool_size=4, progress=False, eval_samples=2)
    trained = []

    def run_fn(hs, ids):
        trained.extend(ids)
        return hparam_trials.run_trials(hs, ids, cfg, loss_fn, shared, per, (size, size),
                                        scorers)

    def search(folder, steps=None):
        trainer, n = hparam_search.random_trainer(cfg, run_fn, 2)
        loop = driver.LoopConfig(max_iterations=steps or n, checkpoint_every=1, progress=False)
        return driver.train(trainer, jax.random.PRNGKey(0), folder, loop, {"cfg": "x"},
                            budget=()), n

    (whole, n), first = search(tmp_path / "whole"), list(trained)
    assert n == len(hparams.groups(hparam_search.results(whole.state)[0])) >= 2
    trained.clear()
    search(tmp_path / "stopped", steps=1)
    one_group = list(trained)
    trained.clear()
    resumed, _ = search(tmp_path / "stopped")
    assert sorted(one_group + trained) == sorted(first)  # nothing trained twice
    hs_w, r_w = hparam_search.results(whole.state)
    hs_r, r_r = hparam_search.results(resumed.state)
    assert hs_w == hs_r
    np.testing.assert_array_equal(r_r.losses, r_w.losses)  # (wall times differ)
    np.testing.assert_array_equal(r_r.scores, r_w.scores)
    assert np.isfinite(r_r.scores).all()
