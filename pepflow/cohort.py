"""Facts about children derived from their record (pure)."""

from __future__ import annotations

import datetime as dt

from pepflow.calendars import school_year_start


def year_group(dob: dt.date, on: dt.date) -> int:
    """National Curriculum year group on a date in England: 0 is Reception, 1 is Year 1 …,
    12-13 are post-16; negative values are early years (-1 nursery).  Children are grouped
    by their age on 31 August at the start of the school year."""
    year_start = school_year_start(on)
    age_on_31_august = year_start - dob.year - (1 if (dob.month, dob.day) > (8, 31) else 0)
    return age_on_31_august - 5 + 1


def year_group_label(group: int) -> str:
    if group < 0:
        return "Early years"
    if group == 0:
        return "Reception"
    return f"Year {group}"


def key_stage(group: int) -> str:
    """EYFS, KS1 (Y1-2), KS2 (Y3-6), KS3 (Y7-9), KS4 (Y10-11), post-16 (Y12-13)."""
    if group <= 0:
        return "EYFS"
    if group <= 2:
        return "KS1"
    if group <= 6:
        return "KS2"
    if group <= 9:
        return "KS3"
    if group <= 11:
        return "KS4"
    return "Post-16"


def birth_dates_for_year_groups(lowest: int, highest: int, on: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last date of birth of children in year groups ``lowest``..``highest``
    on ``on`` (the inverse of ``year_group``), so a list can filter by key stage in SQL."""
    year_start = school_year_start(on)
    return dt.date(year_start - highest - 5, 9, 1), dt.date(year_start - lowest - 4, 8, 31)


KEY_STAGES = {"EYFS": (-3, 0), "KS1": (1, 2), "KS2": (3, 6), "KS3": (7, 9), "KS4": (10, 11), "Post-16": (12, 14)}
