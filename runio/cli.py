"""Thin-CLI plumbing: absl flags where bad input is one line on stderr and exit status 2.

Every ``python -m pkg.name`` script ends with ``runio.cli.run(main)``. Flag parsing errors
(unknown flag, wrong type, enum value) and :func:`fail` both print a single
``error: ...`` line naming what is wrong and exit with status 2, never a traceback.
"""

from __future__ import annotations

import sys
from typing import Callable, NoReturn

from absl import app, flags, logging


class BadInput(ValueError):
    """Raised by library code for user input that is not allowed (CLIs map it to exit 2)."""


def fail(message: object) -> NoReturn:
    """Print ``error: message`` on one line and exit with status 2."""
    text = " ".join(str(message).split())  # one line, whatever the message
    print(f"error: {text}", file=sys.stderr)
    sys.exit(2)


def require(condition: bool, message: str) -> None:
    """``fail(message)`` unless ``condition`` holds."""
    if not condition:
        fail(message)


def _parse(argv: list[str]) -> list[str]:
    try:
        rest = flags.FLAGS(argv)
    except flags.Error as e:
        fail(e)
    if not flags.FLAGS["verbosity"].present:  # keep JAX's INFO chatter off stderr
        logging.set_verbosity(logging.WARNING)
    return rest


def run(main: Callable[[list[str]], object]) -> None:
    """``absl.app.run`` with one-line flag errors; :class:`BadInput` from main also exits 2."""

    def guarded(argv):
        try:
            return main(argv)
        except BadInput as e:
            fail(e)

    app.run(guarded, flags_parser=_parse)
