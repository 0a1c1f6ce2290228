"""Lazy re-exports for a package's ``__init__`` (PEP 562), so that ``import nca_jax`` stays
cheap and computes nothing: the CLIs must set JAX's device options before anything imports
evosax (which runs JAX), and ``python -m nca_jax.grow`` imports the package first."""

from __future__ import annotations

import importlib
from typing import Any, Callable


def exports(package: str, names: dict[str, str]) -> tuple[Callable[[str], Any], Callable[[], list]]:
    """``(__getattr__, __dir__)`` for a package whose public ``names`` map to
    ``"module:attribute"`` (``"module"`` alone: the module itself)."""

    def getattr_(name: str) -> Any:
        try:
            where = names[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        module, _, attr = where.partition(":")
        value = importlib.import_module(module)
        return getattr(value, attr) if attr else value

    def dir_() -> list:
        return sorted(names)

    return getattr_, dir_
