"""The Table I job: Rhodes's six searches (GA, BPSO and BGL-PSO on the density and chaos
tasks), each resumable in its own folder, and ``table1.md`` beside the study's numbers
(:mod:`ca_search.reproduce`)."""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

from ca_search.jobs.search import run_search
from ca_search.reproduce import SEED_TABLE1, table1_markdown
from ca_search.search_config import SearchConfig
from runio import hosts, outdir

JOB = "ca_search.table1"


def _announce(out_dir, overwrite: bool) -> None:
    """Refuse a bad folder before any work; name the finished searches overwrite removes."""
    outdir.check(out_dir, JOB, resume=True, overwrite=overwrite)
    if overwrite:
        done = sorted(p.parent.name for p in Path(out_dir).glob("*/summary.json"))
        if done:
            print(f"overwrite: removing the finished searches {', '.join(done)} of {out_dir}",
                  file=sys.stderr)


def run_table1(out_dir: str | os.PathLike, base: SearchConfig, overwrite: bool = False,
               mesh=None) -> str:
    """Run the six searches (resuming any already done, each in ``out_dir/<task>_<strategy>``)
    and write table1.md. ``overwrite`` starts afresh, naming the finished searches it
    removes."""
    hosts.on_main(_announce, out_dir, overwrite)
    with outdir.claim(out_dir, JOB, resume=True, overwrite=overwrite) as out:
        summaries: dict = {task: {} for task in SEED_TABLE1}
        for task in SEED_TABLE1:
            for strategy in SEED_TABLE1[task]:
                config = dataclasses.replace(base, task=task, strategy=strategy)
                # a finished search resumes at its last generation and rewrites its results
                summaries[task][strategy] = run_search(config, out / f"{task}_{strategy}",
                                                       mesh=mesh)
        text = table1_markdown(summaries, base)
        if hosts.is_main():
            (out / "table1.md").write_text(text)
    return text
