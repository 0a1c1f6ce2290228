"""What every benchmark line says about where it ran."""

from __future__ import annotations

import os
import platform

import jax


def machine() -> dict:
    return {
        "device": jax.devices()[0].device_kind,
        "platform": jax.default_backend(),
        "cpu_count": os.cpu_count(),
        "cpu": platform.processor() or platform.machine(),
        "jax_version": jax.__version__,
    }
