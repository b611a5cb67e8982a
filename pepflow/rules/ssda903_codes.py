"""The codes of the DfE's SSDA903 "children looked after" return, and what each means in pepflow.

Each table maps a code to ``(pepflow's value, the code's meaning)``.  The codes are those of
the DfE's *Children looked after return: guide* and its validation rules for 2025-26 (legal
status rule 144, placement type 146, placement provider 178, reason for new episode 143,
reason episode ceased 149, reason for placement change 1009, review participation 167,
social worker change SW13, unknown UPN 168).  Codes that no longer start new episodes (D1,
H5, P2, Z1) are kept because an episode from an earlier year may carry them.  A code not in
its table is a problem for that child (``care_periods.check_codes``).  The README's mapping
table lists every row of these tables (tests/test_ssda903.py checks it), so the two agree.
"""

from __future__ import annotations

LEGAL_STATUS: dict[str, tuple[str, str]] = {
    "C1": ("interim_care_order", "Interim care order"),
    "C2": ("care_order", "Full care order"),
    "D1": ("freeing_order", "Freeing order granted (before 30 December 2005)"),
    "E1": ("placement_order", "Placement order granted"),
    "V2": ("s20", "Single period of accommodation under section 20 (Children Act 1989)"),
    "V3": ("short_breaks", "Accommodated under an agreed series of short-term breaks, individual episodes recorded"),
    "V4": ("short_breaks", "Accommodated under an agreed series of short-term breaks, agreements recorded"),
    "J1": ("remand", "Remanded to local authority accommodation or to youth detention accommodation"),
    "J2": ("pace_detention", "Placed in local authority accommodation under the Police and Criminal Evidence "
                             "Act 1984, including secure accommodation"),
    "J3": ("youth_rehabilitation_order", "Sentenced to a youth rehabilitation order with a residence or "
                                         "intensive fostering requirement"),
    "L1": ("police_protection", "Under police protection and in local authority accommodation"),
    "L2": ("emergency_protection_order", "Emergency protection order"),
    "L3": ("child_assessment_order", "Under a child assessment order and in local authority accommodation"),
}
SHORT_BREAKS = frozenset({"V3", "V4"})

PLACEMENT: dict[str, tuple[str, str]] = {
    "A3": ("placed_for_adoption", "Placed for adoption with consent, with current foster carer(s)"),
    "A4": ("placed_for_adoption", "Placed for adoption with consent, not with current foster carer(s)"),
    "A5": ("placed_for_adoption", "Placed for adoption with a placement order, with current foster carer(s)"),
    "A6": ("placed_for_adoption", "Placed for adoption with a placement order, not with current foster carer(s)"),
    "H5": ("semi_independent", "Semi-independent living accommodation (before 2025; now K3)"),
    "K1": ("secure", "Secure children's home"),
    "K2": ("residential", "Children's home subject to Children's Homes Regulations"),
    "K3": ("supported_accommodation", "Supported accommodation (from 2025-26)"),
    "P1": ("placed_with_parents", "Placed with own parent(s) or other person(s) with parental responsibility"),
    "P2": ("independent_living", "Independent living, e.g. a flat, lodgings, bedsit or B&B (before 2025)"),
    "P3": ("residential_employment", "Residential employment"),
    "R1": ("residential", "Residential care home"),
    "R2": ("health_care", "NHS or health trust or other establishment providing medical or nursing care"),
    "R3": ("family_centre", "Family centre or mother and baby unit"),
    "R5": ("young_offender_institution", "Young offender institution"),
    "S1": ("residential_school", "Residential school, except where dual-registered as a children's home"),
    "T0": ("temporary", "Temporary move of any kind"),
    "T1": ("temporary", "Temporary period in hospital"),
    "T2": ("temporary", "Temporary absence of the child on holiday"),
    "T3": ("temporary", "Temporary accommodation while the usual foster carer(s) are on holiday"),
    "T4": ("temporary", "Temporary accommodation of seven days or less, for any other reason"),
    "U1": ("kinship", "Foster placement with relative(s) or friend(s), long-term fostering"),
    "U2": ("kinship", "Foster placement with relative(s) or friend(s) who are approved adopters (FFA or "
                      "concurrent planning)"),
    "U3": ("kinship", "Foster placement with relative(s) or friend(s), not long-term, FFA or concurrent"),
    # U4-U6 are foster carers who are not family or friends: the provider says whose
    "U4": ("foster", "Foster placement with other foster carer(s), long-term fostering"),
    "U5": ("foster", "Foster placement with other foster carer(s) who are approved adopters (FFA or "
                     "concurrent planning)"),
    "U6": ("foster", "Foster placement with other foster carer(s), not long-term, FFA or concurrent"),
    "Z1": ("other", "Other placement (before 2025-26)"),
    "Z11": ("other", "Other placement: code Z11 of the 2025-26 guide"),
    "Z12": ("other", "Other placement: code Z12 of the 2025-26 guide"),
    "Z13": ("other", "Other placement: code Z13 of the 2025-26 guide"),
    "Z14": ("other", "Other placement: code Z14 of the 2025-26 guide"),
}

PROVIDER: dict[str, tuple[str, str]] = {
    "PR0": ("parents", "Parent(s) or other person(s) with parental responsibility"),
    "PR1": ("own_la", "Own provision (by the local authority)"),
    "PR2": ("other_la", "Other local authority provision"),
    "PR3": ("other_public", "Other public provision (e.g. a health trust)"),
    "PR4": ("private", "Private provision"),
    "PR5": ("voluntary", "Voluntary or third sector provision"),
}
# A foster placement (U4-U6) is the council's own fostering when a local authority or other
# public body provides it, and independent fostering when a private or voluntary agency does.
FOSTER_BY_PROVIDER = {"PR1": "foster_la", "PR2": "foster_la", "PR3": "foster_la",
                      "PR4": "foster_private", "PR5": "foster_private"}

NEW_EPISODE: dict[str, tuple[str, str]] = {
    "S": ("started", "Started to be looked after"),
    "L": ("legal_status", "Change of legal status only"),
    "P": ("placement_and_carer", "Change of placement and carer(s) only"),
    "T": ("placement", "Change of placement only (same carer(s))"),
    "U": ("legal_status_and_placement", "Change of legal status and of placement (same carer(s)) at the same time"),
    "B": ("legal_status_placement_and_carer", "Change of legal status and of placement and carer(s) at the "
                                              "same time"),
}

EPISODE_CEASED: dict[str, tuple[str, str]] = {
    "X1": ("continues", "Episode ceases and a new episode begins on the same day"),
    "E11": ("adopted", "Adopted: application for an adoption order unopposed"),
    "E12": ("adopted", "Adopted: consent dispensed with by the court"),
    "E2": ("died", "Died"),
    "E3": ("other_la", "Care taken over by another local authority in the UK"),
    "E4A": ("returned_home", "Returned home to live with parent(s), relative(s) or other person(s) with parental "
                             "responsibility, as part of the care planning process"),
    "E4B": ("returned_home", "Returned home to live with parent(s), relative(s) or other person(s) with parental "
                             "responsibility, not as part of the care planning process"),
    "E13": ("left_to_live_with_family", "Left care to live with parent(s), relative(s) or other person(s) with "
                                        "no parental responsibility"),
    "E41": ("child_arrangements_order", "Residence order or child arrangements order granted"),
    "E45": ("special_guardianship_order", "Special guardianship order made to former foster carer(s)"),
    "E46": ("special_guardianship_order", "Special guardianship order made to carer(s) other than former "
                                          "foster carer(s)"),
    "E47": ("special_guardianship_order", "Special guardianship order made to former foster carer(s) who were "
                                          "relatives or friends"),
    "E48": ("special_guardianship_order", "Special guardianship order made to carer(s) who were relatives or "
                                          "friends, other than former foster carer(s)"),
    "E5": ("independent_living", "Moved into independent living, with formalised advice or support"),
    "E6": ("independent_living", "Moved into independent living, without formalised advice or support"),
    "E7": ("adult_social_care", "Transferred to residential care funded by adult social care services"),
    "E8": ("other", "Period of being looked after ceased for any other reason"),
    "E9": ("custody", "Sentenced to custody"),
    "E14": ("remand_ended", "Accommodation on remand ended"),
    "E15": ("age_assessed_adult", "Age assessment determined the child is aged 18 or over"),
    "E16": ("moved_abroad", "Child moved abroad"),
    "E17": ("staying_put", "Aged 18 or over and remained with current carers (including staying put)"),
}
CONTINUES = "X1"
# Leaving care by adoption, a special guardianship order or a child arrangements order makes a
# child "previously looked after": the Virtual School still advises on their education
# (Children and Social Work Act 2017 s.4).
PREVIOUSLY_LOOKED_AFTER = frozenset({"adopted", "special_guardianship_order", "child_arrangements_order"})

PLACEMENT_CHANGE: dict[str, tuple[str, str]] = {
    "CARPL": ("care_plan", "Change to or implementation of the care plan"),
    "CLOSE": ("provision_closed", "Resignation or closure of provision"),
    "ALLEG": ("allegation", "Allegation (s.47)"),
    "STAND": ("standards_of_care", "Standards of care concern"),
    "APPRR": ("approval_removed", "Approval removed"),
    "CREQB": ("carer_request_behaviour", "Carer(s) requested the placement end because of the child's behaviour"),
    "CREQO": ("carer_request_other", "Carer(s) requested the placement end, for another reason"),
    "CHILD": ("child_request", "The child requested the placement end"),
    "LAREQ": ("authority_request", "The responsible or area authority requested the placement end"),
    "PLACE": ("status_change", "Change in the status of the placement only"),
    "CUSTOD": ("custody", "Custody arrangement"),
    "OTHER": ("other", "Other"),
}

REVIEW_PARTICIPATION: dict[str, tuple[str, str]] = {
    "PN0": ("under_four", "Child aged under 4 at the time of the review"),
    "PN1": ("attends_speaks", "Child attends and speaks for themselves"),
    "PN2": ("attends_advocate", "Child attends, and an advocate speaks for them"),
    "PN3": ("attends_symbols", "Child attends and conveys their views symbolically (non-verbally)"),
    "PN4": ("attends_silent", "Child attends but does not speak for themselves or convey their views"),
    "PN5": ("briefs_advocate", "Child does not attend, but briefs an advocate to speak for them"),
    "PN6": ("other_method", "Child does not attend, but conveys their views by another method"),
    "PN7": ("no_views", "Child does not attend nor convey their views"),
}

SOCIAL_WORKER_CHANGE = frozenset({"MANAGE", "FCONTA", "LEFTRL", "ORGRST", "TSPROC", "ABSENC", "CHCHAN",
                                  "PCCHAN", "SWDIED", "OTHERS"})

UPN_UNKNOWN: dict[str, str] = {
    "UN1": "the child is under 6 and not yet at school",
    "UN2": "the child has never attended a state-funded school in England",
    "UN3": "the child is educated outside England",
    "UN4": "the child is newly looked after and the UPN is not yet known",
    "UN5": "the sources of UPNs disagree about this child, so none could be matched reliably",
}

# the tables a child's codes are checked against: (field as the return names it, its table, what it is)
CODED_FIELDS = (
    ("LS", LEGAL_STATUS, "legal status"), ("PLACE", PLACEMENT, "placement type"),
    ("PLACE_PROVIDER", PROVIDER, "placement provider"), ("RNE", NEW_EPISODE, "reason for new episode"),
    ("REC", EPISODE_CEASED, "reason episode ceased"),
    ("REASON_PLACE_CHANGE", PLACEMENT_CHANGE, "reason for placement change"),
)


def placement_type(place: str, provider: str) -> str:
    """pepflow's placement type for an episode's placement code and provider."""
    value = PLACEMENT[place][0]
    if value == "foster":
        return FOSTER_BY_PROVIDER.get(provider, "foster_la")
    return value


def mapping_rows() -> list[tuple[str, str, str, str]]:
    """(what, code, pepflow's value, meaning) for every code, for the README and ``--codes``."""
    rows = []
    for _, table, what in CODED_FIELDS:
        for code, (value, meaning) in table.items():
            if table is PLACEMENT and value == "foster":
                value = "foster_la (provider PR1-PR3) or foster_private (PR4, PR5)"
            rows.append((what, code, value, meaning))
    rows += [("review participation", c, v, m) for c, (v, m) in REVIEW_PARTICIPATION.items()]
    rows += [("UPN not known", c, "UPN not known, with this reason", m) for c, m in UPN_UNKNOWN.items()]
    return rows
