"""Ctrl-C and SIGTERM end a run with one line and exit 130 / 143, checkpointed at the last
finished iteration and unlocked; rerunning the command resumes it to the same result as a
run never stopped. An unfinished save left by a kill is removed with a note."""

import json
import signal
import subprocess
import sys
import time

import pytest

from runio.checkpoint import Checkpointer
from runio.records import read_jsonl

ARGS = ["--optimizer=adam", "--size=5", "--max_iterations=4000", "--max_seconds=0",
        "--eval_every=1000", "--checkpoint_every=1000", "--batch_size=2", "--adam_pool_size=4",
        "--min_steps=3", "--max_steps=4", "--hidden=4", "--channels=8", "--noprogress",
        "--target_loss=1e-9"]


def grow(out, extra=()):
    return [sys.executable, "-m", "nca_jax.grow", *ARGS, *extra, f"--out={out}"]


@pytest.mark.parametrize("sig, code, name", [(signal.SIGINT, 130, "Ctrl-C"),
                                             (signal.SIGTERM, 143, "SIGTERM")])
def test_an_interrupted_run_says_how_to_resume_and_resumes_bit_for_bit(tmp_path, sig, code,
                                                                       name):
    out = tmp_path / "run"
    proc = subprocess.Popen(grow(out), stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 240
    while time.time() < deadline:  # interrupt mid-training, past the first iterations
        if len(read_jsonl(out / "metrics.jsonl")) >= 30:
            break
        time.sleep(0.2)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    lines = [line for line in err.splitlines() if line.strip() and "compiling" not in line]
    assert len(lines) == 1 and f"interrupted ({name}) at iteration" in lines[0], err
    assert "rerun the same command to resume from checkpoint" in lines[0]
    it = int(lines[0].split("at iteration ")[1].split(";")[0])
    assert not (out / ".lock").exists()
    with Checkpointer(out / "checkpoints") as ckpt:
        assert ckpt.latest_step() == it  # the last finished iteration was saved
    subprocess.run(grow(out), check=True, capture_output=True, timeout=600)
    whole = tmp_path / "whole"
    subprocess.run(grow(whole), check=True, capture_output=True, timeout=600)
    a = json.loads((out / "summary.json").read_text())
    b = json.loads((whole / "summary.json").read_text())
    assert a["final_loss"] == b["final_loss"] and a["iterations"] == b["iterations"] == 4000
    assert [r["loss"] for r in read_jsonl(out / "metrics.jsonl")] == \
        [r["loss"] for r in read_jsonl(whole / "metrics.jsonl")]


def test_an_unfinished_save_is_removed_with_a_note(tmp_path, capsys):
    import numpy as np

    with Checkpointer(tmp_path) as ckpt:
        ckpt.save(1, {"state": {"w": np.ones(3)}})
    (tmp_path / "2.orbax-checkpoint-tmp-123").mkdir()
    with Checkpointer(tmp_path) as ckpt:
        assert ckpt.steps() == [1]
    assert not (tmp_path / "2.orbax-checkpoint-tmp-123").exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "removed 1 unfinished checkpoint save" in err[0]
