"""runio.cli: every way a CLI can be given bad input ends in one ``error:`` line, exit 2."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

TOOL = """
from absl import flags
from runio.cli import run
from runio.errors import ConfigError, check
flags.DEFINE_integer("n", 1, "n")
flags.DEFINE_float("es_lr", 0.1, "lr")
def main(argv):
    check(flags.FLAGS.n > 0, "n", "must be\\n positive")
    check(flags.FLAGS.es_lr < 1, "es.lr", "must be below 1")
    check(flags.FLAGS.n < 100, "model.n", "must be below 100")
    print("ok")
run(main)
"""


def run_tool(tmp_path, *args):
    script = tmp_path / "tool.py"
    script.write_text(TOOL)
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, str(script), *args], capture_output=True,
                          text=True, timeout=60, env=env)


@pytest.mark.parametrize("args,words", [
    (["--n=x"], ["--n"]),  # absl parse error
    (["--bogus"], ["bogus"]),  # unknown flag
    (["extra"], ["unexpected arguments", "extra"]),  # positional argument
    (["--n=0"], ["--n=0:", "must be positive"]),  # ConfigError: the field is the flag
    (["--es_lr=2"], ["--es_lr=2.0:", "below 1"]),  # nested field es.lr -> --es_lr
    (["--n=200"], ["--n=200:", "below 100"]),  # model.n -> --n (last part)
])
def test_bad_input_is_one_line_naming_the_flag_exit_2(tmp_path, args, words):
    proc = run_tool(tmp_path, *args)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), proc.stderr
    assert all(w in lines[0] for w in words), lines[0]


def test_good_input_runs(tmp_path):
    proc = run_tool(tmp_path, "--n=3")
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def test_flag_for_maps_fields_to_flags():
    from absl import flags

    from runio.cli import flag_for

    fv = flags.FlagValues()
    flags.DEFINE_integer("es_batch", 1, "", flag_values=fv)
    flags.DEFINE_integer("hidden", 1, "", flag_values=fv)
    flags.DEFINE_integer("es_lr", 1, "", flag_values=fv)
    assert flag_for("es.lr", flag_values=fv) == "es_lr"
    assert flag_for("model.hidden", flag_values=fv) == "hidden"
    assert flag_for("es.batch_size", {"es.batch_size": "es_batch"}, flag_values=fv) == "es_batch"
    assert flag_for("model.channels", flag_values=fv) is None
