"""mkdocs hook: the generated pages — the CLI reference from each CLI's flags (the
library's defaults and the help the CLIs print) and the benchmark tables from the records in
``benchmarks/results`` — written into ``docs/generated/`` before every build."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent / "generated"
CLIS = ("nca_jax.grow", "nca_jax.damage", "nca_jax.texture", "nca_jax.hparam_search",
        "nca_jax.export", "ca_search.search", "ca_search.table1", "ca_search.evaluate",
        "ca_search.leaderboard")


def _help(module: str) -> str:
    """What ``python -m module --help`` prints (each CLI defines its flags on import)."""
    done = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"{module} --help failed: {done.stderr[-500:]}")
    return done.stdout.strip()


def cli_page() -> str:
    parts = ["# Command-line reference", "",
             "Generated from each CLI's flags: the defaults are the library's config "
             "dataclasses (`runio.flagdefs`), the same text `--help` prints. Every CLI also "
             "accepts `--flagfile=OUT/flags.txt` (the flags of the run in `OUT`) and "
             "`--helpfull` (absl's and the libraries' flags too).", ""]
    for module in CLIS:
        parts += [f"## `python -m {module}`", "", "```text", _help(module), "```", ""]
    return "\n".join(parts)


def benchmarks_page() -> str:
    sys.path.insert(0, str(ROOT))
    report = importlib.import_module("benchmarks.report")
    text = report.render(notes_too=False)
    for png in (ROOT / "benchmarks").glob("*.png"):  # the figures the tables show
        shutil.copyfile(png, OUT / png.name)
    head = ("# Benchmarks\n\nThe newest measurement of each configuration, generated from "
            "the records in `benchmarks/results/` (one JSON line per measurement: date, "
            "device, JAX version, configuration, figures). How each was measured and what it "
            "showed: `benchmarks/notes/`.\n")
    return head + (text[text.index("\n## "):] if "\n## " in text else "")


def on_pre_build(config, **kwargs):
    OUT.mkdir(exist_ok=True)
    (OUT / "cli.md").write_text(cli_page() + "\n")
    (OUT / "benchmarks.md").write_text(benchmarks_page() + "\n")
