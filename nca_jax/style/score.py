"""A texture score a person can read: how far an image's style loss has come from the flat
image towards another piece of the target.

    score = (L(flat) − L(images)) / (L(flat) − L(reference))

with ``L`` the VGG16 Gram style loss against the target, ``flat`` the target's mean-colour
image (the ceiling of the loss: right colours, no texture) and ``reference`` another piece
of the same texture: the target shifted by half its size on the torus the NCA lives on
(≈ the floor). So 0 is the flat image, 1 is as good as another piece of the target, below
0 is worse than flat. The training loss may be another one (``swd``); the score is always
this one, so runs and searches compare on one scale.

Every image, target included, is scored as its 2×2 tiling: the NCA's output is periodic,
and at the small grids a CPU trains (32×32) VGG16's zero padding otherwise dominates the
loss (a shifted copy of a 32×32 spots target scores a loss of 164 against a flat image's
2702 untiled, 27 against 2091 tiled). Measured on the three Gray–Scott presets at 32×32,
another Gray–Scott simulation is no reference at all: the stripes and maze of another run
take other orientations, which the Gram loss does not forgive (a maze from another seed
has a higher loss than the flat image).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from nca_jax.style import losses as style


STEPS_PER_CA_STEP = 4  # a texture is scored after this many times its training rollout's steps


class Scorer(NamedTuple):
    loss_fn: object  # the VGG style loss of nca_jax.style.losses.make_style_loss, jitted
    data: object  # its data: the (tiled) target's statistics
    loss_reference: float
    loss_flat: float

    def losses(self, images) -> jax.Array:
        """VGG style loss ``(B,)`` of images ``(B, H, W, 3)`` in [0, 1] (tiled 2×2)."""
        return self.loss_fn(self.data, tile(jnp.asarray(images, jnp.float32)))

    def score(self, images) -> float:
        """The score of images ``(B, H, W, 3)`` (mean loss over the batch)."""
        return float(self.of_loss(jnp.mean(self.losses(images))))

    def of_loss(self, loss):
        """The score of a (mean) VGG style loss, any shape."""
        return (self.loss_flat - loss) / (self.loss_flat - self.loss_reference)


def tile(images):
    """``(..., H, W, 3)`` → ``(..., 2H, 2W, 3)``: the periodic image seen without borders."""
    reps = (1,) * (images.ndim - 3) + (2, 2, 1)
    return jnp.tile(images, reps) if isinstance(images, jax.Array) else np.tile(images, reps)


def reference(target: np.ndarray) -> np.ndarray:
    """Another piece of the texture of ``target``: shifted by half its size, circularly."""
    h, w = target.shape[:2]
    return np.roll(target, (h // 2, w // 2), axis=(0, 1))


def flat(target: np.ndarray) -> np.ndarray:
    """The target's mean-colour image."""
    return np.broadcast_to(target.reshape(-1, 3).mean(0), target.shape).astype(np.float32)


def scorer(target: np.ndarray, vgg_params: dict) -> Scorer:
    """The score against ``target`` ``(H, W, 3)`` with VGG16 weights ``vgg_params``."""
    target = np.asarray(target, np.float32)
    loss_fn, data = style.make_style_loss("vgg", tile(target), vgg_params=vgg_params)
    loss_fn = jax.jit(loss_fn)
    both = tile(np.stack([reference(target), flat(target)]))
    ref, fl = (float(v) for v in loss_fn(data, jnp.asarray(both)))
    return Scorer(loss_fn, data, ref, fl)
