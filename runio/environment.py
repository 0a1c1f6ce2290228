"""The JAX environment variables a CLI checks before anything imports JAX: a bad value
would otherwise end the run with a traceback deep inside JAX. No JAX import here."""

from __future__ import annotations

import importlib.util
import os
import sys
from typing import NoReturn


def fail(message: object) -> NoReturn:
    """Print ``error: message`` on one line and exit with status 2 (every CLI's bad input;
    :mod:`runio.cli` uses this one, which imports no JAX)."""
    text = " ".join(str(message).split())  # one line, whatever the message
    print(f"error: {text}", file=sys.stderr)
    sys.exit(2)


#: JAX backends other than the CPU, and the packages that bring them
PLUGINS = {"cuda": ("jax_cuda12_plugin", "jax_cuda13_plugin"),
           "gpu": ("jax_cuda12_plugin", "jax_cuda13_plugin", "jax_rocm60_plugin"),
           "rocm": ("jax_rocm60_plugin",), "tpu": ("libtpu",)}


def check() -> None:
    """One ``error:`` line (exit 2) for JAX environment variables that would fail deep in
    JAX: a ``JAX_NUM_CPU_DEVICES`` that is not a count, a ``JAX_PLATFORMS`` naming a
    backend this installation does not have."""
    n = os.environ.get("JAX_NUM_CPU_DEVICES")
    if n is not None and not (n.strip().isdigit() and int(n) >= 1):
        fail(f"JAX_NUM_CPU_DEVICES={n}: expected a number of CPU devices >= 1")
    for name in filter(None, (p.strip().lower() for p in
                              os.environ.get("JAX_PLATFORMS", "").split(","))):
        if name == "cpu":
            continue
        if name not in PLUGINS:
            fail(f"JAX_PLATFORMS={os.environ['JAX_PLATFORMS']}: unknown platform {name!r}; "
                 f"allowed: cpu, {', '.join(PLUGINS)}")
        if not any(importlib.util.find_spec(m) for m in PLUGINS[name]):
            fail(f"JAX_PLATFORMS={os.environ['JAX_PLATFORMS']}: no {name} backend is "
                 "installed here (on a machine with an NVIDIA GPU: pip install -e "
                 "\".[cuda12]\"); unset it to run on the CPU")
