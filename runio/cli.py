"""Thin-CLI plumbing: absl flags where bad input is one line on stderr and exit status 2.

Every ``python -m pkg.name`` script ends with ``runio.cli.run(main)``. Flag parsing errors
(unknown flag, wrong type, enum value), extra positional arguments, :func:`fail` and a
:class:`runio.errors.ConfigError` from the library all print a single ``error: ...`` line
and exit with status 2, never a traceback. A ``ConfigError`` names a config field; the line
names the flag that set it (:func:`flag_for`).
"""

from __future__ import annotations

import sys
from typing import Callable, Mapping

from absl import app, flags, logging

from runio import environment, hosts, interrupts, outdir
from runio.environment import fail  # noqa: F401  (the CLIs' one-line error)
from runio.driver import Interrupted
from runio.errors import ConfigError, Terminated


def require(condition: bool, message: str) -> None:
    """``fail(message)`` unless ``condition`` holds (for checks that only a CLI makes)."""
    if not condition:
        fail(message)


def flag_for(field: str, overrides: Mapping[str, str] | None = None,
             flag_values: flags.FlagValues = flags.FLAGS) -> str | None:
    """The flag that sets config ``field``: an explicit override, else the field with dots
    as underscores (``es.lr`` → ``es_lr``) if such a flag exists, else its last part
    (``model.hidden`` → ``hidden``) if that flag exists; None if no flag matches."""
    if overrides and field in overrides:
        return overrides[field]
    for name in (field.replace(".", "_"), field.rsplit(".", 1)[-1]):
        if name in flag_values:
            return name
    return None


def describe(error: ConfigError, overrides: Mapping[str, str] | None = None) -> str:
    """``--flag=value: message`` for a config error raised under a CLI."""
    if not error.field:
        return error.message
    name = flag_for(error.field, overrides)
    if name is None:
        return f"{error.field}: {error.message}"
    value = flags.FLAGS[name].value
    if isinstance(value, (list, tuple)):
        value = ",".join(map(str, value))
    shown = "" if value is None or isinstance(value, bool) else f"={value}"
    return f"--{name}{shown}: {error.message}"


HELP = ("--help", "-h", "--helpshort", "-?")


def _help(argv: list[str], spec) -> None:
    """``--help``: the CLI's own flags, grouped, one line each (``--helpfull``: absl's)."""
    if spec is None or not any(a in HELP for a in argv[1:]):
        return
    import __main__

    doc = (getattr(__main__, "__doc__", None) or "").strip()
    print(doc.split("\n\n")[0] if doc else argv[0])
    print()
    print(spec.help())
    print("\n(--helpfull: every flag, absl's and the libraries' included)")
    sys.exit(0)


def _parse(argv: list[str], spec=None) -> list[str]:
    _help(argv, spec)
    try:
        rest = flags.FLAGS(argv)
    except flags.Error as e:
        fail(e)
    if not flags.FLAGS["verbosity"].present:  # keep JAX's and orbax's INFO chatter off stderr
        logging.set_verbosity(logging.WARNING)
    if len(rest) > 1:
        fail(f"unexpected arguments {rest[1:]}; every option is a --flag (see --help)")
    return rest


def flagfile(spec) -> str:
    """The CLI's own flags as a flagfile: one ``--flag=value`` line each (as parsed)."""
    lines = []
    for f in spec.flags:
        fl = flags.FLAGS[f.name]
        if fl.value is not None:
            lines.append(fl.serialize())
    return "\n".join(lines) + "\n"


EXIT_CTRL_C, EXIT_SIGTERM = 130, 143  # 128 + the signal's number, as shells report them


def _unraisable(hook_args) -> None:
    """Keep a refused or fallen-back restore to its own lines: after a failed read,
    orbax's storage threads may still try to report to its event loop as the process ends
    ("Event loop is closed"), which Python would print as a traceback."""
    e = hook_args.exc_value
    if isinstance(e, RuntimeError) and "Event loop is closed" in str(e):
        return
    if isinstance(e, KeyboardInterrupt) and interrupts.pending():
        return  # a signal dropped in a callback: the training loop raises it again
    sys.__unraisablehook__(hook_args)


def _guarded(main: Callable[[list[str]], object], argv: list[str],
             flag_names: Mapping[str, str] | None, spec=None) -> object:
    if spec is not None:  # every folder the job claims records how to rerun it
        outdir.RECORDS[outdir.FLAGS_FILE] = flagfile(spec)
    try:
        return main(argv)
    except ConfigError as e:
        fail(describe(e, flag_names))
    except Interrupted as e:  # the driver checkpointed and says how to resume
        print(e.message, file=sys.stderr)
        sys.exit(EXIT_SIGTERM if e.signal_name == "SIGTERM" else EXIT_CTRL_C)
    except KeyboardInterrupt as e:  # before or after training: nothing to checkpoint
        interrupts.handled()
        sigterm = isinstance(e, Terminated)
        print(f"interrupted ({'SIGTERM' if sigterm else 'Ctrl-C'}); rerun the same command "
              "to resume", file=sys.stderr)
        sys.exit(EXIT_SIGTERM if sigterm else EXIT_CTRL_C)


def _names(flag_names) -> tuple[Mapping[str, str] | None, object]:
    """``(field → flag mapping, spec)`` from a :class:`runio.flagdefs.Spec` or a mapping."""
    if hasattr(flag_names, "flag_names"):
        return flag_names.flag_names(), flag_names
    return flag_names, None


def invoke(main: Callable[[list[str]], object], argv: list[str],
           flag_names=None) -> object:
    """Parse ``argv`` (program name first) and call ``main`` exactly as :func:`run` does,
    without ``absl.app``'s process set-up, so one process can try many command lines (the
    tests do). Bad input raises ``SystemExit(2)`` after its one ``error:`` line."""
    names, spec = _names(flag_names)
    return _guarded(main, _parse(argv, spec), names, spec)


def run(main: Callable[[list[str]], object], flag_names=None) -> None:
    """``absl.app.run`` with one-line errors; a :class:`ConfigError` from ``main`` exits 2
    naming the flag. ``flag_names``: the CLI's :class:`runio.flagdefs.Spec` (which also
    gives ``--help``), or a mapping of config fields to flags where the names differ."""
    names, spec = _names(flag_names)
    interrupts.install()
    sys.unraisablehook = _unraisable
    join_cluster()
    app.run(lambda argv: _guarded(main, argv, names, spec),
            flags_parser=lambda a: _parse(a, spec))


def join_cluster() -> None:
    """:func:`runio.hosts.initialize` with a one-line error (exit 2) for a bad
    environment. CLIs whose imports compute with JAX (evosax's do) call it before them;
    :func:`run` calls it for the rest."""
    environment.check()
    try:
        hosts.initialize()
    except ConfigError as e:
        fail(describe(e))  # no flag names an environment variable: "VARIABLE: message"
