"""Bit-sliced simulator of 1-D binary cellular automata on a periodic lattice.

Many initial conditions (ICs) advance at once: the state of ``n_ics`` lattices of ``N``
cells is packed into a ``(N, W)`` uint32 array, ``W = ceil(n_ics / 32)``, where bit ``b`` of
word ``w`` in row ``i`` is cell ``i`` of IC ``32 w + b``. One bitwise instruction thus
advances 32 lattices.

A rule is applied without any per-cell table gather: its table becomes ``2**(2r+1)``
word masks (0 or all ones), and a multiplexer tree over the ``2r+1`` neighbour words
selects, bit by bit, the table entry of each cell's neighbourhood. Neighbour words are
static slices of the state padded periodically by ``r`` rows (a ``roll`` inside the fused
loop is ~10x slower on CPU).

Everything here is a pure function of one rule; populations of rules come from
``jax.vmap`` (see :func:`run_population`).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

WORD_BITS = 32


def n_words(n_ics: int) -> int:
    """Words per row needed for ``n_ics`` lattices."""
    return -(-n_ics // WORD_BITS)


def pack(cells: jax.Array) -> jax.Array:
    """``(n_ics, N)`` 0/1 cells -> ``(N, W)`` uint32 words (ICs padded with zeros)."""
    cells = jnp.asarray(cells).astype(jnp.uint32)
    n_ics, n = cells.shape
    w = n_words(n_ics)
    cells = jnp.pad(cells, ((0, w * WORD_BITS - n_ics), (0, 0)))
    shifts = jnp.arange(WORD_BITS, dtype=jnp.uint32)[None, :, None]
    words = jnp.bitwise_or.reduce(cells.reshape(w, WORD_BITS, n) << shifts, axis=1)
    return words.T


def unpack(words: jax.Array, n_ics: int) -> jax.Array:
    """``(N, W)`` uint32 words -> ``(n_ics, N)`` uint8 cells (inverse of :func:`pack`)."""
    words = jnp.asarray(words, jnp.uint32)
    shifts = jnp.arange(WORD_BITS, dtype=jnp.uint32)
    bits = (words.T[:, :, None] >> shifts) & 1  # (W, N, 32)
    return bits.transpose(0, 2, 1).reshape(-1, words.shape[0])[:n_ics].astype(jnp.uint8)


def rule_masks(bits: jax.Array) -> jax.Array:
    """Rule table (0/1) -> word masks: 0 where the entry is 0, all ones where it is 1."""
    return jnp.uint32(0) - jnp.asarray(bits).astype(jnp.uint32)


def radius_of_masks(masks: jax.Array) -> int:
    n = int(np.log2(masks.shape[-1]))
    if 2**n != masks.shape[-1] or n % 2 == 0:
        raise ValueError(f"a rule table has 2**(2r+1) entries, got {masks.shape[-1]}")
    return (n - 1) // 2


def step(masks: jax.Array, words: jax.Array) -> jax.Array:
    """Advance packed lattices ``(N, W)`` by one step of the rule given as word masks."""
    r = radius_of_masks(masks)
    n = words.shape[0]
    padded = jnp.concatenate([words[n - r:], words, words[:r]], axis=0)
    # Materialise the padded state once, so the slices below are plain offsets in the
    # fused multiplexer loop rather than a concatenate recomputed per neighbour.
    padded = jax.lax.optimization_barrier(padded)
    neighbours = [padded[j:j + n] for j in range(2 * r + 1)]  # neighbours[j] = s[i - r + j]
    # Multiplexer tree, least significant neighbour (s[i + r]) first:
    # mux(a, b, x) = x ? b : a = a ^ ((a ^ b) & x).
    level = [masks[k] for k in range(masks.shape[0])]
    for x in reversed(neighbours):
        level = [a ^ ((a ^ b) & x) for a, b in zip(level[0::2], level[1::2])]
    return level[0]


def run(bits: jax.Array, words: jax.Array, steps: int | jax.Array) -> jax.Array:
    """Packed state after ``steps`` steps of the rule table ``bits``."""
    masks = rule_masks(bits)
    return jax.lax.fori_loop(0, steps, lambda _, w: step(masks, w), words)


@jax.jit
def run_population(bits: jax.Array, words: jax.Array, steps: int | jax.Array) -> jax.Array:
    """``(P, 2**(2r+1))`` rules each run from its own packed state ``(P, N, W)``."""
    return jax.vmap(run, in_axes=(0, 0, None))(bits, words, steps)


@partial(jax.jit, static_argnames="steps")
def histories(bits: jax.Array, cells: jax.Array, steps: int) -> jax.Array:
    """Space-time diagrams of many ICs ``(n_ics, N)``: ``(n_ics, steps + 1, N)`` uint8,
    row ``t`` of each the state at time ``t``."""
    masks = rule_masks(bits)
    words = pack(cells)

    def body(w, _):
        w = step(masks, w)
        return w, w

    _, ws = jax.lax.scan(body, words, None, length=steps)
    ws = jnp.concatenate([words[None], ws])  # (T+1, N, W)
    return jax.vmap(lambda w: unpack(w, cells.shape[0]))(ws).transpose(1, 0, 2)


def history(bits: jax.Array, cells: jax.Array, steps: int) -> jax.Array:
    """Space-time diagram of one IC ``(N,)``: ``(steps + 1, N)`` uint8."""
    return histories(bits, jnp.asarray(cells)[None], steps)[0]
