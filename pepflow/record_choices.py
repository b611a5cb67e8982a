"""The values a field of a record may take: a school's type, status and Ofsted grade, a child's
SEN status, legal status and placement type.  The CSV import checks against them, the
processes and the SSDA903 import record them (``rules/ssda903_codes.py`` maps each SSDA903
code to one of these)."""

from __future__ import annotations

SCHOOL_TYPES = ("maintained", "academy", "free", "special", "independent", "pru", "ap", "further_education", "other")
SCHOOL_STATUSES = ("open", "closed", "proposed_to_close", "proposed_to_open")
OFSTED = ("outstanding", "good", "requires_improvement", "inadequate", "none")
SEN = ("none", "sen_support", "ehcp")
# pepflow's legal statuses and placement types hold every SSDA903 code (rules/ssda903_codes.py)
LEGAL = ("care_order", "interim_care_order", "s20", "remand", "placement_order", "freeing_order",
         "short_breaks", "police_protection", "emergency_protection_order", "child_assessment_order",
         "pace_detention", "youth_rehabilitation_order", "other")
PLACEMENT_TYPES = ("", "foster_la", "foster_private", "kinship", "placed_for_adoption", "placed_with_parents",
                   "residential", "secure", "supported_accommodation", "semi_independent", "independent_living",
                   "residential_employment", "residential_school", "health_care", "family_centre",
                   "young_offender_institution", "temporary", "other")
