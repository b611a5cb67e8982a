"""Is a proposed school suitable for this child?  Each rule is a separate function that
returns findings (block, needs approval, notify) with its source, never a bare boolean.

Sources: 002 Virtual School Handbook §2c i, §2e, §2e ii and Appendix 9; 003 Essex guide
"Securing appropriate education"; (guidance) Care Planning, Placement and Case Review
(England) Regulations 2010 reg 10.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pepflow.rules.ofsted import INADEQUATE, NEEDS_DECISION, SOURCE, Judgement, concern

BLOCK, NEEDS_APPROVAL, NOTIFY = "block", "needs_approval", "notify"
KEY_STAGE_4 = (10, 11)  # reg 10 protects a Key Stage 4 pupil's school: Years 10 and 11, not the sixth form


@dataclass(frozen=True)
class Finding:
    level: str  # block, needs_approval, notify
    rule: str
    message: str
    source: str


@dataclass(frozen=True)
class Proposal:
    """What the rules look at: the school, the child, and what the user has recorded."""

    urn: str
    school_name: str
    school_la: str
    home_la: str
    year_group: int
    excluded_from: frozenset[str]
    currently_at: str | None = None
    exceptional_reason: str = ""
    vsh_decision: str = ""
    ks4_reason: str = ""
    nominated_officer: str = ""
    inspection: Judgement = field(default_factory=Judgement.none)  # the school's latest


def ofsted_inadequate(p: Proposal) -> list[Finding]:
    found = concern(p.inspection)
    if found is None or found.level != INADEQUATE:
        return []
    if p.exceptional_reason and p.vsh_decision:
        return []
    if p.exceptional_reason:
        return [Finding(NEEDS_APPROVAL, "ofsted_inadequate",
                        f"{p.school_name}: {found.why}; exceptional reasons recorded: "
                        f"{p.exceptional_reason!r}. The VSH must approve.", SOURCE)]
    return [Finding(BLOCK, "ofsted_inadequate",
                    f"{p.school_name}: {found.why}. Not suitable unless exceptional, evidence-based reasons "
                    "are recorded (exceptional reason)", SOURCE)]


def ofsted_requires_improvement(p: Proposal) -> list[Finding]:
    found = concern(p.inspection)
    if found is None or found.level != NEEDS_DECISION or p.vsh_decision:
        return []
    return [Finding(NEEDS_APPROVAL, "ofsted_requires_improvement",
                    f"{p.school_name}: {found.why}. The VSH's decision, with evidence, must be recorded "
                    "(VSH decision)", SOURCE)]


def previously_excluded(p: Proposal) -> list[Finding]:
    if p.urn not in p.excluded_from:
        return []
    return [Finding(BLOCK, "previously_excluded",
                    f"the child was permanently excluded from {p.school_name} ({p.urn}): it may not be "
                    "proposed, and the Adjudicator may not name it", "002 Virtual School Handbook, Appendix 9")]


def key_stage_4_move(p: Proposal) -> list[Finding]:
    if p.year_group not in KEY_STAGE_4 or p.currently_at in (None, p.urn):
        return []
    if p.ks4_reason and p.nominated_officer:
        return []
    return [Finding(NEEDS_APPROVAL, "key_stage_4_move",
                    f"a change of school in Year {p.year_group} needs a recorded reason why it is absolutely "
                    "necessary and a nominated officer's approval after consulting the DT and IRO",
                    "002 Virtual School Handbook §2e; (guidance) CPPCR 2010 reg 10")]


def age_range_misfit(low_age: int | None, high_age: int | None, year_group: int) -> str:
    """Why a school's statutory age range does not take a child of this year group ("" if it does,
    or the range is not known).  A child's age on 31 August is their year group + 4; a school for
    ages 11 to 16 takes a child who is 11 to 15 on that day (Year 7 to Year 11)."""
    if low_age is None or high_age is None or year_group < 0:
        return ""
    age = year_group + 4
    if low_age <= age < high_age:
        return ""
    group = "Reception" if year_group == 0 else f"Year {year_group}"
    return f"its pupils are aged {low_age} to {high_age}, and the child is in {group}"


def out_of_area(p: Proposal) -> list[Finding]:
    if not p.school_la or p.school_la == p.home_la:
        return []
    return [Finding(NOTIFY, "out_of_area",
                    f"{p.school_name} is in {p.school_la}: notify that authority's Virtual School",
                    "002 Virtual School Handbook §2e ii")]


# What settles each finding that needs approval: the proposal's settings that record the
# decision (who may set each is roles.DECISION_PARAMETERS).  The decision pages offer these.
SETTLED_BY: dict[str, tuple[str, ...]] = {
    "ofsted_requires_improvement": ("vsh_decision",),
    "ofsted_inadequate": ("vsh_decision",),
    "key_stage_4_move": ("ks4_reason", "nominated_officer"),
}
DECISION_SETTINGS = ("exceptional_reason", "vsh_decision", "ks4_reason", "nominated_officer")

RULES = (previously_excluded, ofsted_inadequate, ofsted_requires_improvement, key_stage_4_move, out_of_area)


def check(p: Proposal) -> list[Finding]:
    """Every finding for a proposal, blocks first."""
    findings = [f for rule in RULES for f in rule(p)]
    order = {BLOCK: 0, NEEDS_APPROVAL: 1, NOTIFY: 2}
    return sorted(findings, key=lambda f: order[f.level])
