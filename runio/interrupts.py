"""Ctrl-C and SIGTERM that cannot be lost.

Python raises a signal's exception wherever the main thread happens to be. Where that is a
garbage-collection callback or a ``__del__`` (JAX runs a callback on every collection), the
exception is "ignored" — printed and dropped — and the program goes on as if no signal had
come. The handlers here also remember the signal, and :func:`check`, which the training loop
calls before every iteration, raises it again if it was dropped: the run still checkpoints
and ends with its one line and exit status.
"""

from __future__ import annotations

import signal

from runio.errors import Terminated

_pending: type[KeyboardInterrupt] | None = None


def _deliver(kind: type[KeyboardInterrupt]) -> None:
    global _pending
    _pending = kind
    raise kind()


def on_sigterm(signum, frame) -> None:
    """SIGTERM → :class:`runio.errors.Terminated` (a ``KeyboardInterrupt``)."""
    _deliver(Terminated)


def on_sigint(signum, frame) -> None:
    """SIGINT (Ctrl-C) → ``KeyboardInterrupt``."""
    _deliver(KeyboardInterrupt)


def install() -> None:
    """Route SIGTERM and SIGINT through the handlers above (SIGINT too where the shell
    started the process with it ignored, as a script's background job)."""
    signal.signal(signal.SIGTERM, on_sigterm)
    signal.signal(signal.SIGINT, on_sigint)


def pending() -> bool:
    """Whether a signal arrived whose exception has not reached a handler yet."""
    return _pending is not None


def handled() -> None:
    """Forget the pending signal: its exception reached the code that ends the run."""
    global _pending
    _pending = None


def check() -> None:
    """Raise the pending signal's exception again (once) if it was dropped on the way."""
    global _pending
    if _pending is not None:
        kind, _pending = _pending, None
        raise kind()
