"""The PEP's pages (issue 39 item 3): a task list of its sections with their status, a form for
the role that fills a section in and a read-only page for the others, errors named in the form's
words, the stale-form refusal, and every view in the history."""

from __future__ import annotations

import re

from sqlalchemy import select

from pepflow.db.connection import session_scope
from pepflow.db.models import Child, Event, UserAccount

from .support.web import pupil_with_a_pep_being_written, signed_in_client
from .websupport import EMAILS, csrf_of


def _a_pupil_of_the_demo_dt(site) -> str:
    return pupil_with_a_pep_being_written(site, EMAILS["designated_teacher"])


def _a_submitted_pep(site) -> str:
    """A pupil of the demo DT whose PEP is written in full and submitted."""
    from pepflow.db.models import Pep
    from pepflow.engine.recording import record_event

    from .support.cases import fill_pep
    from .websupport import TODAY

    ref = _a_pupil_of_the_demo_dt(site)
    app = site.app
    with session_scope(app.engine) as s:
        if s.execute(select(Pep.state).where(Pep.child_ref == ref, Pep.is_current)).scalar_one() != "meeting_held":
            record_event(s, app.config, ref, "pep_meeting_held", TODAY, TODAY, role="designated_teacher")
    fill_pep(app.engine, app.config, ref, TODAY.isoformat())
    with session_scope(app.engine) as s:
        record_event(s, app.config, ref, "pep_submitted", TODAY, TODAY, role="designated_teacher")
    return ref


def test_the_task_list_shows_each_section_and_whose_it_is(fresh_site):
    ref = _a_pupil_of_the_demo_dt(fresh_site)
    teacher = signed_in_client(fresh_site, "designated_teacher")
    page = teacher.get(f"/children/{ref}/pep")
    assert page.status_code == 200 and "govuk-task-list" in page.text
    assert "The child&#39;s voice" in page.text and "Not started" in page.text
    assert "Filled in by the social worker (you can read it)" in page.text
    with session_scope(fresh_site.app.engine) as s:
        assert s.execute(select(Event.child_ref).where(Event.name == "pep_viewed")).scalars().all() == [ref]


def test_a_designated_teacher_fills_in_targets_and_a_bad_date_is_named_in_the_forms_words(fresh_site):
    ref = _a_pupil_of_the_demo_dt(fresh_site)
    teacher = signed_in_client(fresh_site, "designated_teacher")
    form = teacher.get(f"/children/{ref}/pep/targets").text
    assert 'name="targets-1-area"' in form and 'name="version" value="0"' in form
    row = {"targets-rows": "3", "targets-1-area": "academic", "targets-1-target": "Read for 20 minutes a day",
           "targets-1-measure": "Reading age up six months", "targets-1-actions": "Daily reading with a mentor",
           "targets-1-who": "Class teacher", "targets-1-by_when": "31/2/2027"}
    bad = teacher.post(f"/children/{ref}/pep/targets", data={"csrf_token": csrf_of(form), "version": "0", **row})
    assert bad.status_code == 400 and "Targets, row 1, By when:" in bad.text
    assert "Read for 20 minutes a day" in bad.text  # what was typed is kept
    done = teacher.post(f"/children/{ref}/pep/targets", follow_redirects=False, data={
        "csrf_token": csrf_of(form), "version": "0", **row, "targets-1-by_when": "26 Mar 2027"})
    assert done.status_code == 303
    listed = teacher.get(f"/children/{ref}/pep").text
    assert "Saved: SMART targets." in listed
    again = teacher.post(f"/children/{ref}/pep/targets", data={"csrf_token": csrf_of(form), "version": "0", **row,
                                                                "targets-1-by_when": "27 Mar 2027"})
    assert again.status_code == 400 and "after you opened it" in again.text


def test_a_social_worker_reads_the_teachers_sections_and_cannot_save_them(fresh_site):
    ref = _a_pupil_of_the_demo_dt(fresh_site)
    with session_scope(fresh_site.app.engine) as s:
        sw = s.get(Child, ref).social_worker_ref
        account = s.execute(select(UserAccount).where(UserAccount.email == EMAILS["social_worker"])).scalar_one()
        account.person_ref = sw  # the demo social worker holds this child's case
    worker = signed_in_client(fresh_site, "social_worker")
    page = worker.get(f"/children/{ref}/pep/targets").text
    assert "<form method=\"post\" action=\"/children/" not in page.split("Sign out")[-1] and "Not filled in" in page
    token = csrf_of(page)
    refused = worker.post(f"/children/{ref}/pep/targets", data={"csrf_token": token, "version": "0",
                                                                "targets-rows": "1", "targets-1-area": "academic"})
    assert refused.status_code == 400 and "you may read it" in refused.text
    own = worker.get(f"/children/{ref}/pep/contacts").text
    assert 'name="carers"' in own  # their own section is a form


def test_vs_admin_returns_one_section_on_the_qa_page_and_the_teacher_sees_why(fresh_site):
    ref = _a_submitted_pep(fresh_site)
    admin = signed_in_client(fresh_site, "vs_admin")
    form = admin.get(f"/children/{ref}/pep/qa").text
    assert 'name="targets-grade"' in form
    grades = {f"{key}-grade": "green" for key in re.findall(r'name="([a-z_]+)-grade"', form)}
    unfinished = admin.post(f"/children/{ref}/pep/qa", data={"csrf_token": csrf_of(form), **grades,
                                                             "targets-grade": "red"})
    assert unfinished.status_code == 400 and "SMART targets: needs a comment" in unfinished.text
    done = admin.post(f"/children/{ref}/pep/qa", data={"csrf_token": csrf_of(form), **grades, "targets-grade": "red",
                                                       "targets-comment": "Say how success is measured"})
    assert "Returned to be changed: SMART targets." in done.text
    teacher = signed_in_client(fresh_site, "designated_teacher")
    listed = teacher.get(f"/children/{ref}/pep").text
    assert "Needs changes" in listed and "Say how success is measured" in listed


def test_the_approved_peps_pdf_is_downloaded_from_the_task_list_and_the_download_is_in_the_history(fresh_site):
    ref = _a_submitted_pep(fresh_site)
    app = fresh_site.app
    admin = signed_in_client(fresh_site, "vs_admin")
    form = admin.get(f"/children/{ref}/pep/qa").text
    grades = {f"{key}-grade": "green" for key in re.findall(r'name="([a-z_]+)-grade"', form)}
    approved = admin.post(f"/children/{ref}/pep/qa", data={"csrf_token": csrf_of(form), **grades})
    assert "Approved, rated green. Its PDF is made." in approved.text and f"/children/{ref}/pep/pdf" in approved.text
    teacher = signed_in_client(fresh_site, "designated_teacher")
    pdf = teacher.get(f"/children/{ref}/pep/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    with session_scope(app.engine) as s:
        assert s.execute(select(Event.child_ref).where(Event.name == "pep_pdf_downloaded")).scalars().all() == [ref]


def test_a_document_is_uploaded_to_a_section_typed_by_its_content_and_downloaded_only_as_a_file(fresh_site):
    import io
    import zipfile

    ref = _a_pupil_of_the_demo_dt(fresh_site)
    teacher = signed_in_client(fresh_site, "designated_teacher")
    page = teacher.get(f"/children/{ref}/pep/attendance").text
    token = csrf_of(page)
    url = f"/children/{ref}/pep/attendance/documents"
    html = teacher.post(url, data={"csrf_token": token},
                        files={"document": ("report.pdf", b"<html><script>alert(1)</script></html>", "application/pdf")})
    assert html.status_code == 400 and "is not a PDF, a Word document, or a PNG or JPEG image" in html.text
    word = io.BytesIO()
    with zipfile.ZipFile(word, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    added = teacher.post(url, follow_redirects=False, data={"csrf_token": token},
                         files={"document": ("Autumn report", word.getvalue(), "text/html")})
    assert added.status_code == 303
    listed = teacher.get(f"/children/{ref}/pep/attendance").text
    link = re.search(rf'href="(/children/{ref}/pep/documents/\d+)"', listed).group(1)
    assert "Autumn report.docx" in listed and "Word document" in listed
    got = teacher.get(link)
    assert got.status_code == 200 and got.content == word.getvalue()
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["content-type"].startswith("application/vnd.openxmlformats")  # its content's type, not the one sent
    with session_scope(fresh_site.app.engine) as s:
        names = s.execute(select(Event.name).where(Event.child_ref == ref, Event.name.like("pep_document%"))).scalars().all()
    assert names == ["pep_document_added", "pep_document_downloaded"]
    big = teacher.post(url, data={"csrf_token": token},
                       files={"document": ("huge.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024 + 10), "application/pdf")})
    assert big.status_code == 400 and "larger than 10 MB" in big.text
