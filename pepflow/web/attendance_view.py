"""A child's attendance as the child page shows it (issue 41 item 2): this school year's and this half
term's figures from the register's marks, and a small chart of the last twelve weeks (bars drawn as
inline SVG, no script, with the same figures in a table for screen readers)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pepflow.calendars import academic_year_of
from pepflow.db.unit import UnitOfWork
from pepflow.states.attendance_marks import by_week, figures, has_marks

WEEKS = 12
CHART_HEIGHT = 60
BAR_WIDTH = 18
GAP = 6


def attendance_for(session: UnitOfWork, child_ref: str, today: dt.date) -> dict[str, Any] | None:
    """The figures and the chart's bars, or None where no marks have come for the child."""
    if not has_marks(session, child_ref):
        return None
    year_start = dt.date(int(academic_year_of(today)[:4]), 9, 1)
    weeks = by_week(session, child_ref, today - dt.timedelta(weeks=WEEKS), today)[-WEEKS:]
    bars = []
    for n, (monday, shown) in enumerate(weeks):
        height = round(CHART_HEIGHT * (shown.percentage or 0) / 100)
        bars.append({"x": n * (BAR_WIDTH + GAP), "y": CHART_HEIGHT - height, "height": height, "monday": monday,
                     "figures": shown, "low": shown.persistent_absence})
    return {"year": figures(session, child_ref, year_start, today), "year_start": year_start,
            "weeks": bars, "width": max(1, len(bars)) * (BAR_WIDTH + GAP), "height": CHART_HEIGHT,
            "bar_width": BAR_WIDTH}
