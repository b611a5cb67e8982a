"""The local authority's route when a school refuses a looked-after child: consult the admission
authority, direct it, the Schools Adjudicator; or, for an academy before directions commence,
ask the Secretary of State (DOMAIN.md; School Admissions Code 2021 §§3.16-3.22)."""

from __future__ import annotations

import datetime as dt

from pepflow.calendars import format_day
from pepflow.engine.deadlines import close_open, open_deadline
from pepflow.engine.events import EventContext, Outcome
from pepflow.errors import InputError
from pepflow.states.admission_findings import excluded_from
from pepflow.states.admission_machine import direction_route, fire, require, school_of


def on_consultation_started(ctx: EventContext) -> Outcome:
    admission = require(ctx)
    if direction_route(ctx, school_of(ctx, admission.school_urn)) != "direction":
        raise InputError("event", ctx.event, "the school is an academy and academy directions have not "
                         "commenced: use sos_request_made (ask the Secretary of State)")
    outcome = fire(ctx, admission)
    admission.route, admission.consultation_started_on = "direction", ctx.on
    d = open_deadline(ctx.session, ctx.config, ctx.child, "direction_consultation", ctx.on, "admission", admission.id)
    outcome.messages.append(f"The admission authority has until {format_day(d.due_on)} to answer; "
                            "no direction before then unless it answers.")
    return outcome


def on_consultation_answered(ctx: EventContext) -> Outcome:
    admission = require(ctx)
    outcome = fire(ctx, admission)
    admission.consultation_answer = ctx.params["answer"]
    close_open(ctx.session, ctx.config, ctx.child, ["direction_consultation"], ctx.on, process="admission")
    outcome.messages.append("Willing: record place_offered." if ctx.params["answer"] == "willing"
                            else "Not willing: the LA may now issue the direction.")
    return outcome


def on_direction_issued(ctx: EventContext) -> Outcome:
    admission = require(ctx)
    rule = ctx.config.timescales.rule("direction_consultation", admission.consultation_started_on)
    window_ends = admission.consultation_started_on + dt.timedelta(days=rule.number)
    if not admission.consultation_answer and ctx.on <= window_ends:
        raise InputError("on", format_day(ctx.on), (
            f"a direction may not be issued until the consultation window ends on {format_day(window_ends)} "
            f"({rule.number} calendar days), unless the admission authority answers first"))
    outcome = fire(ctx, admission)
    admission.direction_issued_on = ctx.on
    close_open(ctx.session, ctx.config, ctx.child, ["direction_consultation"], ctx.on, process="admission")
    d = open_deadline(ctx.session, ctx.config, ctx.child, "adjudicator_referral", ctx.on, "admission", admission.id)
    admission.referral_window_ends = d.due_on
    outcome.messages.append(f"The school may refer to the Schools Adjudicator until {format_day(d.due_on)}; "
                            "after that the direction stands and it must admit.")
    return outcome


def on_adjudicator_referred(ctx: EventContext) -> Outcome:
    admission = require(ctx)
    if admission.referral_window_ends and ctx.on > admission.referral_window_ends:
        raise InputError("on", format_day(ctx.on), f"the referral window ended on "
                         f"{format_day(admission.referral_window_ends)}: the direction stands")
    close_open(ctx.session, ctx.config, ctx.child, ["adjudicator_referral"], ctx.on, process="admission")
    return fire(ctx, admission)


def on_adjudicator_upheld(ctx: EventContext) -> Outcome:
    return fire(ctx, require(ctx))


def on_adjudicator_named_other(ctx: EventContext) -> Outcome:
    admission = require(ctx)
    school = school_of(ctx, ctx.params["school_urn"])
    if school.urn in excluded_from(ctx.session, ctx.child.ref):
        raise InputError("school_urn", school.urn, f"the child was permanently excluded from {school.name}: "
                         "the Adjudicator may not name it [002 Virtual School Handbook, Appendix 9]")
    outcome = fire(ctx, admission)
    admission.school_urn = school.urn
    return outcome


def on_sos_request_made(ctx: EventContext) -> Outcome:
    admission = require(ctx)
    if direction_route(ctx, school_of(ctx, admission.school_urn)) == "direction":
        raise InputError("event", ctx.event, "this school can be directed by the LA: use "
                         "direction_consultation_started")
    admission.route = "secretary_of_state"
    return fire(ctx, admission)
