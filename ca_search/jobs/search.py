"""The rule-search job: many independent trials of one strategy on one task, all trials
vmapped together, run by the one driver (:mod:`runio.driver`) as a single trainer.

One trainer step is one generation of every trial: ``ask -> fitness -> tell``. Density
fitness is jitted; chaos fitness compresses space-time histories on the host
(:class:`ca_search.population.Trials`), so the step runs as Python and the driver does not
compile it ahead of time. Fitness is reported in the task's sense (higher is better) and
negated for the strategies, which minimise. The best and mean fitness of every trial at
every generation are kept in the state (host arrays, filled in place: the driver holds no
older state), so ``history.csv`` survives a resume.

Rerunning with the same folder and config resumes from the last checkpoint (every
``chunk`` generations) and ends with the same result as an uninterrupted run.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, NamedTuple

import jax
import numpy as np
from jax.sharding import Mesh

from ca_search import density, report, rules, summary, symmetry
from ca_search.population import Trials
from ca_search.search_config import SearchConfig
from runio import driver, hosts, outdir, runfolder
from runio.errors import ConfigError

JOB = "ca_search.search"


class SearchState(NamedTuple):
    strategy: Any  # the strategy's state of every trial (vmapped)
    key: jax.Array  # every trial's key
    ics: Any  # coevolve: (IC densities, last population, its shared fitness); unbiased: (last
    # population, its fitness); else None
    best: np.ndarray  # (generations + 1, trials): best fitness of each generation
    mean: np.ndarray  # (generations + 1, trials): mean fitness of each generation
    generation: int


def starting_genomes(c: SearchConfig) -> np.ndarray | None:
    """``(trials, D)`` genomes of ``c.init_from`` (a rule's hex, or a finished search run whose
    trial ``i`` best rule starts trial ``i``); None without it. Bad input: a one-line
    :class:`ConfigError` naming ``init_from``."""
    if not c.init_from:
        return None
    path = Path(c.init_from)
    if path.is_dir():
        done = runfolder.read_json(path / "summary.json", "init_from")
        hexes = [t["best_rule"] for t in done.get("trials", [])]
        if len(hexes) != c.trials:
            raise ConfigError("init_from", f"{path} holds {len(hexes)} trials; this search has "
                                           f"{c.trials} (--trials must match)")
    else:
        hexes = [c.init_from] * c.trials
    starts = []
    for h in hexes:
        try:
            table = rules.from_hex(h, c.radius)
        except (ConfigError, ValueError):
            raise ConfigError("init_from", f"{h!r} is neither an r = {c.radius} rule in hex nor "
                                           "a finished search run folder") from None
        if c.symmetric:
            if not symmetry.is_symmetric(table):
                raise ConfigError("init_from", f"rule {h} is not invariant under complement + "
                                               "reflection; drop --symmetric or start from a "
                                               "symmetric rule")
            starts.append(symmetry.genome(table))
        else:
            starts.append(table)
    return np.stack(starts).astype(np.float32)


def trainer(c: SearchConfig, mesh: Mesh | None = None, starts: np.ndarray | None = None):
    """The search as a trainer: ``init(key) -> state``, ``step(state) -> (state, metrics)``,
    ``params(state)`` = every trial's best genome so far. ``starts``: see
    :func:`starting_genomes`."""
    trials = Trials(c, mesh, starts)
    split = jax.vmap(lambda k: tuple(jax.random.split(k)))
    cells = None

    # fitness(pop, k_eval, ics) -> (what the strategy ranks, what is reported, next ics)
    if c.ics == "coevolve":
        def fitness(pop, k_eval, ics):
            shared, flat, dens = trials.coevolution(pop, ics[0], k_eval)
            return shared, flat, (dens, pop, shared)
    elif c.ics == "unbiased":  # keep the last population and fitness to choose from at the end
        def fitness(pop, k_eval, ics):
            f = trials.density_fitness(pop, k_eval)
            return f, f, (pop, f)
    elif c.task == "density":
        def fitness(pop, k_eval, ics):
            f = trials.density_fitness(pop, k_eval)
            return f, f, None
    else:
        def fitness(pop, k_eval, ics):  # the fixed ICs of each trial: no key needed
            f = trials.chaos_fitness(pop, cells)
            return f, f, None

    def init(key) -> SearchState:
        nonlocal cells
        keys = jax.random.split(key, c.trials)
        k_ics, keys = split(keys)
        cells = jax.vmap(lambda k: density.sample_ics(k, c.chaos_ics, c.n_cells,
                                                      "unbiased"))(k_ics)
        pop, keys = trials.init_pop(keys)
        k_eval = None  # the chaos task's ICs are fixed per trial
        if c.task == "density":
            k_eval, keys = split(keys)
        ics = None
        if c.ics == "coevolve":  # densities uniform on [0, 1] to start
            k_dens, keys = split(keys)
            dens = jax.vmap(lambda k: jax.random.uniform(k, (c.n_ics - c.n_ics // 2,)))(k_dens)
            ics = (dens, None, None)
        fit, shown, ics = fitness(pop, k_eval, ics)
        state, key = trials.start(keys, pop, fit)
        best = np.zeros((c.generations + 1, c.trials), np.float32)
        mean = np.zeros_like(best)
        best[0], mean[0] = np.asarray(shown.max(1)), np.asarray(shown.mean(1))
        return SearchState(state, key, ics, best, mean, 0)

    def step(s: SearchState) -> tuple[SearchState, dict]:
        pop, state, (k_eval, k_tell, key) = trials.ask(s.strategy, s.key)
        fit, shown, ics = fitness(pop, k_eval, s.ics)
        state = trials.tell(state, pop, fit, k_tell)
        g = s.generation + 1
        s.best[g], s.mean[g] = np.asarray(shown.max(1)), np.asarray(shown.mean(1))
        metrics = {"best": float(s.best[g].mean()), "mean": float(s.mean[g].mean())}
        return SearchState(state, key, ics, s.best, s.mean, g), metrics

    def params(s: SearchState):
        return s.strategy.best_solution

    return driver.Trainer(init, step, params)


def run_search(config: SearchConfig, out_dir: str | os.PathLike, overwrite: bool = False,
               progress: bool = True, stop_after_chunks: int | None = None,
               mesh: Mesh | None = None) -> dict | None:
    """Run ``config.trials`` trials into ``out_dir`` and write history.csv, summary.json,
    fitness.png, best_rule.png and report.md (:mod:`ca_search.report`); returns the summary
    (None in the processes other than 0). ``mesh`` splits each population over its devices.

    ``stop_after_chunks`` stops a fresh run early (as an interruption would), leaving the
    checkpoint to resume from, and returns None."""
    c = config
    budget = c.generations if stop_after_chunks is None else min(
        c.generations, stop_after_chunks * c.chunk)
    loop = driver.LoopConfig(max_iterations=budget, checkpoint_every=c.chunk,
                             keep_checkpoints=2, progress=progress)
    starts = starting_genomes(c)  # checked before the folder is touched
    with outdir.claim(out_dir, JOB, resume=True, overwrite=overwrite) as out:
        res = driver.train(trainer(c, mesh, starts), jax.random.PRNGKey(c.seed), out, loop,
                           dataclasses.asdict(c), desc=f"{c.strategy} {c.task}", budget=())
        if res.iterations < c.generations:
            return None
        state: SearchState = res.state
        if c.ics != "flat":  # shared or noisy fitness: pick on other unbiased ICs instead
            last_pop, last_fit = hosts.local(state.ics)[-2:]
            best = summary.elite_best(c, last_pop, last_fit)
        else:
            strategy = hosts.local(state.strategy)
            best = (np.asarray(c.tables(strategy.best_solution)),
                    -np.asarray(strategy.best_fitness))
        s, measured = summary.summarise(c, *best, state.best, res.elapsed)
        if hosts.is_main():  # one writer across processes
            report.write_results(c, out, s, measured, state.best, state.mean)
        return s
