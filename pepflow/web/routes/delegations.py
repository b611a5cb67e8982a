"""A designated teacher's colleagues (``/delegations``): give a colleague at the school the DT's
PEP sections for named pupils until a day, see what is given, end it early (service/delegations.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from pepflow.db.models import Child, UserAccount
from pepflow.errors import InputError
from pepflow.service.delegations import active_delegations, colleagues, delegate, dt_schools, end_delegation
from pepflow.values import date_value
from pepflow.web.site import (CheckedFormDep, DatabaseDep, Refused, SiteDep, Visitor, VisitorDep, leave_notice,
                              take_notice)

router = APIRouter()


def _teacher(visitor: Visitor) -> None:
    if visitor.user.role != "designated_teacher":
        raise Refused()


def _page(request: Request, site, s, visitor: Visitor, errors: list[tuple[str, str]], values: dict, status: int = 200,
          notice: str = ""):
    today = site.app.today()
    schools = dt_schools(s, visitor.user)
    pupils = list(s.execute(select(Child).where(Child.school_urn.in_(schools), Child.looked_after)
                            .order_by(Child.last_name, Child.first_name)).scalars()) if schools else []
    given = active_delegations(s, visitor.user, today)
    names = {a.id: a.email for a in s.execute(select(UserAccount).where(
        UserAccount.id.in_({d.to_account_id for d in given}))).scalars()} if given else {}
    children = {c.ref: c for c in pupils}
    return site.render(request, "delegations.html.j2", status, visitor, pupils=pupils, given=given, names=names,
                       children=children, colleagues=[(str(a.id), a.email) for a in colleagues(s, visitor.user)],
                       errors=errors, values=values, notice=notice)


@router.get("/delegations")
def delegations(request: Request, site: SiteDep, s: DatabaseDep, visitor: VisitorDep):
    _teacher(visitor)
    notice = take_notice(s, visitor)
    s.commit()
    return _page(request, site, s, visitor, [], {}, notice=notice)


async def chosen_pupils(request: Request) -> list[str]:
    """The pupils ticked (a form field given many times: the site's form reader keeps one)."""
    return [str(v) for v in (await request.form()).getlist("pupils")][:200]


@router.post("/delegations")
def give(request: Request, site: SiteDep, s: DatabaseDep, visitor: VisitorDep, form: CheckedFormDep,
         refs: Annotated[list[str], Depends(chosen_pupils)]):
    _teacher(visitor)
    colleague = form.get("colleague", "")
    try:
        until = date_value(form.get("until", ""))
    except ValueError as exc:
        return _page(request, site, s, visitor, [("until", f"Until: {exc}")], dict(form), 400)
    try:
        made = delegate(s, visitor.user, int(colleague) if colleague.isdigit() and len(colleague) < 10 else -1, refs,
                        until, site.app.today(), visitor.actor)
    except InputError as exc:
        s.rollback()
        field = exc.field if exc.field in ("colleague", "pupils", "until") else "colleague"
        return _page(request, site, s, visitor, [(field, f"{field.capitalize()}: {exc.problem}")], dict(form), 400)
    leave_notice(s, visitor, f"Given: your PEP sections for {len(made)} pupil{'s' if len(made) != 1 else ''}.")
    s.commit()
    return RedirectResponse("/delegations", status_code=303)


@router.post("/delegations/{number}/end")
def end(number: str, site: SiteDep, s: DatabaseDep, visitor: VisitorDep, form: CheckedFormDep):
    _teacher(visitor)
    end_delegation(s, visitor.user, int(number) if number.isdigit() and len(number) < 10 else -1, site.app.today(),
                   visitor.actor)
    leave_notice(s, visitor, "Ended: the colleague no longer sees that pupil.")
    s.commit()
    return RedirectResponse("/delegations", status_code=303)
