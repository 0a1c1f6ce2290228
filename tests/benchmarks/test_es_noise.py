"""ES noise on losses whose answer is known: a key-free linear loss (the masks add nothing;
two estimates agree as the linear law says) and a loss whose gradient is the key's own."""

import jax
import jax.numpy as jnp
import pytest

from benchmarks.es_noise import noise
from tests.benchmarks.cli import one_line_error

D = 256
A = jax.random.normal(jax.random.PRNGKey(42), (D,))


def linear(v, key, batch):
    return A @ v


def masks_only(v, key, batch):
    """Mean over ``batch`` draws of a random linear loss: no direction shared by two keys."""
    return jnp.mean(jax.random.normal(key, (batch, D)), axis=0) @ v


def test_a_key_free_linear_loss_has_no_mask_noise_and_the_linear_population_noise():
    got = noise(linear, jnp.zeros(D), 1, 64, 0.1, 32, jax.random.PRNGKey(0))
    assert got["mask_cos"] == pytest.approx(1.0)
    assert got["pop_cos_linear"] == pytest.approx(32 / (32 + D - 1))
    assert got["pop_cos"] == pytest.approx(got["pop_cos_linear"], abs=0.05)


@pytest.mark.parametrize("batch", [1, 8])
def test_a_loss_made_of_its_masks_has_uncorrelated_gradients(batch):
    got = noise(masks_only, jnp.zeros(D), batch, 64, 0.1, 32, jax.random.PRNGKey(1))
    assert abs(got["mask_cos"]) < 3 / D ** 0.5


@pytest.mark.parametrize("arg", ["--model=nope", "--batches=x", "--population=7"])
def test_bad_flags_are_one_line_errors(arg):
    assert arg.split("=")[0] in one_line_error("benchmarks.es_noise", arg)
