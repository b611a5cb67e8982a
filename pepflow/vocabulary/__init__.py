"""The words a Virtual School uses: one label and one sentence for every event, deadline
kind, state, role, unit, outcome and process.

Pages, emails, CLI text, CSV headers and reports all take their words from here, so the
same event reads the same everywhere (issue 20: "Pep meeting scheduled" on one page,
"pep_meeting_scheduled" in an email).  Keys are the codes kept in the database and in JSON;
people never see a code.  A code without an entry is a programming mistake, and
``tests/test_vocabulary.py`` checks every registered event, state and kind has one.
"""

from __future__ import annotations

from pepflow.vocabulary.event_words import EVENTS, KINDS
from pepflow.vocabulary.terms import Term, table_of_terms


PROCESSES = table_of_terms({
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
    "contact": ("Contact", "Contacts noted about the child: who, how, when and what was said"),
    "security": ("Security", "Sign-ins, sign-outs and account changes"),
    "pp_plus": ("Pupil Premium Plus", "Money asked for against PEP targets, decided, paid and its impact"),
    "records": ("Records", "Subject access to the child's record, legal holds, retention and purges"),
})

STATES = {
    "pep": table_of_terms({
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
    "admission": table_of_terms({
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
    "exclusion": table_of_terms({
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
STATES["pp_plus"] = table_of_terms({
    "waiting": ("Waiting for a decision", "Asked for; the Virtual School has not decided yet"),
    "questioned": ("Question asked", "The Virtual School asked a question; it waits for the answer"),
    "approved": ("Approved", "Approved in full"),
    "part_approved": ("Partly approved", "Approved for less than was asked"),
    "rejected": ("Not approved", "The Virtual School did not approve it"),
})
NO_STATE = Term("Not started", "Nothing recorded yet")

ROLES = table_of_terms({
    "vsh": ("Virtual School Head", "Leads the Virtual School; decides on escalations and school approvals"),
    "vs_admin": ("Virtual School admin", "Tracks PEPs, quality-assures them, sees email problems"),
    "vs_officer": ("Virtual School officer", "Works with schools and social workers on a child's education"),
    "social_worker": ("Social worker", "The child's allocated social worker"),
    "team_manager": ("Team manager", "Manages a team of social workers"),
    "designated_teacher": ("Designated teacher", "The school's designated teacher for looked-after children"),
    "head_teacher": ("Head teacher", "The head teacher of the child's school"),
    "iro": ("IRO", "The child's independent reviewing officer"),
    "read_only": ("Read only", "May see pages but not record events"),
    "school_colleague": ("School colleague", "Fills in a designated teacher's PEP sections for the pupils they were given"),
    "finance": ("Finance officer", "Pays the Pupil Premium Plus the Virtual School approved"),
    "carer": ("Carer", "The child's carer"),
    "admission_authority": ("Admission authority", "The body that decides admissions to the school"),
    "governors": ("Governing board", "The school's governing board"),
    "local_authority": ("Local authority", "The council"),
    "school": ("School", "The child's school"),
})

UNITS = table_of_terms({
    "school": ("school days", "Days the child's school is open"),
    "working": ("working days", "Monday to Friday, except bank holidays in England"),
    "calendar": ("calendar days", "Every day, weekends and holidays included"),
    "weeks": ("weeks", "Calendar weeks"),
    "months": ("months", "Calendar months"),
    "terms": ("terms", "School terms"),
})

OUTCOMES = table_of_terms({
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

PARAMETERS = table_of_terms({
    "school_urn": ("School", "The school's unique reference number"),
    "excluded_from": ("Excluded from", "The school that permanently excluded the child"),
    "vsh_decision": ("Virtual School Head's reasons", "Why the school is agreed, and the evidence"),
    "ks4_reason": ("Why a move in Key Stage 4 is necessary", ""),
    "nominated_officer": ("Nominated officer who approved", "The Virtual School Head or a team manager"),
    "pp_plus": ("Pupil Premium Plus", ""),
    "allowance": ("Termly allowance", ""),
    "for_vsh": ("For the Virtual School Head because", ""),
    "financial_year": ("Financial year", ""),
    "approved": ("Approved", ""),
    "asked": ("Asked for", ""),
    "request": ("Request", "The subject access request's number"),
    "requester": ("Who asked", ""),
    "relationship": ("Their relationship to the child", ""),
    "identity_checked": ("How their identity was checked", ""),
    "authority_checked": ("How their authority was checked", ""),
    "months": ("Months more", ""),
    "line": ("Line", "The number of a Pupil Premium Plus line (shown on the PP+ page)"),
    "target": ("Target", "The number of the target in the PEP's targets (1 for the first)"),
    "hours": ("Hours", ""),
    "rate": ("Rate an hour", "Pounds and pence"),
    "cost": ("Fixed cost", "Pounds and pence, where it is not hours at a rate"),
    "exit_plan": ("Exit plan", "What happens when the funding ends"),
    "how_often": ("How often", ""),
    "provider": ("Who provides it", ""),
    "social_worker_ref": ("New social worker", ""),
    "carer_ref": ("New carer", ""),
    "la": ("Local authority", ""),
    "in_area": ("In the local authority's area", ""),
    "irp": ("Independent review panel", ""),
    "pex": ("Permanent exclusion", ""),
    "ptt": ("Part-time timetable", ""),
    "upn": ("UPN", "Unique pupil number"),
    "dob": ("Date of birth", ""),
    "sen_status": ("SEN status", ""),
    "on": ("Date it happened", ""),
    "contacted_on": ("Date of the contact", ""),
    "with_whom": ("Who was contacted", "A name and their role, for example 'Sam Carer (foster carer)'"),
    "how": ("How", ""),
    "said": ("What was said", ""),
})

# Values kept as codes that people read: a choice's option, a reason, a band.
VALUES = table_of_terms({
    "care_order": "care order", "interim_care_order": "interim care order", "section_20": "section 20",
    "placement_order": "placement order", "not_willing": "not willing", "requires_improvement": "requires "
    "improvement", "care_placement_moved": "care placement moved", "needs_approval": "needs approval",
    "key_stage_4_move": "a move in Key Stage 4", "persistently_absent": "persistently absent",
    "severely_absent": "severely absent", "ehcp": "EHC plan", "sen_support": "SEN support", "s20": "section 20",
    "foster_la": "foster care (council's own)", "foster_private": "foster care (agency)", "kinship": "kinship care",
    "residential": "residential", "outstanding": "outstanding", "inadequate": "inadequate", "good": "good",
    "none": "none", "not recorded": "not recorded", "no school": "no school", "unknown": "not rated",
    "ehcp_needs": "needs in an EHCP", "the_child": "the child", "representative": "a representative", "allowance": "termly allowance", "partly_met": "partly met",
    "not_met": "not met", "school_age": "Reception to Year 11", "early_years": "early years", "post_16": "post-16",
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


def role_with_article(role: str) -> str:
    """A role in words with its article, for a sentence: "a social worker", "the Virtual School Head"."""
    if role == "vsh":
        return "the Virtual School Head"
    words = role_in_sentence(role)
    return ("an " if words[:1].lower() in "aeiou" else "a ") + words


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
