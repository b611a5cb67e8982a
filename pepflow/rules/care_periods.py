"""A child's care as the SSDA903 return describes it: periods of care built from the episode
chain, the child's state on the extract date, and every way the rows can contradict each other.

Pure: rows in, a ``CareRecord`` (or the problems that hold the child back) out.  An episode
ended with ``X1`` continues into the next, which must start that same day; an episode ended
with any other reason ends a period of care, and the next period starts with reason ``S``.  A
child is looked after when their last episode is open on the extract date.  Episodes that
start and end on one day (same-day changes) are allowed; two open episodes, overlapping
episodes, an episode ending before it starts and dates before birth or after the extract are
problems (DfE validation rules 103, 107, 108, 1007, 503 and 166 say the same of a return).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

from pepflow.values import UPN
from pepflow.rules import ssda903_codes as codes


@dataclass(frozen=True)
class Episode:
    decom: dt.date
    dec: Optional[dt.date]
    rne: str
    ls: str
    place: str
    provider: str = ""
    rec: str = ""
    reason_place_change: str = ""


@dataclass(frozen=True)
class Review:
    on: dt.date
    code: str = ""


@dataclass(frozen=True)
class SocialWorkerEpisode:
    sw_id: str
    decom: dt.date
    dec: Optional[dt.date] = None
    reason: str = ""


@dataclass
class CareRecord:
    """What pepflow holds of a child from the return, on the extract date."""

    dob: dt.date
    upn: str = ""
    upn_unknown: str = ""  # UN1-UN5 when the UPN is not known
    looked_after: bool = False
    short_breaks: bool = False  # the last episode is a short break (V3/V4)
    entered_care: Optional[dt.date] = None  # start of the latest period of care
    entry_before_return: bool = False  # that period began before the return's first episode of it
    first_entered_care: Optional[dt.date] = None
    left_care_on: Optional[dt.date] = None
    left_care_reason: str = ""  # the reason episode ceased, in words
    left_care_code: str = ""
    previous_end: Optional[dt.date] = None  # the end of the period of care before the latest, if any
    previous_code: str = ""
    previous_reason: str = ""
    legal_status: str = "other"
    legal_status_since: Optional[dt.date] = None
    placement_type: str = ""
    placement_since: Optional[dt.date] = None  # the day the current placement began
    reviews: list[dt.date] = field(default_factory=list)  # care reviews in the latest period, in order
    social_worker: str = ""  # SW_ID of the open social worker episode
    social_worker_since: Optional[dt.date] = None
    # what was set aside or is only doubtful in fields that do not decide whether, since when and
    # where the child is looked after: the child loads, and the import names each (issue 35)
    warnings: list[str] = field(default_factory=list)


def _day(d: dt.date) -> str:
    return d.strftime("%d/%m/%Y")


# the return's name of each coded field -> the Episode attribute holding it
_EPISODE_ATTRIBUTE = {"LS": "ls", "PLACE": "place", "PLACE_PROVIDER": "provider", "RNE": "rne", "REC": "rec",
                      "REASON_PLACE_CHANGE": "reason_place_change"}


# the episode's codes that say whether, since when and where the child is looked after: a code
# the return does not define here holds the child back; elsewhere it is a warning
DECIDING_CODES = ("LS", "PLACE", "PLACE_PROVIDER", "RNE", "REC")


def check_codes(episodes: list[Episode], reviews: list[Review], workers: list[SocialWorkerEpisode],
                fields: tuple[str, ...] | None = None) -> list[str]:
    """Every code the return does not define, or a required code left blank, in words (of the
    episodes' ``fields`` only, when given)."""
    problems: list[str] = []
    for e in episodes:
        where = f"episode starting {_day(e.decom)}"
        for name, table, what in codes.CODED_FIELDS:
            if fields is not None and name not in fields:
                continue
            value = getattr(e, _EPISODE_ATTRIBUTE[name])
            if value and value not in table:
                problems.append(f"{where}: {what} ({name}) '{value[:20]}' is not an SSDA903 code")
            elif not value and name in ("LS", "PLACE", "RNE"):
                problems.append(f"{where}: {what} ({name}) is blank")
    for r in reviews:
        if r.code and r.code not in codes.REVIEW_PARTICIPATION:
            problems.append(f"review on {_day(r.on)}: participation code (REVIEW_CODE) '{r.code[:20]}' is not an "
                            "SSDA903 code")
    for w in workers:
        if w.reason and w.reason not in codes.SOCIAL_WORKER_CHANGE:
            problems.append(f"social worker episode starting {_day(w.decom)}: reason (SW_REASON) '{w.reason[:20]}' "
                            "is not an SSDA903 code")
    return problems


def care_record(dob: dt.date, episodes: list[Episode], reviews: list[Review],
                workers: list[SocialWorkerEpisode], extract: dt.date) -> tuple[Optional[CareRecord], list[str]]:
    """The child's care on ``extract``, or None and every contradiction found, in words.

    Only what decides whether, since when and where the child is looked after holds a child
    back: the episodes.  A review or social worker row that cannot be right (after the extract
    date, before birth, ending before it starts) is set aside, and a code pepflow does not use
    that the return does not define is kept: each is a warning in ``record.warnings`` and the
    child loads (a child held back has no clock at all)."""
    problems = check_codes(episodes, [], [], DECIDING_CODES)
    warnings = check_codes(episodes, reviews, workers, tuple(n for n, _, _ in codes.CODED_FIELDS
                                                             if n not in DECIDING_CODES))
    if not episodes:
        problems.append("has no episodes of care in the return")
    if dob > extract:
        problems.append(f"the date of birth {_day(dob)} is after the extract date {_day(extract)}")
    # a same-day episode (starts and ends on one day) sorts before one that starts that day and runs on
    ordered = sorted(episodes, key=lambda e: (e.decom, e.dec or dt.date.max))
    open_ones = [e for e in ordered if e.dec is None]
    if len(open_ones) > 1:
        problems.append(f"{len(open_ones)} open episodes (no end date), starting "
                        + " and ".join(_day(e.decom) for e in open_ones) + "; only the latest can be open")
    for e in ordered:
        where = f"episode starting {_day(e.decom)}"
        if e.decom < dob:
            problems.append(f"{where}: starts before the date of birth {_day(dob)}")
        if e.decom > extract:
            problems.append(f"{where}: starts after the extract date {_day(extract)}")
        if e.dec is not None and e.dec < e.decom:
            problems.append(f"{where}: ends on {_day(e.dec)}, before it starts")
        if e.dec is not None and e.dec > extract:
            problems.append(f"{where}: ends on {_day(e.dec)}, after the extract date {_day(extract)}")
        if e.dec is not None and not e.rec:
            problems.append(f"{where}: ends on {_day(e.dec)} with no reason episode ceased (REC)")
        if e.dec is None and e.rec and e.rec != codes.CONTINUES:
            problems.append(f"{where}: has reason episode ceased {e.rec} but no end date (DEC)")
    for before, after in zip(ordered, ordered[1:]):
        end = before.dec
        if end is None or after.decom < end:
            problems.append(f"episodes starting {_day(before.decom)} and {_day(after.decom)} overlap")
            continue
        if before.rec == codes.CONTINUES and after.decom != end:
            problems.append(f"the episode ending {_day(end)} continues (X1) into a new episode that day, but the "
                            f"next starts {_day(after.decom)}")
        elif before.rec == codes.CONTINUES and after.rne == "S":
            problems.append(f"the episode starting {_day(after.decom)} starts a new period of care (S), but the one "
                            "before it continues (X1)")
        elif before.rec and before.rec != codes.CONTINUES and after.rne and after.rne != "S":
            problems.append(f"the episode starting {_day(after.decom)} follows the end of a period of care "
                            f"({before.rec} on {_day(end)}), so its reason for new episode should be S, not {after.rne}")
    if ordered and ordered[-1].dec is not None and ordered[-1].rec == codes.CONTINUES:
        problems.append(f"the last episode ends {_day(ordered[-1].dec)} with X1 (continues), but no episode follows")
    kept_reviews = []
    for r in reviews:
        if r.on < dob:
            warnings.append(f"review on {_day(r.on)}: before the date of birth {_day(dob)}; set aside")
        elif r.on > extract:
            warnings.append(f"review on {_day(r.on)}: after the extract date {_day(extract)}; set aside")
        else:
            kept_reviews.append(r)
    kept_workers = []
    for w in workers:
        if w.dec is not None and w.dec < w.decom:
            warnings.append(f"social worker episode starting {_day(w.decom)}: ends on {_day(w.dec)}, before it "
                            "starts; set aside")
        elif w.decom > extract:
            warnings.append(f"social worker episode starting {_day(w.decom)}: after the extract date "
                            f"{_day(extract)}; set aside")
        else:
            kept_workers.append(w)
    open_workers = sorted((w for w in kept_workers if w.dec is None), key=lambda w: w.decom)
    if len(open_workers) > 1:
        warnings.append(f"{len(open_workers)} open social worker episodes ("
                        + ", ".join(f"{w.sw_id[:20]} from {_day(w.decom)}" for w in open_workers)
                        + f"): the latest, {open_workers[-1].sw_id[:20]}, is taken as the social worker")
        open_workers = open_workers[-1:]
    if problems:
        return None, problems
    record = _record(dob, ordered, kept_reviews, open_workers)
    record.warnings = warnings
    return record, []


def _record(dob: dt.date, ordered: list[Episode], reviews: list[Review],
            open_workers: list[SocialWorkerEpisode]) -> CareRecord:
    record = CareRecord(dob=dob)
    if not ordered:
        return record
    periods: list[list[Episode]] = [[ordered[0]]]
    for before, after in zip(ordered, ordered[1:]):
        if before.rec == codes.CONTINUES:
            periods[-1].append(after)
        else:
            periods.append([after])
    latest, last = periods[-1], ordered[-1]
    record.first_entered_care = periods[0][0].decom
    record.entered_care = latest[0].decom
    record.entry_before_return = latest[0].rne != "S"
    record.looked_after = last.dec is None
    if len(periods) > 1:
        ended = periods[-2][-1]
        record.previous_end, record.previous_code = ended.dec, ended.rec
        record.previous_reason = codes.EPISODE_CEASED[ended.rec][1]
    record.short_breaks = last.ls in codes.SHORT_BREAKS
    if not record.looked_after:
        record.left_care_on = last.dec
        record.left_care_code = last.rec
        record.left_care_reason = codes.EPISODE_CEASED[last.rec][1]
    record.legal_status, record.legal_status_since = _since(latest, lambda e: codes.LEGAL_STATUS[e.ls][0])
    # a placement begins with the period or with any new episode but a change of legal status alone
    moves = [e for e in latest if e.rne != "L"] or latest[:1]
    record.placement_type = codes.placement_type(last.place, last.provider)
    record.placement_since = moves[-1].decom
    record.reviews = sorted(r.on for r in reviews if r.on >= record.entered_care)
    if open_workers and record.looked_after:
        record.social_worker, record.social_worker_since = open_workers[0].sw_id, open_workers[0].decom
    return record


def _since(period: list[Episode], value) -> tuple[str, dt.date]:
    """The latest episode's value, and the day the run of episodes with that value began."""
    current = value(period[-1])
    since = period[-1].decom
    for e in reversed(period):
        if value(e) != current:
            break
        since = e.decom
    return current, since


def upn_check(upn: str) -> tuple[str, str, Optional[str]]:
    """(UPN kept, unknown-UPN code, warning) for a return's UPN field.

    ``UN1``-``UN5`` say why no UPN is known.  A UPN whose check letter (its first character,
    DfE's modulus-23 check over the other twelve) is wrong is kept with a warning, as real
    returns carry such errors and no clock needs the UPN; text that is no UPN at all is not kept."""
    # imported here, not at the top: stdnum loads only for the work that needs it (start-up time, bench/startup.py)
    from stdnum.gb.upn import calc_check_digit

    v = upn.strip().upper()
    if not v:
        return "", "", None
    if v in codes.UPN_UNKNOWN:
        return "", v, None
    if not UPN.match(v) or v[12] in "IOS":  # the check letters leave out I, O and S
        return "", "", f"UPN '{upn[:20]}' is not a UPN (a letter, 11 digits, then a digit or letter); not kept"
    expected = calc_check_digit(v[1:])
    if expected != v[0]:
        return v, "", f"UPN {v} fails its check letter (expected {expected}); kept as given"
    return v, "", None
