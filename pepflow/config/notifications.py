"""Reminders, escalations and email delivery (``notifications.toml``)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from pepflow.values import EMAIL
from pepflow.config.settings import STRICT

RECIPIENTS = ("owner", "manager", "vsh", "vs_admin")
# Deadline kinds no timescale governs: items for someone to act on (``deadlines.open_flag``).
FLAG_KINDS = frozenset({
    "record_incomplete", "no_education_arranged", "placement_approval", "notify_destination_vs",
    "vs_placement_view", "out_of_area_education", "attendance_reports", "no_pre_exclusion_meeting",
    "suspension_reported_late", "attendance_stage_1", "school_closed",
    "attendance_no_reason", "attendance_sent_home", "attendance_part_time",
    *(f"attendance_stage_{stage}_review" for stage in (1, 2, 3)),
})
# Events whose recording tells people at once (``[notices.<event>]``), and who may be told.
NOTICE_EVENTS = frozenset({"suspension_started", "permanently_excluded"})
NOTICE_RECIPIENTS = ("vsh", "social_worker", "vs_admin", "iro", "designated_teacher")
MAX_WORKING_DAYS = 60  # a reminder or escalation a quarter of a year away is a typing mistake


def _tuple(value: Any) -> Any:
    """A TOML array as the tuple a frozen policy holds (anything else is left to be refused)."""
    return tuple(value) if isinstance(value, list) else value


def _one_or_many(cls: Any, value: Any) -> Any:
    """``to = "vsh"`` as ``to = ["vsh"]`` (a validator of the recipients' field)."""
    return (value,) if isinstance(value, str) else _tuple(value)


class Escalation(BaseModel):
    model_config = STRICT

    after: int = Field(ge=1, le=MAX_WORKING_DAYS)  # working days overdue
    to: tuple[Literal[RECIPIENTS], ...] = Field(min_length=1)  # type: ignore[valid-type]

    _to = field_validator("to", mode="before")(_one_or_many)


class KindPolicy(BaseModel):
    model_config = STRICT

    reminders: tuple[int, ...] = ()  # working days before due, latest last
    escalations: tuple[Escalation, ...] = ()

    @field_validator("reminders", "escalations", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _tuple(value)

    @field_validator("reminders")
    @classmethod
    def _reminders(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(isinstance(r, bool) or not 0 <= r <= MAX_WORKING_DAYS for r in value):
            raise ValueError(f"reminders are whole working days from 0 to {MAX_WORKING_DAYS}")
        return tuple(sorted(set(value), reverse=True))

    @field_validator("escalations")
    @classmethod
    def _escalations(cls, value: tuple[Escalation, ...]) -> tuple[Escalation, ...]:
        return tuple(sorted(value, key=lambda e: e.after))


class Notice(BaseModel):
    """Who is told at once when an event is recorded (``[notices.<event>]``)."""

    model_config = STRICT

    to: tuple[Literal[NOTICE_RECIPIENTS], ...] = Field(min_length=1)  # type: ignore[valid-type]

    _to = field_validator("to", mode="before")(_one_or_many)


class Delivery(BaseModel):
    model_config = STRICT

    digest: bool = True
    immediate_kinds: tuple[str, ...] = ()
    # the child's name beside the case reference: the recipients are the child's own social worker,
    # DT, their managers and the Virtual School, who may all see it (issue 38); false for a council
    # whose email leaves its secure network, so an email carries the reference only
    include_child_name: bool = True
    retry_after_seconds: int = Field(60, ge=1, le=24 * 3600)  # first retry; doubles each time
    retry_max_seconds: int = Field(900, ge=1, le=24 * 3600)  # the longest wait between tries
    give_up_after_hours: int = Field(72, ge=1, le=30 * 24)  # then the email is failed, for VS admin
    relay_alert_after_minutes: int = Field(60, ge=1, le=7 * 24 * 60)  # relay down this long: VS admin told
    lease_seconds: int = Field(300, ge=60, le=3600)  # a dispatcher's claim, renewed while it sends
    from_address: str = "pepflow@example.org"
    folder: str = Field("outbox", min_length=1)
    sweep_time: str = "07:00"
    dispatch_every_seconds: int = Field(60, ge=1, le=24 * 3600)

    @field_validator("immediate_kinds", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        return _tuple(value)

    @model_validator(mode="before")
    @classmethod
    def _no_attempt_count(cls, value: Any) -> Any:
        if isinstance(value, dict) and "max_attempts" in value:
            raise ValueError("max_attempts is no longer used: pepflow gives up on an email by time, "
                             "not by a count of attempts; set give_up_after_hours instead (default 72)")
        return value

    @property
    def sweep_clock(self) -> dt.time:
        """``sweep_time`` as a time of day (Europe/London)."""
        hour, minute = (int(x) for x in self.sweep_time.split(":"))
        return dt.time(hour, minute)

    @model_validator(mode="after")
    def _retries_fit(self) -> "Delivery":
        if self.retry_max_seconds < self.retry_after_seconds:
            raise ValueError("retry_max_seconds must be at least retry_after_seconds")
        return self

    @field_validator("from_address")
    @classmethod
    def _an_address(cls, value: str) -> str:
        if not EMAIL.match(value):
            raise ValueError("is not an email address")
        return value

    @field_validator("sweep_time")
    @classmethod
    def _a_time(cls, value: str) -> str:
        try:
            hour, minute = (int(x) for x in value.split(":"))
            dt.time(hour, minute)
        except (ValueError, TypeError):
            raise ValueError("is not a time written HH:MM") from None
        return value


class NotificationPolicy(BaseModel):
    model_config = STRICT

    delivery: Delivery = Field(default_factory=Delivery)
    kinds: dict[str, KindPolicy]
    notices: dict[str, Notice] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _has_a_default(self) -> "NotificationPolicy":
        if "default" not in self.kinds:
            raise ValueError("a default policy is required ([policy.default])")
        return self

    def for_kind(self, kind: str) -> KindPolicy:
        return self.kinds.get(kind) or self.kinds["default"]
