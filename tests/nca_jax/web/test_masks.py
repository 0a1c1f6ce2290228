"""The page's update masks: numpy's hash against a plain-integer reference; the draws."""

import numpy as np

from nca_jax.web import masks

M = 0xFFFFFFFF


def lowbias32(x: int) -> int:
    """Wellons' lowbias32 with Python integers (the published constants)."""
    x ^= x >> 16
    x = (x * 0x7FEB352D) & M
    x ^= x >> 15
    x = (x * 0x846CA68B) & M
    x ^= x >> 16
    return x


def test_hash_matches_integer_reference():
    xs = np.random.default_rng(0).integers(0, 2**32, 2000, dtype=np.uint64)
    xs = np.concatenate([xs, [0, 1, M, 2**31]]).astype(np.uint32)
    assert masks.hash32(xs).tolist() == [lowbias32(int(x)) for x in xs]


def test_uniform_is_the_hash_chain_in_24_bits():
    seed, step, n = 7, 123, 50
    base = lowbias32((step + lowbias32(seed)) & M)
    want = [(lowbias32((i + base) & M) >> 8) / 2**24 for i in range(n)]
    assert masks.uniform(seed, step, n).tolist() == want


def test_fire_rate_and_independence_of_steps():
    a = masks.fire(1, 0, (64, 64, 1), 0.5)
    b = masks.fire(1, 1, (64, 64, 1), 0.5)
    assert a.shape == (64, 64, 1)
    assert abs(a.mean() - 0.5) < 0.03
    assert abs(masks.fire(1, 0, (100_000,), 0.2).mean() - 0.2) < 0.01
    assert 0.45 < (a == b).mean() < 0.55  # two steps agree about as often as coin flips
