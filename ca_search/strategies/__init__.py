"""Search strategies over bit-vector genomes, speaking evosax's ``init / ask / tell``.

Genomes are float32 arrays of 0.0/1.0 (evosax ravels solutions to float vectors), fitness is
minimised. Population-based evosax algorithms start from an evaluated population::

    pop = random_genomes(key, strategy.population_size, strategy.num_dims)
    state = strategy.init(key, pop, fitness_fn(pop), params)
    pop, state = strategy.ask(key, state, params)
    state, metrics = strategy.tell(key, pop, fitness_fn(pop), state, params)
"""

from ca_search.strategies.bgl_pso import BGL_PSO
from ca_search.strategies.binary_pso import BinaryPSO
from ca_search.strategies.ga import MitchellGA
from ca_search.strategies.genomes import random_genomes

STRATEGIES = {"ga": MitchellGA, "bpso": BinaryPSO, "bglpso": BGL_PSO}

__all__ = ["BGL_PSO", "BinaryPSO", "MitchellGA", "STRATEGIES", "random_genomes"]
