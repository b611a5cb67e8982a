"""Pupil Premium Plus as the council's funding model (``pp_plus.toml``, issue 40 item 1): one entry
per financial year (1 April to 31 March) with the grant per child, the share kept centrally and
what for, the allocation model (``flat`` a term on a QA grade, ``tiers`` the school chooses from,
``needs`` costed lines), the caps a term and a year, what each role may approve, the categories
that need the VSH and those never funded, and the early years and post-16 pots.  Each year cites
its source.  A council's own file adds or replaces years; a model the loader cannot make sense
of is refused naming the file, the year and the field.  Amounts are kept in pence."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pepflow.config.files import Source, invalid, read_toml
from pepflow.errors import ConfigError
from pepflow.role_table import VIRTUAL_SCHOOL_ROLES

STRICT = ConfigDict(frozen=True, extra="forbid", strict=True)
YEAR = r"^\d{4}-\d{2}$"
MOST = 10_000_000  # pounds: no PP+ amount is more


def pence(pounds: float | int | str) -> int:
    """An amount in pounds (12.50) as whole pence, refused if it has fractions of a penny."""
    try:
        value = Decimal(str(pounds).replace(",", "").removeprefix("£"))
    except InvalidOperation:
        raise ValueError(f"{pounds!r} is not an amount in pounds") from None
    if value != value.quantize(Decimal("0.01")) or value < 0 or value > MOST:
        raise ValueError(f"{pounds!r} must be pounds and pence from 0 to {MOST:,}")
    return int(value * 100)


class YearModel(BaseModel):
    model_config = STRICT

    source: str = Field(..., min_length=1, max_length=1000)
    grant_per_child: float = Field(..., ge=0, le=MOST)
    # what the DfE paid for the year, once known; until then the ledger estimates it (grant_per_child
    # times the children of Reception to Year 11 looked after on the year's first day)
    grant_received: float | None = Field(None, ge=0, le=100 * MOST)
    central_share_percent: float = Field(0, ge=0, le=100)
    central_for: str = ""
    model: Literal["flat", "tiers", "needs"]
    per_term_cap: float = Field(..., ge=0, le=MOST)
    per_year_cap: float = Field(..., ge=0, le=MOST)
    over_cap: Literal["refuse", "vsh"] = "refuse"
    approval_limits: dict[str, float]
    categories: list[str] = Field(..., min_length=1)
    vsh_categories: list[str] = []
    refused_categories: list[str] = []
    early_years_per_year: float = Field(0, ge=0, le=MOST)
    post_16_per_year: float = Field(0, ge=0, le=MOST)
    flat_per_term: float = Field(0, ge=0, le=MOST)
    flat_released_from: str = ""
    tiers: list[float] = []

    @field_validator("grant_per_child", "grant_received", "per_term_cap", "per_year_cap", "flat_per_term", "early_years_per_year",
                     "post_16_per_year", mode="before")
    @classmethod
    def _a_number(cls, value: object) -> object:
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("approval_limits", mode="before")
    @classmethod
    def _numbers(cls, value: object) -> object:
        if isinstance(value, dict):
            return {k: float(v) if isinstance(v, int) and not isinstance(v, bool) else v for k, v in value.items()}
        return value

    @field_validator("tiers", mode="before")
    @classmethod
    def _tier_numbers(cls, value: object) -> object:
        if isinstance(value, list):
            return [float(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value]
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "YearModel":
        for role in self.approval_limits:
            if role not in VIRTUAL_SCHOOL_ROLES:
                raise ValueError(f"approval_limits: {role!r} is not a Virtual School role "
                                 f"({', '.join(sorted(VIRTUAL_SCHOOL_ROLES))})")
        if "vsh" not in self.approval_limits:
            raise ValueError("approval_limits: the Virtual School Head (vsh) needs a limit: they decide above the others'")
        for name in (*self.vsh_categories, *self.refused_categories):
            if name not in self.categories:
                raise ValueError(f"{name!r} is not one of the categories ({', '.join(self.categories)})")
        if self.per_term_cap > self.per_year_cap:
            raise ValueError(f"per_term_cap ({self.per_term_cap:g}) is more than per_year_cap ({self.per_year_cap:g})")
        if self.model == "flat" and not (self.flat_per_term and self.flat_released_from):
            raise ValueError("a flat model needs flat_per_term and flat_released_from (the QA grade that releases it)")
        if self.model == "flat" and self.flat_per_term > self.per_term_cap:
            raise ValueError("flat_per_term is more than per_term_cap")
        if self.model == "tiers" and (len(self.tiers) < 2 or any(t < 0 or t > self.per_term_cap for t in self.tiers)):
            raise ValueError("a tiers model needs two tiers or more, each from 0 to per_term_cap")
        if self.model != "tiers" and self.tiers:
            raise ValueError("only a tiers model has tiers")
        for amount in (self.grant_per_child, self.per_term_cap, self.per_year_cap, self.flat_per_term, *self.tiers,
                       *self.approval_limits.values()):
            pence(amount)
        return self

    def limit_of(self, role: str) -> int:
        """The most ``role`` may approve, in pence (0: none)."""
        return pence(self.approval_limits.get(role, 0))


class FundingModel(BaseModel):
    model_config = STRICT

    years: dict[str, YearModel]

    def for_day(self, day: dt.date) -> tuple[str, YearModel]:
        """The financial year a day falls in, and its model; refused where the council has none."""
        year = financial_year_of(day)
        if year not in self.years:
            raise ConfigError("pp_plus.toml", f"years.{year}", None,
                              f"no funding model for the financial year {year}: add it to pp_plus.toml")
        return year, self.years[year]


def financial_year_of(day: dt.date) -> str:
    """ "2026-27" for 1 April 2026 to 31 March 2027."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def load_funding_model(sources: list[Source]) -> FundingModel:
    """The years of the shipped file, then a council's (a year it names replaces the shipped one)."""
    years: dict[str, YearModel] = {}
    for source in sources:
        data = read_toml(source)
        unknown = [k for k in data if k != "years"]
        if unknown:
            raise ConfigError(str(source), None, unknown[0], "unknown table (the file has [years.\"2026-27\"] entries)")
        raw_years = data.get("years", {})
        if not isinstance(raw_years, dict):
            raise ConfigError(str(source), "years", None, "expected tables [years.\"2026-27\"]")
        for year, raw in raw_years.items():
            if not isinstance(year, str) or len(year) != 7 or not year[:4].isdigit() or year[4] != "-" \
                    or (int(year[:4]) + 1) % 100 != int(year[5:]):
                raise ConfigError(str(source), f"years.{year}", None, "must name a financial year, like 2026-27")
            try:
                years[year] = YearModel.model_validate(raw)
            except ValidationError as exc:
                raise invalid(source, f"years.{year}", exc, list(YearModel.model_fields)) from None
    return FundingModel(years=years)
