"""The leaderboard job: the published r = 3 density rules (and this project's) scored side by
side at several lattice sizes (``python -m ca_search.leaderboard``).

Writes ``leaderboard.json`` (a list of rows: ``name``, ``hex``, ``source``, ``n_cells``,
``n_ics``, ``performance``, ``ci_low``, ``ci_high``, ``published``, ``agrees``),
``leaderboard.md`` and a space-time diagram per rule (``<name>.png``).
"""

from __future__ import annotations

import dataclasses
import time

import jax

from ca_search import published
from ca_search.diagram import save_spacetime
from runio import outdir
from runio.errors import check
from runio.records import write_json

JOB = "ca_search.leaderboard"


@dataclasses.dataclass(frozen=True)
class LeaderboardConfig:
    rules: tuple[str, ...] = ()  # names or hex; () = the whole catalogue
    sizes: tuple[int, ...] = (149, 599, 999)
    n_ics: tuple[int, ...] = (1_000_000, 100_000, 100_000)  # per size (or one for all)
    seed: int = 0

    def __post_init__(self):
        check(len(self.sizes) > 0, "sizes", "give at least one lattice size")
        check(all(7 <= n <= 100_000 for n in self.sizes), "sizes",
              f"each must be in [7, 100000] (N >= 2r + 1), got {self.sizes}")
        check(len(self.n_ics) in (1, len(self.sizes)), "n_ics",
              f"give one count, or one per size ({len(self.sizes)}), got {len(self.n_ics)}")
        check(all(1 <= n <= 10_000_000 for n in self.n_ics), "n_ics",
              f"each must be in [1, 10^7], got {self.n_ics}")
        for spec in self.rules:
            published.resolve(spec)

    def ics_for(self, i: int) -> int:
        return self.n_ics[0] if len(self.n_ics) == 1 else self.n_ics[i]


def run(config: LeaderboardConfig, out_dir) -> list[dict]:
    """Score every rule at every size into ``out_dir``; returns the rows."""
    chosen = [published.resolve(s) for s in config.rules] or list(published.CATALOGUE)
    with outdir.claim(out_dir, JOB, resume=True) as out:  # a rerun rewrites its files
        rows, t0 = [], time.perf_counter()
        key = jax.random.PRNGKey(config.seed)
        for i, n in enumerate(config.sizes):  # every rule on the same ICs at each size
            k = jax.random.fold_in(key, n)
            for rule in chosen:
                row = published.score(rule, n, config.ics_for(i), k)
                row["agrees"] = published.agrees(row)
                rows.append(row)
        for rule in chosen:
            save_spacetime(out / f"{rule.name}.png",
                           published.spacetime(rule, config.sizes[0], key),
                           title=(rule.hex if rule.name == rule.hex else
                                  f"{rule.name} ({rule.hex})") + f", N = {config.sizes[0]}")
        write_json(out / "leaderboard.json", rows)
        (out / "leaderboard.md").write_text(markdown(rows, config, time.perf_counter() - t0))
        return rows


def markdown(rows: list[dict], config: LeaderboardConfig, seconds: float) -> str:
    sizes = list(config.sizes)
    names = list(dict.fromkeys(r["name"] for r in rows))
    cell = {(r["name"], r["n_cells"]): r for r in rows}
    lines = ["# Density classification: r = 3 rules side by side", "",
             "P_N = the fraction of fresh unbiased initial conditions (each cell 1 with "
             "probability 1/2) that the rule drives to all 1s (majority of 1s) or all 0s within "
             "M = 2N steps, with a 95% interval (Wilson); in parentheses the published P_N "
             "(10⁴ ICs) and ✓ where ours lies within the two measurements' sampling error. "
             f"ICs: {', '.join(f'{config.ics_for(i):,} at N = {n}' for i, n in enumerate(sizes))}"
             f"; {seconds:.0f} s.", "",
             "| rule | " + " | ".join(f"P_{n}" for n in sizes) + " | hex | source |",
             "| --- |" + " ---: |" * len(sizes) + " --- | --- |"]
    order = sorted(names, key=lambda nm: -cell[(nm, sizes[0])]["performance"])
    for nm in order:
        parts = []
        for n in sizes:
            r = cell[(nm, n)]
            text = f"{r['performance']:.4f} [{r['ci_low']:.4f}, {r['ci_high']:.4f}]"
            if r["published"] is not None:
                text += f" ({r['published']:.3f}{' ✓' if r['agrees'] else ''})"
            parts.append(text)
        r0 = cell[(nm, sizes[0])]
        lines.append(f"| {nm} | " + " | ".join(parts) + f" | `{r0['hex']}` | {r0['source']} |")
    lines += [""] + [f"![{nm}]({nm}.png)" for nm in order] + [""]
    return "\n".join(lines)
