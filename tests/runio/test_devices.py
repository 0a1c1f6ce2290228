"""runio.devices: device counts, the CPU-core split, --devices parsing, and joining a multi-process run from the environment (two real processes on localhost)."""

import os
import socket
import subprocess
import sys

import pytest

from runio import devices
from runio.errors import ConfigError


def test_auto_device_count_is_the_largest_divisor_present():
    from runio.devices import auto_count

    # independent: brute force over every count
    for population in (2, 6, 10, 32, 64, 96, 7):
        for available in (1, 2, 3, 4, 8, 128):
            best = max(d for d in range(1, available + 1) if population % d == 0)
            assert auto_count(population, available) == best


def _device_count(env_extra: dict, code: str) -> int:
    env = {k: v for k, v in os.environ.items()
           if k not in ("XLA_FLAGS", "JAX_NUM_CPU_DEVICES")}
    env.update(env_extra, JAX_PLATFORMS="cpu")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return int(proc.stdout.split()[-1])


USE_CORES = ("import jax\nfrom runio import devices\ndevices.use_cpu_cores()\n"
             "print(jax.device_count())")


def test_use_cpu_cores_gives_one_device_per_core():
    cores = len(os.sched_getaffinity(0))
    assert _device_count({}, USE_CORES) == cores


def test_use_cpu_cores_leaves_an_explicit_choice_and_a_started_backend_alone():
    flags = {"XLA_FLAGS": "--xla_force_host_platform_device_count=3"}
    assert _device_count(flags, USE_CORES) == 3
    started = ("import jax\njax.numpy.zeros(1).block_until_ready()\n"
               "from runio import devices\ndevices.use_cpu_cores()\nprint(jax.device_count())")
    assert _device_count({}, started) == 1


def test_parse_devices_words_and_errors():
    import jax

    from runio.devices import parse_devices

    n = jax.device_count()
    assert parse_devices("all") == n
    assert parse_devices("auto", 64) == max(d for d in range(1, n + 1) if 64 % d == 0)
    assert parse_devices("1") == 1
    with pytest.raises(ConfigError, match="'all', 'auto' or a whole number"):
        parse_devices("many", 64)
    with pytest.raises(ConfigError, match="devices present"):
        parse_devices("100000")


# ---------------------------------------------------------------------------- processes

ADDR = "127.0.0.1:1234"


@pytest.mark.parametrize("env,want", [
    ({}, None),
    ({"JAX_COORDINATOR_ADDRESS": ADDR, "JAX_NUM_PROCESSES": "2", "JAX_PROCESS_ID": "1"},
     {"coordinator_address": ADDR, "num_processes": 2, "process_id": 1}),
    ({"SLURM_NTASKS": "4", "SLURM_JOB_ID": "7"}, {}),  # JAX's own cluster detection
    ({"SLURM_NTASKS": "1", "SLURM_JOB_ID": "7"}, None),  # one task: one process
    ({"OMPI_COMM_WORLD_SIZE": "2"}, {}),
])
def test_distributed_args_from_the_environment(env, want):
    assert devices.distributed_args(env) == want


@pytest.mark.parametrize("env,match", [
    ({"JAX_COORDINATOR_ADDRESS": ADDR}, "JAX_NUM_PROCESSES, JAX_PROCESS_ID not set"),
    ({"JAX_COORDINATOR_ADDRESS": ADDR, "JAX_NUM_PROCESSES": "two", "JAX_PROCESS_ID": "0"},
     "whole numbers"),
    ({"JAX_COORDINATOR_ADDRESS": ADDR, "JAX_NUM_PROCESSES": "2", "JAX_PROCESS_ID": "2"},
     r"0..JAX_NUM_PROCESSES-1=1"),
])
def test_distributed_args_refuse_a_partial_or_bad_set(env, match):
    with pytest.raises(ConfigError, match=match):
        devices.distributed_args(env)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


JOIN = ("from runio.cli import join_cluster; join_cluster(); import jax; "
        "print(jax.process_count(), jax.process_index(), jax.device_count())")


@pytest.mark.xdist_group("processes")
def test_two_processes_on_localhost_join_one_cluster_from_the_documented_variables():
    env = dict(os.environ, JAX_COORDINATOR_ADDRESS=f"127.0.0.1:{_free_port()}",
               JAX_NUM_PROCESSES="2", JAX_NUM_CPU_DEVICES="1", JAX_PLATFORMS="cpu")
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
