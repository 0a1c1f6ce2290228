import jax.numpy as jnp
import numpy as np
import pytest

from nca_jax.nca import perception

SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]) / 8.0


def np_correlate(x, k, wrap):
    """Hand-written 3×3 cross-correlation of (H, W, C) with zero or circular borders."""
    h, w, c = x.shape
    out = np.zeros_like(x)
    for y in range(h):
        for xx in range(w):
            for i in (-1, 0, 1):
                for j in (-1, 0, 1):
                    yy, xj = y + i, xx + j
                    if wrap:
                        yy, xj = yy % h, xj % w
                    elif not (0 <= yy < h and 0 <= xj < w):
                        continue
                    out[y, xx] += k[i + 1, j + 1] * x[yy, xj]
    return out


def test_kernels_are_the_published_ones():
    np.testing.assert_array_equal(perception.KERNELS["sobel_x"], SOBEL_X)
    np.testing.assert_array_equal(perception.KERNELS["sobel_y"], SOBEL_X.T)


@pytest.mark.parametrize("padding", ["zero", "circular"])
def test_perceive_matches_numpy_correlation(padding):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 6, 3)).astype(np.float32)
    filters = ("identity", "sobel_x", "sobel_y", "laplacian")
    got = np.asarray(perception.perceive(jnp.asarray(x), filters, padding))
    want = np.concatenate(
        [np_correlate(x, perception.KERNELS[f], padding == "circular") for f in filters], -1
    )
    np.testing.assert_allclose(got, want, atol=1e-6)


def test_sobel_x_of_a_ramp_is_its_slope():
    # f(y, x) = 2x: Sobel x /8 gives (1+2+1)*(2*1 - 2*(-1))/8 = 2 in the interior
    x = np.tile(2.0 * np.arange(6, dtype=np.float32)[None, :, None], (5, 1, 1))
    out = np.asarray(perception.perceive(jnp.asarray(x), ("sobel_x", "sobel_y")))
    np.testing.assert_allclose(out[1:-1, 1:-1, 0], 2.0, atol=1e-6)
    np.testing.assert_allclose(out[1:-1, 1:-1, 1], 0.0, atol=1e-6)


def test_batch_shapes_are_independent():
    x = np.random.default_rng(1).normal(size=(2, 3, 4, 4, 2)).astype(np.float32)
    out = np.asarray(perception.perceive(jnp.asarray(x)))
    np.testing.assert_allclose(out[1, 2], np.asarray(perception.perceive(jnp.asarray(x[1, 2]))))


def test_max_pool_zero_border():
    a = np.zeros((4, 4), np.float32)
    a[0, 0] = 0.5
    got = np.asarray(perception.max_pool3(jnp.asarray(a)))
    want = np.zeros((4, 4))
    want[:2, :2] = 0.5
    np.testing.assert_array_equal(got, want)
    wrapped = np.asarray(perception.max_pool3(jnp.asarray(a), "circular"))
    assert wrapped[3, 3] == 0.5 and wrapped[2, 2] == 0.0
