"""runio.outdir: a folder belongs to one job, is written by one run at a time, and is never
emptied by surprise."""

import json
import os
import socket
import subprocess
import sys

import pytest

from runio import outdir
from runio.errors import ConfigError


def test_a_new_folder_is_created_marked_and_locked_while_in_use(tmp_path):
    out = tmp_path / "a" / "b"
    with outdir.claim(out, "job.x") as got:
        assert got == out and out.is_dir()
        assert json.loads((out / "job.json").read_text()) == {"job": "job.x"}
        lock = json.loads((out / ".lock").read_text())
        assert lock["pid"] == os.getpid() and lock["host"] == socket.gethostname()
    assert not (out / ".lock").exists()  # released


def test_files_foreign_folders_and_other_jobs_are_refused(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(ConfigError, match="is a file"), outdir.claim(f, "job.x"):
        pass
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    with pytest.raises(ConfigError, match="holds no results of job.x") as e, \
            outdir.claim(foreign, "job.x", resume=True):
        pass
    assert e.value.field == "out" and (foreign / "keep.txt").read_text() == "mine"
    other = tmp_path / "other"
    with outdir.claim(other, "job.y"):
        (other / "summary.json").write_text("{}")
    with pytest.raises(ConfigError, match="holds results of job.y, not job.x"), \
            outdir.claim(other, "job.x", resume=True):
        pass
    assert (other / "summary.json").exists()


def test_the_same_job_resumes_or_is_refused_and_overwrite_empties(tmp_path):
    out = tmp_path / "run"
    with outdir.claim(out, "job.x"):
        (out / "result.txt").write_text("1")
    with pytest.raises(ConfigError, match="already holds a job.x run"), \
            outdir.claim(out, "job.x"):
        pass
    with outdir.claim(out, "job.x", resume=True):
        assert (out / "result.txt").read_text() == "1"
    with outdir.claim(out, "job.x", overwrite=True):
        assert sorted(p.name for p in out.iterdir()) == [".lock", "job.json"]


def test_a_folder_that_cannot_be_created_or_written_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="cannot create"), outdir.claim("/proc/x/y", "job.x"):
        pass
    # a path under a file: refused by the check alone, before any folder is made
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match=r"cannot create the folder .*file/x/y \(.*file is a file\)"):
        outdir.check(tmp_path / "file" / "x" / "y", "job.x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]
    if os.geteuid() == 0:  # root writes anywhere: the permission check cannot be staged
        return
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    with pytest.raises(ConfigError, match="cannot write"), outdir.claim(ro, "job.x"):
        pass


HOLD = """
import sys, time
from runio import outdir
with outdir.claim(sys.argv[1], "job.x", resume=True):
    print("holding", flush=True)
    time.sleep(60)
"""


def test_a_second_run_is_refused_while_the_first_lives_and_a_stale_lock_is_taken(
        tmp_path, capsys):
    out = tmp_path / "run"
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))))
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], stdout=subprocess.PIPE,
                              text=True, env=env)
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(ConfigError, match=f"in use by another run \\(pid {holder.pid}"), \
                outdir.claim(out, "job.x", resume=True):
            pass
    finally:
        holder.kill()  # killed: its lock stays behind, stale
        holder.wait()
    assert json.loads((out / ".lock").read_text())["pid"] == holder.pid
    with outdir.claim(out, "job.x", resume=True):
        assert json.loads((out / ".lock").read_text())["pid"] == os.getpid()
    err = capsys.readouterr().err
    assert f"taking over the stale lock of {out} (pid {holder.pid}" in err
