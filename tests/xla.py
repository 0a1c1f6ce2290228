"""The XLA flags of a test run, and the environment of the subprocesses that choose their
own CPU devices.

``--xla_cpu_use_fusion_emitters=false`` makes XLA:CPU emit fused loops with its older
emitters: 2.7x less compile time on this suite's programs (the CA search's sharding check:
16.2 -> 5.9 s of compiling, 2-core CPU), and the suite is mostly compiling. Results agree
within the tests' tolerances; the users' runs keep XLA's default emitters. Older jaxlibs do
not know the flag (XLA refuses unknown flags), so it is only used from jaxlib 0.7 on.
"""

from __future__ import annotations

import os

FAST_COMPILE = "--xla_cpu_use_fusion_emitters=false"


def supported() -> bool:
    from importlib.metadata import version

    major, minor = (int(p) for p in version("jaxlib").split(".")[:2])
    return (major, minor) >= (0, 7)


def env(device_count: int | None = None, **extra: str) -> dict:
    """``os.environ`` for a CPU subprocess: no inherited device settings (``XLA_FLAGS``,
    ``JAX_NUM_CPU_DEVICES``), the run's compile flag if set up, ``device_count`` virtual
    devices if given, then ``extra``."""
    own = FAST_COMPILE if FAST_COMPILE in os.environ.get("XLA_FLAGS", "") else ""
    count = f"--xla_force_host_platform_device_count={device_count}" if device_count else ""
    out = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "JAX_NUM_CPU_DEVICES")}
    out.update(XLA_FLAGS=" ".join(f for f in (own, count) if f), JAX_PLATFORMS="cpu", **extra)
    return out
