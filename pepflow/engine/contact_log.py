"""A contact log on each child: a person notes who they contacted, how, when and what was said.

The note is a row (``contact_note``, what the case page lists and the records issue will export)
and a row of the child's history (``contact_noted``), written in the same transaction.  A bad
value is refused naming the field, with nothing written."""

from __future__ import annotations

import datetime as dt

from pepflow.audit import audit
from pepflow.db.models import Child, ContactNote
from pepflow.db.unit import UnitOfWork
from pepflow.errors import InputError
from pepflow.values import Choice, date_value, free_text, text

HOW = ("phone", "email", "meeting", "visit", "letter", "other")
_how = Choice(HOW)


def note_contact(session: UnitOfWork, child: Child, today: dt.date, now: dt.datetime, actor: str,
                 contacted_on: str, with_whom: str, how: str, said: str) -> ContactNote:
    """Note a contact about ``child``; raises ``InputError`` naming the first bad field."""
    values = {}
    for field, parse, raw in (("contacted_on", date_value, contacted_on), ("with_whom", text, with_whom),
                              ("how", _how, how), ("said", free_text, said)):
        try:
            values[field] = parse(raw)
        except ValueError as exc:
            raise InputError(field, raw, str(exc)) from None
    if values["contacted_on"] > today:
        raise InputError("contacted_on", contacted_on, f"is in the future (today is {today:%d %b %Y})")
    note = ContactNote(child_ref=child.ref, noted_by=actor, noted_at=now, **values)
    session.add(note)
    audit(session, child.ref, "contact", "contact_noted", values["contacted_on"],
          {"with_whom": values["with_whom"], "how": values["how"], "said": values["said"]}, actor=actor)
    return note
