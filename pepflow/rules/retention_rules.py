"""When a child's record of each kind reaches its date under the council's retention schedule
(config/retention.toml), pure: the first rule of the record type whose condition holds, counted
from the date it names.  A rule counted from a date pepflow does not have yet (a child still in
care, alive) sets no date yet; one counted from each row's own date (emails, views) is worked out
row by row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pepflow.config.retention import RetentionSchedule, Rule

ADULT = 18


@dataclass(frozen=True)
class ChildFacts:
    ref: str
    dob: dt.date
    died_on: dt.date | None = None
    left_care_on: dt.date | None = None
    ever_ehcp: bool = False
    ever_looked_after: bool = True  # every child pepflow holds was looked after


@dataclass(frozen=True)
class RetentionDate:
    record: str
    rule: Rule
    due_on: dt.date | None  # None: counted from each row's own date (emails, views)
    why: str

    @property
    def rule_words(self) -> str:
        """The rule without the child's dates: what a purge's history rows and tombstones say."""
        return rule_words(self.rule)


def rule_words(rule: Rule) -> str:
    condition = {"always": "", "ever_looked_after": ", ever looked after", "ever_ehcp": ", ever an EHC plan",
                 "died_before_18": ", died before 18"}[rule.when]
    start = {"birth": "birth", "death": "death", "left_care": "leaving care", "made": "each row's date"}[rule.from_]
    return f"{rule.record}: {rule.action} {rule.years} years from {start}{condition}"


def add_years(day: dt.date, years: int) -> dt.date:
    """The anniversary ``years`` on (29 February falls on 28 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _holds(rule: Rule, facts: ChildFacts) -> bool:
    if rule.when == "always":
        return True
    if rule.when == "ever_looked_after":
        return facts.ever_looked_after
    if rule.when == "ever_ehcp":
        return facts.ever_ehcp
    return facts.died_on is not None and facts.died_on < add_years(facts.dob, ADULT)  # died_before_18


def retention_date(schedule: RetentionSchedule, record: str, facts: ChildFacts) -> RetentionDate | None:
    """The date the child's ``record`` reaches, by the first rule that applies; None when none
    applies yet (its date is not known)."""
    for rule in schedule.rules_for(record):
        if not _holds(rule, facts):
            continue
        if rule.from_ == "made":
            return RetentionDate(record, rule, None, f"each row {rule.years} years after it was made")
        start = {"birth": facts.dob, "death": facts.died_on, "left_care": facts.left_care_on}[rule.from_]
        if start is None:
            return None
        words = {"birth": "birth", "death": "death", "left_care": "leaving care"}[rule.from_]
        condition = {"always": "", "ever_looked_after": " (ever looked after)", "ever_ehcp": " (ever an EHC plan)",
                     "died_before_18": " (died before 18)"}[rule.when]
        return RetentionDate(record, rule, add_years(start, rule.years),
                             f"{rule.years} years from {words} on {start.isoformat()}{condition}")
    return None
