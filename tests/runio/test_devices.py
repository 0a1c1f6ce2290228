"""runio.devices: device counts, the CPU-core split, --devices parsing, placement."""

import os
import subprocess
import sys

import pytest

from runio import devices
from runio.errors import ConfigError
from tests import xla


def test_auto_device_count_is_the_largest_divisor_present():
    from runio.devices import auto_count

    # independent: brute force over every count
    for population in (2, 6, 10, 32, 64, 96, 7):
        for available in (1, 2, 3, 4, 8, 128):
            best = max(d for d in range(1, available + 1) if population % d == 0)
            assert auto_count(population, available) == best


def _device_count(code: str, device_count: int | None = None) -> int:
    env = xla.env(device_count)
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return int(proc.stdout.split()[-1])


USE_CORES = ("import jax\nfrom runio import devices\ndevices.use_cpu_cores()\n"
             "print(jax.device_count())")


def test_use_cpu_cores_gives_one_device_per_core():
    cores = len(os.sched_getaffinity(0))
    assert _device_count(USE_CORES) == cores


def test_use_cpu_cores_leaves_an_explicit_choice_and_a_started_backend_alone():
    assert _device_count(USE_CORES, device_count=3) == 3
    started = ("import jax\njax.numpy.zeros(1).block_until_ready()\n"
               "from runio import devices\ndevices.use_cpu_cores()\nprint(jax.device_count())")
    assert _device_count(started) == 1


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
