import jax
import jax.numpy as jnp
import numpy as np

from benchmarks.es_gradient import cosine, es_estimate, linear_cosine


def test_es_estimate_of_a_quadratic_is_unbiased_with_the_beta_law_cosine():
    # mirrored pairs cancel a quadratic's curvature: the estimate is (1/n) Σ (g·ε) ε, whose
    # mean is g and whose squared cosine with g is Beta(n/2, (d-1)/2), mean n / (n + d - 1)
    d, population, draws = 50, 16, 400
    rng = np.random.default_rng(0)
    a = rng.normal(size=(d, d))
    hess, b, v = jnp.asarray(a @ a.T / d), jnp.asarray(rng.normal(size=d)), jnp.ones(d)
    loss = lambda v: 0.5 * v @ hess @ v + b @ v  # noqa: E731
    g = np.asarray(hess @ v + b)
    est = jax.jit(lambda k: es_estimate(loss, v, 0.3, population, k))
    keys = jax.random.split(jax.random.PRNGKey(0), draws)
    estimates = np.stack([np.asarray(est(k)) for k in keys])
    cos2 = np.mean([cosine(e, g) ** 2 for e in estimates])
    assert abs(cos2 - 8 / 57) < 0.02  # SE of the mean ≈ 0.003
    assert abs(linear_cosine(8, d) ** 2 - 8 / 57) < 1e-12
    # unbiased: per component the mean's standard error is |g| / sqrt(n · draws)
    se = np.linalg.norm(g) / np.sqrt(population // 2 * draws)
    assert np.max(np.abs(estimates.mean(0) - g)) < 5 * se
