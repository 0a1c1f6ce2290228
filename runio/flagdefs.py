"""Flags generated from config dataclasses: the library owns every default, the CLI only
names its flags, groups them and says what each does.

A CLI lists its flags by group; each :func:`flag` names the config field(s) it sets::

    SPEC = Spec(GrowConfig, {
        "target": [flag("target", "Emoji or image file."), flag("size", "Cells per side.")],
        "ES": [flag("es.population", "ES population size.", name="population")],
        "run": [plain("out")],          # a flag the CLI defines itself (not a config field)
    })
    SPEC.define()                       # absl flags: type, default and choices from the field
    config = SPEC.build()               # the config the parsed flags describe

The flag's type comes from the field's annotation (bool, int, float, str, ``X | None``,
``tuple[X, ...]`` as a comma-separated list), its default from the dataclass (the class
default, so that ``None`` keeps meaning "the library decides"), its choices from
``choices=`` (a library constant). A flag marked ``preset=True`` defaults to ``None``: the
value comes from the base config that ``build(base=...)`` is given (a named preset).
:meth:`Spec.flag_names` maps fields to flags for one-line errors; :meth:`Spec.help` is the
grouped ``--help``.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from typing import Any, NamedTuple

from absl import flags

from runio.errors import ConfigError, within


class Flag(NamedTuple):
    fields: tuple[str, ...]  # dotted config fields the flag sets (empty: a plain flag)
    help: str
    name: str
    choices: tuple[str, ...] | None = None
    preset: bool = False


def flag(fields: str | tuple[str, ...], help: str, name: str | None = None,
         choices=None, preset: bool = False) -> Flag:
    """A flag setting config field(s) ``fields`` (dotted: ``"es.lr"``; several fields: one
    flag sets them all); its name defaults to the first field's last part."""
    fields = (fields,) if isinstance(fields, str) else tuple(fields)
    return Flag(fields, help, name or fields[0].rsplit(".", 1)[-1],
                tuple(choices) if choices is not None else None, preset)


def plain(name: str) -> Flag:
    """A flag the CLI defines itself (``--out``, ``--devices``): listed in the help only."""
    return Flag((), "", name)


def _default(cls: type, name: str) -> Any:
    f = {f.name: f for f in dataclasses.fields(cls)}[name]
    return f.default if f.default is not dataclasses.MISSING else f.default_factory()


def field_type(cls: type, path: str) -> tuple[Any, Any]:
    """``(annotation, default)`` of the dotted field ``path`` of dataclass ``cls``: the
    default as ``cls()`` holds it (a nested config's default instance may differ from its
    own class defaults)."""
    *parents, last = path.split(".")
    holder = None
    for p in parents:
        holder = getattr(holder, p) if holder is not None else _default(cls, p)
        cls = typing.get_type_hints(cls)[p]
    default = getattr(holder, last) if holder is not None else _default(cls, last)
    return typing.get_type_hints(cls)[last], default


def _unwrap(annotation) -> Any:
    """``X | None`` → ``X``; others unchanged."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return next(a for a in typing.get_args(annotation) if a is not type(None))
    return annotation


def _element(annotation) -> type | None:
    """``tuple[X, ...]`` → X; None for scalars."""
    if typing.get_origin(annotation) is tuple:
        return typing.get_args(annotation)[0]
    return None


class Spec:
    """The flags of one CLI: the config class they build and the flags by group."""

    def __init__(self, cls: type | None, groups: dict[str, list[Flag]]):
        self.cls, self.groups = cls, groups
        self.flags = [f for fs in groups.values() for f in fs]

    def define(self, flag_values: flags.FlagValues = flags.FLAGS) -> None:
        """Define every config flag with the field's type, default and choices."""
        for f in self.flags:
            if not f.fields:
                continue
            annotation, default = field_type(self.cls, f.fields[0])
            kind = _unwrap(annotation)
            if f.preset:
                default = None
            element = _element(kind)
            kw = dict(flag_values=flag_values)
            if element is not None:
                value = None if default is None else [str(v) for v in default]
                flags.DEFINE_list(f.name, value, f.help, **kw)
            elif kind is bool:
                flags.DEFINE_bool(f.name, default, f.help, **kw)
            elif kind is int:
                flags.DEFINE_integer(f.name, default, f.help, **kw)
            elif kind is float:
                flags.DEFINE_float(f.name, default, f.help, **kw)
            elif f.choices is not None:
                flags.DEFINE_enum(f.name, default, list(f.choices), f.help, **kw)
            else:
                flags.DEFINE_string(f.name, default, f.help, **kw)

    def values(self, flag_values: flags.FlagValues = flags.FLAGS) -> dict[str, Any]:
        """``{dotted field: value}`` from the parsed flags (preset flags left unset are
        left out); a list flag's items converted to the field's element type."""
        out = {}
        for f in self.flags:
            if not f.fields:
                continue
            value = flag_values[f.name].value
            if value is None and f.preset:
                continue
            annotation, _ = field_type(self.cls, f.fields[0])
            element = _element(_unwrap(annotation))
            if element is not None and value is not None:
                try:
                    value = tuple(element(v) for v in value)
                except ValueError:
                    what = "numbers" if element in (int, float) else f"{element.__name__}s"
                    raise ConfigError(f.fields[0], f"expected comma-separated {what}") from None
            for path in f.fields:
                out[path] = value
        return out

    def build(self, base: Any = None, flag_values: flags.FlagValues = flags.FLAGS,
              **fixed: Any) -> Any:
        """The config the parsed flags describe, on top of ``base`` (default: the class
        defaults); ``fixed`` (dotted fields) overrides both."""
        values = {**self.values(flag_values), **fixed}
        if base is None:  # the class defaults (which alone need not be a valid config)
            return replace(self.cls, values)
        return replace(base, values)

    def flag_names(self) -> dict[str, str]:
        """``{dotted field: flag name}`` for every field a flag sets."""
        return {path: f.name for f in self.flags for path in f.fields}

    def help(self, flag_values: flags.FlagValues = flags.FLAGS) -> str:
        """The grouped help: one line per flag, ``--name=default  what it does``."""
        lines = []
        for group, fs in self.groups.items():
            lines.append(f"{group}:")
            for f in fs:
                fl = flag_values[f.name]
                default = fl.default
                if isinstance(default, (list, tuple)):
                    default = ",".join(map(str, default))
                shown = (" (default: from the preset)" if f.preset else
                         "" if default is None or default == "" else f" (default: {default})")
                values = getattr(fl.parser, "enum_values", None)
                choices = f" [{'|'.join(values)}]" if values else ""
                text = " ".join((f.help or fl.help or "").split())
                text = re.sub(r"^<[^>]*>: ", "", text)  # absl's enum prefix: shown above
                lines.append(f"  --{f.name}{choices}{shown}  {text}")
        return "\n".join(lines)


def replace(config: Any, values: dict[str, Any]) -> Any:
    """``config`` (an instance, or a dataclass for its defaults) with dotted fields replaced,
    each nested dataclass built once (so its checks see all of its new values together);
    errors name the dotted field."""
    own = {k: v for k, v in values.items() if "." not in k}
    nested: dict[str, dict[str, Any]] = {}
    for k, v in values.items():
        if "." in k:
            head, rest = k.split(".", 1)
            nested.setdefault(head, {})[rest] = v
    cls = config if isinstance(config, type) else type(config)
    current = {f.name: _default(cls, f.name) if config is cls else getattr(config, f.name)
               for f in dataclasses.fields(cls) if f.init}
    for head, sub in nested.items():
        with within(head):
            own[head] = replace(current[head], sub)
    return cls(**{**current, **own})


def check_defaults(spec: Spec) -> list[str]:
    """The flags whose default differs from the library's (or, for preset flags, is not
    None): empty when the CLI owns no default."""
    bad = []
    for f in spec.flags:
        if not f.fields:
            continue
        _, default = field_type(spec.cls, f.fields[0])
        value = flags.FLAGS[f.name].default
        if isinstance(value, list):
            value = tuple(type(d)(v) for d, v in zip(default, value)) if default else tuple(value)
        if f.preset:
            if value is not None:
                bad.append(f"--{f.name}: a preset flag with default {value!r}")
        elif value != default:
            bad.append(f"--{f.name}: default {value!r}, library {default!r}")
    return bad

