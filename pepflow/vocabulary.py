"""The words a Virtual School uses: one label and one sentence for every event, deadline
kind, state, role, unit, outcome and process.

Pages, emails, CLI text, CSV headers and reports all take their words from here, so the
same event reads the same everywhere (issue 20: "Pep meeting scheduled" on one page,
"pep_meeting_scheduled" in an email).  Keys are the codes kept in the database and in JSON;
people never see a code.  A code without an entry is a programming mistake, and
``tests/test_vocabulary.py`` checks every registered event, state and kind has one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    label: str  # as a heading or a table cell: "PEP meeting arranged"
    description: str = ""  # one sentence saying what it means

    @property
    def in_sentence(self) -> str:
        """The label inside a sentence: "termly PEP review", but "IRO", "VS admin" and
        "Virtual School Head" (an acronym first, or a name of two capitalised words) kept."""
        words = self.label.split(" ")
        second = words[1] if len(words) > 1 else ""
        if words[0].isupper() or (second[:1].isupper() and not second.isupper()):
            return self.label
        return self.label[0].lower() + self.label[1:]


def _terms(table: dict[str, tuple[str, str] | str]) -> dict[str, Term]:
    return {key: Term(*value) if isinstance(value, tuple) else Term(value) for key, value in table.items()}


PROCESSES = _terms({
    "pep": ("PEP", "The Personal Education Plan, reviewed each term"),
    "care": ("Care", "The child's care: reviews, placements, legal status and social worker"),
    "admission": ("School place", "Finding a new school: on roll within 20 school days"),
    "exclusion": ("Exclusion", "Suspensions and permanent exclusion, with their statutory steps"),
    "attendance": ("Attendance", "Attendance each half term, stages of support and part-time timetables"),
    "roll": ("Records", "Children, people and schools added or changed by an import"),
    "notify": ("Email", "Reminders, escalations and notices sent by email"),
    "deadline": ("Deadline", "A deadline opened, changed or closed"),
    "outbox": ("Email", "The email outbox"),
    "access": ("Access", "Who looked at a child's record"),
    "security": ("Security", "Sign-ins, sign-outs and account changes"),
})

EVENTS = _terms({
    # PEP
    "entered_care": ("Entered care", "The child became looked after"),
    "pep_meeting_scheduled": ("PEP meeting arranged", "A PEP meeting has been arranged"),
    "pep_meeting_held": ("PEP meeting held", "The PEP meeting took place"),
    "pep_submitted": ("PEP submitted", "The designated teacher submitted the ePEP"),
    "pep_qa_started": ("Quality assurance started", "VS admin began quality assurance of the PEP"),
    "pep_returned": ("PEP returned for changes", "Quality assurance returned the PEP for changes"),
    "pep_resubmitted": ("PEP resubmitted", "The PEP was resubmitted after changes"),
    "pep_approved": ("PEP approved", "Quality assurance approved (finalised) the PEP"),
    "pep_distributed": ("PEP sent to everyone", "The final PEP was sent to everyone, the child included"),
    "pp_plus_requested": ("Pupil Premium Plus requested", "Pupil Premium Plus requested through the PEP"),
    "school_changed": ("Changed school", "The child moved school"),
    "care_placement_changed": ("Care placement changed", "The child's care placement changed"),
    "left_care": ("Left care", "The child ceased to be looked after"),
    "imported": ("Record imported", "The child's record was imported, and what is due worked out"),
    # care
    "care_review_held": ("Care review held", "A statutory care review took place"),
    "care_placement_proposed": ("Placement move proposed", "A change of care placement is proposed"),
    "vs_placement_view": ("Virtual School's view given", "The Virtual School's view on a proposed move"),
    "legal_status_changed": ("Legal status changed", "The legal basis of the child's care changed"),
    "social_worker_changed": ("New social worker", "A new social worker was allocated"),
    "school_closed_flagged": ("School closed", "The child's school is recorded as closed: a new school is needed"),
    "go_live_recorded": ("Go-live date recorded", "The first import set the day pepflow went live: what happened "
                         "before it is recorded as the past"),
    "children_held_back": ("Children held back from the return", "Children the SSDA903 return held back, and "
                           "those a later return loaded"),
    # school place
    "admission_needed": ("New school needed", "A new education placement is needed"),
    "school_proposed": ("School proposed", "A school is proposed (its suitability is checked)"),
    "application_made": ("Application made", "An application for a place was made"),
    "place_offered": ("Place offered", "The school offered a place"),
    "place_refused": ("Place refused", "The school refused a place"),
    "direction_consultation_started": ("Consultation before direction", "The local authority consulted the "
                                       "admission authority before directing"),
    "consultation_answered": ("Consultation answered", "The admission authority answered the consultation"),
    "direction_issued": ("Direction to admit issued", "The local authority directed the school to admit"),
    "adjudicator_referred": ("Referred to the Adjudicator", "The school referred the direction to the Schools "
                             "Adjudicator"),
    "adjudicator_upheld": ("Adjudicator upheld the direction", "The Schools Adjudicator upheld the direction"),
    "adjudicator_named_other": ("Adjudicator named another school", "The Schools Adjudicator named another "
                                "maintained school"),
    "sos_request_made": ("Secretary of State asked to direct", "The local authority asked the Secretary of State "
                         "to direct an academy"),
    "sos_directed": ("Secretary of State directed", "The Secretary of State directed the academy to admit"),
    "sos_declined": ("Secretary of State declined", "The Secretary of State declined to direct"),
    "temporary_education_arranged": ("Temporary education arranged", "Temporary education while there is no "
                                     "school"),
    "started_at_school": ("Started at school", "The child started at the new school"),
    "admission_withdrawn": ("New school no longer needed", "The need for a new school no longer applies"),
    # exclusion
    "behaviour_concern_raised": ("Behaviour concern raised", "The school raised a behaviour concern (it should "
                                 "consult the Virtual School first)"),
    "vs_consulted": ("Virtual School consulted", "The school consulted the Virtual School"),
    "suspension_started": ("Suspended", "A suspension (fixed-term exclusion)"),
    "provision_arranged": ("Alternative provision arranged", "Alternative provision arranged during an "
                           "exclusion"),
    "pex_risk_meeting_held": ("Meeting before permanent exclusion held", "The multi-agency meeting before any "
                              "permanent exclusion"),
    "permanently_excluded": ("Permanently excluded", "The child was permanently excluded"),
    "governors_decided": ("Governors decided", "The governing board considered reinstatement"),
    "irp_applied": ("Independent review applied for", "An independent review panel was applied for"),
    "irp_decided": ("Independent review decided", "The independent review panel decided"),
    "governors_reconsidered": ("Governors reconsidered", "Governors reconsidered after the panel"),
    "exclusion_closed": ("Exclusion closed", "The exclusion process is closed"),
    # attendance
    "attendance_recorded": ("Attendance recorded", "Attendance for a half term"),
    "attendance_stage_started": ("Attendance stage started", "An attendance stage began (stage 3 after the "
                                 "statutory consultation)"),
    "attendance_stage_reviewed": ("Attendance stage reviewed", "An attendance stage was reviewed"),
    "attendance_legal_planning_held": ("Legal planning meeting held", "The education legal planning meeting "
                                       "took place"),
    "ptt_recorded": ("Part-time timetable recorded", "A part-time timetable or alternative provision was "
                     "recorded in the PEP"),
    "ptt_reviewed": ("Part-time timetable reviewed", "The part-time timetable or provision was reviewed"),
    # written by pepflow itself
    "child_added": ("Child added", "The child was added by an import"),
    "child_changed": ("Record changed", "An import changed the child's record"),
    "person_added": ("Person added", "A person was added by an import"),
    "person_changed": ("Person changed", "An import changed a person's details"),
    "school_added": ("School added", "A school was added by an import"),
    "school_changed_details": ("School changed", "An import changed a school's details"),
    "inspection_added": ("Ofsted inspection added", "An Ofsted inspection was added"),
    "inspection_changed": ("Ofsted inspection changed", "An Ofsted judgement changed"),
    "notification_sent": ("Email sent", "An email was sent"),
    "notification_retry": ("Email to be tried again", "An email could not be sent and will be tried again"),
    "notification_failed": ("Email not delivered", "An email could not be delivered"),
    "notification_skipped": ("Email not written", "A reminder could not be written: nobody to send it to"),
    "email_retry_requested": ("Email retry requested", "VS admin asked for a failed email to be sent again"),
    "deadlines_changed": ("Deadlines recalculated", "Deadlines were worked out again after a change"),
    "case_viewed": ("Case viewed", "Someone looked at the child's record"),
    "record_form_viewed": ("Form opened", "Someone opened a form on the child's record"),
    "csv_downloaded": ("List downloaded", "Someone downloaded a list as CSV"),
    "out_of_scope": ("Look-up refused", "Someone looked for a child outside their caseload"),
    "sign_in": ("Signed in", "Someone signed in"),
    "sign_in_refused": ("Sign-in refused", "A sign-in was refused"),
    "sign_out": ("Signed out", "Someone signed out"),
    "sessions_ended": ("Sessions ended", "Someone signed out their other sessions"),
    "password_changed": ("Password changed", "Someone changed their password"),
    "password_change_refused": ("Password change refused", "A new password was refused"),
    "account_added": ("Account added", "A web account was added"),
    "password_set": ("Password set", "A web account's password was set"),
})

KINDS = _terms({
    # PEP
    "initial_pep": ("Initial PEP", "Initial PEP initiated after the child becomes looked after"),
    "pep_review": ("Termly PEP review", "PEP reviewed each school term (at least three a year)"),
    "pep_significant_change": ("Early PEP review", "Early PEP review after a significant change"),
    "pep_completion": ("PEP completion", "Designated teacher completes and submits the ePEP after the meeting"),
    "pep_distribution": ("Sharing the final PEP", "Updated PEP sent to every participant, the child included"),
    "pep_qa": ("PEP quality assurance", "Virtual School quality-assures the PEP: approved or returned"),
    "pep_resubmission": ("PEP resubmission", "Designated teacher resubmits a PEP returned by quality assurance"),
    "pep_before_care_review": ("Approved PEP before care review", "An approved PEP is in place before the "
                               "statutory care review"),
    "ptt_review": ("Part-time timetable review", "Part-time timetable or alternative provision reviewed"),
    # care
    "care_review_1": ("First care review", "First statutory care review"),
    "care_review_2": ("Second care review", "Second statutory care review"),
    "care_review_next": ("Next care review", "Later statutory care reviews"),
    "sw_visit_first": ("First social worker visit", "Social worker visits within a week of a placement starting"),
    "sw_visit_year1": ("Social worker visit", "Social worker visits at most every 6 weeks in the first year"),
    "sw_visit_after": ("Social worker visit", "Social worker visits at most every 3 months after the first year"),
    "placement_plan": ("Placement plan", "Placement plan agreed, and notice to school, IRO and GP"),
    # school place
    "admission_placement": ("On roll at a new school", "Child on roll at a suitable new school after the need "
                            "is identified"),
    "admission_decision": ("Admission decision", "Admission authority's written decision on an in-year "
                           "application"),
    "admission_decision_aim": ("Admission decision (aim)", "Admission authority's decision, aimed for within "
                               "10 school days"),
    "direction_consultation": ("Answer to consultation", "Admission authority answers the LA's consultation "
                               "before a direction"),
    "adjudicator_referral": ("Referral to the Adjudicator", "Admission authority may refer a direction to the "
                             "Schools Adjudicator"),
    "dt_full_details": ("Full details to the designated teacher", "Designated teacher given full details "
                        "within 24 hours of the child joining"),
    # exclusion
    "suspension_provision": ("Provision from day 6", "Full-time alternative provision from the 6th school day "
                             "of a suspension"),
    "suspension_provision_best_practice": ("Provision from day 1", "Best practice for a looked-after child: "
                                           "provision from the 1st day of a suspension"),
    "governors_review": ("Governors' review", "Governing board considers reinstatement"),
    "governors_meeting_on_request": ("Governors' meeting on request", "Governors meet if the parent asks"),
    "irp_application": ("Independent review application", "Application for an independent review panel"),
    "irp_panel": ("Independent review panel", "Independent review panel arranged"),
    "irp_reconsideration": ("Governors' reconsideration", "Governors reconsider after the panel's "
                            "recommendation"),
    "irp_deemed_application": ("Posted application deemed made", "A posted application is deemed made on the "
                               "2nd working day after posting"),
    "suspension_cap": ("Suspension limit", "Most school days a pupil may be suspended in one school year"),
    "suspension_term_review_over": ("Governors must review", "Suspensions in a term above which governors must "
                                    "consider reinstatement"),
    "suspension_meeting_on_request_over": ("Governors meet on request", "Suspensions in a term above which "
                                           "governors meet if the parent asks"),
    # attendance
    "attendance_legal_planning": ("Legal planning meeting", "Education legal planning meeting after the stage 3 "
                                  "consultation"),
    "attendance_stage_1": ("Attendance stage 1", "Attendance is below the threshold: start stage 1 support"),
    "attendance_stage_1_review": ("Attendance stage 1 review", "Review of attendance stage 1"),
    "attendance_stage_2_review": ("Attendance stage 2 review", "Review of attendance stage 2"),
    "attendance_stage_3_review": ("Attendance stage 3 review", "Review of attendance stage 3"),
    # flags: something for a person to put right, due at once
    "record_incomplete": ("Record incomplete", "The child's record lacks what pepflow needs to work out "
                          "what is due"),
    "no_education_arranged": ("No education arranged", "The child has no school and no temporary education"),
    "placement_approval": ("School needs approval", "The proposed school needs a decision before it can go "
                           "ahead"),
    "notify_destination_vs": ("Tell the other Virtual School", "Tell the Virtual School of the area the child "
                              "moves to"),
    "vs_placement_view": ("Virtual School's view needed", "The Virtual School should give its view on a "
                          "proposed placement move"),
    "out_of_area_education": ("Education out of area", "Check education arrangements for a placement out of "
                              "area"),
    "attendance_reports": ("Attendance reports needed", "Attendance has not been recorded for the half term"),
    "no_pre_exclusion_meeting": ("No meeting before exclusion", "The child was permanently excluded without the "
                                 "multi-agency meeting first"),
    "suspension_reported_late": ("Suspension reported late", "The school told the Virtual School of a "
                                 "suspension late"),
    "school_closed": ("School closed", "The child's school has closed: find a new school"),
})

STATES = {
    "pep": _terms({
        "due": ("Due", "A PEP is due and no meeting is arranged yet"),
        "meeting_scheduled": ("Meeting arranged", "The PEP meeting is arranged"),
        "meeting_held": ("Meeting held", "The meeting took place; the ePEP is being completed"),
        "submitted": ("Submitted", "The ePEP is submitted and waits for quality assurance"),
        "in_qa": ("In quality assurance", "The Virtual School is quality-assuring the PEP"),
        "returned": ("Returned for changes", "Quality assurance returned the PEP"),
        "approved": ("Approved", "The PEP is approved and waits to be sent to everyone"),
        "distributed": ("Sent to everyone", "The PEP is complete and sent to everyone"),
        "superseded": ("Replaced", "A newer PEP replaced this one"),
        "closed": ("Closed", "The child left care"),
    }),
    "admission": _terms({
        "need_identified": ("New school needed", "A new school is needed"),
        "school_proposed": ("School proposed", "A school is proposed"),
        "applied": ("Applied", "An application was made"),
        "offered": ("Place offered", "The school offered a place"),
        "refused": ("Place refused", "The school refused a place"),
        "direction_consultation": ("Consulting before direction", "The LA is consulting before directing"),
        "direction_issued": ("Directed to admit", "The LA directed the school to admit"),
        "referred_to_adjudicator": ("With the Adjudicator", "The direction is with the Schools Adjudicator"),
        "sos_requested": ("With the Secretary of State", "The Secretary of State is asked to direct"),
        "on_roll": ("On roll", "The child started at the school"),
        "withdrawn": ("No longer needed", "A new school is no longer needed"),
    }),
    "exclusion": _terms({
        "concern_raised": ("Concern raised", "The school raised a behaviour concern"),
        "vs_consulted": ("Virtual School consulted", "The school consulted the Virtual School"),
        "suspended": ("Suspended", "The child is suspended"),
        "alternative_provision": ("Alternative provision", "Alternative provision is arranged"),
        "pex_risk": ("At risk of permanent exclusion", "The meeting before any permanent exclusion was held"),
        "permanently_excluded": ("Permanently excluded", "The child was permanently excluded"),
        "governors_review": ("Governors' review", "The governing board considered reinstatement"),
        "irp_requested": ("Independent review applied for", "An independent review panel was applied for"),
        "irp_decided": ("Independent review decided", "The panel decided"),
        "reconsidered": ("Reconsidered", "Governors reconsidered"),
        "closed": ("Closed", "The exclusion process is closed"),
    }),
}
NO_STATE = Term("Not started", "Nothing recorded yet")

ROLES = _terms({
    "vsh": ("Virtual School Head", "Leads the Virtual School; decides on escalations and school approvals"),
    "vs_admin": ("Virtual School admin", "Tracks PEPs, quality-assures them, sees email problems"),
    "vs_officer": ("Virtual School officer", "Works with schools and social workers on a child's education"),
    "social_worker": ("Social worker", "The child's allocated social worker"),
    "team_manager": ("Team manager", "Manages a team of social workers"),
    "designated_teacher": ("Designated teacher", "The school's designated teacher for looked-after children"),
    "head_teacher": ("Head teacher", "The head teacher of the child's school"),
    "iro": ("IRO", "The child's independent reviewing officer"),
    "read_only": ("Read only", "May see pages but not record events"),
    "carer": ("Carer", "The child's carer"),
    "admission_authority": ("Admission authority", "The body that decides admissions to the school"),
    "governors": ("Governing board", "The school's governing board"),
    "local_authority": ("Local authority", "The council"),
    "school": ("School", "The child's school"),
})

UNITS = _terms({
    "school": ("school days", "Days the child's school is open"),
    "working": ("working days", "Monday to Friday, except bank holidays in England"),
    "calendar": ("calendar days", "Every day, weekends and holidays included"),
    "weeks": ("weeks", "Calendar weeks"),
    "months": ("months", "Calendar months"),
    "terms": ("terms", "School terms"),
})

OUTCOMES = _terms({
    "open": ("Open", "Not yet done"),
    "pending": ("Pending", "Not yet due, not yet done"),
    "met": ("Met", "Done in time"),
    "met_late": ("Met late", "Done, after the due date"),
    "breached": ("Breached", "Past its due date and not done"),
    "cancelled": ("Cancelled", "No longer needed"),
    "superseded": ("Replaced", "A newer deadline replaced it"),
    "closed": ("Closed", "Closed"),
    # emails
    "sending": ("Sending", "Being sent now"),
    "sent": ("Sent", "Sent to the mail relay"),
    "failed": ("Failed", "Could not be delivered"),
    "skipped": ("Not sent", "Not sent: nobody to send it to"),
})

PARAMETERS = _terms({
    "school_urn": ("School (URN)", "The school's unique reference number"),
    "excluded_from": ("Excluded from (URN)", "The school that permanently excluded the child"),
    "vsh_decision": ("Virtual School Head's decision", "The decision and its evidence"),
    "ks4_reason": ("Why a move in Key Stage 4 is necessary", ""),
    "nominated_officer": ("Nominated officer's approval", "The approving nominated officer's reference"),
    "pp_plus": ("Pupil Premium Plus requests", ""),
    "social_worker_ref": ("New social worker (reference)", ""),
    "carer_ref": ("New carer (reference)", ""),
    "la": ("Local authority", ""),
    "in_area": ("In the local authority's area", ""),
    "irp": ("Independent review panel", ""),
    "pex": ("Permanent exclusion", ""),
    "ptt": ("Part-time timetable", ""),
    "upn": ("UPN", "Unique pupil number"),
    "dob": ("Date of birth", ""),
    "sen_status": ("SEN status", ""),
    "on": ("Date it happened", ""),
})

# Values kept as codes that people read: a choice's option, a reason, a band.
VALUES = _terms({
    "care_order": "care order", "interim_care_order": "interim care order", "section_20": "section 20",
    "placement_order": "placement order", "not_willing": "not willing", "requires_improvement": "requires "
    "improvement", "care_placement_moved": "care placement moved", "needs_approval": "needs approval",
    "key_stage_4_move": "a move in Key Stage 4", "persistently_absent": "persistently absent",
    "severely_absent": "severely absent", "ehcp": "EHC plan", "sen_support": "SEN support", "s20": "section 20",
    "foster_la": "foster care (council's own)", "foster_private": "foster care (agency)", "kinship": "kinship care",
    "residential": "residential", "outstanding": "outstanding", "inadequate": "inadequate", "good": "good",
    "none": "none", "not recorded": "not recorded", "no school": "no school", "unknown": "not rated",
})


# CSV column headings: the first row of every CSV pepflow writes (the cells below keep codes
# and ISO dates, for other programs); a column not listed is headed by its name in words
COLUMNS: dict[str, str] = {
    "child_ref": "Child", "year_group": "Year group", "school_urn": "School URN", "school": "School",
    "social_worker": "Social worker", "designated_teacher": "Designated teacher", "pep_state": "PEP state",
    "due": "What is due", "due_on": "Due date", "overdue_unit": "Overdue unit", "days_overdue": "Overdue by",
    "school_year": "School year", "state": "State", "opened_on": "Opened", "suspensions": "Suspensions",
    "suspension_days": "Suspension days", "permanently_excluded_on": "Permanently excluded",
    "no_pre_exclusion_meeting": "No pre-exclusion meeting", "what": "What", "process": "Process",
    "owner_role": "Whose", "note": "Note", "id": "Number", "to": "To", "step": "Email", "status": "Status",
    "created_at": "Written", "sent_at": "Sent", "attempts": "Attempts", "last_error": "Last problem",
    "reason": "Reason", "route": "Route", "identified_on": "Need identified", "school_days_used": "School days used",
    "school_days_left": "School days left", "breaching": "Past its timescale", "started_on": "Started",
    "section": "Section", "measure": "Measure", "group": "Group", "value": "Value", "kind": "Deadline",
    "start": "Clock started", "closed": "Closed", "outcome": "Outcome", "units_late": "Late by",
    "late_unit": "Late unit", "unit": "Unit", "rule": "Rule", "rule_version": "Rule version",
    "close_reason": "Why closed",
}


def column_label(column: str) -> str:
    """A CSV column's heading ("Due date" for ``due_on``)."""
    return COLUMNS.get(column) or _humanised(column).capitalize()


def _humanised(code: str) -> str:
    return code.replace("_", " ")


def event_label(name: str) -> str:
    term = EVENTS.get(name)
    return term.label if term else _humanised(name).capitalize()


def kind_label(kind: str) -> str:
    term = KINDS.get(kind)
    return term.label if term else _humanised(kind).capitalize()


def state_label(process: str, state: str | None) -> str:
    if not state:
        return NO_STATE.label
    term = STATES.get(process, {}).get(state)
    return term.label if term else _humanised(state).capitalize()


def role_label(role: str | None) -> str:
    if not role:
        return "Nobody"
    term = ROLES.get(role)
    return term.label if term else _humanised(role).capitalize()


def role_in_sentence(role: str | None) -> str:
    return ROLES[role].in_sentence if role in ROLES else role_label(role).lower()


def process_label(process: str) -> str:
    term = PROCESSES.get(process)
    return term.label if term else _humanised(process).capitalize()


def outcome_label(status: str) -> str:
    term = OUTCOMES.get(status)
    return term.label if term else _humanised(status).capitalize()


def unit_label(unit: str, n: int | None = None) -> str:
    """'school days'; with a count, '1 school day', '3 working days'."""
    label = UNITS[unit].label if unit in UNITS else _humanised(unit)
    if n is None:
        return label
    return f"{n} {label[:-1] if n == 1 and label.endswith('s') else label}"


def parameter_label(name: str) -> str:
    term = PARAMETERS.get(name)
    return term.label if term else _humanised(name).capitalize()


def value_words(value: str) -> str:
    """A code value as a person reads it ("care order"); anything else unchanged."""
    term = VALUES.get(value)
    return term.label if term else _humanised(value) if value.islower() and " " not in value else value


def state_change_words(process: str, before: str | None, after: str | None) -> str:
    """ " (PEP: from due to meeting held)", or "" when the state did not change."""
    if not after or before == after or process not in STATES:
        return ""
    was = state_label(process, before).lower() if before else "not started"
    return f" ({process_label(process)}: from {was} to {state_label(process, after).lower()})"


def parameter_in_sentence(name: str) -> str:
    """ "Enter the Virtual School Head's decision", "Enter why a move in Key Stage 4 is necessary"."""
    term = PARAMETERS.get(name) or Term(_humanised(name).capitalize())
    return term.in_sentence
