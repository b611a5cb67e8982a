"""Timescales: every statutory or local clock, with its number, unit and source, in
versions by the date each applies from."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from pepflow import vocabulary
from pepflow.calendars import COUNTINGS, UNITS, UNIT_LABELS
from pepflow.errors import ConfigError, InputError
from pepflow.role_table import OWNER_ROLES
from pepflow.config.files import Source, invalid

MAX_NUMBER = 1000  # no timescale runs to a thousand units: a bigger number is a typing mistake


class Timescale(BaseModel):
    """One version of one statutory or local timescale."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    key: str
    number: int = Field(ge=0, le=MAX_NUMBER)
    unit: Literal[UNITS]  # type: ignore[valid-type]
    start_event: str = Field(min_length=1)
    owner: Literal[OWNER_ROLES]  # type: ignore[valid-type]
    source: str = Field(min_length=1)
    effective_from: dt.date
    counting: Literal[COUNTINGS] = "after"  # type: ignore[valid-type]
    description: str = ""
    calendar: str = "school"  # "school": the child's school's calendar, "la": the LA default, or a name
    # why pepflow keeps no clock for this timescale (listed for reference); empty: some event opens it
    untracked: str = ""

    @property
    def version(self) -> str:
        return self.effective_from.isoformat()

    @property
    def label(self) -> str:
        return f"{self.number} {UNIT_LABELS[self.unit]}"


# One entry of a file: every field optional (a council's version inherits the rest).
_Entry = create_model("TimescaleEntry", __config__=ConfigDict(extra="forbid", strict=True), **{
    name: (Optional[info.annotation], Field(None, **({"ge": 0, "le": MAX_NUMBER} if name == "number" else {})))
    for name, info in Timescale.model_fields.items() if name != "key"})
FIELDS = [name for name in Timescale.model_fields if name != "key"]


class Timescales:
    """Every timescale, each a list of versions ordered by ``effective_from``."""

    def __init__(self, versions: dict[str, list[Timescale]]):
        self._versions = {k: sorted(v, key=lambda t: t.effective_from) for k, v in versions.items()}
        self._starts = {k: [t.effective_from for t in v] for k, v in self._versions.items()}

    def keys(self) -> list[str]:
        return sorted(self._versions)

    def __contains__(self, key: str) -> bool:
        return key in self._versions

    def versions(self, key: str) -> list[Timescale]:
        return list(self._versions[key])

    def describe(self, key: str) -> str:
        """What a deadline of this kind is, in words people read (emails, web pages)."""
        if key in self._versions:
            return self._versions[key][-1].description
        term = vocabulary.KINDS.get(key)
        return term.description if term else vocabulary.kind_label(key)

    def rule(self, key: str, on: dt.date) -> Timescale:
        """The version of ``key`` in force on ``on`` (the deadline's start date)."""
        if key not in self._versions:
            raise InputError("timescale", key, "no such timescale in the configuration")
        versions = self._versions[key]
        position = bisect_right(self._starts[key], on) - 1
        if position < 0:
            raise InputError("timescale", key, (
                f"no version in force on {on.isoformat()}; the earliest is effective from "
                f"{versions[0].effective_from.isoformat()}"))
        return versions[position]

    def rule_version(self, key: str, version: str) -> Timescale:
        """The exact version a deadline was computed by (for judging it later)."""
        for candidate in self._versions.get(key, []):
            if candidate.version == version:
                return candidate
        raise InputError("timescale", f"{key}@{version}", "that version is not in the configuration")

    def all_on(self, on: dt.date) -> list[Timescale]:
        out = []
        for key in self.keys():
            try:
                out.append(self.rule(key, on))
            except InputError:
                continue
        return out


def _entries(source: Source, key: str, raw: Any) -> list[dict[str, Any]]:
    if isinstance(raw, dict):
        return [raw]
    if isinstance(raw, list) and all(isinstance(r, dict) for r in raw):
        return list(raw)
    raise ConfigError(str(source), key, None, "expected a table ([key]) or tables ([[key]])")


def merge_timescales(layers: list[tuple[Source, dict[str, Any]]]) -> Timescales:
    """Merge timescale files, shipped first; later layers add or replace versions by date,
    and each version inherits the fields it leaves out from the version before."""
    raw_versions: dict[str, dict[dt.date, tuple[Source, dict[str, Any]]]] = {}
    for source, data in layers:
        for key, raw in data.items():
            for entry in _entries(source, key, raw):
                try:
                    _Entry.model_validate(entry)
                except ValidationError as exc:
                    raise invalid(source, key, exc, FIELDS) from None
                if "effective_from" not in entry:
                    raise ConfigError(str(source), key, "effective_from",
                                      "missing (every version needs the date it applies from)")
                versions = raw_versions.setdefault(key, {})
                earlier = versions.get(entry["effective_from"], (source, {}))[1]
                versions[entry["effective_from"]] = (source, {**earlier, **entry})  # same date: override fields
    result: dict[str, list[Timescale]] = {}
    for key, by_date in raw_versions.items():
        inherited: dict[str, Any] = {}
        versions = []
        for effective_from in sorted(by_date):
            source, entry = by_date[effective_from]
            merged = {**inherited, **entry}
            try:
                versions.append(Timescale.model_validate({"key": key, **merged}))
            except ValidationError as exc:
                raise invalid(source, key, exc, FIELDS) from None
            inherited = merged
        result[key] = versions
    return Timescales(result)
