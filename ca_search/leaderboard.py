"""The published r = 3 density rules side by side: ``python -m ca_search.leaderboard``.

    python -m ca_search.leaderboard --out=runs/leaderboard          # 10^6 / 10^5 / 10^5 ICs
    python -m ca_search.leaderboard --rules=GKL,phi_par --sizes=149 --n_ics=100000 --out=DIR

Flags → :class:`ca_search.jobs.leaderboard.LeaderboardConfig` →
:func:`ca_search.jobs.leaderboard.run`.
"""

from __future__ import annotations

from runio import environment

environment.check()  # first: a bad JAX variable would fail inside the imports below

from absl import flags  # noqa: E402

from ca_search.jobs.leaderboard import LeaderboardConfig  # noqa: E402
from runio.cli import require, run  # noqa: E402
from runio.flagdefs import Spec, flag, plain  # noqa: E402

F = flags.FLAGS
SPEC = Spec(LeaderboardConfig, {
    "rules": [flag("rules", "Comma-separated catalogue names (GKL, phi_par, …; see "
                   "ca_search/published.py) or 32-hex-digit r = 3 rules; default: all.")],
    "measurement": [
        flag("sizes", "Comma-separated lattice sizes N (M = 2N steps)."),
        flag("n_ics", "Unbiased ICs per size: one count, or one per size."),
        flag("seed", "Random seed of the ICs."),
    ],
    "run": [plain("out")],
})
SPEC.define()
flags.DEFINE_string("out", None, "Output folder (a rerun into it rewrites the leaderboard).")


def main(argv):
    from ca_search.jobs import leaderboard

    require(F.out is not None, "--out is required: give an output folder")
    rows = leaderboard.run(SPEC.build(), F.out)
    for r in rows:
        agree = "" if r["agrees"] is None else (" (published %.3f%s)" % (
            r["published"], ", agrees" if r["agrees"] else ", DIFFERS"))
        print(f"{r['name']:>22} N={r['n_cells']:<4} P={r['performance']:.4f} "
              f"[{r['ci_low']:.4f}, {r['ci_high']:.4f}]{agree}")
    print(f"results in {F.out}/leaderboard.md")


if __name__ == "__main__":
    run(main, SPEC)
