"""A photograph-like texture made here, so that examples run without downloads: paving
stones seen from above, as a seamless (periodic) RGB image.

Stones are the cells of a periodic Voronoi diagram of jittered grid points. Each stone has
its own colour (grey-brown, from a seeded draw), is shaded as a dome lit from the upper
left, and carries fine speckle; gaps between stones are dark wet sand. The package ships
the result as ``data/paving.png`` (``python -m nca_jax.targets.paving`` rewrites it), and
``load_texture("paving", size)`` reads it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

PATH = Path(__file__).with_name("data") / "paving.png"


def paving(size: int = 128, stones_per_side: int = 4, seed: int = 0) -> np.ndarray:
    """``(size, size, 3)`` uint8 seamless paving-stone texture."""
    rng = np.random.default_rng(seed)
    n = stones_per_side
    cell = size / n
    centres = (np.stack(np.meshgrid(np.arange(n), np.arange(n), indexing="ij"), -1)
               .reshape(-1, 2) + 0.5 + rng.uniform(-0.3, 0.3, (n * n, 2))) * cell
    yy, xx = np.mgrid[:size, :size].astype(np.float64)
    # periodic distances from every pixel to every centre: (size, size, n*n, 2)
    d = np.stack([yy, xx], -1)[:, :, None, :] - centres[None, None]
    d = (d + size / 2) % size - size / 2
    dist = np.linalg.norm(d, axis=-1)
    order = np.argsort(dist, axis=-1)
    nearest, second = order[..., 0], order[..., 1]
    d1 = np.take_along_axis(dist, nearest[..., None], -1)[..., 0]
    d2 = np.take_along_axis(dist, second[..., None], -1)[..., 0]
    edge = (d2 - d1) / 2  # distance to the Voronoi border
    radius = cell * 0.5
    height = np.sqrt(np.clip(1 - (1 - np.clip(edge / (0.45 * radius), 0, 1)) ** 2, 0, 1))
    vec = np.take_along_axis(d, nearest[..., None, None].repeat(2, -1), 2)[:, :, 0]
    light = np.clip(0.6 - 0.4 * (vec[..., 0] + vec[..., 1]) / (radius * 1.4), 0.2, 1.0)
    base = rng.uniform(0.35, 0.75, (n * n, 1)) * np.array([1.0, 0.92, 0.8]) \
        + rng.normal(0, 0.04, (n * n, 3))
    colour = base[nearest]
    speckle = rng.normal(0, 0.03, (size, size, 1))
    stone = colour * (0.55 + 0.45 * light[..., None]) * (0.6 + 0.4 * height[..., None]) + speckle
    sand = np.array([0.16, 0.13, 0.10]) + rng.normal(0, 0.02, (size, size, 3))
    mix = np.clip(edge / 1.5, 0, 1)[..., None]
    return (np.clip(mix * stone + (1 - mix) * sand, 0, 1) * 255).round().astype(np.uint8)


if __name__ == "__main__":
    import imageio.v3 as iio

    PATH.parent.mkdir(exist_ok=True)
    iio.imwrite(PATH, paving())
    print(f"wrote {PATH}")
