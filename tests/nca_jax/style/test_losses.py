import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nca_jax.style import losses as style
from nca_jax.style import vgg
from nca_jax.targets import grayscott
from runio.errors import ConfigError


@pytest.fixture(scope="module")
def params(tmp_path_factory):
    return vgg.load_vgg16_params(cache=tmp_path_factory.mktemp("vggcache"))


@pytest.fixture(scope="module")
def spots():
    return grayscott.texture("spots", 64)[None]


def test_gram_matches_loop_definition():
    rng = np.random.default_rng(0)
    b, h, w, c = 2, 5, 7, 3
    f = rng.normal(size=(b, h, w, c)).astype(np.float32)
    g = np.asarray(style.gram(jnp.asarray(f)))
    ref = np.zeros((b, c, c))
    for n in range(b):
        for i in range(c):
            for j in range(c):
                ref[n, i, j] = sum(
                    f[n, y, x, i] * f[n, y, x, j] for y in range(h) for x in range(w)
                )
    ref /= h * w
    assert g.shape == (b, c, c)  # one c x c matrix per image, not (h, w)-shaped
    np.testing.assert_allclose(g, ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g, np.swapaxes(g, 1, 2), rtol=1e-6)
    # normalised by h*w: a constant feature map of value a has Gram a_i a_j, whatever its size
    a = np.array([1.0, 2.0, -3.0], np.float32)
    big = np.broadcast_to(a, (1, 13, 11, 3))
    np.testing.assert_allclose(style.gram(jnp.asarray(big))[0], np.outer(a, a), rtol=1e-6)


def test_gram_loss_definition():
    rng = np.random.default_rng(1)
    grams = [rng.normal(size=(2, 3, 3)), rng.normal(size=(2, 4, 4))]
    target = [rng.normal(size=(1, 3, 3)), rng.normal(size=(1, 4, 4))]
    expected = [
        sum(((g[n] - t[0]) ** 2).mean() for g, t in zip(grams, target)) for n in range(2)
    ]
    np.testing.assert_allclose(style.gram_loss(grams, target), expected, rtol=1e-6)


def test_vgg_style_loss_zero_positive_and_shift_tolerant(params, spots):
    target = style.vgg_grams(params, spots)
    assert [g.shape for g in target] == [(1, 64, 64), (1, 128, 128), (1, 256, 256),
                                         (1, 512, 512), (1, 512, 512)]
    noise = np.random.default_rng(0).random(spots.shape).astype(np.float32)
    shifted = jnp.roll(spots, (13, 29), axis=(1, 2))
    images = jnp.concatenate([spots, shifted, noise, jnp.full_like(spots, 0.5)])
    loss = np.asarray(jax.jit(style.vgg_style_loss)(params, images, target))
    assert loss.shape == (4,)
    assert loss[0] == pytest.approx(0.0, abs=1e-6 * float(loss[2]))
    assert loss[2] > 0 and loss[3] > 0
    # a circular shift changes only what the zero-padded convs see at the borders
    assert loss[1] < 0.1 * min(loss[2], loss[3])


def test_periodic_vgg_loss_is_exactly_invariant_to_shifts_by_the_pooling_stride(params):
    """With circular padding every feature map of a 32×32 image shifted circularly by 16
    pixels (the pooling stride down to relu5_1) is the shifted feature map, so the Gram
    matrices, a global average, are unchanged; with zero padding they are not."""
    img = np.random.default_rng(3).random((1, 32, 32, 3)).astype(np.float32)
    shifted = np.roll(img, (16, -16), axis=(1, 2))
    for periodic, same in ((True, True), (False, False)):
        loss_fn, data = style.make_style_loss("vgg", img[0], vgg_params=params, periodic=periodic)
        loss = float(loss_fn(data, jnp.asarray(shifted))[0])
        scale = float(loss_fn(data, jnp.full_like(img, 0.5))[0])
        assert (loss < 1e-6 * scale) == same, (periodic, loss, scale)


def test_swd_loss_zero_positive_exactly_shift_invariant(spots):
    bank = style.random_feature_bank(jax.random.key(0), n_scales=4)
    target = style.swd_target(bank, spots)
    assert [t.shape for t in target] == [(1, 64 * 64 // 4**s, 32) for s in range(4)]
    noise = np.random.default_rng(0).random(spots.shape).astype(np.float32)
    other = grayscott.texture("maze", 64)[None]
    shifted = jnp.roll(spots, (16, 40), axis=(1, 2))  # multiples of the coarsest pool (8)
    images = jnp.concatenate([spots, shifted, noise, other])
    loss = np.asarray(jax.jit(style.swd_style_loss)(bank, images, target))
    assert loss[0] == pytest.approx(0.0, abs=1e-10)
    assert loss[1] == pytest.approx(0.0, abs=1e-6)
    assert loss[2] > 1e-3 and loss[3] > 1e-3
    grad = jax.jit(jax.grad(lambda x: style.swd_style_loss(bank, x, target).sum()))(noise)
    assert np.isfinite(grad).all() and np.abs(grad).max() > 0


def test_swd_matches_sorted_projection_definition_and_resamples_target(spots):
    bank = style.random_feature_bank(jax.random.key(1), n_features=4, n_scales=2, n_projections=3)
    x = np.random.default_rng(2).random((1, 16, 16, 3)).astype(np.float32)
    y = np.random.default_rng(3).random((1, 16, 16, 3)).astype(np.float32)
    expected = 0.0
    for fx, fy, proj in zip(style.random_features(bank, x), style.random_features(bank, y),
                            bank["projections"]):
        px = np.sort(np.asarray(fx).reshape(-1, fx.shape[-1]) @ np.asarray(proj), axis=0)
        py = np.sort(np.asarray(fy).reshape(-1, fy.shape[-1]) @ np.asarray(proj), axis=0)
        expected += ((px - py) ** 2).mean()
    got = style.swd_style_loss(bank, x, style.swd_target(bank, y))
    np.testing.assert_allclose(got, [expected], rtol=1e-5)
    # a 2x2 tiling of a periodic image has the same feature distribution
    tiled = np.tile(x, (1, 2, 2, 1))
    small = style.swd_style_loss(bank, x, style.swd_target(bank, tiled))
    assert float(small[0]) < 0.05 * expected


def test_random_features_use_circular_padding():
    bank = style.random_feature_bank(jax.random.key(2), n_features=5, n_scales=1)
    x = np.random.default_rng(4).random((1, 12, 12, 3)).astype(np.float32)
    (f,) = style.random_features(bank, x)
    (g,) = style.random_features(bank, np.roll(x, (5, 7), axis=(1, 2)))
    np.testing.assert_allclose(np.roll(f, (5, 7), axis=(1, 2)), g, rtol=1e-5, atol=1e-6)


def test_make_style_loss_both_kinds(params, spots):
    for kind in style.LOSSES:
        fn, data = style.make_style_loss(kind, spots[0], key=jax.random.key(0), vgg_params=params)
        loss = jax.jit(fn)(data, jnp.concatenate([spots, 1.0 - spots]))
        assert loss.shape == (2,) and float(loss[0]) < 1e-6 * float(loss[1])
    with pytest.raises(ConfigError, match="vgg, swd"):
        style.make_style_loss("lpips", spots)
    with pytest.raises(ConfigError, match="key"):
        style.make_style_loss("swd", spots)


def test_colour_loss_is_the_sorted_colour_distance():
    rng = np.random.default_rng(7)
    target = rng.random((1, 6, 5, 3)).astype(np.float32)
    sorted_t = style.colour_target(jnp.asarray(target))
    # a flat image: the mean over directions of the variance of the target's projections
    dirs = np.asarray(style.COLOUR_DIRECTIONS, np.float64)
    np.testing.assert_allclose(np.linalg.norm(dirs, axis=1), 1.0, rtol=1e-6)
    proj = target.reshape(-1, 3).astype(np.float64) @ dirs.T
    flat = np.broadcast_to(target.mean(axis=(1, 2), keepdims=True), target.shape)
    np.testing.assert_allclose(style.colour_loss(jnp.asarray(flat), sorted_t)[0],
                               proj.var(axis=0).mean(), rtol=1e-5)
    # only the distribution of colours counts: any permutation of the pixels is as good
    shuffled = rng.permutation(target.reshape(-1, 3)).reshape(target.shape)
    other = rng.random(target.shape).astype(np.float32)
    loss = style.colour_loss(jnp.asarray(np.concatenate([target, shuffled, other])), sorted_t)
    np.testing.assert_allclose(loss[:2], 0.0, atol=1e-12)
    expected = np.mean((np.sort(other.reshape(-1, 3) @ dirs.T, axis=0) - np.sort(proj, axis=0)) ** 2)
    np.testing.assert_allclose(loss[2], expected, rtol=1e-5)


def test_colour_weight_scales_the_term_at_the_flat_image(params, spots):
    target = spots[0, :32, :32]
    flat = jnp.broadcast_to(target.mean(axis=(0, 1)), target.shape)[None]
    noise = np.random.default_rng(3).random((1, 32, 32, 3)).astype(np.float32)
    images = jnp.concatenate([flat, target[None], noise])
    for kind in style.LOSSES:
        base, d0 = style.make_style_loss(kind, target, key=jax.random.key(0), vgg_params=params)
        fn, data = style.make_style_loss(kind, target, key=jax.random.key(0), vgg_params=params,
                                         colour_weight=0.5)
        b, c = np.asarray(jax.jit(base)(d0, images)), np.asarray(jax.jit(fn)(data, images))
        np.testing.assert_allclose(c[0], 1.5 * b[0], rtol=1e-4)  # weight 0.5 of the flat loss
        np.testing.assert_allclose(c[1], b[1], atol=1e-5)  # the target keeps its zero
        assert c[2] > b[2]
        # same structure as without the term: (shared, per-target), so searches can stack
        assert jax.tree.structure(data[0]) == jax.tree.structure(d0[0])
    with pytest.raises(ConfigError, match="colour_weight"):
        style.make_style_loss("vgg", target, vgg_params=params, colour_weight=-1.0)
