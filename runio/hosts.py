"""The processes of one run: joining ``jax.distributed``, and who writes what.

A run across hosts (or several processes on one host) is one JAX cluster: every process
runs the same CLI with the same flags, each computes its share of the population, and
``jax.devices()`` lists every process's devices. :func:`initialize` joins the cluster when
the environment asks for it (``JAX_COORDINATOR_ADDRESS`` + ``JAX_NUM_PROCESSES`` +
``JAX_PROCESS_ID``, or a SLURM / Open MPI job of several tasks); CLIs call it first
(:func:`runio.cli.join_cluster`), because JAX refuses to join once anything has computed.

Inside a run, ``--out`` is on a filesystem all processes share. Process 0 alone prepares
it, checks it and writes records and figures (:func:`on_main`, :func:`is_main`); orbax
checkpoints are saved and restored by all processes together; host-side reads of sharded
arrays go through :func:`local`. In a single-process run all of this is a no-op.
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable, TypeVar

import jax
import numpy as np

from runio.errors import ConfigError

T = TypeVar("T")

# multi-process launchers JAX detects on its own: (variable naming the process count)
CLUSTERS = {"SLURM_NTASKS": "SLURM", "OMPI_COMM_WORLD_SIZE": "Open MPI"}
_NAMES = ("JAX_COORDINATOR_ADDRESS", "JAX_NUM_PROCESSES", "JAX_PROCESS_ID")
_MESSAGE_BYTES = 4096  # an error message sent from process 0 to the others


def distributed_args(env=None) -> dict | None:
    """The arguments of ``jax.distributed.initialize`` this process's environment asks for:
    ``None`` for a single-process run; explicit ones from ``JAX_COORDINATOR_ADDRESS``,
    ``JAX_NUM_PROCESSES`` and ``JAX_PROCESS_ID`` (all three, or none; JAX 0.10 reads only
    the address itself); ``{}`` (JAX auto-detects) inside a SLURM or Open MPI job of more
    than one task. Raises :class:`ConfigError` for a partial or malformed set."""
    env = os.environ if env is None else env
    given = [n for n in _NAMES if env.get(n)]
    if given:
        if len(given) < 3:
            missing = ", ".join(n for n in _NAMES if n not in given)
            raise ConfigError(given[0], f"a multi-process run needs all of {', '.join(_NAMES)}; "
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


def local_processes(env=None) -> int:
    """How many processes of this run share this machine: the launcher's local task count
    (Open MPI, SLURM), all of them when the coordinator is on the loopback address, else 1."""
    env = os.environ if env is None else env
    for var in ("OMPI_COMM_WORLD_LOCAL_SIZE", "SLURM_NTASKS_PER_NODE"):
        head = env.get(var, "").split("(")[0].split(",")[0]
        if head.isdigit() and int(head) >= 1:
            return int(head)
    host = env.get("JAX_COORDINATOR_ADDRESS", "").rsplit(":", 1)[0].strip("[]")
    if host in ("127.0.0.1", "localhost", "::1") and env.get("JAX_NUM_PROCESSES", "").isdigit():
        return max(1, int(env["JAX_NUM_PROCESSES"]))
    return 1


def initialize() -> None:
    """Join a multi-process run when the environment asks for one (see
    :func:`distributed_args`); a no-op otherwise, or when already joined. Call it first:
    JAX refuses to join once anything has computed (importing evosax does)."""
    if jax.distributed.is_initialized():
        return
    args = distributed_args()
    if args is not None:
        jax.distributed.initialize(**args)


def is_main() -> bool:
    """True in process 0 (the one that writes), and in every single-process run."""
    return jax.process_index() == 0


def barrier(name: str) -> None:
    """Wait until every process of the run gets here (a no-op with one process)."""
    if jax.process_count() > 1:
        from jax.experimental import multihost_utils
        multihost_utils.sync_global_devices(name)


def _send(text: str) -> str:
    """Process 0's ``text`` in every process (collective)."""
    from jax.experimental import multihost_utils
    data = np.zeros(_MESSAGE_BYTES, np.uint8)
    raw = text.encode()[:_MESSAGE_BYTES]
    data[:len(raw)] = np.frombuffer(raw, np.uint8)
    got = np.asarray(multihost_utils.broadcast_one_to_all(data))
    return bytes(got).rstrip(b"\0").decode(errors="replace")


def agree(text: str | None) -> str | None:
    """Process 0's ``text`` (or None) in every process, for decisions that must be the same
    everywhere but rest on each process's own clock (collective; identity with one process)."""
    if jax.process_count() == 1:
        return text
    return _send(text or "") or None


def on_main(fn: Callable[..., T], *args, **kwargs) -> T | None:
    """``fn(*args, **kwargs)`` in process 0 only; the others wait for it and raise the same
    :class:`ConfigError` when it raises one (any other error of process 0 ends the others
    with a ``RuntimeError`` naming it). Returns ``fn``'s result in process 0, None elsewhere."""
    if jax.process_count() == 1:
        return fn(*args, **kwargs)
    result, error, report = None, None, ""
    if is_main():
        try:
            result = fn(*args, **kwargs)
        except ConfigError as e:
            error, report = e, json.dumps({"field": e.field, "message": e.message})
        except Exception as e:  # noqa: BLE001  (told to the others, then raised here)
            error, report = e, json.dumps({"other": f"{type(e).__name__}: {e}"})
    report = _send(report)
    if error is not None:
        raise error
    if report:
        sent = json.loads(report)
        if "other" in sent:
            raise RuntimeError(f"process 0 failed: {sent['other']}")
        raise ConfigError(sent["field"], sent["message"])
    return result


def local(tree: Any) -> Any:
    """``tree`` with every array this process cannot read whole (it spans other processes'
    devices) as a numpy array: a replicated one from this process's copy, a sharded one
    gathered from all processes (collective: every process calls it). Other leaves pass."""
    def one(x):
        if not isinstance(x, jax.Array) or x.is_fully_addressable:
            return x
        if x.is_fully_replicated:
            return np.asarray(x.addressable_data(0))
        from jax.experimental import multihost_utils
        return np.asarray(multihost_utils.process_allgather(x, tiled=True))
    return jax.tree.map(one, tree)
