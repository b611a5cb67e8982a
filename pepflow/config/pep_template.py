"""The PEP document as the council's configuration (``pep.toml``): its sections, each owned by one
role, their fields (text, choice, date, number, yes/no, a table of rows), which are required,
their help, and which of pepflow's own records fill them; the variants by the child's age (early
years, statutory school age, post-16) and the sections that apply only with an EHCP or when the
child is on no school's roll.  Each section cites its source.

A council's own ``pep.toml`` replaces the shipped one whole (copy it and change it: a label, a
field, a section).  A template the loader cannot make sense of is refused naming the file, the
section and the field.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pepflow.config.files import Source, invalid, read_toml
from pepflow.errors import ConfigError
from pepflow.role_table import PERSON_ROLES

STRICT = ConfigDict(frozen=True, extra="forbid", strict=True)
KEY = r"^[a-z][a-z0-9_]{0,39}$"
VARIANTS = ("early_years", "school_age", "post_16")
CONDITIONS = ("", "ehcp", "on_roll", "not_on_roll")  # every child's, or only with an EHCP / on a roll / on none
# what pepflow already knows, by name: a field that names one is filled from the records and shown as such
KNOWN_FACTS = ("child.name", "child.dob", "child.upn", "child.legal_status", "child.entered_care",
               "child.placement_type", "child.placements", "child.year_group", "child.sen_status",
               "school.name", "school.urn", "school.designated_teacher", "child.social_worker",
               "attendance.latest", "attendance.this_year", "exclusions.suspensions_this_year",
               "exclusions.permanent")
TEXT_LONGEST = 5000
ROWS_MOST = 50


class Column(BaseModel):
    """One field of a section, or one column of a table field."""

    model_config = STRICT

    key: str = Field(..., pattern=KEY)
    label: str = Field(..., min_length=1, max_length=200)
    type: Literal["text", "long_text", "choice", "date", "number", "yes_no"]
    required: bool = False
    help: str = Field("", max_length=500)
    max_length: int = Field(200, ge=1, le=TEXT_LONGEST)
    options: list[str] = []  # a choice's values (shown in words)
    minimum: Optional[float] = None  # a number's range
    maximum: Optional[float] = None
    whole: bool = False  # a number with no fraction

    @model_validator(mode="after")
    def _consistent(self) -> "Column":
        if self.type == "choice" and len(self.options) < 2:
            raise ValueError(f"{self.key}: a choice needs at least two options")
        if self.type != "choice" and self.options:
            raise ValueError(f"{self.key}: only a choice has options")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError(f"{self.key}: minimum {self.minimum:g} is above maximum {self.maximum:g}")
        return self


class FieldSpec(Column):
    """A section's field: a column's kinds, or a table of rows of columns; maybe filled from the records."""

    type: Literal["text", "long_text", "choice", "date", "number", "yes_no", "table"]  # type: ignore[assignment]
    columns: list[Column] = []
    max_rows: int = Field(10, ge=1, le=ROWS_MOST)
    prefill: str = ""  # one of KNOWN_FACTS: shown from pepflow's records, not typed
    # a table that starts from the last PEP's table "section.field" (last term's targets, to review):
    # its rows' cells of the same column keys are carried over until the section is first saved
    carry_from: str = Field("", pattern=r"^$|^[a-z][a-z0-9_]{0,39}\.[a-z][a-z0-9_]{0,39}$")

    @model_validator(mode="after")
    def _table(self) -> "FieldSpec":
        if self.type == "table" and not self.columns:
            raise ValueError(f"{self.key}: a table needs columns")
        if self.type != "table" and self.columns:
            raise ValueError(f"{self.key}: only a table has columns")
        if self.prefill and self.prefill not in KNOWN_FACTS:
            raise ValueError(f"{self.key}: prefill {self.prefill!r} is not something pepflow knows "
                             f"(one of {', '.join(KNOWN_FACTS)})")
        if self.carry_from and self.type != "table":
            raise ValueError(f"{self.key}: only a table carries rows from the last PEP")
        keys = [c.key for c in self.columns]
        if len(set(keys)) != len(keys):
            raise ValueError(f"{self.key}: two columns have the same key")
        return self


class Section(BaseModel):
    model_config = STRICT

    key: str = Field(..., pattern=KEY)
    title: str = Field(..., min_length=1, max_length=100)
    owner: str  # the role that fills it in (others read it)
    also: list[str] = []  # roles that may fill it in too (the child's voice: the DT or the social worker)
    variants: list[Literal["early_years", "school_age", "post_16"]] = list(VARIANTS)
    when: Literal["", "ehcp", "on_roll", "not_on_roll"] = ""
    help: str = Field("", max_length=1000)
    source: str = Field(..., min_length=1, max_length=500)  # where councils' PEPs have this section
    fields: list[FieldSpec] = Field(..., min_length=1)

    @model_validator(mode="after")
    def _fields(self) -> "Section":
        for role in (self.owner, *self.also):
            if role not in PERSON_ROLES:
                raise ValueError(f"{role!r} is not a role that fills in a PEP (one of {', '.join(PERSON_ROLES)})")
        keys = [f.key for f in self.fields]
        if len(set(keys)) != len(keys):
            raise ValueError("two fields have the same key")
        if not self.variants:
            raise ValueError("variants is empty: the section would apply to no child")
        return self

    @property
    def filled_by(self) -> tuple[str, ...]:
        return (self.owner, *self.also)

    def field(self, key: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.key == key), None)


class QaRules(BaseModel):
    """How the Virtual School grades a PEP section by section, and what the grades decide."""

    model_config = STRICT

    source: str = Field(..., min_length=1, max_length=500)
    scale: list[str] = Field(..., min_length=2)  # best first: each section gets one, with a comment
    returned_if_any: list[str] = Field(..., min_length=1)  # a section graded so sends the PEP back
    counts_against_from: str  # the grade from which a section counts towards an amber rating
    amber_if_more_than: int = Field(..., ge=0, le=50)  # more such sections than this: rated amber, else green

    @model_validator(mode="after")
    def _grades(self) -> "QaRules":
        for grade in self.scale:
            if not re.fullmatch(KEY, grade):
                raise ValueError(f"scale: {grade!r} must be a word in lower case (letters, digits, _)")
        unknown = [g for g in (*self.returned_if_any, self.counts_against_from) if g not in self.scale]
        if unknown:
            raise ValueError(f"{', '.join(unknown)} is not a grade of the scale ({', '.join(self.scale)})")
        return self

    def outcome(self, grades: dict[str, str]) -> tuple[str, list[str]]:
        """("returned", the sections that send it back) or ("amber" | "green", [])."""
        back = [key for key, grade in grades.items() if grade in self.returned_if_any]
        if back:
            return "returned", back
        worse = self.scale.index(self.counts_against_from)
        against = sum(1 for grade in grades.values() if self.scale.index(grade) >= worse)
        return ("amber" if against > self.amber_if_more_than else "green"), []


class AgeRange(BaseModel):
    model_config = STRICT

    from_year: int = Field(..., ge=-3, le=14)  # year groups: -3 nursery … 0 Reception … 13
    to_year: int = Field(..., ge=-3, le=14)


class PepTemplate(BaseModel):
    """The whole document: which variant a child's year group is, and the sections in order."""

    model_config = STRICT

    name: str = Field(..., min_length=1, max_length=100)
    effective_from: dt.date
    variants: dict[str, AgeRange]
    qa: QaRules
    sections: list[Section] = Field(..., min_length=1)

    @model_validator(mode="after")
    def _whole(self) -> "PepTemplate":
        if set(self.variants) != set(VARIANTS):
            raise ValueError(f"variants must give the year groups of exactly {', '.join(VARIANTS)}")
        keys = [s.key for s in self.sections]
        if len(set(keys)) != len(keys):
            raise ValueError("two sections have the same key")
        return self

    def variant_for(self, year_group: int) -> str:
        """The variant a child of this year group has (the last one for anyone older)."""
        for name in VARIANTS:
            span = self.variants[name]
            if span.from_year <= year_group <= span.to_year:
                return name
        return VARIANTS[0] if year_group < self.variants[VARIANTS[0]].from_year else VARIANTS[-1]

    def sections_for(self, year_group: int, ehcp: bool, on_roll: bool) -> tuple[Section, ...]:
        """The sections of a child's PEP, in order: their variant's, with the EHCP and not-on-roll
        sections only where those apply."""
        variant = self.variant_for(year_group)
        return tuple(s for s in self.sections if variant in s.variants
                     and (s.when == "" or (s.when == "ehcp" and ehcp) or (s.when == "on_roll" and on_roll)
                          or (s.when == "not_on_roll" and not on_roll)))

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)

    def targets_table(self) -> tuple[str, str] | None:
        """The (section, field) of the PEP's targets, which Pupil Premium Plus lines are asked for
        against: the table the review of last term's targets carries from (``carry_from``)."""
        review = self.review_table()
        if review is None:
            return None
        section, _, field = review[1].carry_from.partition(".")
        return section, field

    def review_table(self) -> tuple[Section, FieldSpec] | None:
        """The table reviewing last term's targets, where its rows say met / partly met / not met
        (an ``outcome`` column): what ties a funded target to its impact."""
        return next(((s, f) for s in self.sections for f in s.fields
                     if f.carry_from and any(c.key == "outcome" for c in f.columns)), None)

    @model_validator(mode="after")
    def _carried(self) -> "PepTemplate":
        for section in self.sections:
            for field in section.fields:
                if field.carry_from:
                    source, _, name = field.carry_from.partition(".")
                    found = self.section(source).field(name) if self.section(source) else None
                    if found is None or found.type != "table":
                        raise ValueError(f"sections.{section.key}.fields.{field.key}: carry_from "
                                         f"{field.carry_from!r} is not a table of another section")
        return self


def load_pep_template(source: Source) -> PepTemplate:
    """The template in ``source``, or a ConfigError naming the file, the section and the field."""
    data = read_toml(source)
    raw_sections = data.get("sections")
    header = {k: v for k, v in data.items() if k != "sections"}
    if not isinstance(raw_sections, list) or not raw_sections:
        raise ConfigError(str(source), None, "sections", "missing: the document needs its sections ([[sections]])")
    sections = []
    for number, raw in enumerate(raw_sections, start=1):
        if not isinstance(raw, dict):
            raise ConfigError(str(source), f"sections.{number}", None, "must be a table ([[sections]])")
        entry = f"sections.{raw.get('key', number)}"
        fields = [_field(source, entry, position, item)
                  for position, item in enumerate(raw.get("fields") or [], start=1)]
        try:
            sections.append(Section.model_validate({**raw, "fields": fields}))
        except ValidationError as exc:
            raise invalid(source, entry, exc, list(Section.model_fields)) from None
    try:
        return PepTemplate.model_validate({**header, "sections": sections})
    except ValidationError as exc:
        raise invalid(source, None, exc, list(PepTemplate.model_fields)) from None


def _field(source: Source, entry: str, position: int, raw: object) -> FieldSpec:
    """One field, its problems named by the field's own key ("fields.sdq_score.maximum")."""
    key = raw.get("key", position) if isinstance(raw, dict) else position
    if isinstance(raw, dict) and isinstance(raw.get("columns"), list):  # a table's columns, each by its key
        raw = {**raw, "columns": [_column(source, entry, f"fields.{key}.columns", number, column)
                                  for number, column in enumerate(raw["columns"], start=1)]}
    try:
        return FieldSpec.model_validate(raw)
    except ValidationError as exc:
        made = invalid(source, entry, exc, list(FieldSpec.model_fields))
        field = f"fields.{key}" + (f".{made.field}" if made.field else "")
        problem = made.problem.removeprefix(f"{key}: ")
        raise ConfigError(str(source), entry, field, problem) from None


def _column(source: Source, entry: str, where: str, position: int, raw: object) -> Column:
    key = raw.get("key", position) if isinstance(raw, dict) else position
    try:
        return Column.model_validate(raw)
    except ValidationError as exc:
        made = invalid(source, entry, exc, list(Column.model_fields))
        raise ConfigError(str(source), entry, f"{where}.{key}" + (f".{made.field}" if made.field else ""),
                          made.problem.removeprefix(f"{key}: ")) from None
