"""Frozen dataclass configs, loaded from YAML with strict validation.

Any config class is a ``@dataclass(frozen=True)``; :func:`from_dict` builds one
from a plain mapping, recursing into nested dataclass fields and converting
lists to tuples. An unknown key or a value of the wrong type raises a
:class:`~hdrisp.errors.ConfigError` that names the key (dotted) and the file.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

from hdrisp.errors import ConfigError

T = TypeVar("T")


def _check_scalar(value: Any, tp: Any, key: str, path: str | None) -> Any:
    if tp is Any:
        return value
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is float and isinstance(value, str):
        # YAML 1.1 reads "5e-5" (no dot) as a string; accept any numeric spelling
        try:
            return float(value)
        except ValueError:
            raise ConfigError(f"{key}: expected float, got {value!r}", path) from None
    if tp in (int, float, str, bool):
        if isinstance(value, bool) and tp is not bool:
            raise ConfigError(f"{key}: expected {tp.__name__}, got {value!r}", path)
        if not isinstance(value, tp):
            raise ConfigError(f"{key}: expected {tp.__name__}, got {value!r}", path)
    return value


def _convert(value: Any, tp: Any, key: str, path: str | None) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"{key}: expected a mapping, got {value!r}", path)
        return from_dict(tp, value, path=path, prefix=f"{key}.")
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for option in args:
            if option is type(None):
                continue
            try:
                return _convert(value, option, key, path)
            except ConfigError as exc:
                errors.append(exc)
        raise errors[0] if errors else ConfigError(f"{key}: bad value {value!r}", path)
    if origin is typing.Literal:
        if value not in args:
            raise ConfigError(f"{key}: must be one of {list(args)}, got {value!r}", path)
        return value
    if origin in (tuple, list):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{key}: expected a list, got {value!r}", path)
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            item_types = [args[0]] * len(value)
        elif origin is tuple and args:
            if len(args) != len(value):
                raise ConfigError(f"{key}: expected {len(args)} values, got {len(value)}", path)
            item_types = list(args)
        else:
            item_types = [args[0] if args else Any] * len(value)
        pairs = enumerate(zip(value, item_types, strict=True))
        return tuple(_convert(v, t, f"{key}[{i}]", path) for i, (v, t) in pairs)
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{key}: expected a mapping, got {value!r}", path)
        return dict(value)
    return _check_scalar(value, tp, key, path)


def from_dict(cls: type[T], data: dict, path: str | os.PathLike | None = None,
              prefix: str = "") -> T:
    """Build the frozen dataclass ``cls`` from ``data``, validating every key.

    Raises:
        ConfigError: for an unknown key, a missing required key or a bad value.
    """
    path = None if path is None else os.fspath(path)
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(
            f"unknown key {prefix}{unknown[0]!s} (known: {', '.join(sorted(fields))})", path
        )
    kwargs = {}
    for name, value in data.items():
        kwargs[name] = _convert(value, hints[name], f"{prefix}{name}", path)
    try:
        obj = cls(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"{prefix.rstrip('.') or cls.__name__}: {exc}", path) from None
    except ValueError as exc:  # raised by __post_init__ validation
        raise ConfigError(str(exc), path) from None
    return obj


def to_dict(obj: Any) -> dict:
    """A plain (YAML/JSON-safe) dict of a config dataclass; tuples become lists."""

    def plain(v: Any) -> Any:
        if dataclasses.is_dataclass(v):
            return {f.name: plain(getattr(v, f.name)) for f in dataclasses.fields(v)}
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        return v

    return plain(obj)


def load_yaml(cls: type[T], path: str | os.PathLike) -> T:
    """Load a config of type ``cls`` from a YAML file (ConfigError on any problem)."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError("config file not found", p)
    try:
        data = yaml.safe_load(p.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}".splitlines()[0], p) from None
    if not isinstance(data, dict):
        raise ConfigError("the top level must be a mapping", p)
    return from_dict(cls, data, path=p)


def save_yaml(obj: Any, path: str | os.PathLike) -> None:
    """Write a config dataclass as YAML (atomically)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(p.suffix + ".tmp")
    tmp.write_text(yaml.safe_dump(to_dict(obj), sort_keys=False))
    os.replace(tmp, p)
