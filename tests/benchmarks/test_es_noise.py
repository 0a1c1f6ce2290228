"""ES noise on losses whose answer is known: a key-free linear loss (every rollout's gradient
is the expected one; two ES estimates agree as the linear law says), a loss made of its masks
(no shared direction) and one whose expected gradient has a known share."""

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
    return jax.random.normal(key, (D,)) @ v


def mixed(v, key, batch):
    """Gradient A + 2 n with n ~ N(0, I): E|A|² ≈ D, E|2n|² = 4 D, signal share 1/5."""
    return (A + 2.0 * jax.random.normal(key, (D,))) @ v


def test_a_key_free_linear_loss_is_all_signal_and_the_linear_population_noise():
    got = noise(linear, jnp.zeros(D), 8, 64, 0.1, 32, jax.random.PRNGKey(0))
    assert got["signal"] == pytest.approx(1.0) and got["rollouts_for_half"] == pytest.approx(0)
    assert got["pop_cos_linear"] == pytest.approx(32 / (32 + D - 1))
    assert got["pop_cos"] == pytest.approx(got["pop_cos_linear"], abs=0.05)


def test_the_signal_share_of_noisy_gradients():
    got = noise(masks_only, jnp.zeros(D), 64, 4, 0.1, 1, jax.random.PRNGKey(1))
    assert abs(got["signal"]) < 0.02
    got = noise(mixed, jnp.zeros(D), 64, 4, 0.1, 1, jax.random.PRNGKey(2))
    share = float(A @ A) / (float(A @ A) + 4 * D)
    assert got["signal"] == pytest.approx(share, abs=0.03)
    assert 0 < got["signal_se"] < 0.03 and abs(got["signal"] - share) < 3 * got["signal_se"]
    assert got["rollouts_for_half"] == pytest.approx((1 - got["signal"]) / got["signal"])


@pytest.mark.parametrize("arg", ["--model=nope", "--rollouts=1", "--population=7"])
def test_bad_flags_are_one_line_errors(arg):
    assert arg.split("=")[0] in one_line_error("benchmarks.es_noise", arg)
