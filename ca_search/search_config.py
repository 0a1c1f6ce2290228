"""The configuration of a rule search (Rhodes's GA, binary PSO and BGL-PSO on the density
and chaos tasks, and the modes beyond the study) and the strategy it builds."""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp

from ca_search import rules, symmetry
from ca_search.strategies import STRATEGIES
from runio.errors import check

TASKS = ("density", "chaos")
#: Initial genomes: each bit a fair coin (the literal reading of Rhodes's study), or Mitchell et al.'s
#: (whom Rhodes follows for the density task): each genome's density uniform on [0, 1].
INITS = ("uniform", "iid")
#: The PSOs' chaotic inertia (w1, w2): as Rhodes's study prints it (w starts in [-0.5, 0.4]), or
#: as Feng et al., whom the study cites, define it (w falls from [0.5, 0.9] towards [0, 0.4]).
INERTIA = {"printed": (0.4, 0.9), "feng": (0.9, 0.4)}
SUCCESS = 0.9  # a density trial succeeds when its best rule classifies >= 90 % of flat ICs
#: The density task's ICs: fresh flat ones each generation (Mitchell et al., Rhodes); half of
#: them evolving against the rules, with resource sharing (ca_search.coevolution); or fresh
#: unbiased ones (each cell a fair coin), whose fraction correct estimates P_N itself: no
#: signal for random rules, the sharpest one for refining rules that already classify.
ICS = ("flat", "coevolve", "unbiased")


@dataclass(frozen=True)
class SearchConfig:
    """Everything a search run depends on."""

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
    init_from: str = ""  # start from a rule (32 hex digits) or a search run's best rules
    init_flip: float = 0.03  # per-bit flip probability of a started population's members
    compress_level: int = 6  # zlib level during chaos search; best rules also scored at 9
    performance_ics: int = 10_000  # unbiased ICs for P_N of each trial's best rule
    chunk: int = 10  # generations per compiled call (progress and checkpoint granularity)
    seed: int = 0

    def __post_init__(self):
        check(self.task in TASKS, "task", f"must be one of {', '.join(TASKS)}, got {self.task!r}")
        check(self.init in INITS, "init", f"must be one of {', '.join(INITS)}, got {self.init!r}")
        check(self.ics in ICS, "ics", f"must be one of {', '.join(ICS)}, got {self.ics!r}")
        check(self.ics == "flat" or self.task == "density", "ics",
              f"{self.ics} ICs is a density-task mode, got task={self.task}")
        check(self.ics != "coevolve" or self.n_ics >= 2, "n_ics",
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
        check(0.0 <= self.init_flip <= 0.5, "init_flip",
              f"must be in [0, 0.5], got {self.init_flip}")
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
