"""A report as a PDF for the care record or Ofsted: the same HTML as its page and file, laid out
by WeasyPrint (no browser, no network: a report's charts are inline SVG and it links nothing)."""

from __future__ import annotations


def pdf_of(html: str) -> bytes:
    """The PDF of a self-contained HTML document."""
    # imported here, not at the top: WeasyPrint loads only for the work that needs it (start-up time, bench/startup.py)
    from weasyprint import HTML

    # no base URL and a fetcher that refuses: a report never reaches outside itself
    return HTML(string=html, url_fetcher=_refuse).write_pdf()


def _refuse(url: str, *args, **kwargs):
    raise ValueError(f"a report does not load {url[:80]!r}")
