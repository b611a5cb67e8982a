"""A child's attendance figures as the DfE computes them (issue 41), pure: sessions counted by their
code's category (config/attendance_codes.toml); possible sessions are all but those that are not a
possible attendance; the percentage is attending (approved educational activity included) over
possible; persistent absence is missing 10% or more of possible sessions, severe absence 50% or more
("Working together to improve school attendance", August 2024)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Mapping

PERSISTENT_SHARE = Decimal("0.10")
SEVERE_SHARE = Decimal("0.50")


@dataclass(frozen=True)
class AttendanceFigures:
    possible_sessions: int
    attending: int
    approved_activity: int
    authorised_absence: int
    unauthorised_absence: int
    not_possible: int
    percentage: float | None  # one decimal place; None with no possible session
    persistent_absence: bool
    severe_absence: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def absent(self) -> int:
        return self.authorised_absence + self.unauthorised_absence


def figures_from(counts: Mapping[str, int]) -> AttendanceFigures:
    """The figures from session counts by category (attending, approved_activity,
    authorised_absence, unauthorised_absence, not_possible)."""
    attending = counts.get("attending", 0)
    approved = counts.get("approved_activity", 0)
    authorised = counts.get("authorised_absence", 0)
    unauthorised = counts.get("unauthorised_absence", 0)
    possible = attending + approved + authorised + unauthorised
    absent = authorised + unauthorised
    percentage = None if not possible else float(
        (Decimal(attending + approved) * 100 / possible).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    return AttendanceFigures(
        possible_sessions=possible, attending=attending, approved_activity=approved,
        authorised_absence=authorised, unauthorised_absence=unauthorised,
        not_possible=counts.get("not_possible", 0), percentage=percentage,
        persistent_absence=bool(possible) and Decimal(absent) >= PERSISTENT_SHARE * possible,
        severe_absence=bool(possible) and Decimal(absent) >= SEVERE_SHARE * possible)


def added(*parts: Mapping[str, int]) -> dict[str, int]:
    """Counts by category summed (marks and totals over one period)."""
    total: dict[str, int] = {}
    for part in parts:
        for key, value in part.items():
            total[key] = total.get(key, 0) + value
    return total
