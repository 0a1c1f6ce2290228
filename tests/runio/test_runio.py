import json
import os
import subprocess
import sys

import numpy as np
import pytest

from runio.cli import BadInput
from runio.records import append_jsonl, prepare_out, write_json

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_prepare_out_refuses_files_and_nonempty_folders(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(BadInput, match="is a file"):
        prepare_out(f)
    d = tmp_path / "d"
    d.mkdir()
    (d / "keep").write_text("x")
    with pytest.raises(BadInput, match="not empty"):
        prepare_out(d)
    assert prepare_out(d, resume=True) == d and (d / "keep").exists()
    prepare_out(d, overwrite=True)
    assert list(d.iterdir()) == []


def test_json_writers_accept_numpy(tmp_path):
    write_json(tmp_path / "a.json", {"x": np.float32(0.5), "v": np.arange(3)})
    assert json.loads((tmp_path / "a.json").read_text()) == {"x": 0.5, "v": [0, 1, 2]}
    append_jsonl(tmp_path / "m.jsonl", {"i": np.int64(1)})
    append_jsonl(tmp_path / "m.jsonl", {"i": 2})
    lines = (tmp_path / "m.jsonl").read_text().splitlines()
    assert [json.loads(line)["i"] for line in lines] == [1, 2]


def test_cli_errors_are_one_line_exit_2(tmp_path):
    script = tmp_path / "tool.py"
    script.write_text(
        "from absl import flags\n"
        "from runio.cli import BadInput, run\n"
        "flags.DEFINE_integer('n', 1, 'n')\n"
        "def main(argv):\n"
        "    raise BadInput('--n must be\\n positive')\n"
        "run(main)\n")
    for args in (["--n=x"], ["--bogus"], []):
        env = dict(os.environ, PYTHONPATH=ROOT)
        proc = subprocess.run([sys.executable, str(script), *args], capture_output=True,
                              text=True, timeout=60, env=env)
        assert proc.returncode == 2
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:"), proc.stderr
