"""Reading configuration files: UTF-8 TOML, from the shipped folder or a council's, and
turning a validation error into one sentence naming the folder, file, entry and field."""

from __future__ import annotations

import copy
import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pepflow.errors import ConfigError
from pepflow.values import clean


def shipped_config_dir() -> Path:
    """The ``config/`` that comes with pepflow (inside the wheel, or beside the package)."""
    inside = Path(__file__).parent.parent / "_shipped_config"
    if inside.is_dir():
        return inside
    return Path(__file__).resolve().parent.parent.parent / "config"


@dataclass(frozen=True)
class Source:
    """A configuration file and whose folder it is in (the shipped one, or the council's)."""

    path: Path
    shipped: bool

    def __str__(self) -> str:
        return f"{self.path} ({'the shipped' if self.shipped else 'the council'} configuration folder)"

    @property
    def name(self) -> str:
        return self.path.name


def read_toml(source: Source) -> dict[str, Any]:
    """The file's contents; it must be UTF-8 text and valid TOML.  Read once per version of the
    file (its size and modification time): parsing the TOML was a third of a command's start,
    and the tests and bench/fuzz.py start thousands of commands in one process."""
    stat = source.path.stat()
    return copy.deepcopy(_read_toml(source, stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=128)
def _read_toml(source: Source, _mtime_ns: int, _size: int) -> dict[str, Any]:
    raw = source.path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(str(source), None, None, f"is not UTF-8 text (byte {exc.start + 1} is "
                          f"{raw[exc.start:exc.start + 1]!r}); save it as UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(source), None, None, f"not valid TOML: {exc}") from None
    _refuse_control_characters(source, data, [])
    return data


def _refuse_control_characters(source: Source, value: Any, where: list[str]) -> None:
    """No configured text holds a control character (TOML allows "\u0000" escapes)."""
    if isinstance(value, dict):
        for key, item in value.items():
            _refuse_control_characters(source, item, [*where, str(key)])
    elif isinstance(value, list):
        for item in value:
            _refuse_control_characters(source, item, where)
    elif isinstance(value, str):
        try:
            clean(value, 100_000, lines=True)
        except ValueError as bad:
            entry = ".".join(where[:-1]) or None
            raise ConfigError(str(source), entry, where[-1] if where else None,
                              f"{_shown(value)} {bad}") from None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


_BY_TYPE = {
    "bool_type": "must be true or false (without quotes)",
    "int_type": "must be a whole number (without quotes)",
    "float_type": "must be a number (without quotes)",
    "string_type": "must be text, in quotes",
    "date_type": "must be a date, written 2026-09-03",
    "list_type": "must be a list, written [ … ]",
    "tuple_type": "must be a list, written [ … ]",
}


def _plain_words(error: dict[str, Any], message: str) -> str:
    """Pydantic's message, or the same said as a council's IT team would write it."""
    ctx = error.get("ctx") or {}
    if error["type"] in _BY_TYPE:
        return _BY_TYPE[error["type"]]
    if error["type"] == "greater_than_equal":
        return f"must be at least {ctx['ge']}"
    if error["type"] == "less_than_equal":
        return f"must be at most {ctx['le']}"
    if error["type"] == "literal_error":
        return f"must be one of {ctx['expected']}"
    return message[0].lower() + message[1:]


def invalid(source: Source | str, entry: str | None, exc: ValidationError, known: list[str] | None = None,
            skip: int = 0) -> ConfigError:
    """The first problem pydantic found, as a ``ConfigError`` in pepflow's words: the field is
    its path inside the entry (``skip`` drops the part that names the entry), without list
    positions."""
    error = exc.errors(include_url=False)[0]
    path = [str(p) for p in error["loc"][skip:] if not isinstance(p, int)]
    field = ".".join(path) or None
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "missing":
        problem = "missing"
    elif error["type"] == "extra_forbidden":
        problem = "unknown field" + (f" (known: {', '.join(known)})" if known else "")
    elif error["loc"]:
        problem = f"{_shown(error['input'])}: {_plain_words(error, message)}"
    else:  # a rule across fields
        problem = message
    return ConfigError(str(source), entry, field, problem)
