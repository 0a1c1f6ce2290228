"""Run many command lines of one CLI module in one process, as its ``__main__`` would:

    python -m tests.cli.harness nca_jax.grow < cases.json > results.json

``cases.json`` is a list of argument lists; each result holds the exit status (an int, or
``"traceback"`` for an uncaught exception), stdout and stderr. Each case starts from the
flags' defaults (``FLAGS.unparse_flags``) and goes through :func:`runio.cli.invoke`, the same
parsing and error handling as ``runio.cli.run``, so a bad-input battery pays the imports of a
CLI once instead of once per command line.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import sys
import traceback

from absl import flags

from runio.cli import invoke


def main() -> None:
    module = importlib.import_module(sys.argv[1])
    cases = json.load(sys.stdin)
    results = []
    for argv in cases:
        flags.FLAGS.unparse_flags()
        out, err = io.StringIO(), io.StringIO()
        code: int | str = 0
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                invoke(module.main, [module.__name__, *argv],
                       getattr(module, "SPEC", None))
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            except BaseException:  # noqa: BLE001 (what the battery looks for)
                traceback.print_exc()
                code = "traceback"
        results.append({"argv": argv, "code": code, "stdout": out.getvalue(),
                        "stderr": err.getvalue()})
    sys.stdout.write(json.dumps(results))


if __name__ == "__main__":
    main()
