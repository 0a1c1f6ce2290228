"""Populations sharded over devices: a 1-D mesh whose axis ``pop`` splits the population,
everything else (strategy state, ICs, targets) replicated.

Single-individual code stays as it is; the jitted population function constrains its
population-shaped arrays with :func:`shard` and XLA's partitioner splits the vmapped work.
The mesh enters a trainer or a search as an argument (``make(..., mesh=...)``), never as a
field of an algorithm's config. On a CPU, XLA gives one small computation little intra-op
parallelism, so CLIs call :func:`use_cpu_cores` first: each core becomes its own CPU device
and a population split over them keeps every core busy. Across processes, :func:`initialize`
(called by :func:`runio.cli.run` before a CLI's main) joins ``jax.distributed`` when the
environment asks for it (``JAX_COORDINATOR_ADDRESS`` + ``JAX_NUM_PROCESSES`` +
``JAX_PROCESS_ID``, or a SLURM / Open MPI job of several tasks), after which
``jax.devices()`` lists every process's devices.
"""

from __future__ import annotations

import os

import jax
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from runio.errors import ConfigError

AXIS = "pop"


# multi-process launchers JAX detects on its own: (variable naming the process count)
CLUSTERS = {"SLURM_NTASKS": "SLURM", "OMPI_COMM_WORLD_SIZE": "Open MPI"}


def distributed_args(env=None) -> dict | None:
    """The arguments of ``jax.distributed.initialize`` this process's environment asks for:
    ``None`` for a single-process run; explicit ones from ``JAX_COORDINATOR_ADDRESS``,
    ``JAX_NUM_PROCESSES`` and ``JAX_PROCESS_ID`` (all three, or none; JAX 0.10 reads only
    the address itself); ``{}`` (JAX auto-detects) inside a SLURM or Open MPI job of more
    than one task. Raises :class:`ConfigError` for a partial or malformed set."""
    env = os.environ if env is None else env
    names = ("JAX_COORDINATOR_ADDRESS", "JAX_NUM_PROCESSES", "JAX_PROCESS_ID")
    given = [n for n in names if env.get(n)]
    if given:
        if len(given) < 3:
            missing = ", ".join(n for n in names if n not in given)
            raise ConfigError(given[0], f"a multi-process run needs all of {', '.join(names)}; "
                                        f"{missing} not set")
        try:
            n, pid = int(env["JAX_NUM_PROCESSES"]), int(env["JAX_PROCESS_ID"])
        except ValueError:
            raise ConfigError("JAX_NUM_PROCESSES", "JAX_NUM_PROCESSES and JAX_PROCESS_ID must "
                              "be whole numbers") from None
        if not (n >= 1 and 0 <= pid < n):
            raise ConfigError("JAX_PROCESS_ID", f"must be in 0..JAX_NUM_PROCESSES-1={n - 1}, "
                                                f"got {pid} (JAX_NUM_PROCESSES={n})")
        return {"coordinator_address": env["JAX_COORDINATOR_ADDRESS"], "num_processes": n,
                "process_id": pid}
    for var in CLUSTERS:
        try:
            if int(env.get(var, "1")) > 1:
                return {}
        except ValueError:
            pass
    return None


def initialize() -> None:
    """Join a multi-process run when the environment asks for one (see
    :func:`distributed_args`); a no-op otherwise, or when already joined. Call it first:
    JAX refuses to join once anything has computed (importing evosax does)."""
    if jax.distributed.is_initialized():
        return
    args = distributed_args()
    if args is not None:
        jax.distributed.initialize(**args)


def use_cpu_cores() -> None:
    """Expose each CPU core this process may use as its own JAX CPU device.

    Call before JAX runs anything. An explicit choice (``JAX_NUM_CPU_DEVICES``, or
    ``--xla_force_host_platform_device_count`` in ``XLA_FLAGS``) is left alone, and so
    is a process whose backends have already started. GPU/TPU devices stay the default.
    """
    if os.environ.get("JAX_NUM_CPU_DEVICES") or \
            "xla_force_host_platform_device_count" in os.environ.get("XLA_FLAGS", ""):
        return
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        jax.config.update("jax_num_cpu_devices", max(1, cores or 1))
    except RuntimeError:  # backends already initialised: keep what they have
        pass


def auto_count(population: int, available: int | None = None) -> int:
    """The most devices (at most ``available``) that split ``population`` evenly."""
    available = jax.device_count() if available is None else available
    return max(d for d in range(1, max(1, min(available, population)) + 1) if population % d == 0)


def parse_devices(text: str | int, population: int | None = None) -> int:
    """``all``, ``auto`` (the most devices that divide ``population``) or a positive
    count no larger than the devices present -> a count."""
    available = jax.device_count()
    word = str(text).strip().lower()
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
    return jax.device_put(tree, NamedSharding(mesh, PartitionSpec()))


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
