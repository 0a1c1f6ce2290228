"""Evolved 1-D cellular automata in JAX: a bit-sliced simulator of binary CAs of radius r,
the density-classification and chaos tasks, and the GA, binary PSO and BGL-PSO searches of
Rhodes's study, speaking evosax's ``init / ask / tell``.

    import jax, ca_search as cas
    gkl = cas.rules.gkl()
    print(cas.density.performance(gkl, jax.random.PRNGKey(0), 10_000, 149))  # ≈ 0.81

Names are imported on first use (``import ca_search`` computes nothing).
"""

from runio.lazy import exports

__version__ = "0.2.0"

_NAMES = {
    # rule tables and the simulator
    "rules": "ca_search.rules",
    "simulator": "ca_search.simulator",
    "symmetry": "ca_search.symmetry",
    # tasks
    "density": "ca_search.density",
    "chaos": "ca_search.chaos",
    "coevolution": "ca_search.coevolution",
    "published": "ca_search.published",
    # strategies
    "MitchellGA": "ca_search.strategies:MitchellGA",
    "BinaryPSO": "ca_search.strategies:BinaryPSO",
    "BGL_PSO": "ca_search.strategies:BGL_PSO",
    "STRATEGIES": "ca_search.strategies:STRATEGIES",
    "random_genomes": "ca_search.strategies:random_genomes",
    # the search job
    "SearchConfig": "ca_search.search_config:SearchConfig",
    "run_search": "ca_search.jobs.search:run_search",
    "make_strategy": "ca_search.search_config:make_strategy",
}

__all__ = ["__version__", *_NAMES]
__getattr__, __dir__ = exports(__name__, _NAMES)
