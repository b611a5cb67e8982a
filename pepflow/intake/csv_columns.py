"""The columns of the council's CSV lists (schools, people, children, school staff): each
column's parser and whether the file must have it, and the choices a column may take."""

from __future__ import annotations

from typing import Any, Callable

from pepflow import values
from pepflow.record_choices import LEGAL, OFSTED, PLACEMENT_TYPES, SCHOOL_STATUSES, SCHOOL_TYPES, SEN
from pepflow.role_table import PERSON_ROLES
from pepflow.db.models import Child, Person, School

KINDS = ("schools", "people", "children", "school-staff")
# column -> (parser, required column?)
COLUMNS: dict[str, dict[str, tuple[Callable[[str], Any], bool]]] = {
    "schools": {
        "urn": (values.ref, True), "name": (values.text, True),
        "type": (values.choice(*SCHOOL_TYPES), True), "la": (values.optional_text, False),
        "ofsted": (values.choice(*OFSTED, default="none"), False), "ofsted_date": (values.optional_date, False),
        "calendar": (values.optional_text, False), "dt_ref": (values.optional_ref, False),
        "head_ref": (values.optional_ref, False),
        "phase": (values.optional_text, False), "low_age": (values.optional_number_between(0, 99, "years"), False),
        # GIAS gives 99 as the upper age of further education colleges
        "high_age": (values.optional_number_between(0, 99, "years"), False),
        "status": (values.choice(*SCHOOL_STATUSES, default="open"), False),
        "close_date": (values.optional_date, False),
    },
    # each school's designated teacher and head by URN: a short list beside the GIAS file, which
    # names no person pepflow knows (a school not yet imported is refused)
    "school-staff": {
        "urn": (values.ref, True), "dt_ref": (values.optional_ref, False), "head_ref": (values.optional_ref, False),
    },
    "people": {
        "ref": (values.ref, True), "role": (values.choice(*PERSON_ROLES), True),
        "name": (values.text, True), "email": (values.email, False),
        "manager_ref": (values.optional_ref, False),
    },
    "children": {
        "ref": (values.ref, True), "first_name": (values.text, True),
        "last_name": (values.text, True), "dob": (values.date_value, True), "upn": (values.upn, False),
        "sen_status": (values.choice(*SEN, default="none"), False), "legal_status": (values.choice(*LEGAL), True),
        "entered_care": (values.date_value, True), "first_entered_care": (values.optional_date, False),
        "school_urn": (values.optional_ref, False), "social_worker_ref": (values.optional_ref, False),
        "iro_ref": (values.optional_ref, False), "carer_ref": (values.optional_ref, False),
        "in_area": (values.yes_no_or(True), False), "placement_type": (values.choice(*PLACEMENT_TYPES, default=""), False),
        "last_pep_meeting": (values.optional_date, False), "last_care_review": (values.optional_date, False),
    },
}
# attendance from the register (intake/attendance_marks.py): each row is checked there, column by column
COLUMNS["marks"] = {"child_ref": (values.optional_text, False), "upn": (values.optional_text, False),
                    "school_urn": (values.ref, True), "date": (values.date_value, True),
                    "session": (values.text, True), "code": (values.text, True)}
COLUMNS["attendance-totals"] = {"child_ref": (values.optional_text, False), "upn": (values.optional_text, False),
                                "school_urn": (values.ref, True), "from": (values.date_value, True),
                                "to": (values.date_value, True), "possible": (values.text, True),
                                "attending": (values.text, True), "authorised": (values.text, True),
                                "unauthorised": (values.text, True)}
MODELS = {"schools": School, "people": Person, "children": Child, "school-staff": School}
KEYS = {"schools": "urn", "people": "ref", "children": "ref", "school-staff": "urn"}
