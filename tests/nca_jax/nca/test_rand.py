"""Flat draws reshaped are the very numbers jax.random draws for the shape itself."""

import jax
import numpy as np
import pytest

from nca_jax.nca import rand


@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 9, 9, 1), (3, 6, 6, 4)])
def test_flat_draws_equal_shaped_draws(shape):
    key = jax.random.PRNGKey(11)
    np.testing.assert_array_equal(rand.uniform(key, shape, minval=-0.5, maxval=2.0),
                                  jax.random.uniform(key, shape, minval=-0.5, maxval=2.0))
    np.testing.assert_array_equal(rand.normal(key, shape), jax.random.normal(key, shape))
    keys = jax.random.split(key, 3)  # and per key under vmap, as inside a population
    np.testing.assert_array_equal(jax.vmap(lambda k: rand.uniform(k, shape))(keys),
                                  jax.vmap(lambda k: jax.random.uniform(k, shape))(keys))
