"""Texture (style) losses between images ``(B, H, W, 3)`` with RGB in [0, 1].

Two options, both pure functions whose target statistics are computed once:

* ``vgg`` — Gatys et al.'s Gram-matrix loss on ImageNet VGG16 (as SRNCA): at relu1_1,
  relu2_1, relu3_1, relu4_1 and relu5_1 the Gram matrix of the activations
  ``G[b] = einsum('bhwc,bhwd->bcd', F, F) / (h*w)`` (one c×c matrix per image), and the
  loss is the mean squared difference to the target's Gram matrix, summed over the layers.
* ``swd`` — weight-free: sliced Wasserstein distance (Heitz et al., CVPR 2021) between the
  per-pixel feature distributions of the image and the target, where features are the
  RGB values plus ReLU responses of fixed random 3×3 filters (circular padding) applied
  at several scales (average-pooled by 1, 2, 4, …). Filters and projection directions come
  from a seeded key. It needs no weights file and, because it compares distributions of
  pixels, it is exactly invariant to circular shifts by multiples of the coarsest scale.

Beside either, an optional **colour term** (``colour_weight``): the 1-D Wasserstein-2
distance between the pixel colours of the image and of the target, along the R, G, B axes
and three opponent directions (luminance, red–green, yellow–blue). The Gram loss sees colour
only through relu1_1, which carries 0.03–0.05 % of the loss of a flat image at 32×32, so a
texture NCA trained on it gets the geometry and misses the colours; the colour term is
scaled so that at the target's mean-colour (flat) image it weighs ``colour_weight`` times
the style loss.

All losses return one value per image, shape ``(B,)``; take the mean for training.
``make_style_loss`` packages either option as ``(loss_fn, data)`` with
``loss_fn(data, images) -> (B,)``, so the target statistics travel as a pytree argument
(not as constants baked into a jitted function).
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from nca_jax.nca import rand
from nca_jax.style import vgg
from runio import compiling
from runio.errors import ConfigError, check, finite

LOSSES = ("vgg", "swd")
SWD_MIN_SIZE = 24  # 4 scales of >= 3 cells


def check_loss(kind: str, size: int) -> None:
    """Raise :class:`ConfigError` unless ``kind`` is a style loss usable on ``size`` cells."""
    check(kind in LOSSES, "loss", f"must be one of {LOSSES}, got {kind!r}")
    check(8 <= size <= 1024, "size", f"must be in [8, 1024], got {size}")
    check(not (kind == "swd" and size < SWD_MIN_SIZE), "size",
          f"the swd loss needs >= {SWD_MIN_SIZE} cells (4 scales of >= 3), got {size}")


def check_colour_weight(weight: float) -> None:
    """Raise :class:`ConfigError` unless ``weight`` is a colour-term weight in [0, 1000]."""
    check(finite(weight) and 0.0 <= weight <= 1e3, "colour_weight",
          f"must be in [0, 1000], got {weight}")


# ---------------------------------------------------------------------------- Gram / VGG


def gram(features: jax.Array) -> jax.Array:
    """Gram matrices ``(B, C, C)`` of features ``(B, H, W, C)``, normalised by ``H*W``."""
    b, h, w, c = features.shape
    f = features.reshape(b, h * w, c)  # one contracted axis: XLA:CPU's backward copies less
    return jnp.einsum("bnc,bnd->bcd", f, f) / (h * w)


def vgg_grams(
    vgg_params: dict, images: jax.Array, layers: Sequence[str] = vgg.STYLE_LAYERS,
    periodic: bool = False,
) -> tuple[jax.Array, ...]:
    """Gram matrices of ``images`` at the VGG16 ``layers``: a tuple of ``(B, C_l, C_l)``.

    Applied to the target image once, this is the precomputed target of
    :func:`vgg_style_loss`.
    """
    return tuple(gram(f) for f in vgg.vgg_features(vgg_params, images, layers, periodic))


def gram_loss(grams: Sequence[jax.Array], target_grams: Sequence[jax.Array]) -> jax.Array:
    """Per-image ``(B,)`` sum over layers of the mean squared Gram difference.

    ``target_grams`` broadcast: each is ``(1, C, C)`` (one target) or ``(B, C, C)``.
    """
    return sum(jnp.mean(jnp.square(g - t), axis=(-2, -1)) for g, t in zip(grams, target_grams))


def vgg_style_loss(
    vgg_params: dict,
    images: jax.Array,
    target_grams: Sequence[jax.Array],
    layers: Sequence[str] = vgg.STYLE_LAYERS,
    periodic: bool = False,
) -> jax.Array:
    """Gatys/SRNCA style loss ``(B,)`` of ``images`` against precomputed ``target_grams``."""
    return gram_loss(vgg_grams(vgg_params, images, layers, periodic), target_grams)


# ---------------------------------------------------------------------------- weight-free


def random_feature_bank(
    key: jax.Array, n_features: int = 32, n_scales: int = 4, n_projections: int = 32
) -> dict:
    """Fixed random features for :func:`swd_style_loss`, drawn from ``key``.

    A pytree ``{'kernels': [(3, 3, 3, F)] * S, 'biases': [(F,)] * S,
    'projections': [(3 + F, P)] * S}`` for ``S = n_scales`` scales (average-pool factors
    1, 2, 4, …). Kernels are He-normal, projections unit vectors.
    """
    if n_features < 1 or n_scales < 1 or n_projections < 1:
        raise ConfigError("loss", "n_features, n_scales and n_projections must be >= 1")
    kernels, biases, projections = [], [], []
    for k in jax.random.split(key, n_scales):
        kk, kb, kp = jax.random.split(k, 3)
        kernels.append(rand.normal(kk, (3, 3, 3, n_features)) * jnp.sqrt(2.0 / 27.0))
        biases.append(0.1 * jax.random.normal(kb, (n_features,)))
        p = jax.random.normal(kp, (3 + n_features, n_projections))
        projections.append(p / jnp.linalg.norm(p, axis=0, keepdims=True))
    return {"kernels": kernels, "biases": biases, "projections": projections}


def _avg_pool(x: jax.Array, factor: int) -> jax.Array:
    if factor == 1:
        return x
    b, h, w, c = x.shape
    h2, w2 = h // factor, w // factor
    x = x[:, : h2 * factor, : w2 * factor]
    return x.reshape(b, h2, factor, w2, factor, c).mean(axis=(2, 4))


def random_features(bank: dict, images: jax.Array) -> tuple[jax.Array, ...]:
    """Per scale ``s``: ``(B, H/2^s, W/2^s, 3 + F)`` = pooled RGB (as 2x-1) and ReLU(conv)."""
    x = 2.0 * images - 1.0
    out = []
    for s, (kernel, bias) in enumerate(zip(bank["kernels"], bank["biases"])):
        xs = _avg_pool(x, 2**s)
        if min(xs.shape[1:3]) < 3:
            raise ConfigError("size", f"image {images.shape[1:3]} too small for {len(bank['kernels'])} scales")
        padded = jnp.pad(xs, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="wrap")
        conv = jax.lax.conv_general_dilated(
            padded, kernel, (1, 1), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC")
        )
        out.append(jnp.concatenate([xs, jax.nn.relu(conv + bias)], axis=-1))
    return tuple(out)


def _sorted_projections(bank: dict, images: jax.Array) -> tuple[jax.Array, ...]:
    res = []
    for feats, proj in zip(random_features(bank, images), bank["projections"]):
        b = feats.shape[0]
        res.append(jnp.sort(feats.reshape(b, -1, feats.shape[-1]) @ proj, axis=1))
    return tuple(res)


def swd_target(bank: dict, target: jax.Array) -> tuple[jax.Array, ...]:
    """Precomputed target of :func:`swd_style_loss`: per scale, sorted projections
    ``(B_t, N_s, P)`` of the target's features (``B_t`` = 1 for one target image)."""
    return _sorted_projections(bank, target)


def swd_style_loss(bank: dict, images: jax.Array, target_sorted: Sequence[jax.Array]) -> jax.Array:
    """Sliced Wasserstein-2 style loss ``(B,)`` between ``images`` and a precomputed target.

    Per scale: project every pixel's features on P fixed unit directions, sort over pixels
    and take the mean squared difference with the target's sorted projections; summed
    over scales. A target of another size is resampled to the same number of quantiles.
    """
    total = 0.0
    for mine, theirs in zip(_sorted_projections(bank, images), target_sorted):
        total = total + _quantile_mse(mine, theirs)
    return total


def _quantile_mse(mine: jax.Array, theirs: jax.Array) -> jax.Array:
    """``(B,)`` mean squared difference of sorted values ``(B, N, P)`` and ``(B_t, N_t, P)``;
    a target with another number of values is resampled to ``N`` quantiles."""
    n, n_t = mine.shape[1], theirs.shape[1]
    if n_t != n:
        theirs = theirs[:, jnp.round(jnp.linspace(0, n_t - 1, n)).astype(jnp.int32)]
    return jnp.mean(jnp.square(mine - theirs), axis=(1, 2))


# ---------------------------------------------------------------------------- colour

# R, G, B, then luminance, red-green and yellow-blue (unit vectors)
COLOUR_DIRECTIONS = np.array([
    [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0],
    [1 / 3**0.5] * 3, [1 / 2**0.5, -1 / 2**0.5, 0.0], [1 / 6**0.5, 1 / 6**0.5, -2 / 6**0.5],
], np.float32)


def _sorted_colours(images: jax.Array) -> jax.Array:
    b = images.shape[0]
    return jnp.sort(images.reshape(b, -1, 3) @ COLOUR_DIRECTIONS.T, axis=1)


def colour_target(target: jax.Array) -> jax.Array:
    """Precomputed target of :func:`colour_loss`: sorted projections ``(B_t, N, 6)``."""
    return _sorted_colours(target)


def colour_loss(images: jax.Array, target_sorted: jax.Array) -> jax.Array:
    """``(B,)`` squared 1-D Wasserstein-2 distance between the pixel colours of ``images``
    and the target's, averaged over :data:`COLOUR_DIRECTIONS`."""
    return _quantile_mse(_sorted_colours(images), target_sorted)


# ---------------------------------------------------------------------------- packaged


def make_style_loss(
    kind: str,
    target: jax.Array,
    key: jax.Array | None = None,
    vgg_params: dict | None = None,
    periodic: bool = False,
    colour_weight: float = 0.0,
) -> tuple[Callable[[object, jax.Array], jax.Array], object]:
    """``(loss_fn, data)`` with ``loss_fn(data, images) -> (B,)`` for ``kind`` in LOSSES.

    ``periodic`` (vgg): circular padding in every conv, for the target and the images —
    textures on a torus have no borders, and at 32×32 zero padding's borders weigh as
    much as the texture (the swd loss pads circularly always).

    ``target``: ``(H, W, 3)`` or ``(1, H, W, 3)`` in [0, 1]; its statistics are computed
    here, once. ``vgg`` loads ImageNet weights (``vgg_params`` overrides); ``swd`` draws its
    random features from ``key`` (required).

    ``colour_weight`` > 0 adds :func:`colour_loss`, scaled to weigh ``colour_weight`` × the
    style loss at the target's mean-colour image. ``data`` is ``(shared, per_target)`` in
    every case (the search stacks ``per_target`` over textures).
    """
    target = jnp.asarray(target, jnp.float32)
    if target.ndim == 3:
        target = target[None]
    check_colour_weight(colour_weight)
    fn, data = _style_loss(kind, target, key, vgg_params, periodic)
    if colour_weight == 0.0:
        return fn, data
    flat = jnp.broadcast_to(jnp.mean(target, axis=(1, 2), keepdims=True), target.shape)
    colours = colour_target(target)
    style_flat, colour_flat = float(fn(data, flat)[0]), float(colour_loss(flat, colours)[0])
    scale = colour_weight * style_flat / max(colour_flat, 1e-12)
    return WithColour(fn), (data[0], (data[1], colours, jnp.float32(scale)))


@dataclasses.dataclass(frozen=True)
class WithColour:
    """A style loss plus the scaled colour term; equal for equal ``base`` (jit caches)."""

    base: Callable

    def __call__(self, data, images):
        shared, (per, colours, scale) = data
        return self.base((shared, per), images) + scale * colour_loss(images, colours)


def _style_loss(kind, target, key, vgg_params, periodic):
    if kind == "vgg":
        params = vgg.params_for(vgg_params if vgg_params is not None else vgg.load_vgg16_params())
        fn = _vgg_periodic_loss_fn if periodic else _vgg_loss_fn
        return fn, (params, _target_grams(params, target, periodic=periodic))
    if kind == "swd":
        if key is None:
            raise ConfigError("loss", "the swd style loss needs a key for its random features")
        bank = _bank(key)
        return _swd_loss_fn, (bank, _swd_target(bank, target))
    raise ConfigError("loss", f"unknown style loss {kind!r}; allowed: {', '.join(LOSSES)}")


# the targets' statistics, computed once per loss: one program each instead of dozens of
# op-by-op compilations (a VGG loss starts ≈ 1.5 s sooner on a CPU)
_target_grams = compiling.once(vgg_grams, static_argnames=("layers", "periodic"))
_bank = compiling.once(random_feature_bank,
                       static_argnames=("n_features", "n_scales", "n_projections"))
_swd_target = compiling.once(swd_target)


def _vgg_loss_fn(data, images):
    params, target_grams = data
    return vgg_style_loss(params, images, target_grams)


def _vgg_periodic_loss_fn(data, images):
    params, target_grams = data
    return vgg_style_loss(params, images, target_grams, periodic=True)


def _swd_loss_fn(data, images):
    bank, target_sorted = data
    return swd_style_loss(bank, images, target_sorted)
