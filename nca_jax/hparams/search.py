"""The random and the evolved hyperparameter search as trainers of the one driver
(:mod:`runio.driver`): a step trains one group of trials (random search: the trials that
share a shape, :func:`nca_jax.hparams.trials.run_trials`) or one generation (CMA-ES), and
the state holds every trial's hyperparameters and results, so a search stopped midway
resumes from its last checkpoint with the results of one never stopped.

``random``: all trials are sampled up front from the ranges. ``evolve``: evosax CMA-ES on
the 7-D encoding (decoded with rounding, :func:`nca_jax.hparams.space.decode`),
``population`` trials per generation, maximising the search score (a trial that diverged
counts as the worst), for the same number of trials and so the same training budget.

``run(hs, ids) -> Results`` trains trials ``hs`` with ids ``ids`` (a trial's result depends
only on its id and its hyperparameters).
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from nca_jax.hparams import space as hparams
from nca_jax.hparams.trials import HparamSearchConfig, Results, search_score
from runio.driver import Trainer

Run = Callable[[list[dict], list[int]], Results]


class SearchState(NamedTuple):
    values: np.ndarray  # (K, 7) each trial's hyperparameters (space.NAMES); nan: not drawn
    losses: np.ndarray  # (K, T) final training loss per trial and texture (nan: not run)
    scores: np.ndarray  # (K, T) texture score per trial and texture
    wall: np.ndarray  # (K,) seconds per trial
    es: Any  # evolve: the CMA-ES state; random: ()
    key: Any  # evolve: the key of the next generation; random: ()
    done: int  # steps taken (groups or generations)


def _row(h: dict) -> np.ndarray:
    return np.array([h[n] for n in hparams.NAMES], np.float64)


def _dict(row: np.ndarray) -> dict:
    return {n: int(v) if n in hparams.SHAPE_NAMES else float(v)
            for n, v in zip(hparams.NAMES, row)}


def _empty(cfg: HparamSearchConfig, n_textures: int) -> dict:
    k, t = cfg.trials, n_textures
    return dict(values=np.full((k, len(hparams.NAMES)), np.nan), losses=np.full((k, t), np.nan),
                scores=np.full((k, t), np.nan), wall=np.zeros(k))


def _record(s: SearchState, members: list[int], res: Results) -> dict:
    """Results of ``members`` into the state's arrays (in place: the driver keeps no older
    state); the step's metrics."""
    s.losses[members], s.scores[members], s.wall[members] = res.losses, res.scores, res.wall
    sc = search_score(s.scores)
    done = int(np.sum(s.wall > 0))
    metrics = {"trials": float(done)}
    if np.isfinite(sc).any():
        metrics["best_score"] = float(np.nanmax(sc))
    return metrics


def random_trainer(cfg: HparamSearchConfig, run: Run, n_textures: int) -> tuple[Trainer, int]:
    """Random search as ``(trainer, steps)``: a step trains one group of trials."""
    hs = hparams.sample(jax.random.PRNGKey(cfg.seed), cfg.trials, cfg.log10_lr)
    order = hparams.groups(hs)

    def init(key) -> SearchState:
        arrays = _empty(cfg, n_textures)
        arrays["values"][:] = [_row(h) for h in hs]
        return SearchState(**arrays, es=(), key=(), done=0)

    def step(s: SearchState) -> tuple[SearchState, dict]:
        members = order[s.done]
        metrics = _record(s, members, run([hs[i] for i in members], members))
        return s._replace(done=s.done + 1), metrics

    return Trainer(init, step, lambda s: s.values), len(order)


def evolve_trainer(cfg: HparamSearchConfig, run: Run, n_textures: int) -> tuple[Trainer, int]:
    """CMA-ES over the encoding as ``(trainer, steps)``: a step is one generation of
    ``population`` trials."""
    from evosax.algorithms import CMA_ES  # importing evosax runs JAX: only when needed

    n = len(hparams.NAMES)
    es = CMA_ES(population_size=cfg.population, solution=jnp.zeros(n))
    params = es.default_params.replace(std_init=0.3)
    p = cfg.population

    def init(key) -> SearchState:
        key = jax.random.PRNGKey(cfg.seed + 1)
        key, k_init = jax.random.split(key)
        state = es.init(k_init, jnp.full(n, 0.5), params)
        return SearchState(**_empty(cfg, n_textures), es=state, key=key, done=0)

    def step(s: SearchState) -> tuple[SearchState, dict]:
        key, k_ask, k_tell = jax.random.split(s.key, 3)
        pop, state = es.ask(k_ask, s.es, params)
        batch = [hparams.decode(u, cfg.log10_lr) for u in np.asarray(pop)]
        members = list(range(s.done * p, (s.done + 1) * p))
        res = run(batch, members)
        s.values[members] = [_row(h) for h in batch]
        metrics = _record(s, members, res)
        fitness = -jnp.asarray(search_score(res.scores), jnp.float32)  # CMA-ES minimises
        fitness = jnp.where(jnp.isfinite(fitness), fitness, 1e6)
        state, _ = es.tell(k_tell, pop, fitness, state, params)
        return s._replace(es=state, key=key, done=s.done + 1), metrics

    return Trainer(init, step, lambda s: s.values), cfg.trials // p


def results(state: SearchState) -> tuple[list[dict], Results]:
    """The hyperparameters and results of the trials a search has run."""
    ran = ~np.isnan(state.values).any(axis=1)
    hs = [_dict(row) for row in state.values[ran]]
    return hs, Results(state.losses[ran], state.scores[ran], state.wall[ran])
