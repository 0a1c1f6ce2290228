"""Every run records its command line as a flagfile that reruns it, and with --tensorboard
its metrics as TensorBoard events (read back here with the event protocol, independently
of the writer)."""

import json
import struct
import subprocess
import sys

import pytest

from runio.records import read_jsonl

GROW = ["--optimizer=adam", "--size=5", "--max_iterations=4", "--eval_every=2",
        "--checkpoint_every=2", "--batch_size=2", "--adam_pool_size=4", "--min_steps=3",
        "--max_steps=4", "--hidden=4", "--channels=8", "--noprogress", "--max_seconds=0"]


def grow(*args):
    done = subprocess.run([sys.executable, "-m", "nca_jax.grow", *args], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def events(folder):
    """``{(step, tag): value}`` of the scalar events in ``folder``'s event files."""
    from tensorboardX.proto import event_pb2

    out = {}
    for path in folder.iterdir():
        data, i = path.read_bytes(), 0
        while i < len(data):  # TFRecord: length, its crc, the record, its crc
            (n,) = struct.unpack("<Q", data[i:i + 8])
            event = event_pb2.Event.FromString(data[i + 12:i + 12 + n])
            i += 12 + n + 4
            for v in event.summary.value:
                out[(event.step, v.tag)] = v.simple_value
    return out


def test_the_flagfile_reruns_the_command_and_tensorboard_holds_the_metrics(tmp_path):
    first = tmp_path / "first"
    grow(*GROW, "--tensorboard", f"--out={first}")
    text = (first / "flags.txt").read_text()
    assert f"--out={first}" in text and "--size=5" in text and "--tensorboard" in text
    second = tmp_path / "second"  # the same command from the file, into another folder
    flagfile = tmp_path / "flags.txt"
    flagfile.write_text(text.replace(f"--out={first}", f"--out={second}"))
    grow(f"--flagfile={flagfile}")
    assert json.loads((second / "config.json").read_text()) == \
        json.loads((first / "config.json").read_text())
    a = [r["loss"] for r in read_jsonl(first / "metrics.jsonl")]
    b = [r["loss"] for r in read_jsonl(second / "metrics.jsonl")]
    assert a == b and len(a) == 4  # deterministic on one machine: the same run again

    got = events(first / "tensorboard")
    for r in read_jsonl(first / "metrics.jsonl"):
        assert got[(r["iteration"], "adam/loss")] == pytest.approx(r["loss"], rel=1e-6)
        if "eval_loss" in r:
            assert got[(r["iteration"], "adam/eval_loss")] == pytest.approx(r["eval_loss"],
                                                                             rel=1e-6)
