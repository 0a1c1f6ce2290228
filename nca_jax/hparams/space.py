"""The texture study's seven texture-NCA hyperparameters: search space, sampling, encoding.

Search ranges (SRNCA's random search):

=============  ===========================
channels       {6, 9, 12, 15} (incl. RGB)
hidden         {16, 32, 64, 96}
ca_steps       {20, 30, 40}
batch_size     {2, 4}
filters        {4, 5, 6}
update_rate    U(0.1, 1)
lr             10^U(-5, -3)
=============  ===========================

The lr range is an argument (``log10_lr``): the texture study's suits its 16,383 training steps;
a search of a few hundred steps needs larger rates (:mod:`nca_jax.hparams.trials`).

Every set of hyperparameters has a continuous *encoding* ``u ∈ [0, 1]^7`` (in the order of
:data:`NAMES`): a categorical parameter with ``k`` values takes value ``floor(u·k)``
(``u = 1`` maps to the last), ``update_rate = 0.1 + 0.9u`` and ``lr = 10^(lo + (hi − lo)u)``
(``(lo, hi)`` = ``log10_lr``, the texture study's ``(-5, -3)`` by default).
:func:`decode` clips ``u`` to ``[0, 1]`` first, so any real vector gives valid values (the
evolve mode of the search rounds its continuous search points this way). Random sampling
is :func:`decode` of a uniform draw, which gives the distributions above.
"""

from __future__ import annotations

import jax
import numpy as np

NAMES = ("channels", "hidden", "ca_steps", "batch_size", "filters", "update_rate", "lr")
CHOICES = {
    "channels": (6, 9, 12, 15),
    "hidden": (16, 32, 64, 96),
    "ca_steps": (20, 30, 40),
    "batch_size": (2, 4),
    "filters": (4, 5, 6),
}
UPDATE_RATE = (0.1, 1.0)
LOG10_LR = (-5.0, -3.0)
# hyperparameters that change array shapes (trials that agree on them run vmapped together)
SHAPE_NAMES = ("channels", "hidden", "ca_steps", "batch_size", "filters")


def decode(u, log10_lr=LOG10_LR) -> dict:
    """Encoding ``(7,)`` → hyperparameters (python ints / floats)."""
    u = np.clip(np.asarray(u, np.float64), 0.0, 1.0)
    h: dict = {}
    for i, name in enumerate(NAMES):
        if name in CHOICES:
            opts = CHOICES[name]
            h[name] = int(opts[min(int(np.floor(u[i] * len(opts))), len(opts) - 1)])
    lo, hi = UPDATE_RATE
    h["update_rate"] = float(lo + (hi - lo) * u[NAMES.index("update_rate")])
    lo, hi = log10_lr
    h["lr"] = float(10.0 ** (lo + (hi - lo) * u[NAMES.index("lr")]))
    return {name: h[name] for name in NAMES}


def encode(h: dict, log10_lr=LOG10_LR) -> np.ndarray:
    """Hyperparameters → encoding (categorical values at the centre of their interval)."""
    u = np.zeros(len(NAMES))
    for i, name in enumerate(NAMES):
        if name in CHOICES:
            opts = CHOICES[name]
            if h[name] not in opts:
                raise ValueError(f"{name}={h[name]} is not one of {opts}")
            u[i] = (opts.index(h[name]) + 0.5) / len(opts)
    lo, hi = UPDATE_RATE
    u[NAMES.index("update_rate")] = (h["update_rate"] - lo) / (hi - lo)
    lo, hi = log10_lr
    u[NAMES.index("lr")] = (np.log10(h["lr"]) - lo) / (hi - lo)
    return u


def sample(key: jax.Array, n: int, log10_lr=LOG10_LR) -> list[dict]:
    """``n`` hyperparameter sets drawn from the search ranges."""
    u = np.asarray(jax.random.uniform(key, (n, len(NAMES)), dtype=np.float32), np.float64)
    return [decode(row, log10_lr) for row in u]


def shape_key(h: dict) -> tuple:
    return tuple(h[name] for name in SHAPE_NAMES)


def groups(hs: list[dict]) -> list[list[int]]:
    """The indices of ``hs`` by shape, in order of first appearance (each group runs as one
    vmapped computation)."""
    out: dict[tuple, list[int]] = {}
    for i, h in enumerate(hs):
        out.setdefault(shape_key(h), []).append(i)
    return list(out.values())


def features(hs: list[dict]) -> np.ndarray:
    """``(K, 7)`` numeric vectors for analysis (``lr`` as log10)."""
    return np.array([[np.log10(h[n]) if n == "lr" else h[n] for n in NAMES] for h in hs], float)
