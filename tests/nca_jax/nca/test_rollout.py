"""The differentiable masked rollout against a plain Python loop of the same steps."""

import jax
import jax.numpy as jnp
import numpy as np

from nca_jax.nca import rollout


def _step(w):
    return lambda x, k: jnp.tanh(w * x + 0.3 * jax.random.normal(k, x.shape))


def _loop(w, x, key, n):
    for t in range(n):
        x = _step(w)(x, jax.random.fold_in(key, t))
    return jnp.sum(x ** 2)


def _masked(w, x, key, n, max_steps):
    return jnp.sum(rollout.masked(_step(w), x, key, n, max_steps) ** 2)


def test_masked_rollout_value_and_gradient_are_those_of_the_first_n_steps():
    x = jnp.linspace(-1.0, 1.0, 6)
    key = jax.random.PRNGKey(0)
    grad = jax.jit(jax.value_and_grad(_masked), static_argnums=4)
    for n in (0, 3, 7):
        value, g = grad(1.3, x, key, n, 7)
        want, want_g = jax.value_and_grad(_loop)(1.3, x, key, n)
        np.testing.assert_allclose(float(value), float(want), rtol=1e-6)
        np.testing.assert_allclose(float(g), float(want_g), rtol=1e-5, atol=1e-7)


def test_masked_rollout_with_lengths_batched_by_vmap():
    x = jnp.linspace(-1.0, 1.0, 6)
    key = jax.random.PRNGKey(1)
    ns = jnp.array([1, 4, 5])  # a batched length turns the skip into a select
    got = jax.vmap(jax.grad(_masked), in_axes=(None, None, None, 0, None))(0.7, x, key, ns, 5)
    want = [jax.grad(_loop)(0.7, x, key, int(n)) for n in ns]
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-7)
