"""The council's general settings (``pepflow.toml``).  Pupil Premium Plus is its own file
(``pp_plus.toml``, ``config/pp_plus.py``)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pepflow.role_table import ACCOUNT_ROLES

STRICT = ConfigDict(frozen=True, extra="forbid", strict=True)


class OidcSettings(BaseModel):
    """Signing in with the council's accounts (pepflow/accounts/oidc_tokens.py): ``[settings.oidc]``."""

    model_config = STRICT

    # the provider's issuer identifier: discovery is read from ISSUER/.well-known/openid-configuration
    issuer: str = Field(..., pattern=r"^(https://[^\s]+|http://(127\.0\.0\.1|localhost)(:\d+)?(/[^\s]*)?)$")
    client_id: str = Field(..., min_length=1, max_length=200)
    button: str = Field("Sign in with your council account", min_length=1, max_length=100)
    scopes: str = "openid email profile"
    email_claim: str = "email"
    # the claim listing the person's groups (Entra ID: "groups", object ids) or roles
    role_claim: str = "groups"
    # claim value -> pepflow role, most trusted first
    roles: dict[str, str] = Field(default_factory=dict)
    # the claim holding the person's reference in pepflow's people list (a social worker's caseload)
    person_claim: str = ""
    # make the pepflow account at a first sign-in (only ever for a mapped role)
    create_accounts: bool = False

    @model_validator(mode="after")
    def _known_roles(self) -> "OidcSettings":
        for value, role in self.roles.items():
            if role not in ACCOUNT_ROLES:
                raise ValueError(f"roles: {value!r} maps to {role!r}, which is not a role "
                                 f"(one of {', '.join(ACCOUNT_ROLES)})")
        return self


class Settings(BaseModel):
    model_config = STRICT

    authority_name: str = Field("Example Council", min_length=1, max_length=200)
    default_calendar: str = Field("default", min_length=1)
    base_url: str = Field("http://127.0.0.1:8000", pattern=r"^https?://[^\s]+$")
    # The council's own local authority name as schools record it (the "la" column):
    # a school elsewhere is out of area.
    home_la: str = "Example"
    # Children's Wellbeing and Schools Act 2026 ss.61-62: from this date the LA may direct an
    # academy to admit, instead of asking the Secretary of State.  None: not yet commenced.
    academy_directions_from: Optional[dt.date] = None
    # The day pepflow went live (pepflow/engine/go_live.py): what a first import says happened before it is
    # recorded as the record's facts, not as events that open tasks.  Default: the first import's day.
    go_live: Optional[dt.date] = None
    # true: deadlines already past at go-live are reminded and escalated like any other (by default
    # the sweep passes them over, and the history says why)
    escalate_before_go_live: bool = False
    # Best practice for looked-after children: full-time provision from the 1st day of a
    # suspension (timescale suspension_provision_best_practice) instead of the 6th.
    provision_from_first_day: bool = False
    # Attendance bands, percent of sessions attended (003; DfE Working together to improve
    # school attendance, 2024): good at or above, persistent absence at or below, severe at or below.
    attendance_good: float = Field(95.0, ge=0, le=100)
    attendance_persistent: float = Field(90.0, ge=0, le=100)
    attendance_severe: float = Field(50.0, ge=0, le=100)
    # The national figures the annual report sets the cohort's attendance beside (the council enters
    # them from the DfE's "Pupil absence in schools in England" for the year; none by default).
    attendance_national_percent: float | None = Field(None, ge=0, le=100)
    attendance_national_persistent_percent: float | None = Field(None, ge=0, le=100)
    attendance_national_source: str = Field("", max_length=300)
    # Web pages: a signed-in browser is signed out after this many minutes without a request.
    session_idle_minutes: int = Field(30, ge=1, le=24 * 60)
    # ... and after this many hours from signing in, however busy (NCSC: re-authenticate daily).
    session_lifetime_hours: int = Field(12, ge=1, le=7 * 24)
    # Sign-in throttling (pepflow/accounts/throttle.py; OWASP Authentication Cheat Sheet): after this many
    # wrong passwords for one email address, or from one client address, each further try waits
    # twice as long as the one before, from the first wait up to the longest.  Failures are
    # forgotten after the quiet hours.  The owner, on a browser that has signed in to the account
    # before, is not held up by someone else's guesses.
    sign_in_free_failures: int = Field(5, ge=1, le=100)
    sign_in_free_failures_per_address: int = Field(30, ge=1, le=10_000)
    sign_in_first_wait_seconds: int = Field(2, ge=1, le=600)
    sign_in_longest_wait_minutes: int = Field(15, ge=1, le=24 * 60)
    sign_in_forget_after_hours: int = Field(24, ge=1, le=24 * 30)
    # Calendar runway (pepflow's own check): term dates must cover every open deadline and this
    # many days ahead, else VS admin is told to add the next school year's dates.
    calendar_runway_days: int = Field(90, ge=0, le=730)
    # SSDA903 import: children whose latest episode is a series of short breaks (legal status V3
    # or V4) are not looked after in the sense of the PEP duties, and are left out unless this is on.
    ssda903_short_breaks: bool = False
    # An imported child whose record lacks what pepflow needs ("record incomplete", for VS admin) is
    # due this many working days after the import: time to ask the social worker, not due at once
    # (a first import made every such item due on the day, issue 35).  pepflow's own choice.
    record_incomplete_working_days: int = Field(10, ge=0, le=60)
    # A folder the social-care system collects approved PEPs' PDFs from ("" for none): each PDF is
    # written there as CHILDREF-PEPID.pdf when it is made (service/pep_pdf.py).
    pep_pdf_folder: str = ""
    # The largest document that may be uploaded to a PEP section, in megabytes.
    upload_max_mb: int = Field(10, ge=1, le=100)
    # Sign-in with the council's own accounts (OpenID Connect); None: local accounts only.
    oidc: Optional[OidcSettings] = None

    @field_validator("academy_directions_from", mode="before")
    @classmethod
    def _blank_is_not_commenced(cls, value: Any) -> Any:
        return None if value == "" else value

    @model_validator(mode="after")
    def _bands_in_order(self) -> "Settings":
        if not self.attendance_good > self.attendance_persistent > self.attendance_severe:
            raise ValueError(f"the attendance bands must fall in order: attendance_good ({self.attendance_good}) "
                             f"above attendance_persistent ({self.attendance_persistent}) above "
                             f"attendance_severe ({self.attendance_severe})")
        return self


