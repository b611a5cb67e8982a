"""The words for every event and every kind of deadline: what people read on pages, in emails
and in reports for each code (``tests/test_vocabulary.py`` checks each has its words)."""

from __future__ import annotations

from pepflow.vocabulary.terms import table_of_terms

EVENTS = table_of_terms({
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
    "pp_plus_requested": ("Pupil Premium Plus asked for", "A line of Pupil Premium Plus asked for against a PEP target"),
    "pp_plus_approved": ("Pupil Premium Plus approved", "The Virtual School approved a line, in full or in part"),
    "pp_plus_rejected": ("Pupil Premium Plus not approved", "The Virtual School did not approve a line, with its reason"),
    "pp_plus_questioned": ("Question about Pupil Premium Plus", "The Virtual School asked a question about a line"),
    "pp_plus_answered": ("Pupil Premium Plus question answered", "The school answered the Virtual School's question"),
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
    "school_not_agreed": ("School not agreed", "The Virtual School Head did not agree to the proposed school"),
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
    "person_added": ("Person added", "A person was added, by an import or on the People page"),
    "person_changed": ("Person changed", "A person's details were changed, by an import or on the People page"),
    "caseload_moved": ("Caseload moved", "A social worker's children or a designated teacher's schools moved to "
                       "someone else"),
    "school_added": ("School added", "A school was added by an import"),
    "school_changed_details": ("School changed", "An import changed a school's details"),
    "inspection_added": ("Ofsted inspection added", "An Ofsted inspection was added"),
    "inspection_changed": ("Ofsted inspection changed", "An Ofsted judgement changed"),
    "notification_sent": ("Email sent", "An email was sent"),
    "email_sent": ("Email sent", "An email was sent, carrying one or more reminders"),
    "pep_section_saved": ("PEP section saved", "A section of the PEP was saved"),
    "pep_qa_recorded": ("PEP quality-assured", "The Virtual School graded the PEP section by section"),
    "contact_noted": ("Contact noted", "Someone noted a contact about the child: who, how and what was said"),
    "reminder_chased": ("Reminder sent now", "Someone asked for a reminder of a deadline to go to its owner now"),
    "notification_retry": ("Email to be tried again", "An email could not be sent and will be tried again"),
    "notification_failed": ("Email not delivered", "An email could not be delivered"),
    "notification_skipped": ("Email not written", "A reminder could not be written: nobody to send it to"),
    "email_retry_requested": ("Email retry requested", "VS admin asked for a failed email to be sent again"),
    "deadlines_changed": ("Deadlines recalculated", "Deadlines were worked out again after a change"),
    "case_viewed": ("Case viewed", "Someone looked at the child's record"),
    "pep_viewed": ("PEP viewed", "Someone looked at the child's PEP"),
    "pep_sections_delegated": ("PEP sections given to a colleague", "The designated teacher gave a colleague their "
                               "PEP sections for this pupil, until a day"),
    "pep_delegation_ended": ("Colleague's PEP sections ended", "The designated teacher ended a colleague's PEP sections"),
    "pep_document_added": ("Document added to the PEP", "A document was uploaded to a section of the PEP"),
    "pep_document_downloaded": ("PEP document downloaded", "Someone downloaded a document of the child's PEP"),
    "pep_pdf_downloaded": ("PEP PDF downloaded", "Someone downloaded the child's approved PEP as a PDF"),
    "record_form_viewed": ("Form opened", "Someone opened a form on the child's record"),
    "csv_downloaded": ("List downloaded", "Someone downloaded a list as CSV"),
    "attendance_marks_imported": ("Attendance marks imported", "A file of session marks from the register was imported"),
    "attendance_totals_imported": ("Attendance totals imported", "A file of attendance totals was imported"),
    "attendance_alert_raised": ("Attendance alert", "The register's marks raised an alert"),
    "attendance_viewed": ("Attendance looked at", "Someone looked at a child's attendance marks"),
    "subject_access_requested": ("Subject access request received", "Someone asked for the child's record"),
    "subject_access_extended": ("Subject access request extended", "More time to answer a subject access request, with the reason"),
    "subject_access_answered": ("Subject access request answered", "The child's record was sent to whoever asked for it"),
    "record_exported": ("Record exported", "The child's whole record was exported for a subject access request"),
    "records_purged": ("Records purged", "What passed its retention date was anonymised or removed (counts and rules, not the data)"),
    "legal_hold_placed": ("Legal hold placed", "Records kept from any purge while an inquiry or claim needs them"),
    "legal_hold_lifted": ("Legal hold lifted", "Records may be purged on their dates again"),
    "pp_plus_viewed": ("Pupil Premium Plus looked at", "Someone looked at a child's Pupil Premium Plus lines"),
    "pp_plus_payments_downloaded": ("Pupil Premium Plus payments downloaded", "Someone downloaded payments as CSV"),
    "pp_plus_batch_made": ("Payment batch made", "The Pupil Premium Plus payments due for a term were put in a batch for finance"),
    "pp_plus_batch_paid": ("Payment batch paid", "Finance paid a batch of Pupil Premium Plus, with their reference"),
    "out_of_scope": ("Look-up refused", "Someone looked for a child outside their caseload"),
    "sign_in": ("Signed in", "Someone signed in"),
    "sign_in_refused": ("Sign-in refused", "A sign-in was refused"),
    "sign_out": ("Signed out", "Someone signed out"),
    "sessions_ended": ("Sessions ended", "Someone signed out their other sessions"),
    "password_changed": ("Password changed", "Someone changed their password"),
    "password_change_refused": ("Password change refused", "A new password was refused"),
    "account_added": ("Account added", "A web account was added"),
    "password_set": ("Password set", "A web account's password was set"),
    "password_link_sent": ("Password link sent", "A one-use link to set a password was emailed"),
    "password_link_refused": ("Password link not sent", "A link was asked for an address with no account, or too "
                              "often"),
    "account_email_changed": ("Account's email changed", "A web account now signs in with a corrected address"),
    "account_ended": ("Account ended", "A web account was ended: it cannot sign in"),
    "second_factor_reset": ("Second factor taken away", "A web account's second factor was taken away"),
})

KINDS = table_of_terms({
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
    "subject_access": ("Subject access request", "A subject access request for the child's record is answered (one month)"),
    "pp_plus_decision": ("Pupil Premium Plus decision", "The Virtual School approves, rejects or questions a line asked for"),
    "pp_plus_vsh_decision": ("Pupil Premium Plus: the Virtual School Head's decision", "The Virtual School Head decides a line over an officer's limit or in a category they keep"),
    "pp_plus_reply": ("Answer about Pupil Premium Plus", "The school answers the Virtual School's question about a line"),
    "attendance_no_reason": ("Absent without a reason", "Absent without a reason for several sessions in a row: find out why"),
    "attendance_sent_home": ("Sent home with no suspension recorded", "Marked E (suspended or excluded, no provision) with no suspension recorded: the sign of an unlawful exclusion"),
    "attendance_part_time": ("Part-time with no timetable recorded", "Marked C2 (part-time timetable) with no part-time timetable recorded, or after it ended"),
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
