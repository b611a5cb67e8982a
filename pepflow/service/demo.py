"""A synthetic cohort for a first run: no real personal data, reproducible from a seed.

The rows go through the same validating import as a council's CSV files, so the demo
also proves the import path.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass

from sqlmodel import Session, select

from pepflow.calendars import Calendar
from pepflow.cohort import key_stage, year_group
from pepflow.config import Config
from pepflow.engine.recording import EventRequest, record_events
from pepflow.db.models import Admission, Child, Exclusion, Pep, School
from pepflow.reports.listings import pep_list
from pepflow.states.care import bring_in
from pepflow.intake.csv_import import import_records
from pepflow.vocabulary import state_label, value_words
from pepflow.accounts.local import add_user
from pepflow.service.delegations import delegate

FIRST = ["Alex", "Sam", "Jordan", "Riley", "Casey", "Morgan", "Taylor", "Jamie", "Charlie",
         "Robin", "Frankie", "Ashley", "Bailey", "Drew", "Emerson", "Harley", "Jesse", "Kai",
         "Logan", "Max", "Noor", "Oakley", "Parker", "Quinn", "Reese", "Sasha", "Toni", "Yusuf"]
LAST = ["Ashdown", "Brook", "Carter", "Dale", "Ellis", "Fenwick", "Grove", "Hale", "Irving",
        "Jarvis", "Kent", "Lowe", "Marsh", "Noble", "Oakes", "Pike", "Reed", "Shaw", "Thorne",
        "Underwood", "Vale", "Wren", "Yates"]
PLACES = ["Riverside", "Hillcrest", "Oakfield", "Meadow", "St Anne's", "Kingsway", "Westgate",
          "Brookside", "Elm Park", "Northfield", "Greenacre", "Harbour", "Ridgeway", "Fairview"]


@dataclass
class DemoSummary:
    schools: int
    people: int
    children: int
    by_key_stage: Counter
    by_school_type: Counter
    by_ofsted: Counter
    out_of_area: int
    pep_states: Counter
    overdue: int
    admissions: Counter
    exclusions: Counter

    def lines(self) -> list[str]:
        def fmt(counter: Counter, process: str = "") -> str:
            def words(code: str) -> str:
                return state_label(process, code).lower() if process else value_words(str(code))
            return ", ".join(f"{words(k)} {v}" for k, v in sorted(counter.items()))
        return [
            f"Synthetic cohort created: {self.children} children looked after, "
            f"{self.schools} schools, {self.people} people (no real personal data).",
            f"  Children by key stage: {fmt(self.by_key_stage)}",
            f"  Schools by type:       {fmt(self.by_school_type)}",
            f"  Schools by Ofsted:     {fmt(self.by_ofsted)}",
            f"  Children at school out of the area: {self.out_of_area}",
            f"  Current PEPs by state: {fmt(self.pep_states, 'pep')}",
            f"  PEP deadlines overdue today: {self.overdue} (see: pepflow pep list --overdue)",
            f"  School admissions by state: {fmt(self.admissions, 'admission')} (see: pepflow admission list)",
            f"  Exclusions by state: {fmt(self.exclusions, 'exclusion')} (see: pepflow exclusion list)",
        ]


def _person_rows(rng: random.Random, n_schools: int) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []

    def add(ref: str, role: str, manager: str = "") -> None:
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        rows.append({"ref": ref, "role": role, "name": name,
                     "email": f"{ref.lower()}@example.org", "manager_ref": manager})

    add("VSH1", "vsh")
    add("VSA1", "vs_admin", "VSH1")
    add("VSA2", "vs_admin", "VSH1")
    add("VSO1", "vs_officer", "VSH1")
    add("VSO2", "vs_officer", "VSH1")
    for t in range(1, 5):
        add(f"TM{t}", "team_manager")
    for s in range(1, 25):
        add(f"SW{s:02d}", "social_worker", f"TM{(s - 1) % 4 + 1}")
    for i in range(1, 7):
        add(f"IRO{i}", "iro")
    for s in range(1, n_schools + 1):
        add(f"HT{s:02d}", "head_teacher")
        add(f"DT{s:02d}", "designated_teacher", f"HT{s:02d}")
    for c in range(1, 121):
        add(f"CR{c:03d}", "carer")
    rows[-1]["email"] = ""  # a carer with no email: real lists have gaps
    return rows


def _school_rows(rng: random.Random, n: int) -> list[dict[str, str]]:
    rows = []
    for s in range(1, n + 1):
        phase = "Primary" if s <= n * 0.55 else "Academy" if s <= n * 0.9 else "High School"
        stype = rng.choices(["maintained", "academy", "free", "special", "pru"],
                            [45, 40, 5, 6, 4])[0]
        ofsted = rng.choices(["outstanding", "good", "requires_improvement", "inadequate", "none"],
                             [18, 62, 14, 3, 3])[0]
        rows.append({
            "urn": str(100000 + s * 37), "name": f"{rng.choice(PLACES)} {phase} {s}",
            "type": stype, "la": "Example" if s <= n * 0.8 else "Neighbouring",
            "ofsted": ofsted, "ofsted_date": "" if ofsted == "none" else "2023-03-15",
            "calendar": "default", "dt_ref": f"DT{s:02d}", "head_ref": f"HT{s:02d}",
        })
    return rows


def phase_of(school: dict[str, str]) -> str:
    """ "primary" (Reception to Year 6) or "secondary" (Year 7 to 13), from the demo school's name."""
    return "primary" if " Primary " in school["name"] else "secondary"


def _school_for(rng: random.Random, schools: list[dict[str, str]], dob: dt.date, today: dt.date) -> dict[str, str]:
    """A school of the right phase for the child's year group (no Year 10 at a primary school)."""
    wanted = "primary" if year_group(dob, today) <= 6 else "secondary"
    return rng.choice([s for s in schools if phase_of(s) == wanted] or schools)


def _child_rows(rng: random.Random, n: int, schools: list[dict[str, str]], today: dt.date
                ) -> list[dict[str, str]]:
    """Children in care for a while (with their last PEP meeting and care review), a few
    who entered care in the last fortnight, and a few whose records lack those dates."""
    def ago(lo: int, hi: int) -> dt.date:
        return today - dt.timedelta(days=rng.randint(lo, hi))

    rows = []
    for c in range(1, n + 1):
        age = rng.randint(4, 17)
        dob = today - dt.timedelta(days=age * 365 + rng.randint(0, 364))
        school = _school_for(rng, schools, dob, today)
        kind = rng.choices(["history", "recent", "incomplete"], [90, 6, 4])[0]
        entered = ago(1, 12) if kind == "recent" else max(dob + dt.timedelta(days=30), ago(300, 2200))
        last_pep = last_review = ""
        if kind == "history":
            # most had their last PEP last term; some are a term behind (and so overdue)
            last_pep = (ago(230, 300) if rng.random() < 0.12 else ago(80, 150)).isoformat()
            last_review = ago(20, 170).isoformat()
        rows.append({
            "ref": f"C{c:05d}", "first_name": rng.choice(FIRST), "last_name": rng.choice(LAST),
            "dob": dob.isoformat(), "upn": f"E{rng.randint(10**10, 10**11 - 1):011d}{rng.randint(0, 9)}",
            "sen_status": rng.choices(["none", "sen_support", "ehcp"], [55, 25, 20])[0],
            "legal_status": rng.choices(["care_order", "interim_care_order", "s20", "placement_order"],
                                        [60, 15, 20, 5])[0],
            "entered_care": entered.isoformat(),
            "school_urn": school["urn"],
            "social_worker_ref": f"SW{rng.randint(1, 24):02d}",
            "iro_ref": f"IRO{rng.randint(1, 6)}",
            "carer_ref": f"CR{rng.randint(1, 120):03d}",
            "in_area": "yes" if school["la"] == "Example" else "no",
            "placement_type": rng.choice(["foster_la", "foster_private", "kinship", "residential"]),
            "last_pep_meeting": last_pep, "last_care_review": last_review,
        })
    return rows


STEPS = ["pep_meeting_scheduled", "pep_meeting_held", "pep_submitted", "pep_qa_started",
         "pep_returned", "pep_approved", "pep_distributed"]


def _school_day(cal: Calendar, day: dt.date, today: dt.date, working: bool = False) -> dt.date:
    """The first school day (or, for the council's own steps, working day) on or after
    ``day``; if that is after today, the last one up to today."""
    is_open = cal.is_working_day if working else cal.is_school_day
    on = day
    while not is_open(on) and on < today + dt.timedelta(days=60):
        on += dt.timedelta(days=1)
    if on <= today and is_open(on):
        return on
    on = min(day, today)
    while not is_open(on) and on > day - dt.timedelta(days=60):
        on -= dt.timedelta(days=1)
    return on


def _pep_events(rng: random.Random, children: list[dict[str, str]], today: dt.date, cal: Calendar
                ) -> list[EventRequest]:
    """This term's PEP work, taken to a different step for each child, some of it late."""
    requests: list[EventRequest] = []
    for row in children:
        last = row["last_pep_meeting"] or row["entered_care"]
        if not row["last_pep_meeting"] and row["entered_care"] < (today - dt.timedelta(days=30)).isoformat():
            continue  # incomplete record: nothing to build on
        target = rng.choices(["none", *STEPS], [30, 10, 10, 10, 8, 7, 10, 15])[0]
        if target == "none":
            continue
        # most work is recent; about one in six started long enough ago to be running late
        back = rng.randint(20, 40) if rng.random() < 0.16 else rng.randint(1, 2) * (STEPS.index(target) + 1)
        day = max(dt.date.fromisoformat(last) + dt.timedelta(days=1), today - dt.timedelta(days=back))
        day = max(day, _school_day(cal, day, today))

        def step(name: str, gap: tuple[int, int], **params: str) -> None:
            nonlocal day  # PEP work happens on school days, never before the step before it
            day = max(day, _school_day(cal, min(today, day + dt.timedelta(days=rng.randint(*gap))), today))
            requests.append(EventRequest(row["ref"], name, day, None, params or None))

        ref_day = day
        if target == "pep_meeting_scheduled":
            requests.append(EventRequest(row["ref"], target, ref_day, None, {
                "meeting_date": _next_school_day(cal, today + dt.timedelta(days=rng.randint(3, 20))).isoformat()}))
            continue
        step("pep_meeting_held", (0, 0))
        path = {"pep_meeting_held": [], "pep_submitted": ["pep_submitted"],
                "pep_qa_started": ["pep_submitted", "pep_qa_started"],
                "pep_returned": ["pep_submitted", "pep_qa_started", "pep_returned"]}.get(target)
        if path is None:  # approved or distributed, some after being returned once
            path = ["pep_submitted", "pep_qa_started"]
            if rng.random() < 0.2:
                path += ["pep_returned", "pep_resubmitted"]
            path += ["pep_approved"] + (["pep_distributed"] if target == "pep_distributed" else [])
        for name in path:
            if name == "pep_returned":
                step(name, (1, 2), reason="targets need to be SMART")
            elif name == "pep_approved":
                step(name, (1, 2), rating=rng.choices(["green", "amber"], [80, 20])[0])
            else:
                step(name, (0, 2))
    return requests


def _next_school_day(cal: Calendar, day: dt.date) -> dt.date:
    while not cal.is_school_day(day):
        day += dt.timedelta(days=1)
    return day


def _exclusion_events(rng: random.Random, children: list[dict[str, str]], today: dt.date, cal: Calendar,
                      taken: set[str]) -> list[EventRequest]:
    """Suspensions of a few secondary-age children this term, and one permanent exclusion after
    a concern, the Virtual School's consultation and the multi-agency meeting."""
    older = [c for c in children if c["last_pep_meeting"] and c["ref"] not in taken
             and 7 <= year_group(dt.date.fromisoformat(c["dob"]), today) <= 11]
    requests: list[EventRequest] = []
    days = [d for d in cal.school_days(today - dt.timedelta(days=50), today)]
    if len(days) < 12 or not older:
        return requests
    count = max(1, len(children) // 60)
    for child in older[:count]:
        first = rng.choice(days[:-6])
        requests.append(EventRequest(child["ref"], "behaviour_concern_raised", first, None, None))
        requests.append(EventRequest(child["ref"], "suspension_started", first, None,
                                     {"first_day": first.isoformat(), "days": str(rng.randint(1, 3))}))
    if len(older) > count:
        child, start = older[count], days[-12]
        for name, on, params in (("behaviour_concern_raised", start, None), ("vs_consulted", days[-11], None),
                                 ("pex_risk_meeting_held", days[-9], {"attendees": "SW, carer, IRO, VSH, school"}),
                                 ("permanently_excluded", days[-7], None)):
            requests.append(EventRequest(child["ref"], name, on, None, params))
    return requests


def _admission_events(rng: random.Random, children: list[dict[str, str]], schools: list[dict[str, str]],
                      today: dt.date, cal: Calendar) -> list[EventRequest]:
    """A handful of school moves at different steps, one of them past its 20 school days."""
    maintained = [s["urn"] for s in schools if s["type"] == "maintained" and s["ofsted"] in ("good", "outstanding")]
    academies = [s["urn"] for s in schools if s["type"] == "academy" and s["ofsted"] in ("good", "outstanding")]
    movers = [c for c in children if c["last_pep_meeting"]][-8:]
    by_urn = {s["urn"]: s for s in schools}
    paths = [
        ("care_placement_moved", 40, ["school_proposed", "application_made", "place_refused",
                                      "direction_consultation_started", "direction_issued"], maintained),
        ("emergency_placement", 12, ["temporary_education_arranged", "school_proposed", "application_made"], maintained),
        ("care_placement_moved", 9, ["school_proposed"], maintained),
        ("permanently_excluded", 25, ["temporary_education_arranged", "school_proposed", "application_made",
                                      "place_refused", "sos_request_made"], academies),
        ("entered_care", 6, [], maintained),
        ("care_placement_moved", 20, ["school_proposed", "application_made", "place_offered"], maintained),
        ("other", 30, ["school_proposed", "application_made", "place_offered", "started_at_school"], maintained),
    ]
    requests = []
    for child, (reason, back, path, pool) in zip(movers, paths):
        if not pool:
            continue
        ref, day = child["ref"], _school_day(cal, today - dt.timedelta(days=back), today, working=True)
        gaps = {"direction_issued": 8, "direction_consultation_started": 1}
        requests.append(EventRequest(ref, "admission_needed", day, None, {"reason": reason}))
        for name in path:
            day = max(day, _school_day(cal, min(today, day + dt.timedelta(days=gaps.get(name, rng.randint(1, 3)))),
                                       today, working=True))
            phase = [u for u in pool if phase_of(by_urn[u]) == phase_of(by_urn[child["school_urn"]])] or pool
            params = {"school_urn": rng.choice([u for u in phase if u != child["school_urn"]] or phase)} \
                if name == "school_proposed" else {"hours": "15"} if name == "temporary_education_arranged" else None
            requests.append(EventRequest(ref, name, day, None, params))
    return requests


def create_demo_cohort(session: Session, config: Config, today: dt.date,
                       children: int = 300, schools: int = 40, seed: int = 2026) -> DemoSummary:
    """Fill an empty database with a synthetic cohort; returns what was made."""
    rng = random.Random(seed)
    school_rows = _school_rows(rng, schools)
    person_rows = _person_rows(rng, schools)
    child_rows = _child_rows(rng, children, school_rows, today)
    for kind, rows in (("people", person_rows), ("schools", school_rows), ("children", child_rows)):
        report = import_records(session, config, kind, list(enumerate(rows, start=2)), today, f"demo {kind}")
    for ref in report.added:
        bring_in(session, config, session.get(Child, ref), today)
    cal = config.calendar()
    record_events(session, config, _pep_events(rng, child_rows, today, cal), today)
    movers = _admission_events(rng, child_rows, school_rows, today, cal)
    record_events(session, config, movers, today)
    record_events(session, config, _exclusion_events(rng, child_rows, today, cal, {r.child_ref for r in movers}),
                  today)
    kids = list(session.exec(select(Child)))
    all_schools = list(session.exec(select(School)))
    return DemoSummary(
        schools=len(all_schools), people=len(person_rows), children=len(kids),
        by_key_stage=Counter(key_stage(year_group(k.dob, today)) for k in kids),
        by_school_type=Counter(s.type for s in all_schools),
        by_ofsted=Counter(s.ofsted for s in all_schools),
        out_of_area=sum(1 for k in kids if not k.in_area),
        pep_states=Counter(p.state for p in session.exec(select(Pep).where(Pep.is_current))),
        overdue=len(pep_list(session, config, today, overdue=True)),
        admissions=Counter(a.state for a in session.exec(select(Admission))),
        exclusions=Counter(x.state for x in session.exec(select(Exclusion))),
    )


DEMO_ACCOUNTS = (("vsh1@example.org", "vsh", "VSH1"), ("vsa1@example.org", "vs_admin", "VSA1"),
                 ("vso1@example.org", "vs_officer", "VSO1"), ("tm1@example.org", "team_manager", "TM1"),
                 ("sw01@example.org", "social_worker", "SW01"), ("dt01@example.org", "designated_teacher", "DT01"),
                 ("iro1@example.org", "iro", "IRO1"), ("readonly@example.org", "read_only", None),
                 ("colleague@example.org", "school_colleague", None), ("finance@example.org", "finance", None))


def create_demo_accounts(session: Session, password: str, today: dt.date | None = None) -> list[str]:
    """One web account per role for the demo people, all with ``password``; returns lines to print.
    The school colleague works at DT01's school; given ``today``, DT01 gives them two pupils' PEP
    sections for the next eight weeks."""
    school = session.exec(select(School.urn).where(School.dt_ref == "DT01").order_by(School.urn)).first()
    users = {email: add_user(session, email, role, password, person_ref=person,
                             school_urn=school if role == "school_colleague" else None)
             for email, role, person in DEMO_ACCOUNTS}
    pupils = list(session.exec(select(Child.ref).where(Child.school_urn == school, Child.looked_after)
                               .order_by(Child.ref)).all())[:2] if school else []
    if today is not None and pupils:
        delegate(session, users["dt01@example.org"], users["colleague@example.org"].id, pupils,
                 today + dt.timedelta(weeks=8), today, "the demo")
    return demo_sign_in_lines(password, [email for email, _, _ in DEMO_ACCOUNTS])


def demo_sign_in_lines(password: str, emails: list[str]) -> list[str]:
    roles = {email: role for email, role, _ in DEMO_ACCOUNTS}
    return ["Web accounts for the demo (one per role), all with the password " + password + ":",
            *(f"  {email:<24} {roles[email]}" for email in emails)]
