"""Running texture-NCA hyperparameter trials, and the random / evolved searches over them.

A *trial* is one set of the seven hyperparameters (:mod:`nca_jax.hparams`), trained with
Adam for ``train_steps`` iterations on every texture, then scored on each texture by the
texture score of :mod:`nca_jax.style.score` (VGG16 style loss of ``eval_samples`` fresh
rollouts of 4 × ``ca_steps`` steps at the trial's update rate, 0 = the texture's mean
colour, 1 = another piece of it). Trials whose shape-determining hyperparameters agree
(channels, hidden, CA steps, batch, filters) form a group that runs as one jitted, doubly
``jax.vmap``-ed computation: over trials (learning rate and update rate are traced per
trial) and over textures (the style loss's per-texture statistics are a vmapped argument,
its features/weights shared). A trial's loss on a texture is the mean
training loss over the last 10 % of iterations (kept in the records); its wall time is its
group's wall time (compile and scoring included) divided by the group's size. The searches
over trials (:mod:`nca_jax.hparams.search`) run on the one driver, a group or a generation
per step, so a search stopped midway resumes from its checkpoint.

Search score of a trial: the mean of its texture scores over textures (higher is better;
a trial that diverged on any texture scores nan, ranked last). ``random`` samples all
trials up front; ``evolve`` runs evosax CMA-ES on the 7-D encoding (decoded with rounding,
see :func:`hparams.decode`), ``population`` trials per generation, for the same number of
trials and so the same training budget.

Budget. The texture-hyperparameter study trained 16,383 steps per trial on a GPU; the default here is 400
(2.4 %) at 32×32 and a constant lr, where a texture NCA with good settings has formed its
texture (at 200 only one trial of eight had; README; the texture job's default, 1500 with a
decaying lr, polishes it to a score ≥ 0.8). Learning rates are drawn from 10^U(−3.5, −2)
for the Niklasson model and 10^U(−4, −2.5) for SRNCA (``lr_range``): most of the study's
10^U(−5, −3) lies below the rates at which these models form a texture in a few hundred
steps.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from nca_jax.hparams import space as hparams
from nca_jax.nca import texture as tm
from nca_jax.style import losses as style
from nca_jax.style import score as scoring
from nca_jax.train import texture as train_texture
from runio.errors import check
from runio import compiling

MODES = ("random", "evolve")
CHUNK = 50  # training iterations per jitted call (progress granularity)
SCORE_STREAM = 2**31 - 1  # fold_in index of the scoring key (trial ids stay below it)
LR_RANGES = {"niklasson": (-3.5, -2.0), "srnca": (-4.0, -2.5)}  # log10, for a short budget


@dataclasses.dataclass(frozen=True)
class HparamSearchConfig:
    mode: str = "random"
    trials: int = 8
    textures: tuple[str, ...] = ("grayscott:spots", "grayscott:stripes", "grayscott:maze")
    train_steps: int = 400
    size: int = 32
    loss: str = "vgg"
    vgg_weights: str = ""
    model: str = "niklasson"
    lr_range: tuple[float, float] | None = None  # log10 lr; None: LR_RANGES[model]
    eval_samples: int = 4  # rollouts a trial is scored on, per texture
    population: int = 4  # evolve: trials per generation
    pool_size: int = 256  # as the texture job
    seed: int = 0
    progress: bool = True

    def __post_init__(self):
        check(self.mode in MODES, "mode", f"must be one of {MODES}, got {self.mode!r}")
        check(1 <= self.trials <= 100_000, "trials", f"must be in [1, 100000], got {self.trials}")
        check(len(self.textures) > 0, "textures", "give at least one texture")
        check(self.train_steps >= 1, "train_steps", f"must be >= 1, got {self.train_steps}")
        style.check_loss(self.loss, self.size)
        check(self.model in tm.KINDS, "model", f"must be one of {tm.KINDS}, got {self.model!r}")
        if self.lr_range is not None:
            check(len(self.lr_range) == 2, "lr_range",
                  f"give two log10 rates lo,hi, got {len(self.lr_range)} values")
            lo, hi = self.lr_range
            check(-8.0 <= lo <= hi <= 0.0, "lr_range",
                  f"must be two log10 rates lo <= hi in [-8, 0], got {lo:g}, {hi:g}")
        check(1 <= self.eval_samples <= 64, "eval_samples",
              f"must be in [1, 64], got {self.eval_samples}")
        check(self.pool_size >= 4, "pool_size", f"must be >= 4 (the largest batch), "
                                                f"got {self.pool_size}")
        if self.mode == "evolve":
            check(2 <= self.population <= self.trials, "population",
                  f"must be in [2, trials={self.trials}] in evolve mode, got {self.population}")
            check(self.trials % self.population == 0, "trials",
                  f"must be a multiple of population={self.population} in evolve mode, "
                  f"got {self.trials}")


    @property
    def log10_lr(self) -> tuple[float, float]:
        return self.lr_range if self.lr_range is not None else LR_RANGES[self.model]


class Results(NamedTuple):
    losses: np.ndarray  # (K, T) final training loss per trial and texture
    scores: np.ndarray  # (K, T) texture score per trial and texture (nan: diverged)
    wall: np.ndarray  # (K,) seconds per trial


def search_score(scores: np.ndarray) -> np.ndarray:
    """``(K, T)`` texture scores → ``(K,)`` mean over textures (higher is better; nan if any
    texture is nan)."""
    return np.mean(scores, axis=-1)


@functools.lru_cache(maxsize=32)
def _group_fns(shape: tuple, cfg: HparamSearchConfig, loss_fn, hw: tuple):
    """The jitted ``init``, ``chunk`` and ``images`` of the trials of one shape
    (:func:`hparams.shape_key`), made once per shape: a later generation, or the evolve run
    after the random one, reuses the programs compiled for a shape it has seen."""
    h = dict(zip(hparams.SHAPE_NAMES, shape))
    mcfg = tm.TextureModelConfig(kind=cfg.model, channels=h["channels"], hidden=h["hidden"],
                                 n_filters=h["filters"], update_rate=1.0, filter_seed=cfg.seed)
    tcfg = train_texture.TextureTrainConfig(lr=1e-3, batch_size=h["batch_size"],
                                            ca_steps=h["ca_steps"], pool_size=cfg.pool_size)

    def init(keys, lrs):  # (K, T, 2) keys, (K,) learning rates -> states
        one = lambda k, lr: train_texture.adam_init(k, mcfg, tcfg, hw, lr)  # noqa: E731
        return jax.vmap(jax.vmap(one, in_axes=(0, None)))(keys, lrs)

    def chunk(states, rates, shared, per, n: int):
        def single(state, rate, per_t):
            def body(s, _):
                s, m = train_texture.adam_step(s, (shared, per_t), rate, loss_fn, mcfg, tcfg)
                return s, m["loss"]
            return jax.lax.scan(body, state, None, length=n)

        inner = jax.vmap(single, in_axes=(0, None, 0))
        return jax.vmap(inner, in_axes=(0, 0, None))(states, rates, per)

    def images(params, rates, key):  # (K, T, ...) params, (K,) rates -> (K, T, n, H, W, 3)
        def one(p, rate):  # each trial runs at its own update rate, as it trained
            return tm.samples(p, key, mcfg, cfg.eval_samples,
                              scoring.STEPS_PER_CA_STEP * h["ca_steps"], hw, rate)
        return jax.vmap(jax.vmap(one, in_axes=(0, None)))(params, rates)

    return compiling.once(init), jax.jit(chunk, static_argnums=4), jax.jit(images)


def run_trials(hs: list[dict], trial_ids: list[int], cfg: HparamSearchConfig, loss_fn, shared, per,
               hw, scorers=None, on_chunk: Callable[[int], None] = lambda n: None) -> Results:
    """Train every trial on every texture. ``per``: per-texture loss data stacked on axis 0;
    ``scorers``: one :class:`nca_jax.style.score.Scorer` per texture (None: no scores, nan);

    Returns the :class:`Results` in the order of ``hs``.
    """
    n_tex = jax.tree.leaves(per)[0].shape[0]
    final = np.full((len(hs), n_tex), np.nan)
    scores = np.full((len(hs), n_tex), np.nan)
    wall = np.zeros(len(hs))
    root = jax.random.PRNGKey(cfg.seed)
    for members in hparams.groups(hs):
        t0 = time.perf_counter()
        init, chunk, images = _group_fns(hparams.shape_key(hs[members[0]]), cfg, loss_fn,
                                         tuple(hw))
        keys = jnp.stack([jnp.stack([jax.random.fold_in(jax.random.fold_in(root, trial_ids[i]), t)
                                     for t in range(n_tex)]) for i in members])
        lrs = jnp.array([hs[i]["lr"] for i in members], jnp.float32)
        rates = jnp.array([hs[i]["update_rate"] for i in members], jnp.float32)
        states = init(keys, lrs)
        losses, done = [], 0
        while done < cfg.train_steps:
            n = min(CHUNK, cfg.train_steps - done)
            states, ls = chunk(states, rates, shared, per, n)
            losses.append(np.asarray(ls))  # (G, T, n)
            done += n
            on_chunk(n * len(members))
        ls = np.concatenate(losses, axis=-1)
        k = max(1, cfg.train_steps // 10)
        final[members] = ls[..., -k:].mean(-1)
        if scorers is not None:  # every trial and texture scored on the same fresh seeds
            imgs = images(states.params, rates, jax.random.fold_in(root, SCORE_STREAM))
            for t, sc in enumerate(scorers):
                flat = imgs[:, t].reshape(-1, *imgs.shape[-3:])
                vgg_loss = np.asarray(sc.losses(flat)).reshape(len(members), -1).mean(-1)
                scores[members, t] = sc.of_loss(vgg_loss)
        wall[members] = (time.perf_counter() - t0) / len(members)
    return Results(final, scores, wall)
