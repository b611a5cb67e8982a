"""The web pages in a real browser: Debian's Chromium driven by Playwright, axe-core on every page.

The app runs under uvicorn on 127.0.0.1 with a synthetic cohort.  axe-core comes from
the npm registry (tests/browser/package.json, installed by ``make test``) and is put
into each page by the test (the pages load no script but the pickers' autocomplete, from pepflow itself).
"""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest
from sqlalchemy import select

from pepflow.db.connection import session_scope
from pepflow.db.models import Child, Deadline, Event, Pep, PpPlusLine
from pepflow.reports.listings import PEP_KINDS

from .websupport import EMAILS, PASSWORD, TODAY, build_site, served, visible_refs
from .support.browser import CHROMIUM, missing, check_accessibility





@pytest.fixture(scope="module")
def site(tmp_path_factory):
    problem = missing()
    if problem:
        if os.environ.get("PEPFLOW_REQUIRE_BROWSER") == "1":
            pytest.fail(f"the browser tests must run here: {problem}")
        pytest.skip(problem)
    # A council that quality-assures PEPs within 2 working days (the number is local practice:
    # DOMAIN.md), so a PEP can be late at QA while its distribution (5 working days from the
    # meeting) is not yet due: approving it then takes the child off the overdue list.
    council = tmp_path_factory.mktemp("council")
    (council / "timescales.toml").write_text("[pep_qa]\nnumber = 2\neffective_from = 2010-04-01\n")
    # and costs Pupil Premium Plus line by line, an officer approving up to £500 (the VSH above it)
    (council / "pp_plus.toml").write_text(
        '[years."2026-27"]\nsource = "Lincolnshire needs-based PP+ (a test council)"\ngrant_per_child = 2630\n'
        'central_share_percent = 20\nmodel = "needs"\nper_term_cap = 1500\nper_year_cap = 3000\n'
        'approval_limits = { vs_officer = 500, vsh = 100000 }\ncategories = ["tuition", "mentoring", "equipment"]\n')
    built = build_site(f"sqlite:///{tmp_path_factory.mktemp('browser') / 'web.db'}", config_dir=str(council))
    yield built
    built.app.engine.dispose()


@pytest.fixture(scope="module")
def server(site):
    with served(site.app) as address:
        yield address


@pytest.fixture(scope="module")
def browser(site):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser, server):
    # bypass_csp lets the test add axe-core: the pages' own policy allows only pepflow's own script
    context = browser.new_context(base_url=server, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()




def sign_in(page, role: str) -> None:
    page.goto("/sign-in")
    check_accessibility(page)
    _signed_in(page, role)


def sign_in_without_checks(page, role: str) -> None:
    """Sign in where axe cannot be added (script off, or the page's own policy enforced)."""
    page.goto("/sign-in")
    _signed_in(page, role)


def _signed_in(page, role: str) -> None:
    page.get_by_label("Email address").fill(EMAILS[role])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/my-work")


def child_awaiting_qa_only(site) -> tuple[str, str]:
    """A child whose only overdue PEP deadline is the Virtual School's QA, and their school.

    Made by recording a PEP meeting held and submitted on Tuesday 17 November 2026: QA was
    due on the 19th, distribution is due on the 24th."""
    from pepflow.engine.recording import record_event
    from pepflow.errors import PepflowError

    class TryAnother(Exception):
        pass

    with session_scope(site.app.engine) as s:
        candidates = s.execute(select(Pep.child_ref).where(Pep.is_current, Pep.state.in_(
            ("due", "meeting_scheduled"))).order_by(Pep.child_ref)).scalars().all()
    for ref in candidates:
        try:
            with session_scope(site.app.engine) as s:
                for event in ("pep_meeting_held", "pep_submitted"):
                    record_event(s, site.app.config, ref, event, "2026-11-17", TODAY)
                overdue = s.execute(select(Deadline.kind).where(
                    Deadline.child_ref == ref, Deadline.status == "open", Deadline.kind.in_(PEP_KINDS),
                    Deadline.due_on < TODAY)).scalars().all()
                if overdue != ["pep_qa"]:
                    raise TryAnother
                return ref, s.get(Child, ref).school_urn
        except (TryAnother, PepflowError):
            continue
    raise AssertionError("no child of the demo cohort could be brought to a late QA alone")


def test_vs_admin_approves_an_overdue_pep_and_the_child_leaves_the_overdue_list(site, page):
    ref, urn = child_awaiting_qa_only(site)
    sign_in(page, "vs_admin")
    check_accessibility(page)
    page.get_by_role("link", name="Overdue PEPs").click()
    page.wait_for_url("**/peps/overdue")
    check_accessibility(page)
    page.get_by_label("School").select_option(urn)
    page.get_by_role("button", name="Apply filters").click()
    page.locator(f"main a[href='/children/{ref}']").click()  # the child's link, by name
    page.wait_for_url(f"**/children/{ref}")
    check_accessibility(page)
    assert page.get_by_role("heading", name="Open deadlines").is_visible()
    page.get_by_role("link", name="PEP approved").click()
    check_accessibility(page)
    page.get_by_label("Green").check()
    page.get_by_role("button", name="Record: PEP approved").click()
    page.wait_for_url(f"**/children/{ref}")
    assert "Recorded: PEP approved" in page.inner_text(".govuk-notification-banner")
    check_accessibility(page)
    page.goto(f"/peps/overdue?school={urn}")
    assert page.locator(f"main a[href='/children/{ref}']").count() == 0
    page.goto("/peps/overdue")
    assert page.locator(f"main a[href='/children/{ref}']").count() == 0


def test_a_designated_teacher_sees_only_the_children_at_their_school(site, page):
    mine = visible_refs(site.app, "designated_teacher")
    everyone = visible_refs(site.app, "vs_admin")
    sign_in(page, "designated_teacher")
    for path in ("/my-work?within=all", "/peps/overdue", "/admissions?show=all", "/exclusions?show=all"):
        page.goto(path)
        check_accessibility(page)
        shown = {a.get_attribute("href").split("/")[-1] for a in page.locator("main a[href^='/children/']").all()}
        assert shown <= mine, f"{path} shows {sorted(shown - mine)[:5]}"
    page.goto("/peps/overdue")
    assert page.locator("main a[href^='/children/']").count() > 0 or not mine
    other = sorted(everyone - mine)[0]
    response = page.goto(f"/children/{other}")
    assert response.status == 404 and page.get_by_role("heading", name="Page not found").is_visible()
    check_accessibility(page)
    assert page.get_by_role("link", name="Compliance").count() == 0
    response = page.goto("/compliance")
    assert response.status == 403 and page.get_by_role("heading", name="You cannot do this").is_visible()
    check_accessibility(page)


def test_the_virtual_school_finds_a_child_by_part_of_a_name_and_by_upn_and_opens_their_case(site, page):
    with session_scope(site.app.engine) as s:
        child = s.execute(select(Child).where(Child.looked_after, Child.upn != "").order_by(Child.ref)).scalars().first()
        ref, last_name, upn = child.ref, child.last_name, child.upn
    sign_in(page, "vs_admin")
    page.get_by_role("link", name="Children", exact=True).click()
    page.get_by_label("Find a child").fill(last_name[:4].lower())
    page.get_by_role("button", name="Search").click()
    check_accessibility(page)
    page.get_by_role("link", name=re.compile(last_name)).first.wait_for()
    page.get_by_label("Find a child").fill(upn.lower())
    page.get_by_role("button", name="Search").click()
    assert page.locator("main a[href^='/children/']").count() == 1
    page.locator(f"main a[href='/children/{ref}']").click()
    page.wait_for_url(f"**/children/{ref}")
    check_accessibility(page)


def test_a_social_worker_lists_their_children_and_a_designated_teacher_their_pupils(site, page):
    for role, title in (("social_worker", "My children"), ("designated_teacher", "My pupils")):
        page.context.clear_cookies()
        sign_in(page, role)
        page.get_by_role("link", name=title, exact=True).click()
        assert page.get_by_role("heading", name=title).is_visible()
        check_accessibility(page)
        shown = {a.get_attribute("href").split("/")[-1] for a in page.locator("main a[href^='/children/']").all()}
        assert shown and shown <= visible_refs(site.app, role)


def test_every_page_passes_axe_including_errors(site, page):
    sign_in(page, "vs_admin")
    with session_scope(site.app.engine) as s:
        ref = s.execute(select(Pep.child_ref).where(Pep.is_current, Pep.state == "submitted")
                        .order_by(Pep.child_ref)).scalars().first()
    for path in ("/my-work", "/my-work?within=all&page=2", "/peps/overdue?sort=school&order=desc",
                 "/peps/overdue?min_days=lots", f"/children/{ref}", f"/children/{ref}/record?event=pep_returned",
                 "/admissions?show=all", "/exclusions?show=all", "/compliance", "/compliance?start=nonsense",
                 "/outbox?status=all", "/account/sessions", "/account/password", "/children", "/children?q=zzzz",
                 f"/children/{ref}/record?event=pep_meeting_scheduled", "/people", "/people/new", "/compliance/annual",
                 f"/children/{ref}/pep", f"/children/{ref}/pep/targets", f"/children/{ref}/pep/about_the_child",
                 "/no-such-page"):
        page.goto(path)
        check_accessibility(page)
    page.goto(f"/children/{ref}/record?event=pep_returned")
    for box in ("Day", "Month", "Year"):
        page.get_by_label(box).fill("")
    page.get_by_role("button", name="Record: PEP returned for changes").click()
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible() and "Enter the date it happened" in summary.inner_text()
    check_accessibility(page)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/sign-in?signed_out=1")
    check_accessibility(page)
    page.get_by_role("button", name="Sign in").click()
    assert "Enter your email address" in page.locator(".govuk-error-summary").inner_text()
    check_accessibility(page)


def test_a_date_is_typed_as_day_month_and_year_and_an_impossible_one_is_named(site, page):
    with session_scope(site.app.engine) as s:
        ref = s.execute(select(Pep.child_ref).where(Pep.is_current, Pep.state == "in_qa",  # in QA before yesterday
                                                    Pep.state_changed_on < TODAY - dt.timedelta(days=1))
                        .order_by(Pep.child_ref)).scalars().first()
    sign_in(page, "vs_admin")
    page.goto(f"/children/{ref}/record?event=pep_returned")
    group = page.get_by_role("group", name="Date it happened")
    assert group.get_by_label("Day").input_value() == str(TODAY.day)  # today, to change if need be
    group.get_by_label("Day").fill("31")
    group.get_by_label("Month").fill("2")
    group.get_by_label("Year").fill("2026")
    page.get_by_label("Reason").fill("The targets are not specific enough")
    page.get_by_role("button", name="Record: PEP returned for changes").click()
    summary = page.locator(".govuk-error-summary")
    assert "31 February 2026 is not a date" in summary.inner_text()
    assert group.get_by_label("Day").input_value() == "31"  # what was typed is kept
    assert "govuk-input--error" in group.get_by_label("Month").get_attribute("class")
    check_accessibility(page)
    group.get_by_label("Month").fill("")
    page.get_by_role("button", name="Record: PEP returned for changes").click()
    assert "Date it happened must include a month" in page.locator(".govuk-error-summary").inner_text()
    assert "govuk-input--error" not in group.get_by_label("Day").get_attribute("class")
    check_accessibility(page)
    day = TODAY - dt.timedelta(days=1)
    group.get_by_label("Day").fill(f"{day.day:02d}")
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))
    page.get_by_role("button", name="Record: PEP returned for changes").click()
    page.wait_for_url(f"**/children/{ref}")
    assert "Recorded: PEP returned for changes" in page.inner_text(".govuk-notification-banner")
    with session_scope(site.app.engine) as s:
        on = s.execute(select(Event.effective_on).where(Event.child_ref == ref, Event.name == "pep_returned")
                       .order_by(Event.id.desc())).scalars().first()
    assert on == day


def test_the_virtual_school_head_records_a_decision_on_its_page(site, page):
    from .support.web import proposed_ri_school_in_year_10
    ref, _ = proposed_ri_school_in_year_10(site)
    sign_in(page, "vs_admin")
    page.goto("/decisions")
    check_accessibility(page)
    page.get_by_role("link", name=f"Record the decision for {ref}").click()
    page.get_by_label("Why a move in Key Stage 4 is necessary").fill("The placement is 60 miles away")
    page.get_by_label("Nominated officer who approved").select_option("VSH1")
    check_accessibility(page)
    page.get_by_role("button", name="Record the decision").click()
    page.wait_for_url(f"**/children/{ref}")
    assert "Another decision is still needed" in page.inner_text(".govuk-notification-banner")
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "vsh")
    page.goto(f"/children/{ref}")
    page.get_by_role("link", name="Record the decision").click()
    page.get_by_role("button", name="Record the decision").click()
    assert "Choose whether you agree to the school" in page.locator(".govuk-error-summary").inner_text()
    check_accessibility(page)
    page.get_by_label(re.compile("Yes, I agree to")).check()
    page.get_by_label("Your reasons and the evidence").fill("Its unit suits him; evidence on file")
    page.get_by_role("button", name="Record the decision").click()
    page.wait_for_url(f"**/children/{ref}")
    assert "Decision recorded" in page.inner_text(".govuk-notification-banner")
    check_accessibility(page)


LAYOUT_PAGES = ("/my-work?within=all", "/peps/overdue", "/admissions?show=all", "/exclusions?show=all",
                "/compliance", "/compliance/annual", "/outbox?status=all", "/decisions", "/children", "/people")


def layout_problems(page) -> list[str]:
    """What looks broken: the page scrolling sideways (a table must scroll in its own box), a
    date broken over lines, a filter button the same colour as its panel."""
    return page.evaluate("""() => {
        const out = [];
        if (document.documentElement.scrollWidth > window.innerWidth + 1) {
            const wide = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
                && !(e.parentElement && e.parentElement.closest('.pepflow-table-wrap'))).map(e => e.tagName + '.' + e.className + '<' + (e.parentElement ? e.parentElement.tagName + '.' + e.parentElement.className : '')).slice(-3);
            out.push(`page is ${document.documentElement.scrollWidth}px wide in ${window.innerWidth}px: ${wide.join(', ')}`);
        }
        for (const cell of document.querySelectorAll('.pepflow-date')) {
            const range = document.createRange();
            range.selectNodeContents(cell.firstChild || cell);
            const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
            if (lines.size > 1) out.push(`date "${cell.textContent.trim()}" on ${lines.size} lines`);
        }
        for (const button of document.querySelectorAll('.pepflow-filters button')) {
            const panel = getComputedStyle(button.closest('.pepflow-filters')).backgroundColor;
            if (getComputedStyle(button).backgroundColor === panel) out.push(`button "${button.textContent.trim()}" is the panel's colour`);
        }
        return out.slice(0, 5);
    }""")


@pytest.mark.parametrize("width", [1280, 390])
def test_pages_read_well_on_a_desktop_and_on_a_phone(site, page, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, "vs_admin")
    with session_scope(site.app.engine) as s:
        ref = s.execute(select(Deadline.child_ref).where(Deadline.status == "open").order_by(Deadline.child_ref)
                        ).scalars().first()
    for path in (*LAYOUT_PAGES, f"/children/{ref}"):
        page.goto(path)
        assert layout_problems(page) == [], path
        check_accessibility(page)


def test_on_a_phone_the_menu_opens_from_one_button_and_the_header_names_the_person(site, page):
    page.set_viewport_size({"width": 390, "height": 900})
    sign_in(page, "social_worker")
    with session_scope(site.app.engine) as s:
        from pepflow.db.models import Person, UserAccount

        account = s.execute(select(UserAccount).where(UserAccount.email == EMAILS["social_worker"])).scalar_one()
        name = s.get(Person, account.person_ref).name
    header = page.locator(".pepflow-account")
    assert name in header.inner_text() and EMAILS["social_worker"] not in header.inner_text()
    children = page.get_by_role("link", name="My children", exact=True)
    assert not children.is_visible()  # the menu is folded away on a phone
    page.get_by_text("Menu", exact=True).click()
    assert children.is_visible()
    children.click()
    page.wait_for_url("**/children")
    check_accessibility(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert page.get_by_role("link", name="My work", exact=True).is_visible()  # in a row on a wide screen
    assert not page.get_by_text("Menu", exact=True).is_visible()


def _school_move_case(site) -> tuple[str, str, str]:
    """A child of the demo social worker's with a school, and another school (ref, its name, URN)."""
    from pepflow.db.models import School, UserAccount

    with session_scope(site.app.engine) as s:
        worker = s.execute(select(UserAccount).where(UserAccount.email == EMAILS["social_worker"])).scalar_one()
        child = s.execute(select(Child).where(Child.social_worker_ref == worker.person_ref, Child.looked_after,
                                              Child.school_urn.is_not(None)).order_by(Child.ref.desc())
                          ).scalars().first()
        school = s.execute(select(School).where(School.urn != child.school_urn).order_by(School.name)
                           ).scalars().first()
        return child.ref, school.name, school.urn


def test_with_script_off_a_school_is_still_found_by_name_and_chosen(site, browser, server):
    ref, name, urn = _school_move_case(site)
    context = browser.new_context(base_url=server, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in_without_checks(page, "social_worker")
        page.goto(f"/children/{ref}/record?event=school_changed")
        page.get_by_label("School").fill(name.split()[0].lower())
        page.get_by_role("button", name=re.compile("Record")).click()
        page.get_by_label(name, exact=True).check()
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url(f"**/children/{ref}")
        assert f"URN {urn}" in page.inner_text(".govuk-summary-list")
    finally:
        context.close()


def test_where_script_runs_matches_are_offered_as_the_name_is_typed_under_the_pages_own_policy(site, browser, server):
    """No bypass of the content security policy here: pepflow's own script, from its own site."""
    ref, name, urn = _school_move_case(site)
    context = browser.new_context(base_url=server)  # the page's own policy, enforced
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    try:
        sign_in_without_checks(page, "social_worker")
        page.goto(f"/children/{ref}/record?event=school_changed")
        page.get_by_label("School").press_sequentially(name.split()[0][:5], delay=40)
        option = page.locator(".autocomplete__option", has_text=name).first
        option.wait_for()
        assert f"URN {urn}" in option.inner_text()  # each match told apart
        option.click()
        assert page.get_by_label("School").input_value() == f"{name} (URN {urn})"
        page.get_by_role("button", name=re.compile("Record")).click()
        page.wait_for_url(f"**/children/{ref}")  # chosen as typed: no search step
        assert f"URN {urn}" in page.inner_text(".govuk-summary-list")
        assert refused == []
    finally:
        context.close()


def test_a_social_worker_records_a_school_move_choosing_the_school_by_name(site, page):
    from pepflow.db.models import Person, School, UserAccount

    with session_scope(site.app.engine) as s:
        worker = s.execute(select(UserAccount).where(UserAccount.email == EMAILS["social_worker"])).scalar_one()
        child = s.execute(select(Child).where(Child.social_worker_ref == worker.person_ref, Child.looked_after,
                                              Child.school_urn.is_not(None)).order_by(Child.ref)).scalars().first()
        school = s.execute(select(School).where(School.urn != child.school_urn).order_by(School.name.desc())
                           ).scalars().first()
        ref, name, urn = child.ref, school.name, school.urn
        assert s.get(Person, worker.person_ref) is not None
    sign_in(page, "social_worker")
    page.goto(f"/children/{ref}/record?event=school_changed")
    page.locator(".autocomplete__wrapper").wait_for()  # the autocomplete in place: checked by axe too
    check_accessibility(page)
    page.get_by_label("School").fill(" ".join(name.split()[:2]))
    page.locator("#school_urn__listbox li").first.wait_for()  # the suggestions came: not chosen from here,
    page.get_by_label("School").press("Escape")  # but closed, so the button is pressed, not a suggestion
    page.get_by_role("button", name=re.compile("Record")).click()
    page.get_by_label(name, exact=True).check()  # the search step: choose among the matches, by name
    check_accessibility(page)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"**/children/{ref}")
    assert name in page.inner_text(".govuk-summary-list") and f"URN {urn}" in page.inner_text(".govuk-summary-list")


def tab_to(page, selector: str, limit: int = 300) -> None:
    """Press Tab until the element matching ``selector`` has the focus: reachable by keyboard."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} cannot be reached with the Tab key on {page.url}")


def test_recording_an_event_works_with_the_keyboard_alone(site, page):
    with session_scope(site.app.engine) as s:
        ref = s.execute(select(Pep.child_ref).where(Pep.is_current, Pep.state == "in_qa")
                        .order_by(Pep.child_ref.desc())).scalars().first()
    page.goto("/sign-in")
    tab_to(page, "a.govuk-skip-link")
    tab_to(page, "#email")
    page.keyboard.type(EMAILS["vs_admin"])
    tab_to(page, "#password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/my-work")
    tab_to(page, "a[href='/peps/overdue']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/peps/overdue")
    page.goto(f"/children/{ref}")
    tab_to(page, "a[href$='record?event=pep_returned']")
    page.keyboard.press("Enter")
    page.wait_for_url("**event=pep_returned")
    tab_to(page, "#reason")
    page.keyboard.type("The targets are not specific enough")
    tab_to(page, "button.govuk-button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/children/{ref}")
    assert "Recorded: PEP returned for changes" in page.inner_text(".govuk-notification-banner")
    tab_to(page, "button.pepflow-link-button")  # sign out, by keyboard too
    page.keyboard.press("Enter")
    page.wait_for_url("**/sign-in?signed_out=1")
    with session_scope(site.app.engine) as s:
        assert s.execute(select(Pep.state).where(Pep.child_ref == ref, Pep.is_current)).scalar_one() == "returned"


def test_your_sessions_and_changing_the_password_with_the_keyboard_alone(site, browser, server, page):
    from pepflow.accounts.local import add_user

    email, new_password = "keyboard.user@example.org", "orchid lantern meadow"
    with session_scope(site.app.engine) as s:
        add_user(s, email, "vs_officer", PASSWORD)
    elsewhere = browser.new_context(base_url=server)
    other = elsewhere.new_page()
    other.goto("/sign-in")
    other.get_by_label("Email address").fill(email)
    other.get_by_label("Password").fill(PASSWORD)
    other.get_by_role("button", name="Sign in").click()
    other.wait_for_url("**/my-work")

    page.goto("/sign-in")
    tab_to(page, "#email")
    page.keyboard.type(email)
    tab_to(page, "#password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/my-work")
    tab_to(page, "a[href='/account/sessions']")  # the account link in the header
    page.keyboard.press("Enter")
    page.wait_for_url("**/account/sessions")
    check_accessibility(page)
    assert page.locator("tbody tr").count() == 2 and "This browser" in page.inner_text("tbody")
    tab_to(page, "a[href='/account/password']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/account/password")
    check_accessibility(page)
    tab_to(page, "#current_password")
    page.keyboard.type(PASSWORD)
    tab_to(page, "#new_password")
    page.keyboard.type("password1234")
    tab_to(page, "#confirm_password")
    page.keyboard.type("password1234")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert "too easy to guess" in page.locator(".govuk-error-summary").inner_text()
    check_accessibility(page)
    tab_to(page, "#current_password")
    page.keyboard.type(PASSWORD)
    tab_to(page, "#new_password")
    page.keyboard.type(new_password)
    tab_to(page, "#confirm_password")
    page.keyboard.type(new_password)
    tab_to(page, "button.govuk-button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/account/sessions")
    assert "Your password has been changed" in page.inner_text(".govuk-notification-banner")
    assert "Your 1 other session was signed out" in page.inner_text(".govuk-notification-banner")
    assert page.locator("tbody tr").count() == 1
    check_accessibility(page)
    other.goto("/my-work")
    assert "/sign-in" in other.url  # the other browser was signed out
    elsewhere.close()


def test_the_accessibility_check_fails_on_a_page_with_a_violation(page):
    """The check above can fail: an unlabelled field and an image without text are caught."""
    page.set_content('<html lang="en"><head><title>t</title></head><body><main><h1>x</h1>'
                     '<input type="text"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></main></body></html>')
    with pytest.raises(AssertionError) as failure:
        check_accessibility(page)
    assert "label" in str(failure.value) and "image-alt" in str(failure.value)


def test_setting_up_and_using_a_second_factor_in_the_browser(site, browser, server, page):
    """VS admin requires a second factor of a role; its person sets up the app from the QR page
    (the key typed in, as a phone would read it), keeps recovery codes, and signs in later with a
    code: a reused one is refused; a recovery code works.  axe on every page."""
    import pyotp

    from pepflow.accounts.local import add_user
    from pepflow.accounts.totp import set_required

    email = "second.factor@example.org"
    with session_scope(site.app.engine) as s:
        add_user(s, email, "read_only", PASSWORD)
    try:
        sign_in(page, "vs_admin")
        page.get_by_role("link", name="Sign-in rules").click()
        page.wait_for_url("**/settings/sign-in")
        check_accessibility(page)
        page.get_by_label("Read only").check()
        page.get_by_role("button", name="Save").click()
        assert "a second factor is required for read only" in page.inner_text(".govuk-notification-banner")
        check_accessibility(page)

        def password_step(context):
            tab = context.new_page()
            tab.goto("/sign-in")
            tab.get_by_label("Email address").fill(email)
            tab.get_by_label("Password").fill(PASSWORD)
            tab.get_by_role("button", name="Sign in").click()
            return tab

        first = browser.new_context(base_url=server, bypass_csp=True)
        tab = password_step(first)
        tab.wait_for_url("**/sign-in/set-up**")
        assert tab.locator(".pepflow-qr svg").is_visible()
        check_accessibility(tab)
        tab.get_by_text("I cannot scan the QR code").click()
        secret = tab.inner_text("#totp-secret").replace(" ", "")
        totp = pyotp.TOTP(secret)
        tab.get_by_label("Code from the app").fill("000000" if totp.at(site.clock.now()) != "000000" else "111111")
        tab.get_by_role("button", name="Continue").click()
        assert "not the one your app shows" in tab.inner_text(".govuk-error-summary")
        check_accessibility(tab)
        tab.get_by_label("Code from the app").fill(totp.at(site.clock.now()))
        tab.get_by_role("button", name="Continue").click()
        tab.wait_for_selector("#recovery-codes")
        codes = [c.strip() for c in tab.locator("#recovery-codes code").all_inner_texts()]
        assert len(codes) == 10
        check_accessibility(tab)
        tab.get_by_role("link", name="I have kept my codes: continue").click()
        tab.wait_for_url("**/my-work")
        tab.goto("/account/second-factor")
        assert "You have 10 recovery codes left" in tab.inner_text("main")
        check_accessibility(tab)
        first.close()

        later = browser.new_context(base_url=server, bypass_csp=True)
        tab = password_step(later)
        tab.wait_for_url("**/sign-in/code**")
        check_accessibility(tab)
        tab.get_by_label("Code").fill(totp.at(site.clock.now()))  # the set-up's own code, again
        tab.get_by_role("button", name="Continue").click()
        assert "used already" in tab.inner_text(".govuk-error-summary")
        check_accessibility(tab)
        site.clock.advance(seconds=30)
        tab.get_by_label("Code").fill(totp.at(site.clock.now()))
        tab.get_by_role("button", name="Continue").click()
        tab.wait_for_url("**/my-work")
        later.close()

        lost_phone = browser.new_context(base_url=server, bypass_csp=True)
        tab = password_step(lost_phone)
        tab.wait_for_url("**/sign-in/code**")
        tab.get_by_label("Code").fill(codes[3])
        tab.get_by_role("button", name="Continue").click()
        tab.wait_for_url("**/my-work")
        lost_phone.close()
    finally:
        with session_scope(site.app.engine) as s:
            set_required(s, [])


def test_a_designated_teacher_fills_in_a_pep_section_from_the_task_list(site, page):
    from .support.web import pupil_with_a_pep_being_written

    ref = pupil_with_a_pep_being_written(site, EMAILS["designated_teacher"])
    sign_in(page, "designated_teacher")
    page.goto(f"/children/{ref}")
    page.get_by_role("link", name=re.compile("Open the PEP")).click()
    check_accessibility(page)
    page.get_by_role("link", name="The child's voice").click()
    check_accessibility(page)
    page.get_by_label("The child's views, in their own words").fill("I want to be a vet. Maths is hard.")
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Save the child's voice").click()
    page.wait_for_url(f"**/children/{ref}/pep")
    assert "Saved: The child's voice." in page.inner_text(".govuk-notification-banner")
    assert "Completed" in page.locator(".govuk-task-list__item", has_text="The child's voice").inner_text()
    check_accessibility(page)
    page.get_by_role("link", name="Colleagues").first.click()  # giving a colleague the DT's sections
    assert "colleague@example.org" in page.inner_text("main")
    check_accessibility(page)


def test_chase_now_and_a_contact_note_from_the_case_page(site, page):
    with session_scope(site.app.engine) as s:
        from pepflow.db.models import Person

        ref = s.execute(select(Deadline.child_ref).join(Person, Person.ref == Deadline.owner_ref).where(
            Deadline.status == "open", Person.email != "").order_by(Deadline.child_ref)).scalars().first()
    sign_in(page, "vs_admin")
    page.goto(f"/children/{ref}")
    page.get_by_role("button", name=re.compile("Send a reminder now")).first.click()
    page.wait_for_url(f"**/children/{ref}**")
    assert "goes to" in page.inner_text(".govuk-notification-banner")
    page.get_by_label("Date of the contact").fill(TODAY.strftime("%d/%m/%Y"))
    page.get_by_label("Who was contacted").fill("Sam Carer (foster carer)")
    page.get_by_label("What was said").fill("Agreed to bring Jo to the PEP meeting on Tuesday")
    page.get_by_role("button", name="Note the contact").click()
    page.wait_for_url(f"**/children/{ref}**")
    history = page.inner_text("#history ~ *")
    assert "Sam Carer (foster carer)" in history and "Agreed to bring Jo" in history
    check_accessibility(page)


def test_vs_admin_fixes_an_email_moves_a_caseload_and_gives_an_account_and_the_links_work(site, page, tmp_path):
    """With a real SMTP relay in its own process: the email that failed to a wrong address goes to
    the corrected one; a caseload moves with its reason; a new account's welcome link and then
    "Forgot your password?" each set a password that signs in."""
    from pepflow.db.models import Notification, Person, UserAccount
    from pepflow.notify.mailers import SMTPMailer
    from pepflow.notify.outbox import dispatch

    from .faults.harness import Relay

    kept = tmp_path / "kept"
    kept.mkdir()
    relay = Relay(tmp_path).start("--keep", str(kept), "--refuse", "wrong.address@example.org=550")
    mailer = SMTPMailer("127.0.0.1", relay.port, security="none", timeout=5)

    def deliver() -> None:  # in a thread of its own: Playwright's loop runs in this one
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1) as pool:
            pool.submit(dispatch, site.app.engine, site.app.config, mailer, site.app.clock).result()

    def link_in_kept() -> str:
        newest = sorted(kept.glob("*.eml"))[-1].read_bytes().decode()
        body = re.sub(r"=\r?\n", "", newest).replace("=3D", "=")
        return re.search(r"/password/[A-Za-z0-9_\-]+", body).group(0)

    try:
        with session_scope(site.app.engine) as s:
            workers = s.execute(select(Person).where(Person.role == "social_worker").order_by(Person.ref)).scalars().all()
            giver = next(w for w in workers if w.email != EMAILS["social_worker"] and s.execute(
                select(Child.ref).where(Child.social_worker_ref == w.ref, Child.looked_after)).first())
            taker = next(w for w in workers if w.ref != giver.ref)
            giver.email = "wrong.address@example.org"
            s.add(Notification(key="browser:wrong", recipient_ref=giver.ref, recipient_email=giver.email,
                               step="remind_5", payload={"kind": "initial_pep", "child_ref": "C00001",
                                                         "due_on": TODAY.isoformat(), "step": "remind_5",
                                                         "days_overdue": 0}))
            teacher = s.execute(select(Person).where(Person.role == "designated_teacher", Person.email != "",
                                                     ~Person.ref.in_(select(UserAccount.person_ref).where(
                                                         UserAccount.person_ref.is_not(None))))
                                .order_by(Person.ref)).scalars().first()
            giver_ref, giver_name, taker_ref, teacher_ref, teacher_email = (
                giver.ref, giver.name, taker.ref, teacher.ref, teacher.email)
        deliver()  # refused for good: 550
        with session_scope(site.app.engine) as s:
            row = s.execute(select(Notification).where(Notification.key == "browser:wrong")).scalar_one()
            assert row.status == "failed" and "550" in row.last_error, (row.status, row.last_error)

        sign_in(page, "vs_admin")
        page.get_by_role("link", name="People").first.click()
        page.get_by_label("Name or reference").fill(giver_name.split()[-1])
        page.get_by_label("Role").select_option("social_worker")
        page.get_by_role("button", name="Find").click()
        page.locator(f'a[href="/people/{giver_ref}"]').click()  # the demo's made-up names can repeat
        check_accessibility(page)
        assert "could not be delivered" in page.inner_text("main")
        page.get_by_label("Email address").fill("right.address@example.org")
        page.get_by_role("button", name="Save changes").click()
        assert "go again to right.address@example.org" in page.inner_text(".govuk-notification-banner")
        deliver()
        assert "right.address@example.org" in relay.log.read_text()  # the relay took it to the new address

        page.get_by_label("Move to").select_option(taker_ref)
        page.get_by_label("Why it moves").fill("Leaving the team")
        page.get_by_role("button", name="Move the caseload").click()
        assert "moved from" in page.inner_text(".govuk-notification-banner")
        with session_scope(site.app.engine) as s:
            assert s.execute(select(Child.ref).where(Child.social_worker_ref == giver_ref, Child.looked_after)
                             ).first() is None

        page.goto(f"/people/{teacher_ref}")
        page.get_by_role("button", name="Add a web account").click()
        assert "a link to set their password goes to" in page.inner_text(".govuk-notification-banner")
        check_accessibility(page)
        page.get_by_role("button", name="Sign out").click()
        deliver()
        for password in ("welcome to the school year", "forgot it over half term"):
            page.goto(link_in_kept())
            check_accessibility(page)
            page.get_by_label("New password", exact=True).fill(password)
            page.get_by_label("Type the new password again").fill(password)
            page.get_by_role("button", name="Set password").click()
            assert "Your password is set" in page.inner_text("main")
            page.get_by_label("Password").fill(password)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url("**/my-work")
            page.get_by_role("button", name="Sign out").click()
            if password.startswith("welcome"):  # then the round trip from the sign-in page
                page.get_by_role("link", name="Forgot your password?").click()
                check_accessibility(page)
                page.get_by_label("Email address").fill(teacher_email)
                page.get_by_role("button", name="Send me a link").click()
                assert "Check your email" in page.inner_text("main")
                check_accessibility(page)
                deliver()
    finally:
        relay.stop()


def test_a_pep_is_written_returned_fixed_approved_and_becomes_a_pdf(site, page):
    """Issue 39's round trip: the social worker fills theirs, the DT fills theirs with two targets
    and a document and submits, VS admin returns the targets with a reason, the DT fixes them and
    resubmits, VS admin approves, and the PDF holds the targets and the child's voice."""
    import io

    from pypdf import PdfReader

    from pepflow.db.models import UserAccount
    from pepflow.engine.recording import record_event

    from .support.cases import fill_pep
    from .support.web import pupil_with_a_pep_being_written

    ref = pupil_with_a_pep_being_written(site, EMAILS["designated_teacher"])
    app = site.app
    with session_scope(app.engine) as s:
        worker = s.execute(select(UserAccount).where(UserAccount.email == EMAILS["social_worker"])).scalar_one()
        s.get(Child, ref).social_worker_ref = worker.person_ref
    with session_scope(app.engine) as s:
        if s.execute(select(Pep.state).where(Pep.child_ref == ref, Pep.is_current)).scalar_one() != "meeting_held":
            record_event(s, app.config, ref, "pep_meeting_held", TODAY, TODAY, role="designated_teacher")

    sign_in(page, "social_worker")
    page.goto(f"/children/{ref}/pep")
    page.get_by_role("link", name="Contacts and permissions").click()
    page.get_by_label("Carers and how to contact them").fill("Sam and Alex Carer, 01234 567890")
    page.get_by_label("Who holds parental responsibility").fill("The local authority and the birth mother")
    page.get_by_label("Who may consent to school trips").fill("The carers")
    page.get_by_role("button", name="Save contacts and permissions").click()
    page.wait_for_url(f"**/children/{ref}/pep")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "designated_teacher")
    page.goto(f"/children/{ref}/pep/targets")
    for n, (target, measure) in enumerate((("Read for twenty minutes every day", "Reading age up six months"),
                                           ("Join the lunchtime chess club", "Goes every week")), start=1):
        page.locator(f"#targets-{n}-area").select_option("academic" if n == 1 else "social_and_emotional")
        page.locator(f"#targets-{n}-target").fill(target)
        page.locator(f"#targets-{n}-measure").fill(measure)
        page.locator(f"#targets-{n}-actions").fill("Mentor time")
        page.locator(f"#targets-{n}-who").fill("Form tutor")
        page.locator(f"#targets-{n}-by_when").fill("26/3/2027")
    check_accessibility(page)
    page.get_by_role("button", name="Save smart targets").click()
    page.wait_for_url(f"**/children/{ref}/pep")
    page.goto(f"/children/{ref}/pep/childs_voice")
    page.get_by_label("The child's views, in their own words").fill("I would like to be a vet when I grow up")
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Save the child's voice").click()
    page.goto(f"/children/{ref}/pep/attendance")
    page.get_by_label("Add a document").set_input_files(files=[{"name": "report.pdf", "mimeType": "application/pdf",
                                                                "buffer": b"%PDF-1.4\n% a school report\n"}])
    page.get_by_role("button", name="Upload the document").click()
    assert "Document added: report.pdf." in page.inner_text(".govuk-notification-banner")
    fill_pep(app.engine, app.config, ref, TODAY.isoformat())  # the other sections, as their owners would
    page.goto(f"/children/{ref}/pep")
    page.get_by_role("link", name="record that the PEP is submitted").click()
    page.get_by_role("button", name=re.compile("Record")).click()
    page.wait_for_url(f"**/children/{ref}")
    page.get_by_role("button", name="Sign out").click()

    def quality_assure(returned: dict[str, str]) -> None:
        page.goto(f"/children/{ref}/pep")
        page.get_by_role("link", name="Quality-assure this PEP").click()
        check_accessibility(page)
        for radio in page.locator('input[type="radio"][value="green"]').all():
            radio.check()
        for key, comment in returned.items():
            page.locator(f'input[name="{key}-grade"][value="red"]').check()
            page.locator(f"#{key}-comment").fill(comment)
        page.get_by_role("button", name="Record the quality assurance").click()
        page.wait_for_url(f"**/children/{ref}/pep")

    sign_in(page, "vs_admin")
    quality_assure({"targets": "Say how the chess club target is measured"})
    assert "Returned to be changed: SMART targets." in page.inner_text(".govuk-notification-banner")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "designated_teacher")
    page.goto(f"/children/{ref}/pep")
    assert "Say how the chess club target is measured" in page.inner_text(".govuk-task-list")
    page.get_by_role("link", name="SMART targets").click()
    page.locator("#targets-2-measure").fill("Goes every week for six weeks; the club leader says so")
    page.get_by_role("button", name="Save smart targets").click()
    page.get_by_role("link", name="record that the PEP is resubmitted").click()
    page.get_by_role("button", name=re.compile("Record")).click()
    page.wait_for_url(f"**/children/{ref}")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "vs_admin")
    quality_assure({})
    assert "Approved, rated green" in page.inner_text(".govuk-notification-banner")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("as a PDF")).click()
    pdf = open(download.value.path(), "rb").read()
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "Read for twenty minutes every day" in text and "Join the lunchtime chess club" in text
    assert "I would like to be a vet when I grow up" in text and "SHA-256" in text


def test_pupil_premium_plus_asked_questioned_answered_approved_over_a_limit_and_paid(site, page):
    """Issue 40's round trip: the DT asks for two lines in the PEP, the VS officer approves one and
    questions the other, the DT answers, the VSH approves it over the officer's limit, and finance
    makes the term's batch, downloads its CSV and marks it paid."""
    import csv
    import io

    from .support.web import pupil_with_targets

    ref = pupil_with_targets(site, "Read for twenty minutes every day", "Join the lunchtime chess club")
    app = site.app

    sign_in(page, "designated_teacher")
    page.goto(f"/children/{ref}/pep")
    page.get_by_role("link", name="Pupil Premium Plus for this PEP's targets").click()
    check_accessibility(page)
    for target, category, what, cost in (("1", "tuition", "1:1 reading tuition", None),
                                         ("2", "mentoring", "A mentor for the chess club", "650")):
        page.get_by_label("Target").select_option(target)
        page.get_by_label("What kind of thing").select_option(category)
        page.get_by_label("What it pays for").fill(what)
        page.get_by_label("Who provides it").fill("Reading Partners" if cost is None else "Chess in Schools")
        if cost is None:
            page.get_by_label("Hours").fill("10")
            page.get_by_label("Rate an hour, in pounds").fill("30")
        else:
            page.get_by_label("Or a fixed cost, in pounds").fill(cost)
        page.get_by_label("When the funding ends").fill("The school's reading group takes over")
        page.get_by_role("button", name="Ask for this line").click()
        page.wait_for_url(f"**/children/{ref}/pp-plus")
    assert "£300 asked for" in page.inner_text("main") or "£650 asked for" in page.inner_text("main")
    page.get_by_role("button", name="Sign out").click()

    with session_scope(app.engine) as s:
        first, second = s.execute(select(PpPlusLine.id).where(PpPlusLine.child_ref == ref)
                                  .order_by(PpPlusLine.id)).scalars().all()[-2:]
    sign_in(page, "vs_officer")
    page.goto("/pp-plus")
    check_accessibility(page)
    page.get_by_role("link", name=re.compile(f"Line {first}:")).click()
    check_accessibility(page)
    page.get_by_label("Approve £300").check()
    page.get_by_role("button", name="Record the decision").click()
    page.wait_for_url("**/pp-plus")
    page.get_by_role("link", name=re.compile(f"Line {second}:")).click()
    assert "Approve £650" not in page.inner_text("main")  # over the officer's £500: the VSH's to approve
    page.get_by_label("Ask the school a question").check()
    page.get_by_label("Reason, or your question").fill("What will the mentor do each week?")
    page.get_by_role("button", name="Record the decision").click()
    page.wait_for_url("**/pp-plus")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "designated_teacher")
    page.goto(f"/children/{ref}/pp-plus")
    assert "What will the mentor do each week?" in page.inner_text("main")
    page.get_by_label(f"Your answer about line {second}").fill("Two sessions a week of chess coaching")
    page.get_by_role("button", name="Send the answer").click()
    page.wait_for_url(f"**/children/{ref}/pp-plus")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "vsh")
    page.goto(f"/pp-plus/lines/{second}")
    assert "Two sessions a week of chess coaching" in page.inner_text("main")
    page.get_by_label("Approve £650").check()
    page.get_by_role("button", name="Record the decision").click()
    page.wait_for_url("**/pp-plus")
    page.get_by_role("button", name="Sign out").click()

    page.goto("/sign-in")
    page.get_by_label("Email address").fill(EMAILS["finance"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/pp-plus/payments")
    check_accessibility(page)
    term = page.locator("table tbody tr td").first.inner_text()
    page.get_by_role("button", name=f"Make a batch for {term}").click()
    page.wait_for_url("**/pp-plus/payments")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Download the CSV")).first.click()
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    mine = sorted((r["child_ref"], r["amount"], r["status"]) for r in rows if r["child_ref"] == ref)
    assert mine == [(ref, "300.00", "batched"), (ref, "650.00", "batched")]
    page.get_by_label("Finance reference").first.fill("AP-2026-1187")
    page.get_by_role("button", name=re.compile("Mark batch .* paid")).first.click()
    page.wait_for_url("**/pp-plus/payments")
    assert "reference AP-2026-1187" in page.inner_text("main")
    page.goto("/pp-plus/ledger")
    check_accessibility(page)
    assert "£950" in page.inner_text("main")


def test_a_days_register_marks_are_imported_and_raise_alerts_on_my_work_and_a_chart_on_the_child_page(
        site, page, tmp_path):
    """Issue 41: VS admin imports marks (a child absent without a reason for four sessions in a row),
    the alert is on VS admin's and the social worker's My work, and the child page draws the weeks."""
    from pepflow.db.models import UserAccount

    from sqlalchemy import func

    from pepflow.db.models import EducationPlacement

    with session_scope(site.app.engine) as s:
        worker = s.execute(select(UserAccount).where(UserAccount.email == EMAILS["social_worker"])).scalar_one()
        moved = select(EducationPlacement.child_ref).group_by(EducationPlacement.child_ref).having(func.count() > 1)
        child = s.execute(select(Child).where(Child.social_worker_ref == worker.person_ref, Child.looked_after,
                                              Child.school_urn.is_not(None), Child.ref.not_in(moved))  # at one school
                          .order_by(Child.ref)).scalars().first()
        ref, urn, name = child.ref, child.school_urn, f"{child.first_name} {child.last_name}"
    rows = ["child_ref,school_urn,date,session,code"]
    for day in ("2026-11-09", "2026-11-10", "2026-11-11", "2026-11-12", "2026-11-13", "2026-11-16", "2026-11-17",
                "2026-11-18"):
        rows += [f"{ref},{urn},{day},AM,/", f"{ref},{urn},{day},PM,\\"]
    rows += [f"{ref},{urn},2026-11-19,AM,N", f"{ref},{urn},2026-11-19,PM,N", f"{ref},{urn},2026-11-20,AM,O",
             f"{ref},{urn},2026-11-20,PM,N", f"{ref},{urn},2026-11-20,AM,J"]
    marks = tmp_path / "register-2026-11-20.csv"
    marks.write_text("\n".join(rows) + "\n", encoding="utf-8")

    sign_in(page, "vs_admin")
    page.goto("/attendance/import")
    check_accessibility(page)
    page.get_by_label("The CSV file").set_input_files(str(marks))
    page.get_by_role("button", name="Import").click()
    main = page.inner_text("main")
    assert "20 added" in main and "1 set aside" in main and "1 alert raised" in main
    assert "line 22, code 'J': is a retired code" in main
    check_accessibility(page)
    page.goto("/my-work")
    assert "Absent without a reason" in page.inner_text("main") and name in page.inner_text("main")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "social_worker")
    assert "Absent without a reason" in page.inner_text("main")
    page.goto(f"/children/{ref}")
    assert "Attendance by week" in page.inner_text("main")
    assert page.locator("#attendance ~ figure svg rect").count() == 2  # two weeks with marks
    check_accessibility(page)


def test_vs_admin_exports_a_childs_record_for_subject_access(site, page):
    """Issue 43: from the child page, the whole record as a zip whose JSON validates against its schema."""
    import io
    import json
    import zipfile

    import jsonschema

    with session_scope(site.app.engine) as s:
        ref = s.execute(select(Child.ref).where(Child.looked_after).order_by(Child.ref.desc())).scalars().first()
    sign_in(page, "vs_admin")
    page.goto(f"/children/{ref}")
    page.get_by_role("link", name="Export the whole record for a subject access request").click()
    check_accessibility(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the record").click()
    archive = zipfile.ZipFile(io.BytesIO(open(download.value.path(), "rb").read()))
    record = json.loads(archive.read("record.json"))
    jsonschema.validate(record, json.loads(archive.read("schema.json")))
    assert record["child_ref"] == ref and record["tables"]["child"][0]["ref"] == ref
    with session_scope(site.app.engine) as s:
        assert s.execute(select(Event).where(Event.child_ref == ref, Event.name == "record_exported")).first()
