"""The council's retention schedule (``retention.toml``, issue 43 item 3): for each kind of record
pepflow keeps about a child, the rules that set when it is anonymised or removed, each with its
source.  A council's own file replaces the shipped one whole; a bad one is refused naming the file,
the rule and the field."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pepflow.config.files import Source, invalid, read_toml

RECORDS = ("case", "pep", "attendance", "documents", "emails", "views")
STRICT = ConfigDict(frozen=True, extra="forbid", strict=True)


class Rule(BaseModel):
    model_config = STRICT

    record: Literal["case", "pep", "attendance", "documents", "emails", "views"]
    when: Literal["always", "ever_looked_after", "died_before_18", "ever_ehcp"] = "always"
    from_: Literal["birth", "death", "left_care", "made"] = Field(..., alias="from")
    years: int = Field(..., ge=0, le=150)
    action: Literal["anonymise", "remove"]
    source: str = Field(..., min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _sensible(self) -> "Rule":
        if self.from_ == "death" and self.when != "died_before_18":
            raise ValueError('a rule counted from death needs when = "died_before_18"')
        if self.from_ == "made" and self.record not in ("emails", "views"):
            raise ValueError("only emails and views are counted from each row's own date (from = 'made')")
        return self


class RetentionSchedule(BaseModel):
    model_config = STRICT

    effective_from: dt.date
    rules: list[Rule] = Field(..., min_length=1)

    def rules_for(self, record: str) -> list[Rule]:
        return [r for r in self.rules if r.record == record]


def load_retention(source: Source) -> RetentionSchedule:
    data = read_toml(source)
    try:
        return RetentionSchedule.model_validate(data)
    except ValidationError as exc:
        raise invalid(source, "rules", exc, list(RetentionSchedule.model_fields)) from None
