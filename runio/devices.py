"""Populations sharded over devices: a 1-D mesh whose axis ``pop`` splits the population,
everything else (strategy state, ICs, targets) replicated.

Single-individual code stays as it is; the jitted population function constrains its
population-shaped arrays with :func:`shard` and XLA's partitioner splits the vmapped work.
The mesh enters a trainer or a search as an argument (``make(..., mesh=...)``), never as a
field of an algorithm's config. On a CPU, XLA gives one small computation little intra-op
parallelism, so CLIs call :func:`use_cpu_cores` first: each core becomes its own CPU device
and a population split over them keeps every core busy (shared fairly among the processes
of a multi-process run on one machine). Across processes (:mod:`runio.hosts`) the mesh spans
every process's devices, and the population is split over all of them.
"""

from __future__ import annotations

import os

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from runio import hosts
from runio.errors import ConfigError

AXIS = "pop"


def use_cpu_cores() -> None:
    """Expose each CPU core this process may use as its own JAX CPU device.

    Call before JAX runs anything. An explicit choice (``JAX_NUM_CPU_DEVICES``, or
    ``--xla_force_host_platform_device_count`` in ``XLA_FLAGS``) is left alone, and so
    is a process whose backends have already started. GPU/TPU devices stay the default.
    :func:`cpu_share` says how many cores that is.
    """
    if os.environ.get("JAX_NUM_CPU_DEVICES") or \
            "xla_force_host_platform_device_count" in os.environ.get("XLA_FLAGS", ""):
        return
    try:
        jax.config.update("jax_num_cpu_devices", cpu_share())
    except RuntimeError:  # backends already initialised: keep what they have
        pass


def cpu_share(env=None) -> int:
    """The cores this process may use: those it is pinned to when a launcher pinned it,
    else the machine's cores shared evenly among the run's processes on this machine
    (:func:`runio.hosts.local_processes`)."""
    total = os.cpu_count() or 1
    mine = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else total
    if mine < total:  # pinned by the launcher (SLURM --cpu-bind, taskset): its share already
        return max(1, mine)
    return max(1, mine // hosts.local_processes(env))


def _all_processes(population: int | None) -> int:
    """A multi-process run splits the population over every device of the cluster (a mesh
    that leaves out a process's devices would leave that process nothing to run)."""
    n = jax.device_count()
    if population is not None and population % n:
        raise ConfigError("devices", f"a run of {jax.process_count()} processes splits the "
                                     f"population over all {n} devices; {population} is not "
                                     f"divisible by {n}")
    return n


def auto_count(population: int, available: int | None = None) -> int:
    """The most devices (at most ``available``) that split ``population`` evenly (every
    device of a multi-process run)."""
    if available is None and jax.process_count() > 1:
        return _all_processes(population)
    available = jax.device_count() if available is None else available
    return max(d for d in range(1, max(1, min(available, population)) + 1) if population % d == 0)


def parse_devices(text: str | int, population: int | None = None) -> int:
    """``all``, ``auto`` (the most devices that divide ``population``) or a positive
    count no larger than the devices present -> a count."""
    available = jax.device_count()
    word = str(text).strip().lower()
    if jax.process_count() > 1:
        if word not in ("all", "auto", str(available)):
            raise ConfigError("devices", f"a run of {jax.process_count()} processes uses all "
                                         f"{available} devices; give 'all' or 'auto'")
        return _all_processes(population)
    if word == "all":
        return available
    if word == "auto" and population is not None:
        return auto_count(population, available)
    allowed = "'all', 'auto'" if population is not None else "'all'"
    try:
        n = int(text)
    except ValueError:
        raise ConfigError("devices", f"must be {allowed} or a whole number, got {text!r}") from None
    if not 1 <= n <= available:
        raise ConfigError("devices", f"must be in 1..{available} (devices present), got {n}")
    if population is not None and population % n:
        raise ConfigError("devices", f"{n} devices do not split the population of "
                                     f"{population} evenly")
    return n


def population_mesh(n_devices: int) -> Mesh | None:
    """A 1-D mesh over the first ``n_devices`` devices (None for one device: no sharding)."""
    if n_devices <= 1:
        return None
    return Mesh(jax.devices()[:n_devices], (AXIS,))


def mesh_size(mesh: Mesh | None) -> int:
    """Devices a population is split over (1 without a mesh)."""
    return 1 if mesh is None else mesh.devices.size


def check_divisible(population: int, mesh: Mesh | None, field: str = "population") -> None:
    n = mesh_size(mesh)
    if population % n:
        raise ConfigError(field, f"{population} is not divisible by the {n} devices it is "
                                 "split over")


def shard(x: jax.Array, mesh: Mesh | None, axis: int = 0) -> jax.Array:
    """Constrain ``x`` (inside jit) to be split along ``axis`` over the mesh."""
    if mesh is None:
        return x
    spec = [None] * x.ndim
    spec[axis] = AXIS
    return jax.lax.with_sharding_constraint(x, NamedSharding(mesh, PartitionSpec(*spec)))


def put_replicated(tree, mesh: Mesh | None):
    """Place every array of ``tree`` (outside jit) on all devices of the mesh."""
    if mesh is None:
        return tree
    sharding = NamedSharding(mesh, PartitionSpec())
    if jax.process_count() == 1:
        return jax.device_put(tree, sharding)

    def one(x):  # each process gives its copy (device_put would compare them, NaN != NaN)
        x = np.asarray(hosts.local(x))
        return jax.make_array_from_callback(x.shape, sharding, lambda index: x[index])
    return jax.tree.map(one, tree)


def replicate(x: jax.Array, mesh: Mesh | None) -> jax.Array:
    """Constrain ``x`` (inside jit) to be replicated on every device of the mesh."""
    if mesh is None:
        return x
    return jax.lax.with_sharding_constraint(x, NamedSharding(mesh, PartitionSpec()))


def available_memory() -> int | None:
    """Bytes a computation may use on the default device: the accelerator's memory limit,
    or on a CPU the memory the system reports available (None when unknown)."""
    dev = jax.devices()[0]
    if dev.platform != "cpu":
        try:
            return int(dev.memory_stats()["bytes_limit"])
        except Exception:  # not every backend reports memory
            return None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_memory(needed: int, field: str, what: str, fix: str) -> None:
    """Refuse a configuration whose estimated working memory ``needed`` (bytes) exceeds what
    the device has (:func:`available_memory`), naming the config field to change."""
    have = available_memory()
    if have is not None and needed > have:
        raise ConfigError(field, f"{what} needs about {needed / 2**30:.1f} GiB, more than the "
                                 f"{have / 2**30:.1f} GiB available; {fix}")
