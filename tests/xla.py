"""The XLA flags of a test run, for the subprocesses that set their own ``XLA_FLAGS``.

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


def flags(*extra: str) -> str:
    """``XLA_FLAGS`` for a subprocess: the run's compile flag (if set up) and ``extra``."""
    own = FAST_COMPILE if FAST_COMPILE in os.environ.get("XLA_FLAGS", "") else ""
    return " ".join(f for f in (own, *extra) if f)
