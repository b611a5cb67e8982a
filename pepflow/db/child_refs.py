"""A child named by a person: their reference as it was typed, whatever its case ("c00066" is
C00066), found through the primary key; and, for one that names nobody, the references like it
("did you mean C00066?").  Every input that takes a child's reference (the pages, the command
line, imports of events) finds the child here."""

from __future__ import annotations

import difflib
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from pepflow.db.cases import by_key
from pepflow.db.models import Child
from pepflow.errors import NotFound


def child_by_ref(session: Session, text: str) -> Child | None:
    """The child whose reference is ``text`` in any case (three primary-key look-ups at most)."""
    text = (text or "").strip()
    if not text or " " in text or len(text) > 40:
        return None
    for candidate in dict.fromkeys((text, text.upper(), text.lower())):
        child = by_key(session, Child, candidate)
        if child is not None:
            return child
    return None


def near_child_refs(session: Session, text: str, scope: Any = None, n: int = 3) -> list[str]:
    """References like ``text`` among the children a condition allows (all, for None): a slip
    of the keyboard, a digit too few.  Read only among references with the same first letter."""
    text = (text or "").strip()
    if not text or " " in text or len(text) > 20:
        return []
    query = select(Child.ref).where(func.upper(Child.ref).like(f"{_escaped(text[:1].upper())}%", escape="\\"))
    if scope is not None:
        query = query.where(scope)
    by_upper = {r.upper(): r for r in session.execute(query.limit(5000)).scalars()}
    typed = text.upper()
    scored = []
    for candidate in by_upper:
        ratio = difflib.SequenceMatcher(None, typed, candidate).ratio()
        if ratio >= 0.75:  # the same letters and number with a zero too few or too many come first
            scored.append((_same_number(typed, candidate), ratio, -abs(len(candidate) - len(typed)), candidate))
    return [by_upper[c[-1]] for c in sorted(scored, reverse=True)[:n]]


def _same_number(a: str, b: str) -> bool:
    """ "C0066" and "C00066": the same letters before the same number."""
    def split(ref: str) -> tuple[str, int | None]:
        letters = ref.rstrip("0123456789")
        digits = ref[len(letters):]
        return letters, int(digits) if digits else None
    return split(a) == split(b) and split(a)[1] is not None


def require_child(session: Session, text: str) -> Child:
    """The child, or NotFound saying which references are like the one typed."""
    child = child_by_ref(session, text)
    if child is None:
        raise NotFound("child", text, near_child_refs(session, text))
    return child


def _escaped(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
