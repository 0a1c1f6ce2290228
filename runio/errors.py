"""The one error type for input that is not allowed, raised by library code (no absl here).

A :class:`ConfigError` names the configuration field at fault (``"size"``, or dotted for a
nested config: ``"es.lr"``) and says what is allowed. The command-line layer
(:mod:`runio.cli`) turns the field into the flag that set it and prints one line.
"""

from __future__ import annotations

import contextlib
import math
from typing import Iterator


class ConfigError(ValueError):
    """A value of configuration field ``field`` is not allowed; ``message`` says what is."""

    def __init__(self, field: str | None, message: str):
        super().__init__(field, message)
        self.field = field
        self.message = " ".join(str(message).split())  # always one line

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


@contextlib.contextmanager
def within(prefix: str) -> Iterator[None]:
    """Prefix the field of a :class:`ConfigError` raised inside (``lr`` → ``es.lr``), for
    configs nested in another one."""
    try:
        yield
    except ConfigError as e:
        field = f"{prefix}.{e.field}" if e.field else prefix
        raise ConfigError(field, e.message) from None


def check(condition: bool, field: str, message: str) -> None:
    """Raise ``ConfigError(field, message)`` unless ``condition`` holds."""
    if not condition:
        raise ConfigError(field, message)


def finite(value: float) -> bool:
    """True for a real, finite number (refuses NaN and ±inf)."""
    try:
        return math.isfinite(value)
    except TypeError:
        return False


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the run is (``runio.cli`` turns the signal into it), so that a
    run ends as under Ctrl-C: checkpointed, its lock released, one line."""
