"""Rule tables of 1-D binary cellular automata and their text forms.

A rule of radius ``r`` is a bit array of length ``2**(2r+1)``: entry ``k`` is the new state
of a cell whose neighbourhood ``s[i-r] .. s[i+r]``, read as a binary number with ``s[i-r]``
as the most significant bit, equals ``k``.

Text forms:
- *lexicographic hex* (the literature's, e.g. Mitchell et al.): the bits in order
  ``k = 0, 1, ...``, the leftmost bit the output for neighbourhood 0…0, four bits a digit;
- *Wolfram number* (elementary rules, r = 1): bit ``k`` of the number is entry ``k``.

The catalogue (:func:`majority`, :func:`gkl`) is built from the rules' definitions.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from runio.errors import ConfigError

MIN_RADIUS, MAX_RADIUS = 1, 4


def check_radius(radius: int) -> int:
    """Return ``radius`` if it lies in 1..4, else raise :class:`ConfigError`."""
    if not (isinstance(radius, (int, np.integer)) and MIN_RADIUS <= radius <= MAX_RADIUS):
        raise ConfigError("radius", f"must be an integer in {MIN_RADIUS}..{MAX_RADIUS}, got {radius!r}")
    return int(radius)


def table_size(radius: int) -> int:
    """Number of neighbourhoods, ``2**(2r+1)``."""
    return 2 ** (2 * check_radius(radius) + 1)


def radius_of(bits: np.ndarray) -> int:
    """Radius of a rule table from its length (raises if the length is not 2**(2r+1))."""
    n = np.shape(bits)[-1]
    for r in range(MIN_RADIUS, MAX_RADIUS + 1):
        if n == 2 ** (2 * r + 1):
            return r
    raise ConfigError("rule", f"a rule table has 2**(2r+1) entries for r in 1..4, got {n}")


def from_hex(text: str, radius: int | None = None) -> np.ndarray:
    """Parse lexicographic hex into a uint8 bit array (radius inferred from the length)."""
    text = text.strip().lower()
    if text.startswith("0x"):
        text = text[2:]
    if not text or any(c not in "0123456789abcdef" for c in text):
        raise ConfigError("rule", f"rule hex must contain only the digits 0-9a-f, got {text!r}")
    bits = np.array([(int(c, 16) >> (3 - j)) & 1 for c in text for j in range(4)], np.uint8)
    if radius is None:
        if len(text) == 2:  # an elementary rule: 8 bits
            return bits
        try:
            radius_of(bits)
        except ConfigError:
            sizes = ", ".join(f"{table_size(r) // 4} (r={r})" for r in range(2, MAX_RADIUS + 1))
            raise ConfigError("rule", f"rule hex has {len(text)} digits; allowed: 2 (r=1), {sizes}") from None
        return bits
    want = table_size(radius)
    if bits.size != want:
        raise ConfigError(
            "rule", f"rule hex for radius {radius} needs {max(want // 4, 2)} digits, got {len(text)}"
        )
    return bits


def to_hex(bits: np.ndarray) -> str:
    """Lexicographic hex of a bit array (the inverse of :func:`from_hex`)."""
    bits = np.asarray(bits, np.uint8).reshape(-1)
    radius_of(bits)
    if bits.size % 4:
        raise ConfigError("rule", "hex needs a multiple of 4 bits")
    digits = bits.reshape(-1, 4) @ np.array([8, 4, 2, 1])
    return "".join("0123456789abcdef"[d] for d in digits)


def from_wolfram(number: int) -> np.ndarray:
    """Elementary rule (r = 1) from its Wolfram number 0..255."""
    if not (isinstance(number, (int, np.integer)) and 0 <= number <= 255):
        raise ConfigError("wolfram", f"Wolfram rule numbers are integers 0..255, got {number!r}")
    return np.array([(int(number) >> k) & 1 for k in range(8)], np.uint8)


def to_wolfram(bits: np.ndarray) -> int:
    """Wolfram number of an elementary rule table."""
    bits = np.asarray(bits, np.uint8).reshape(-1)
    if bits.size != 8:
        raise ConfigError("wolfram", f"Wolfram numbers name r=1 rules (8 entries), got {bits.size}")
    return int(sum(int(b) << k for k, b in enumerate(bits)))


def neighbourhoods(radius: int) -> np.ndarray:
    """All neighbourhoods as a ``(2**(2r+1), 2r+1)`` 0/1 array; row ``k``, column ``j`` is
    ``s[i-r+j]`` (so column 0 is the most significant bit of ``k``)."""
    n = 2 * check_radius(radius) + 1
    k = np.arange(2**n)[:, None]
    return ((k >> (n - 1 - np.arange(n))) & 1).astype(np.uint8)


def from_function(fn: Callable[[np.ndarray], np.ndarray], radius: int) -> np.ndarray:
    """Tabulate ``fn(neigh) -> 0/1`` over all neighbourhoods; ``neigh[..., j]`` is
    ``s[i-r+j]`` (so ``neigh[..., r]`` is the cell itself)."""
    return np.asarray(fn(neighbourhoods(radius)), np.uint8).reshape(-1) & 1


def majority(radius: int = 3) -> np.ndarray:
    """The local majority rule: a cell becomes the majority of its 2r+1 neighbours."""
    return from_function(lambda s: s.sum(-1) > radius, radius)


def gkl() -> np.ndarray:
    """Gács–Kurdyumov–Levin (r = 3): a cell in state 0 becomes majority(s[i-3], s[i-1], s[i]);
    a cell in state 1 becomes majority(s[i], s[i+1], s[i+3])."""

    def rule(s):  # s[..., j] = s[i-3+j]
        left = s[..., 0].astype(int) + s[..., 2] + s[..., 3]
        right = s[..., 3].astype(int) + s[..., 4] + s[..., 6]
        return np.where(s[..., 3] == 0, left >= 2, right >= 2)

    return from_function(rule, 3)


CATALOGUE: dict[str, Callable[[], np.ndarray]] = {
    "gkl": gkl,
    "majority": lambda: majority(3),
}


def parse(text: str, radius: int | None = None) -> np.ndarray:
    """A rule from a catalogue name (``gkl``, ``majority``), ``w<N>`` (Wolfram), or hex."""
    name = text.strip().lower()
    if name in CATALOGUE:
        return CATALOGUE[name]()
    if name.startswith("w") and name[1:].isdigit():
        return from_wolfram(int(name[1:]))
    return from_hex(name, radius)


def random_rules(key_or_seed, count: int, radius: int = 3) -> np.ndarray:
    """``count`` uniformly random rule tables as a ``(count, 2**(2r+1))`` uint8 array."""
    rng = np.random.default_rng(key_or_seed)
    return rng.integers(0, 2, (count, table_size(radius)), dtype=np.uint8)
