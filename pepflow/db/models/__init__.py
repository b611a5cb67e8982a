"""The tables, one module per part of pepflow: the council's roll, the processes, the history,
email delivery and the web pages.  Import them from here (``from pepflow.db.models import Child``).

People, schools and children are keyed by the council's own references (URN for
schools).  ``deadline``, ``event`` and ``notification`` are generic: every state machine
writes to them, and the sweep, the reports and the web pages read them.
"""

from pepflow.db.models.base import Table, new_row
from pepflow.db.models.roll import School, Inspection, Person, Child, CarePlacement, EducationPlacement, HeldBackChild
from pepflow.db.models.processes import Deadline, DeadlineStep, Pep, Admission, AdmissionFinding, AdmissionDecision, ContactNote, PepSection, PepPdf, PepAttachment, PepDelegation, PermanentExclusionRecord, Exclusion, Suspension, AttendanceRecord
from pepflow.db.models.pp_plus import PpPlusLine, PpPlusPayment, PpPlusBatch
from pepflow.db.models.attendance_marks import AttendanceMark, AttendanceTotal, AttendanceImport, AttendanceAlert
from pepflow.db.models.records import SubjectAccessRequest, LegalHold
from pepflow.db.models.summaries import ChildSummary, ChildSummaryState
from pepflow.db.models.history_rows import Event, HistorySeal
from pepflow.db.models.delivery import Notification, SweepRun, RelayState
from pepflow.db.models.web import UserAccount, RecoveryCode, SiteSetting, WebSession, SignInThrottle, WebSecret, PasswordLink

__all__ = ["Table", "new_row", "School", "Inspection", "Person", "Child", "CarePlacement", "EducationPlacement", "HeldBackChild", "Deadline", "DeadlineStep", "Pep", "Admission", "AdmissionFinding", "AdmissionDecision", "ContactNote", "PepSection", "PepPdf", "PepAttachment", "PepDelegation", "PermanentExclusionRecord", "Exclusion", "Suspension", "AttendanceRecord", "PpPlusLine", "PpPlusPayment", "PpPlusBatch", "AttendanceMark", "AttendanceTotal", "AttendanceImport", "AttendanceAlert", "SubjectAccessRequest", "LegalHold", "ChildSummary", "ChildSummaryState", "Event", "HistorySeal", "Notification", "SweepRun", "RelayState", "UserAccount", "RecoveryCode", "SiteSetting", "WebSession", "SignInThrottle", "WebSecret", "PasswordLink"]
