"""Evolutionary search over CA rule tables: many independent trials of one strategy on one
task, all trials vmapped in one compiled program.

Two options reach beyond the seed's search: ``symmetric`` searches only rules that treat 0s
and 1s alike (:mod:`ca_search.symmetry`, half the genome), and ``ics="coevolve"`` lets the
density task's ICs evolve against the rules with resource sharing on both sides
(:mod:`ca_search.coevolution`).

A trial is a ``lax.scan`` over generations of ``ask -> evaluate -> tell``. Density fitness
is jittable, so whole chunks of generations run on the device; chaos fitness needs DEFLATE
on the host, so each generation goes device (ask, histories) -> host (compress) -> device
(tell). Fitness is reported in the task's natural sense (higher is better) and negated for
the strategies, which minimise.

Runs checkpoint after every chunk of generations (orbax, :mod:`runio.checkpoint`, in
``checkpoints/``); rerunning with the same folder and config resumes and ends with the same
result. The population axis can be split over the devices of a mesh (``mesh=``).
"""

from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh
from tqdm.auto import tqdm

from ca_search import chaos, coevolution, density, rules, simulator, stats, symmetry
from ca_search.curves import save_fitness_plot
from ca_search.diagram import save_spacetime
from ca_search.strategies import STRATEGIES, random_genomes
from runio import devices, hosts, outdir, runfolder
from runio.checkpoint import CheckpointMismatch, Checkpointer
from runio.errors import ConfigError, check

JOB = "ca_search.search"
TASKS = ("density", "chaos")
#: Initial genomes: each bit a fair coin (the seed's literal reading), or Mitchell et al.'s
#: (whom the seed follows for the density task): each genome's density uniform on [0, 1].
INITS = ("uniform", "iid")
#: The PSOs' chaotic inertia (w1, w2): as the seed prints it (w starts in [-0.5, 0.4]), or
#: as Feng et al., whom the seed cites, define it (w falls from [0.5, 0.9] towards [0, 0.4]).
INERTIA = {"printed": (0.4, 0.9), "feng": (0.9, 0.4)}
SUCCESS = 0.9  # a density trial succeeds when its best rule classifies >= 90 % of flat ICs
#: The density task's ICs: fresh flat ones each generation (Mitchell et al., the seed), or
#: half of them evolving against the rules, with resource sharing (ca_search.coevolution).
ICS = ("flat", "coevolve")


@dataclass(frozen=True)
class SearchConfig:
    """Everything a search run depends on (field names are the CLI's flag names)."""

    task: str = "density"
    strategy: str = "ga"
    trials: int = 10
    generations: int = 200
    population: int = 100
    n_ics: int = 100  # ICs per density evaluation (fresh each generation, "flat")
    chaos_ics: int = 1  # ICs per chaos evaluation (fixed per trial)
    n_cells: int = 149
    steps: int = 150
    radius: int = 3
    init: str = "uniform"  # initial genomes (INITS)
    inertia: str = "feng"  # the PSOs' inertia reading (INERTIA)
    ics: str = "flat"  # the density task's ICs (ICS)
    symmetric: bool = False  # only rules invariant under complement + reflection
    compress_level: int = 6  # zlib level during chaos search; best rules also scored at 9
    performance_ics: int = 10_000  # unbiased ICs for P_N of each trial's best rule
    chunk: int = 10  # generations per compiled call (progress and checkpoint granularity)
    seed: int = 0

    def __post_init__(self):
        check(self.task in TASKS, "task", f"must be one of {', '.join(TASKS)}, got {self.task!r}")
        check(self.init in INITS, "init", f"must be one of {', '.join(INITS)}, got {self.init!r}")
        check(self.ics in ICS, "ics", f"must be one of {', '.join(ICS)}, got {self.ics!r}")
        check(self.ics == "flat" or self.task == "density", "ics",
              f"coevolving ICs is a density-task mode, got task={self.task}")
        check(self.ics == "flat" or self.n_ics >= 2, "n_ics",
              f"must be at least 2 with ics=coevolve (half flat, half evolving), got {self.n_ics}")
        check(self.inertia in INERTIA, "inertia",
              f"must be one of {', '.join(INERTIA)}, got {self.inertia!r}")
        check(self.strategy in STRATEGIES, "strategy",
              f"must be one of {', '.join(STRATEGIES)}, got {self.strategy!r}")
        check(2 <= self.population <= 100_000, "population",
              f"must be in [2, 100000], got {self.population}")
        check(not (self.strategy == "ga" and self.population < 5), "population",
              f"must be at least 5 for the GA (20% elite), got {self.population}")
        check(1 <= self.trials <= 10_000, "trials", f"must be in [1, 10000], got {self.trials}")
        check(1 <= self.generations <= 1_000_000, "generations",
              f"must be in [1, 10^6], got {self.generations}")
        check(1 <= self.n_ics <= 1_000_000, "n_ics", f"must be in [1, 10^6], got {self.n_ics}")
        check(1 <= self.chaos_ics <= 10_000, "chaos_ics",
              f"must be in [1, 10000], got {self.chaos_ics}")
        check(1 <= self.steps <= 100_000, "steps", f"must be in [1, 100000], got {self.steps}")
        check(0 <= self.compress_level <= 9, "compress_level",
              f"must be in 0..9, got {self.compress_level}")
        check(1 <= self.performance_ics <= 10_000_000, "performance_ics",
              f"must be in [1, 10^7], got {self.performance_ics}")
        check(self.chunk >= 1, "chunk", f"must be at least 1, got {self.chunk}")
        rules.check_radius(self.radius)
        check(2 * self.radius + 1 <= self.n_cells <= 100_000, "n_cells",
              f"must be in [2r+1 = {2 * self.radius + 1}, 100000], got {self.n_cells}")

    @property
    def num_dims(self) -> int:
        """Genome bits: the rule table, or half of it for symmetric rules."""
        if self.symmetric:
            return symmetry.genome_size(self.radius)
        return rules.table_size(self.radius)

    def tables(self, genomes: jax.Array) -> jax.Array:
        """Genomes ``(..., num_dims)`` -> rule tables ``(..., 2**(2r+1))`` uint8."""
        if self.symmetric:
            return symmetry.table(genomes, self.radius)
        return jnp.asarray(genomes).astype(jnp.uint8)


def make_strategy(config: SearchConfig):
    """The evosax-style strategy object and its default params for ``config``."""
    cls = STRATEGIES[config.strategy]
    kwargs = {} if config.strategy == "ga" else {"max_generations": config.generations}
    strategy = cls(population_size=config.population, solution=jnp.zeros(config.num_dims),
                   **kwargs)
    params = strategy.default_params
    if hasattr(params, "inertia_w1"):  # the PSOs
        w1, w2 = INERTIA[config.inertia]
        params = params.replace(inertia_w1=w1, inertia_w2=w2)
    return strategy, params


@partial(jax.jit, static_argnames=("n_ics", "n_cells", "steps", "mesh"))
def population_density_fitness(pop: jax.Array, keys: jax.Array, n_ics: int, n_cells: int,
                               steps: int, mesh: Mesh | None = None) -> jax.Array:
    """F_I of ``(trials, P, D)`` rule tables, each trial's population on the fresh flat ICs
    of its own key ``(trials,)``. The population axis is split over ``mesh``; the fitness comes
    back whole. One compiled program serves every strategy of the same sizes."""

    def trial(pop, key):
        bits = devices.shard(pop, mesh, axis=0)
        f = lambda b: density.fitness(b, key, n_ics, n_cells, steps, "flat")  # noqa: E731
        return devices.replicate(jax.vmap(f)(bits), mesh)

    return jax.vmap(trial)(pop, keys)


@partial(jax.jit, static_argnames=("n_ics", "n_cells", "steps", "mesh"))
def population_coevolution(pop: jax.Array, densities: jax.Array, keys: jax.Array, n_ics: int,
                           n_cells: int, steps: int, mesh: Mesh | None = None):
    """:func:`ca_search.coevolution.generation` for ``(trials, P, D)`` rule tables, their IC
    densities ``(trials, K)`` and keys; ``n_ics // 2`` flat ICs. The population axis is split
    over ``mesh``."""

    def trial(pop, dens, key):
        bits = devices.shard(pop, mesh, axis=0)
        shared, flat, nxt = coevolution.generation(bits, dens, key, n_ics // 2, n_cells, steps)
        return devices.replicate(shared, mesh), devices.replicate(flat, mesh), nxt

    return jax.vmap(trial)(pop, densities, keys)


class _Trials:
    """The jitted, trial-vmapped pieces of a search, and its memo of chaos fitness (built
    once per run)."""

    def __init__(self, config: SearchConfig, mesh: Mesh | None = None):
        self.config = c = config
        self.mesh = mesh
        self.strategy, self.params = make_strategy(config)
        s, p = self.strategy, self.params
        devices.check_divisible(config.population, mesh)

        def init_pop(key):
            k_pop, k_next = jax.random.split(key)
            pop = random_genomes(k_pop, c.population, c.num_dims, c.init == "uniform")
            return pop, k_next

        def start(key, pop, fit):
            k_init, k_next = jax.random.split(key)
            return s.init(k_init, pop, -fit, p), k_next

        def ask(state, key):
            k_ask, k_eval, k_tell, k_next = jax.random.split(key, 4)
            pop, state = s.ask(k_ask, state, p)
            return pop, state, (k_eval, k_tell, k_next)

        def tell(state, pop, fit, k_tell):
            state, _ = s.tell(k_tell, pop, -fit, state, p)
            return state

        v = jax.vmap
        self.init_pop = jax.jit(v(init_pop))
        self.start = jax.jit(v(start))
        self.ask = jax.jit(v(ask))
        self.tell = jax.jit(v(tell))

        def histories(bits, cells, steps):
            bits = devices.shard(bits, mesh, axis=0)
            return chaos.population_histories(bits, cells, steps)

        self.histories = jax.jit(v(histories, in_axes=(0, 0, None)), static_argnums=2)
        self._cache: dict[tuple[int, bytes], float] = {}

    def density_fitness(self, pop: jax.Array, keys: jax.Array) -> jax.Array:
        """F_I of ``(trials, P, D)`` genomes on fresh ICs from each trial's key."""
        c = self.config
        return population_density_fitness(c.tables(pop), keys, c.n_ics, c.n_cells, c.steps,
                                          self.mesh)

    def coevolution(self, pop: jax.Array, densities: jax.Array, keys: jax.Array):
        """Shared fitness, F on the flat ICs and the next IC densities of each trial."""
        c = self.config
        return population_coevolution(c.tables(pop), densities, keys, c.n_ics, c.n_cells,
                                      c.steps, self.mesh)

    def chaos_fitness(self, pop: jax.Array, cells: jax.Array) -> jax.Array:
        """NC_pt (mean over each trial's fixed ICs) of ``(trials, P, D)`` genomes, cached."""
        c = self.config
        bits = np.asarray(c.tables(pop))
        keys = [(t, row.tobytes()) for t in range(bits.shape[0]) for row in bits[t]]
        todo = sorted({k for k in keys if k not in self._cache})
        if todo:
            hist = np.asarray(self.histories(jnp.asarray(bits), cells, c.steps))
            flat = hist.reshape((-1,) + hist.shape[2:])
            index = {k: i for i, k in enumerate(keys)}
            values = chaos.nc_pt_many(flat[[index[k] for k in todo]], c.compress_level)
            self._cache.update(zip(todo, values.mean(axis=1)))
        return jnp.asarray(np.array([self._cache[k] for k in keys]).reshape(bits.shape[:2]),
                           jnp.float32)


def _save_checkpoint(ckpt: Checkpointer, generation: int, carry, curves) -> None:
    ckpt.save(generation, {"carry": carry, "curves": {"best": np.asarray(curves[0]),
                                                       "mean": np.asarray(curves[1])}})


def _load_checkpoint(ckpt: Checkpointer, template):
    generation, items = ckpt.restore({"carry": template, "curves": None})
    curves = items["curves"]
    return generation, items["carry"], (list(curves["best"]), list(curves["mean"]))


def _start(config: SearchConfig, out: Path) -> None:
    """Refuse a folder of another configuration; else record this one before any work
    (so a run killed at any moment resumes)."""
    hosts.on_main(runfolder.guard, out, dataclasses.asdict(config))


def run_search(config: SearchConfig, out_dir: str | os.PathLike, overwrite: bool = False,
               progress: bool = True, stop_after_chunks: int | None = None,
               mesh: Mesh | None = None) -> dict | None:
    """Run ``config.trials`` trials and write history.csv, summary.json, fitness.png,
    best_rule.png and report.md into ``out_dir``; returns the summary. ``mesh`` splits each
    population over its devices.

    ``stop_after_chunks`` stops early (as an interruption would), leaving the checkpoint to
    resume from, and returns None."""
    with outdir.claim(out_dir, JOB, resume=True, overwrite=overwrite) as out:
        _start(config, out)
        with Checkpointer(out / "checkpoints", keep=2) as ckpt:
            return _search(config, out, ckpt, progress, stop_after_chunks, mesh)


def _search(c: SearchConfig, out: Path, ckpt: Checkpointer, progress: bool,
            stop_after_chunks: int | None, mesh: Mesh | None) -> dict | None:
    trials = _Trials(c, mesh)
    keys = jax.random.split(jax.random.PRNGKey(c.seed), c.trials)
    k_ics, keys = jax.vmap(lambda k: tuple(jax.random.split(k)))(keys)
    cells = jax.vmap(lambda k: density.sample_ics(k, c.chaos_ics, c.n_cells, "unbiased"))(k_ics)

    start_time = time.perf_counter()
    # fitness(pop, k_eval, ics) -> (what the strategy ranks, what is reported, next ics);
    # ics: None (no leaves: the checkpoint of a plain search holds state and key only), or
    # with coevolving ICs their densities, the last population and its fitness
    if c.ics == "coevolve":
        def fitness(pop, k_eval, ics):
            shared, flat, dens = trials.coevolution(pop, ics[0], k_eval)
            return shared, flat, (dens, pop, shared)
    elif c.task == "density":
        def fitness(pop, k_eval, ics):
            f = trials.density_fitness(pop, k_eval)
            return f, f, None
    else:
        def fitness(pop, k_eval, ics):  # the fixed ICs of each trial: no key needed
            f = trials.chaos_fitness(pop, cells)
            return f, f, None

    pop, keys = trials.init_pop(keys)
    k_eval = None  # the chaos task's ICs are fixed per trial
    if c.task == "density":
        k_eval, keys = jax.vmap(lambda k: tuple(jax.random.split(k)))(keys)
    ics = None
    if c.ics == "coevolve":  # densities uniform on [0, 1] to start
        k_dens, keys = jax.vmap(lambda k: tuple(jax.random.split(k)))(keys)
        dens = jax.vmap(lambda k: jax.random.uniform(k, (c.n_ics - c.n_ics // 2,)))(k_dens)
        ics = (dens, None, None)
    fit, shown, ics = fitness(pop, k_eval, ics)
    carry = trials.start(keys, pop, fit) + (ics,)
    done, curves = 0, ([np.asarray(shown.max(1))], [np.asarray(shown.mean(1))])
    if ckpt.latest_step() is not None:
        try:
            done, carry, curves = _load_checkpoint(ckpt, carry)
        except (CheckpointMismatch, FileNotFoundError) as e:
            raise ConfigError("out", f"cannot resume the checkpoints in {out} ({e})") from None

    bar = tqdm(total=c.generations, initial=done, disable=not (progress and hosts.is_main()),
               unit="gen", desc=f"{c.strategy} {c.task}")
    while done < c.generations:
        n = min(c.chunk, c.generations - done)
        rows_best, rows_mean = [], []
        state, key, ics = carry
        for _ in range(n):
            pop, state, (k_eval, k_tell, key) = trials.ask(state, key)
            fit, shown, ics = fitness(pop, k_eval, ics)
            state = trials.tell(state, pop, fit, k_tell)
            rows_best.append(np.asarray(shown.max(1)))
            rows_mean.append(np.asarray(shown.mean(1)))
        carry = (state, key, ics)
        best, mean = np.stack(rows_best), np.stack(rows_mean)
        curves[0].extend(best)
        curves[1].extend(mean)
        done += n
        _save_checkpoint(ckpt, done, carry, curves)
        bar.update(n)
        bar.set_postfix(best=f"{np.mean(best[-1]):.4f}")
        if stop_after_chunks is not None:
            stop_after_chunks -= 1
            if stop_after_chunks <= 0 and done < c.generations:
                bar.close()
                return None
    bar.close()
    search_seconds = time.perf_counter() - start_time
    best_curve, mean_curve = np.array(curves[0]), np.array(curves[1])
    if c.ics == "coevolve":  # the shared fitness is relative: pick on unbiased ICs instead
        _, last_pop, last_fit = hosts.local(carry[2])
        best = _coevolved_best(c, last_pop, last_fit)
    else:
        state = hosts.local(carry[0])
        best = (np.asarray(c.tables(state.best_solution)), -np.asarray(state.best_fitness))
    summary, measured = _summarise(c, *best, best_curve, search_seconds)
    if hosts.is_main():  # one writer across processes
        _write_results(c, out, summary, measured, best_curve, mean_curve)
    return summary


def _coevolved_best(c: SearchConfig, pop, shared) -> tuple[np.ndarray, np.ndarray]:
    """Per trial, the rule of the last population's elite (best 20 % by shared fitness)
    that classifies most of ``performance_ics`` fresh unbiased ICs, and that fraction.
    (These ICs only choose; P_N is measured afterwards on others.)"""
    elite = max(1, c.population // 5)
    key = jax.random.PRNGKey(c.seed + 3)
    rules_out, scores = [], []
    for t in range(c.trials):
        tables = np.asarray(c.tables(pop[t][np.argsort(-np.asarray(shared[t]))[:elite]]))
        perf = density.performance(tables, key, c.performance_ics, c.n_cells)
        rules_out.append(tables[int(np.argmax(perf))])
        scores.append(perf.max())
    return np.stack(rules_out), np.array(scores)


def _summarise(c: SearchConfig, best_rules: np.ndarray, best_fitness: np.ndarray, best_curve,
               search_seconds: float) -> tuple[dict, str]:
    """The run's summary (best rules re-measured on fresh ICs) and a sentence on them."""
    key = jax.random.PRNGKey(c.seed + 1)
    per_trial = []
    for t in range(c.trials):
        entry = {
            "trial": t,
            "best_fitness": float(best_fitness[t]),
            "best_rule": rules.to_hex(best_rules[t]),
        }
        entry["final_generation_best"] = float(best_curve[-1, t])
        if c.task == "density":
            entry[f"p{c.n_cells}"] = density.performance(best_rules[t], key, c.performance_ics,
                                                         c.n_cells)
            # success (Mitchell's): the rule classifies >= 0.9 of fresh flat ICs
            entry["flat_performance"] = density.performance(
                best_rules[t], jax.random.fold_in(key, 1), c.performance_ics, c.n_cells,
                ic="flat")
        else:
            hist = chaos.sample_histories(best_rules[t][None], key, 10, c.n_cells, c.steps)[0]
            entry["nc_pt_level9"] = float(chaos.nc_pt_many(hist).mean())
            # NC_pt saturates; the block entropy of the same histories tells rules apart
            entry["block_entropy"] = float(np.mean([chaos.block_entropy(h) for h in hist]))
        per_trial.append(entry)
    scores = np.array([e["best_fitness"] for e in per_trial])
    top = int(np.argmax(scores))
    summary = {
        "task": c.task,
        "strategy": c.strategy,
        "best_fitness_mean": float(scores.mean()),
        "best_fitness_std": float(scores.std()),
        "best_fitness_ci95": stats.bootstrap_ci(scores),
        "final_generation_best_mean": float(best_curve[-1].mean()),
        "final_generation_best_std": float(best_curve[-1].std()),
        "final_generation_best_ci95": stats.bootstrap_ci(best_curve[-1]),
        "best_rule": per_trial[top]["best_rule"],
        "wall_time_s": search_seconds,
        "trials": per_trial,
        "config": dataclasses.asdict(c),
    }
    if c.task == "density":
        perf = np.array([e[f"p{c.n_cells}"] for e in per_trial])
        summary.update({f"p{c.n_cells}_mean": float(perf.mean()),
                        f"p{c.n_cells}_std": float(perf.std()),
                        "success_rate": float(np.mean([e["flat_performance"] >= SUCCESS
                                                       for e in per_trial]))})
        measured = (f"P_{c.n_cells} of the best rules (on {c.performance_ics} unbiased ICs): "
                    f"{perf.mean():.4f} ± {perf.std():.4f}")
    else:
        nc9 = np.array([e["nc_pt_level9"] for e in per_trial])
        ent = np.array([e["block_entropy"] for e in per_trial])
        summary.update(nc_pt_level9_mean=float(nc9.mean()), nc_pt_level9_std=float(nc9.std()),
                       block_entropy_mean=float(ent.mean()), block_entropy_std=float(ent.std()))
        measured = (f"NC_pt of the best rules at zlib level 9 (10 fresh ICs): "
                    f"{nc9.mean():.4f} ± {nc9.std():.4f}; their 3×3 space-time block "
                    f"entropy (bits per cell; 1 = coin flips): {ent.mean():.4f} ± {ent.std():.4f}")
    return summary, measured


def _mode_note(c: SearchConfig) -> str:
    """What the modes beyond the seed change, for the report."""
    notes = []
    if c.symmetric:
        notes.append("Only rules invariant under complement + reflection were searched "
                     f"({c.num_dims}-bit genomes).")
    if c.ics == "coevolve":
        notes.append(f"Each generation met {c.n_ics // 2} fresh flat ICs and "
                     f"{c.n_ics - c.n_ics // 2} ICs whose densities evolve against the rules; "
                     "the GA ranked rules by shared fitness. The curve shows F on the flat "
                     "ICs; a trial's best fitness is the unbiased performance (on "
                     f"{c.performance_ics} ICs) of the best of its last elite, which was "
                     "chosen by it (P_N comes from other ICs).")
    return "".join(" " + n for n in notes)


def _write_results(c: SearchConfig, out: Path, summary: dict, measured: str, best_curve,
                   mean_curve) -> None:
    """history.csv, summary.json, fitness.png, best_rule.png and report.md."""
    with open(out / "history.csv", "w") as f:
        f.write("trial,generation,best_fitness,mean_fitness\n")
        for g in range(best_curve.shape[0]):
            for t in range(c.trials):
                f.write(f"{t},{g},{best_curve[g, t]:.6f},{mean_curve[g, t]:.6f}\n")
    runfolder.write_summary(out, summary)
    scores = np.array([e["best_fitness"] for e in summary["trials"]])
    top = int(np.argmax(scores))
    best_rule = rules.from_hex(summary["best_rule"], c.radius)

    label = "F_I (fraction correct)" if c.task == "density" else "NC_pt"
    save_fitness_plot(out / "fitness.png", best_curve, mean_curve, label,
                      f"{c.strategy.upper()} on {c.task}, {c.trials} trials")
    cells = density.sample_ics(jax.random.PRNGKey(c.seed + 2), 1, c.n_cells, "unbiased")[0]
    save_spacetime(out / "best_rule.png",
                   np.asarray(simulator.history(best_rule, cells, 2 * c.n_cells)),
                   title=f"best rule {summary['best_rule']} ({c.strategy}, {c.task}: "
                         f"{label} {scores[top]:.4f})")
    (out / "report.md").write_text(
        f"# {c.strategy.upper()} on the {c.task} task\n\n"
        f"{c.trials} trials × {c.generations} generations, population {c.population}; "
        f"wall time {summary['wall_time_s']:.1f} s.{_mode_note(c)}\n\n"
        f"Best fitness per trial: {scores.mean():.4f} ± {scores.std():.4f}; "
        f"{measured}.\n\n"
        f"![fitness per generation](fitness.png)\n\n"
        f"Best rule `{summary['best_rule']}` from a random unbiased IC:\n\n"
        f"![space-time diagram](best_rule.png)\n")
