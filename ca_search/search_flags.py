"""The flags of a rule search, generated from :class:`ca_search.search_config.SearchConfig`
for the CLIs that run searches (``ca_search.search`` and ``ca_search.table1``)."""

from __future__ import annotations

from absl import flags

from ca_search.search_config import ICS, INERTIA, INITS, TASKS, SearchConfig
from ca_search.strategies import STRATEGIES
from runio.flagdefs import Spec, flag, plain

_MODES = [
    flag("task", "density: F_100 on flat ICs; chaos: NC_pt.", choices=TASKS),
    flag("strategy", "ga, bpso or bglpso.", choices=tuple(STRATEGIES)),
    flag("ics", "Density ICs: 'flat' (fresh each generation, as in Rhodes's study), "
         "'coevolve' (half of --n_ics evolve against the rules, fitness shared on both sides; "
         "Juillé & Pollack) or 'unbiased' (fresh, each cell a fair coin: the fitness "
         "estimates P_N; for refining rules that already classify, e.g. with --init_from).",
         choices=ICS),
    flag("symmetric", "Search only rules invariant under complement + reflection (they treat "
         "0s and 1s alike, as GKL does): half the genome."),
]
_SEARCH = [
    flag("trials", "Independent trials, run vmapped together."),
    flag("generations", "Generations per trial."),
    flag("population", "Population (swarm) size."),
    flag("init", "Initial genomes: 'uniform' (Mitchell et al.: each genome's density uniform "
         "on [0, 1]) or 'iid' (each bit a fair coin).", choices=INITS),
    flag("init_from", "Start every trial's population from a rule instead of random genomes: "
         "32 hex digits, or a finished search run folder (trial i starts from that run's "
         "trial-i best rule). Member 0 is the rule itself, the others flip each bit with "
         "probability --init_flip."),
    flag("init_flip", "Per-bit flip probability of the members started from --init_from."),
    flag("inertia", "PSO chaotic inertia: 'printed' (w1=0.4, w2=0.9 as Rhodes prints them: w "
         "starts in [-0.5, 0.4]) or 'feng' (Feng et al.'s w1=0.9, w2=0.4: w falls from "
         "[0.5, 0.9]). The GA ignores it.", choices=tuple(INERTIA)),
]
_TASK = [
    flag("n_ics", "ICs per density evaluation (fresh each generation)."),
    flag("chaos_ics", "ICs per chaos evaluation (fixed per trial)."),
    flag("n_cells", "Lattice size N."),
    flag("steps", "CA steps T per evaluation."),
    flag("radius", "Rule radius r (1..4)."),
    flag("compress_level", "zlib level during chaos search (9 = the definition; ~10x slower). "
         "Best rules are also scored at level 9."),
    flag("performance_ics", "Unbiased ICs for P_N of each best rule."),
]
_RUN = [flag("seed", "Random seed."), plain("devices"), plain("out"), plain("overwrite")]

#: ``ca_search.search``: every field; ``ca_search.table1``: the searches of Table I, each
#: of its (task, strategy) pairs run Rhodes's way.
SEARCH = Spec(SearchConfig, {"what": _MODES, "search": _SEARCH, "task": _TASK, "run": _RUN})
TABLE1 = Spec(SearchConfig, {"search": _SEARCH, "task": _TASK, "run": _RUN})


def define(spec: Spec) -> None:
    """Define ``spec``'s flags and the CLI-only ones (``--devices``, ``--out``, ...)."""
    spec.define()
    flags.DEFINE_string("devices", "1", "Devices to split each population over: 'all' or N.")
    flags.DEFINE_string("out", None, "Output folder (rerun with the same folder to resume).")
    flags.DEFINE_boolean("overwrite", False, "Replace the contents of a non-empty --out.")
