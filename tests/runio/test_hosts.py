"""runio.hosts: joining a multi-process run from the environment, the CPU cores each process
gets, and real 2-process runs of the CLIs on localhost (1 CPU device each) checked against
one process with 2 devices: same results, one writer, a killed run that resumes."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runio import devices, hosts
from runio.errors import ConfigError
from tests import xla

ADDR = "127.0.0.1:1234"
TIMEOUT = 240  # s per multi-process run: a hang fails the test instead of the suite


@pytest.mark.parametrize("env,want", [
    ({}, None),
    ({"JAX_COORDINATOR_ADDRESS": ADDR, "JAX_NUM_PROCESSES": "2", "JAX_PROCESS_ID": "1"},
     {"coordinator_address": ADDR, "num_processes": 2, "process_id": 1}),
    ({"SLURM_NTASKS": "4", "SLURM_JOB_ID": "7"}, {}),  # JAX's own cluster detection
    ({"SLURM_NTASKS": "1", "SLURM_JOB_ID": "7"}, None),  # one task: one process
    ({"OMPI_COMM_WORLD_SIZE": "2"}, {}),
])
def test_distributed_args_from_the_environment(env, want):
    assert hosts.distributed_args(env) == want


@pytest.mark.parametrize("env,match", [
    ({"JAX_COORDINATOR_ADDRESS": ADDR}, "JAX_NUM_PROCESSES, JAX_PROCESS_ID not set"),
    ({"JAX_COORDINATOR_ADDRESS": ADDR, "JAX_NUM_PROCESSES": "two", "JAX_PROCESS_ID": "0"},
     "whole numbers"),
    ({"JAX_COORDINATOR_ADDRESS": ADDR, "JAX_NUM_PROCESSES": "2", "JAX_PROCESS_ID": "2"},
     r"0..JAX_NUM_PROCESSES-1=1"),
])
def test_distributed_args_refuse_a_partial_or_bad_set(env, match):
    with pytest.raises(ConfigError, match=match):
        hosts.distributed_args(env)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


JOIN = ("from runio.cli import join_cluster; join_cluster(); import jax; "
        "print(jax.process_count(), jax.process_index(), jax.device_count())")


@pytest.mark.xdist_group("processes")
def test_two_processes_on_localhost_join_one_cluster_from_the_documented_variables():
    env = xla.env(JAX_COORDINATOR_ADDRESS=f"127.0.0.1:{_free_port()}", JAX_NUM_PROCESSES="2",
                  JAX_NUM_CPU_DEVICES="1")
    procs = [subprocess.Popen([sys.executable, "-c", JOIN], env=dict(env, JAX_PROCESS_ID=str(i)),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(2)]
    try:
        outs = [p.communicate(timeout=120) for p in procs]
    finally:
        for p in procs:
            p.kill()
    for i, (p, (out, err)) in enumerate(zip(procs, outs)):
        assert p.returncode == 0, err[-2000:]
        assert out.split() == ["2", str(i), "2"]  # 2 processes x 1 CPU device each


def test_a_partial_environment_is_one_error_line_with_status_2():
    env = dict(os.environ, JAX_NUM_PROCESSES="2")
    env.pop("JAX_COORDINATOR_ADDRESS", None)
    r = subprocess.run([sys.executable, "-m", "ca_search.search", "--out=unused"], env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        "error: JAX_NUM_PROCESSES: a multi-process run needs all of JAX_COORDINATOR_ADDRESS, "
        "JAX_NUM_PROCESSES, JAX_PROCESS_ID; JAX_COORDINATOR_ADDRESS, JAX_PROCESS_ID not set"]


@pytest.mark.parametrize("env,want", [
    ({}, 1),
    ({"JAX_COORDINATOR_ADDRESS": "127.0.0.1:99", "JAX_NUM_PROCESSES": "3"}, 3),
    ({"JAX_COORDINATOR_ADDRESS": "localhost:99", "JAX_NUM_PROCESSES": "2"}, 2),
    ({"JAX_COORDINATOR_ADDRESS": "10.0.0.5:99", "JAX_NUM_PROCESSES": "8"}, 1),  # other hosts
    ({"SLURM_NTASKS_PER_NODE": "4(x2)"}, 4),
    ({"OMPI_COMM_WORLD_LOCAL_SIZE": "2", "OMPI_COMM_WORLD_SIZE": "8"}, 2),
])
def test_local_processes_from_the_launcher(env, want):
    assert hosts.local_processes(env) == want


def test_the_cores_are_shared_among_the_processes_of_one_machine():
    mine, total = len(os.sched_getaffinity(0)), os.cpu_count()
    local = {"JAX_COORDINATOR_ADDRESS": "127.0.0.1:99", "JAX_NUM_PROCESSES": "2"}
    if mine < total:  # pinned (a launcher's share): kept as it is
        assert devices.cpu_share(local) == mine
    else:
        assert devices.cpu_share(local) == max(1, mine // 2)
    assert devices.cpu_share({}) == mine


# ---------------------------------------------------------------- 2 processes, real CLIs

def _env(**extra) -> dict:
    env = {k: v for k, v in xla.env().items() if not k.startswith("JAX_COORD")}
    env.update(extra)
    return env


# Runs ``python -m MODULE ARGS`` with a Python audit hook that logs, to LOG, every file
# opened for writing, created, renamed, removed or truncated under OUT: what the process
# itself writes there (orbax's C++ writes are seen by the folder listing instead).
WATCH = """
import os, runpy, sys
out, log, module = os.path.realpath(sys.argv[1]), sys.argv[2], sys.argv[3]
fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
def hook(event, args):
    if event == "open":
        path, mode, flags = args
        if not ((isinstance(mode, str) and any(c in mode for c in "wax+")) or
                (isinstance(flags, int) and flags & WRITE)):
            return
    elif event in ("os.rename", "os.remove", "os.rmdir", "os.mkdir", "os.truncate",
                   "shutil.rmtree", "os.unlink"):
        path = args[0]
    else:
        return
    if isinstance(path, (str, bytes, os.PathLike)):
        path = os.path.realpath(os.fsdecode(path))
        if path == out or path.startswith(out + os.sep):
            os.write(fd, f"{event} {path}\\n".encode())
sys.addaudithook(hook)
sys.argv = [module] + sys.argv[4:]
runpy.run_module(module, run_name="__main__", alter_sys=True)
"""


def _cluster(module: str, args: list[str], watch: Path | None = None
             ) -> list[subprocess.Popen]:
    """Start ``python -m module args`` as 2 processes of one JAX cluster, 1 CPU device each;
    with ``watch`` (a folder), process i logs its writes under ``--out`` to ``watch/i.log``."""
    env = _env(JAX_COORDINATOR_ADDRESS=f"127.0.0.1:{_free_port()}", JAX_NUM_PROCESSES="2",
               JAX_NUM_CPU_DEVICES="1")
    out = next(a.split("=", 1)[1] for a in args if a.startswith("--out="))

    def command(i):
        if watch is None:
            return [sys.executable, "-m", module, *args]
        return [sys.executable, "-c", WATCH, out, str(watch / f"{i}.log"), module, *args]
    return [subprocess.Popen(command(i), env=dict(env, JAX_PROCESS_ID=str(i)),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for i in range(2)]


def _writes(watch: Path, i: int) -> list[str]:
    path = watch / f"{i}.log"
    return path.read_text().splitlines() if path.exists() else []


def _finish(procs: list[subprocess.Popen]) -> None:
    try:
        outs = [p.communicate(timeout=TIMEOUT) for p in procs]
    finally:
        for p in procs:
            p.kill()
    for i, (p, (_, err)) in enumerate(zip(procs, outs)):
        assert p.returncode == 0, f"process {i}: {err[-3000:]}"


def _single(module: str, args: list[str]) -> None:
    """The reference: one process with 2 CPU devices."""
    r = subprocess.run([sys.executable, "-m", module, *args], env=_env(JAX_NUM_CPU_DEVICES="2"),
                       capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr[-3000:]


def _listing(out: Path) -> list[str]:
    """The files of a run folder, orbax's content-addressed names inside a checkpoint left
    out (they differ between any two saves)."""
    return sorted(str(p.relative_to(out)) for p in out.rglob("*")
                  if "default" not in p.relative_to(out).parts[:-1])


def _only_process_0_wrote(out: Path, reference: Path, watch: Path) -> None:
    assert _writes(watch, 1) == []  # process 1 wrote nothing under --out ...
    assert any("summary.json" in w for w in _writes(watch, 0))  # ... the hook does see writes
    assert _listing(out) == _listing(reference)
    assert not [p for p in out.rglob("*") if "process_1" in p.name]  # orbax: one writer


GROW = ["--optimizer=es", "--population=8", "--max_seconds=0", "--eval_every=10",
        "--checkpoint_every=10", "--noprogress"]


def _losses(out: Path) -> list[float]:
    return [json.loads(line)["loss"] for line in (out / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.xdist_group("processes")
def test_grow_es_on_two_processes_equals_one_process_and_resumes_after_a_kill(tmp_path):
    ref, out = tmp_path / "one", tmp_path / "two"
    _single("nca_jax.grow", GROW + ["--max_iterations=20", f"--out={ref}"])

    # a 2-process run killed (SIGKILL, both) once its first checkpoint is on disk ...
    procs = _cluster("nca_jax.grow", GROW + ["--max_iterations=100000", f"--out={out}"])
    deadline = time.monotonic() + TIMEOUT
    try:
        while not (out / "checkpoints" / "10" / "commit_success.txt").exists():
            assert time.monotonic() < deadline and all(p.poll() is None for p in procs), \
                "the 2-process run ended or hung before its first checkpoint"
            time.sleep(0.05)
    finally:
        for p in procs:
            p.send_signal(signal.SIGKILL)
            p.communicate()
    assert not (out / "summary.json").exists()
    # ... resumes (budget changed to the reference's) to the reference's numbers
    watch = tmp_path / "writes"
    watch.mkdir()
    _finish(_cluster("nca_jax.grow", GROW + ["--max_iterations=20", f"--out={out}"], watch))
    assert _losses(out) == _losses(ref)  # every iteration, bit for bit
    one, two = (json.loads((d / "summary.json").read_text()) for d in (ref, out))
    assert two["final_loss"] == one["final_loss"] and two["iterations"] == 20
    assert two["devices_used"] == one["devices_used"] == 2
    _only_process_0_wrote(out, ref, watch)


@pytest.mark.xdist_group("processes")
def test_search_on_two_processes_equals_one_process(tmp_path):
    args = ["--trials=2", "--generations=4", "--population=10", "--n_ics=20",
            "--performance_ics=100", "--devices=all"]
    ref, out = tmp_path / "one", tmp_path / "two"
    _single("ca_search.search", args + [f"--out={ref}"])
    watch = tmp_path / "writes"
    watch.mkdir()
    _finish(_cluster("ca_search.search", args + [f"--out={out}"], watch))
    assert (out / "history.csv").read_text() == (ref / "history.csv").read_text()
    one, two = (json.loads((d / "summary.json").read_text()) for d in (ref, out))
    assert [t["best_rule"] for t in two["trials"]] == [t["best_rule"] for t in one["trials"]]
    _only_process_0_wrote(out, ref, watch)


@pytest.mark.xdist_group("processes")
def test_a_folder_process_0_refuses_ends_every_process_with_its_error(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("someone's results")
    procs = _cluster("ca_search.search", ["--trials=1", "--generations=1", "--devices=all",
                                          f"--out={tmp_path / 'taken'}"])
    try:
        outs = [p.communicate(timeout=TIMEOUT) for p in procs]
    finally:
        for p in procs:
            p.kill()
    for p, (_, err) in zip(procs, outs):
        assert p.returncode == 2
        assert [line for line in err.splitlines() if line.startswith("error:")] == [
            f"error: --out={tmp_path / 'taken'}: {tmp_path / 'taken'} is not empty and holds "
            "no results of ca_search.search; choose a new folder or pass overwrite"]
