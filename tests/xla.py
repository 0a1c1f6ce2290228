"""XLA's optimisations back on, for the few tests that train for real (the suite runs with
them off: see tests/conftest.py)."""

import contextlib

import jax

FLAG = "jax_disable_most_optimizations"


@contextlib.contextmanager
def optimised():
    """Compile what runs inside with XLA's optimisations, as users run it."""
    before = jax.config.values[FLAG]
    jax.config.update(FLAG, False)
    try:
        yield
    finally:
        jax.config.update(FLAG, before)
