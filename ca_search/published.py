"""Published r = 3 rules for density classification (ρ_c = 1/2), and how to score them.

Each rule carries its lexicographic hex and the P_N its source published (on 10⁴ unbiased
ICs, M = 2N). ``score`` measures P_N here with a 95% interval, so a catalogue entry is
checked against its published figure before it is trusted (``tests/ca_search``). Rules
found by this project's searches are listed with where they were recorded.

Sources: J. P. Crutchfield and M. Mitchell, *The Evolution of Emergent Computation*, PNAS
92 (1995), Table 1; M. Mitchell, J. P. Crutchfield and R. Das, *Evolving Cellular
Automata with Genetic Algorithms: A Review of Recent Work* (1996), Table 1; D. Andre,
F. H. Bennett III and J. R. Koza, *Discovery by Genetic Programming of a Cellular Automata
Rule that is Better than any Known Rule for the Majority Classification Problem* (GP 1996);
H. Juillé and J. B. Pollack, *Coevolving the "Ideal" Trainer: Application to the Discovery
of Cellular Automata Rules* (GP 1998), whose table gives P_149 of GKL, Davis, Das, ABK and
its two coevolved rules. Davis's rule is left out: no hex for it could be checked against
its published 0.818.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import numpy as np

from ca_search import density, rules
from runio.errors import ConfigError

MITCHELL_1995 = "Crutchfield & Mitchell 1995 (PNAS), Table 1"
REVIEW_1996 = "Mitchell, Crutchfield & Das 1996 (review), Table 1"
ABK_1996 = "Andre, Bennett & Koza 1996 (genetic programming), as tabulated by Juillé & Pollack 1998"
DAS_1995 = "Das, Crutchfield, Mitchell & Hanson 1995, as tabulated by Juillé & Pollack 1998"
JP_1998 = "Juillé & Pollack 1998 (coevolution with resource sharing)"


class Rule(NamedTuple):
    name: str
    hex: str
    source: str
    published: dict  # {N: P_N} as published (10⁴ ICs); {} for rules found here


CATALOGUE = (
    Rule("majority", "000101170117177f0117177f177f7fff", REVIEW_1996, {149: 0.0, 599: 0.0, 999: 0.0}),
    Rule("GKL", "005f005f005f005f005fff5f005fff5f", MITCHELL_1995, {149: 0.816, 599: 0.766, 999: 0.757}),
    Rule("phi_exp", "0505408305c90101200b0efb94c7cff7", REVIEW_1996, {149: 0.652, 599: 0.515, 999: 0.503}),
    Rule("phi_par", "0504058705000f77037755837bffb77f", REVIEW_1996, {149: 0.769, 599: 0.725, 999: 0.714}),
    Rule("phi_particle_1", "1000022441170231155f57dd734bffff", MITCHELL_1995, {149: 0.742, 599: 0.718, 999: 0.701}),
    Rule("Das", "070007ff0f000fff0f0007ff0f310fff", DAS_1995, {149: 0.823}),
    Rule("ABK", "050055050500550555ff55ff55ff55ff", ABK_1996, {149: 0.824}),
    Rule("JP1", "011430d7110f395705b4ff17f13df957", JP_1998, {149: 0.851}),
    Rule("JP2", "1451305c0050ce5f1711ff5f0f53cf5f", JP_1998, {149: 0.860}),
    Rule("ca_jax_lab_search", "1011041c01cff91f13ddf71f013ff91f",
         "this project: the best trial of benchmarks.ca_density_search (find, refine, polish; "
         "benchmarks/results/ca_density_search.jsonl)", {}),
    Rule("ca_jax_lab_best", "1051441c01cff80f135df71f013ffb1f",
         "this project: trial 1's refined rule of benchmarks.ca_density_search, polished for "
         "150 generations (benchmarks/notes/ca_density_search.md)", {}),
)
BY_NAME = {r.name.lower(): r for r in CATALOGUE}


def resolve(spec: str) -> Rule:
    """A catalogue rule by name (any case), or a rule given as 32 hex digits."""
    if spec.lower() in BY_NAME:
        return BY_NAME[spec.lower()]
    try:
        bits = rules.from_hex(spec, 3)
    except (ConfigError, ValueError):
        raise ConfigError("rules", f"{spec!r} is neither a catalogue rule "
                                   f"({', '.join(r.name for r in CATALOGUE)}) nor 32 hex digits "
                                   "of an r = 3 rule") from None
    return Rule(rules.to_hex(bits), rules.to_hex(bits), "given", {})


def interval(p: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson's 95% interval of a fraction ``p`` of ``n`` trials (sound at p = 0 or 1)."""
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def score(rule: Rule, n_cells: int, n_ics: int, key: jax.Array) -> dict:
    """One leaderboard row: P_N of ``rule`` on ``n_ics`` fresh unbiased ICs, M = 2N."""
    p = float(density.performance(rules.from_hex(rule.hex, 3), key, n_ics, n_cells))
    lo, hi = interval(p, n_ics)
    return {"name": rule.name, "hex": rule.hex, "source": rule.source, "n_cells": n_cells,
            "n_ics": n_ics, "performance": p, "ci_low": lo, "ci_high": hi,
            "published": rule.published.get(n_cells)}


def agrees(row: dict, published_ics: int = 10_000) -> bool | None:
    """Whether a row's P_N lies within the sampling error (95%) of the published figure,
    which was itself measured on ``published_ics`` ICs (None: nothing published)."""
    if row["published"] is None:
        return None
    p = row["published"]
    se = math.sqrt(max(p * (1 - p), 1e-12) / published_ics + max(
        row["performance"] * (1 - row["performance"]), 1e-12) / row["n_ics"])
    return abs(row["performance"] - p) <= 1.96 * se + 1e-9


def spacetime(rule: Rule, n_cells: int, key: jax.Array) -> np.ndarray:
    """A space-time history of ``rule`` from one unbiased IC, 2N steps."""
    from ca_search import simulator

    cells = density.sample_ics(key, 1, n_cells, "unbiased")[0]
    return np.asarray(simulator.history(rules.from_hex(rule.hex, 3), cells, 2 * n_cells))
