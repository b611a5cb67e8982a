"""pepflow user …: web accounts."""

from __future__ import annotations

from typing import Optional

import typer

from pepflow.errors import InputError
from pepflow.cli._common import _app, _password, _print_table, user_app


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    email: str = typer.Option(..., "--email", help="Their email address: what they sign in with."),
    role: str = typer.Option(..., "--role", help="vsh, vs_admin, vs_officer, social_worker, team_manager, "
                                                 "designated_teacher, iro or read_only."),
    person: Optional[str] = typer.Option(None, "--person", help="Their reference in the people list (their caseload)."),
    school: Optional[str] = typer.Option(None, "--school", help="A designated teacher's school (URN)."),
) -> None:
    """Add a web account. The password is asked for (or read from standard input)."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.accounts.local import add_user, check_new_account
    from pepflow.db import session_scope
    from pepflow.audit.disclosures import security_event
    from pepflow.accounts.access import ROLES
    from pepflow.values import did_you_mean

    a = _app(ctx)
    if role not in ROLES:
        raise InputError("--role", role, f"{did_you_mean(role, ROLES)}must be one of {', '.join(ROLES)}")
    with session_scope(a.engine) as session:
        check_new_account(session, email, role, person, school)
    password = _password()
    with session_scope(a.engine) as session:
        user = add_user(session, email, role, password, person, school, a.clock.now())
        security_event(session, "account_added", a.today(), {"account": user.email, "role": role,
                                                             "by": "the command line"})
        typer.echo(f"Added {user.email} ({ROLES[role].label}). They can sign in at {a.config.settings.base_url}/sign-in")


@user_app.command("set-password")
def user_set_password(
    ctx: typer.Context,
    email: str = typer.Option(..., "--email", help="The account's email address."),
) -> None:
    """Set a new password (also signs the account out everywhere and clears its sign-in waits)."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.accounts.local import find_user, set_password
    from pepflow.db import session_scope
    from pepflow.audit.disclosures import security_event
    from pepflow.accounts.throttle import account_key, attempt_succeeded
    from pepflow.accounts.local import end_sessions_of

    a = _app(ctx)
    with session_scope(a.engine) as session:
        find_user(session, email)
    password = _password()
    with session_scope(a.engine) as session:
        user = set_password(session, email, password, a.clock.now())
        end_sessions_of(session, user.id)
        attempt_succeeded(session, [account_key(user.email)])
        security_event(session, "password_set", a.today(), {"account": user.email, "by": "the command line"})
        typer.echo(f"Password changed for {user.email}; it is signed out everywhere and may sign in at once.")


@user_app.command("reset-2fa")
def user_reset_second_factor(
    ctx: typer.Context,
    email: str = typer.Option(..., "--email", help="The account's email address."),
) -> None:
    """Take away an account's second factor (a lost phone, no recovery codes left): it signs out
    everywhere, and sets up the app again at its next sign-in if its role must use one."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.accounts.local import find_user
    from pepflow.db import session_scope
    from pepflow.audit.disclosures import security_event
    from pepflow.accounts.totp import has_second_factor, reset
    from pepflow.accounts.local import end_sessions_of

    a = _app(ctx)
    with session_scope(a.engine) as session:
        user = find_user(session, email)
        had = has_second_factor(user)
        reset(session, user)
        end_sessions_of(session, user.id)
        security_event(session, "second_factor_reset", a.today(), {"account": user.email, "had_one": had,
                                                                   "by": "the command line"})
        typer.echo(f"Second factor reset for {user.email}" + ("" if had else " (it had none set up)") +
                   "; it is signed out everywhere and will set up an authenticator app again at their next "
                   "sign-in if their role must use one.")


@user_app.command("require-2fa")
def user_require_second_factor(
    ctx: typer.Context,
    role: list[str] = typer.Option([], "--role", help="A role that must use a second factor (repeatable)."),
    everyone: bool = typer.Option(False, "--everyone", help="Every role, and any role added later."),
    nobody: bool = typer.Option(False, "--nobody", help="No role must (people may still use one)."),
) -> None:
    """Choose who must use a second factor, as VS admin can on the Sign-in rules page."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.db import session_scope
    from pepflow.audit.disclosures import security_event
    from pepflow.accounts.access import ROLES
    from pepflow.accounts.totp import EVERYONE, set_required
    from pepflow.values import did_you_mean

    a = _app(ctx)
    if sum((bool(role), everyone, nobody)) != 1:
        raise InputError("--role", None, "give --role (once for each role), --everyone or --nobody")
    for r in role:
        if r not in ROLES:
            raise InputError("--role", r, f"{did_you_mean(r, ROLES)}must be one of {', '.join(ROLES)}")
    choice = EVERYONE if everyone else sorted(set(role))
    with session_scope(a.engine) as session:
        set_required(session, choice)
        security_event(session, "second_factor_rule_set", a.today(), {"required_for": choice,
                                                                      "by": "the command line"})
    typer.echo("Everyone must now use a second factor." if everyone else
               "No role must use a second factor." if nobody else
               "A second factor is now required for " + ", ".join(ROLES[r].label.lower() for r in choice) + ".")
    typer.echo("It applies from each person's next sign-in.")


@user_app.command("list")
def user_list(ctx: typer.Context) -> None:
    """The web accounts, their roles, whose children they see, and when they last signed in."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from sqlmodel import select

    from pepflow.db import session_scope
    from sqlalchemy import func

    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.calendars import format_moment
    from pepflow.db.models import UserAccount, WebSession
    from pepflow.vocabulary import role_label

    a = _app(ctx)
    with session_scope(a.engine) as session:
        users = list(session.exec(select(UserAccount).order_by(UserAccount.email)))
        signed_in = dict(session.execute(select(WebSession.user_id, func.max(WebSession.last_seen_at))
                                         .group_by(WebSession.user_id)).all())
    if not users:
        typer.echo("No web accounts yet: add one with pepflow user add --email … --role …")
        return
    _print_table(["email", "role", "sees", "active", "second factor", "signed in now"], [
        [u.email, role_label(u.role), u.person_ref or u.school_urn or "everyone", "yes" if u.active else "no",
         f"since {format_moment(u.totp_set_up_at)}" if u.totp_set_up_at else "none",
         f"last used {format_moment(signed_in[u.id])}" if u.id in signed_in else ""] for u in users])
