"""The council's attendance codes (``attendance_codes.toml``, issue 41): each register code with its
category (attending, approved activity, authorised or unauthorised absence, not a possible
attendance) and meaning, the codes the 2024 regulations retired and the one whose sense changed.
Data, not code: a council's own file replaces the shipped one whole, and a bad one is refused
naming the file, the code and the field."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pepflow.config.files import Source, invalid, read_toml
from pepflow.errors import ConfigError

CATEGORIES = ("attending", "approved_activity", "authorised_absence", "unauthorised_absence", "not_possible")
STRICT = ConfigDict(frozen=True, extra="forbid", strict=True)


class Code(BaseModel):
    model_config = STRICT

    category: Literal["attending", "approved_activity", "authorised_absence", "unauthorised_absence",
                      "not_possible"]
    meaning: str = Field(..., min_length=1, max_length=200)


class Alerts(BaseModel):
    model_config = STRICT

    no_reason: list[str] = ["N", "O"]
    no_reason_in_a_row: int = Field(4, ge=1, le=60)
    sent_home: list[str] = ["E"]
    part_time: list[str] = ["C2"]
    source: str = ""


class AttendanceCodes(BaseModel):
    model_config = STRICT

    effective_from: dt.date
    source: str = Field(..., min_length=1, max_length=1000)
    codes: dict[str, Code] = Field(..., min_length=1)
    retired: dict[str, str] = {}
    changed: dict[str, str] = {}
    alerts: Alerts = Alerts()

    def category_of(self, code: str) -> str | None:
        found = self.codes.get(code)
        return found.category if found else None


def load_attendance_codes(source: Source) -> AttendanceCodes:
    data = read_toml(source)
    try:
        codes = AttendanceCodes.model_validate(data)
    except ValidationError as exc:
        raise invalid(source, "codes", exc, list(AttendanceCodes.model_fields)) from None
    for code in codes.codes:
        if not 1 <= len(code) <= 3 or not code.isascii() or code != code.strip():
            raise ConfigError(str(source), f"codes.{code}", None, "a register code is one to three characters")
    for name in ("no_reason", "sent_home", "part_time"):
        unknown = [c for c in getattr(codes.alerts, name) if c not in codes.codes]
        if unknown:
            raise ConfigError(str(source), "alerts", name, f"{unknown[0]!r} is not one of the codes")
    clash = sorted(set(codes.retired) & set(codes.codes))
    if clash:
        raise ConfigError(str(source), f"retired.{clash[0]}", None, "is both a code in use and retired")
    return codes
