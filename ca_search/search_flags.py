"""The flags of a rule search, defined once for the CLIs that run searches
(``ca_search.search`` and ``ca_search.table1``), and the config built from them."""

from __future__ import annotations

from absl import flags

from ca_search.experiment import ICS, INERTIA, INITS, TASKS, SearchConfig
from ca_search.strategies import STRATEGIES

FLAGS = flags.FLAGS
_D = SearchConfig()


def define(task_and_strategy: bool = True) -> None:
    """Define the search flags (``--task``, ``--strategy`` and the modes beyond the seed
    only if asked: Table I runs every pair the seed's way)."""
    if task_and_strategy:
        flags.DEFINE_enum("task", _D.task, TASKS, "density: F_100 on flat ICs; chaos: NC_pt.")
        flags.DEFINE_enum("strategy", _D.strategy, list(STRATEGIES), "ga, bpso or bglpso.")
        flags.DEFINE_enum("ics", _D.ics, list(ICS),
                          "Density ICs: 'flat' (fresh each generation, the seed's) or "
                          "'coevolve' (half of --n_ics evolve against the rules, fitness "
                          "shared on both sides; Juillé & Pollack).")
        flags.DEFINE_boolean("symmetric", _D.symmetric,
                             "Search only rules invariant under complement + reflection "
                             "(they treat 0s and 1s alike, as GKL does): half the genome.")
    flags.DEFINE_integer("trials", _D.trials, "Independent trials, run vmapped together.")
    flags.DEFINE_integer("generations", _D.generations, "Generations per trial.")
    flags.DEFINE_integer("population", _D.population, "Population (swarm) size.")
    flags.DEFINE_integer("n_ics", _D.n_ics, "ICs per density evaluation (fresh each generation).")
    flags.DEFINE_integer("chaos_ics", _D.chaos_ics, "ICs per chaos evaluation (fixed per trial).")
    flags.DEFINE_integer("n_cells", _D.n_cells, "Lattice size N.")
    flags.DEFINE_integer("steps", _D.steps, "CA steps T per evaluation.")
    flags.DEFINE_integer("radius", _D.radius, "Rule radius r (1..4).")
    flags.DEFINE_enum("init", _D.init, list(INITS),
                      "Initial genomes: 'uniform' (Mitchell et al.: each genome's density "
                      "uniform on [0, 1]) or 'iid' (each bit a fair coin).")
    flags.DEFINE_enum("inertia", _D.inertia, list(INERTIA),
                      "PSO chaotic inertia: 'printed' (the seed's w1=0.4, w2=0.9: w starts in "
                      "[-0.5, 0.4]) or 'feng' (Feng et al.'s w1=0.9, w2=0.4: w falls from "
                      "[0.5, 0.9]). The GA ignores it.")
    flags.DEFINE_integer("compress_level", _D.compress_level,
                         "zlib level during chaos search (9 = the definition; ~10x slower). "
                         "Best rules are also scored at level 9.")
    flags.DEFINE_integer("performance_ics", _D.performance_ics,
                         "Unbiased ICs for P_N of each best rule.")
    flags.DEFINE_integer("seed", _D.seed, "Random seed.")
    flags.DEFINE_string("devices", "1", "Devices to split each population over: 'all' or N.")
    flags.DEFINE_string("out", None, "Output folder (rerun with the same folder to resume).")
    flags.DEFINE_boolean("overwrite", False, "Replace the contents of a non-empty --out.")


def config(**fixed) -> SearchConfig:
    """The :class:`SearchConfig` the flags describe (``fixed`` fields override them)."""
    values = dict(
        trials=FLAGS.trials, generations=FLAGS.generations, population=FLAGS.population,
        n_ics=FLAGS.n_ics, chaos_ics=FLAGS.chaos_ics, n_cells=FLAGS.n_cells, steps=FLAGS.steps,
        radius=FLAGS.radius, init=FLAGS.init, inertia=FLAGS.inertia,
        compress_level=FLAGS.compress_level, performance_ics=FLAGS.performance_ics,
        seed=FLAGS.seed)
    if "task" in FLAGS:
        values.update(task=FLAGS.task, strategy=FLAGS.strategy, ics=FLAGS.ics,
                      symmetric=FLAGS.symmetric)
    values.update(fixed)
    return SearchConfig(**values)
