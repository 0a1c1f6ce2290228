"""Plain numpy reference for 1-D binary CA, independent of ``ca_search``: each cell looks
its neighbourhood up in the rule table (vectorised with numpy, no bit tricks)."""

import numpy as np


def step(table, cells):
    """One step. ``table``: (K,) or (P, K) 0/1; ``cells``: (..., N) or (P, ..., N) 0/1."""
    table = np.asarray(table)
    r = (int(np.log2(table.shape[-1])) - 1) // 2
    index = np.zeros(cells.shape, np.int64)
    for j in range(2 * r + 1):  # s[i - r + j] carries weight 2**(2r - j)
        index = index * 2 + np.roll(cells, r - j, axis=-1)
    if table.ndim == 1:
        return table[index].astype(np.uint8)
    rows = np.arange(table.shape[0]).reshape((-1,) + (1,) * (cells.ndim - 1))
    return table[rows, index].astype(np.uint8)


def simulate(table, cells, steps):
    """State after ``steps`` steps."""
    cells = np.asarray(cells, np.uint8)
    for _ in range(steps):
        cells = step(table, cells)
    return cells
