"""Synthetic SSDA903 returns, written as the DfE's CSV tables or its XML form, for the tests and
``bench/import.py``: the same children give the same files a council's system would produce."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

HEADER = ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"]
EPISODES = ["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC", "REASON_PLACE_CHANGE",
            "HOME_POST", "PL_POST", "URN"]
REVIEWS = ["CHILD", "DOB", "REVIEW", "REVIEW_CODE"]
SW_EPISODES = ["CHILD", "DOB", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"]
UASC = ["CHILD", "SEX", "DOB", "DUC"]


def day(d: dt.date | str | None) -> str:
    if d is None or d == "":
        return ""
    if isinstance(d, str):
        return d  # as given (a test of a bad date)
    return d.strftime("%d/%m/%Y")


@dataclass
class Ep:
    decom: dt.date | str
    dec: dt.date | str | None = None
    rne: str = "S"
    ls: str = "C2"
    place: str = "U4"
    provider: str = "PR1"
    rec: str = ""
    reason_place_change: str = ""


@dataclass
class Kid:
    ref: str
    dob: dt.date | str
    upn: str = "UN4"
    episodes: list[Ep] = field(default_factory=list)
    reviews: list[tuple[dt.date | str, str]] = field(default_factory=list)
    workers: list[tuple[str, dt.date | str, dt.date | str | None, str]] = field(default_factory=list)


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def write_csv(folder: Path, kids: list[Kid], uasc: bool = True) -> list[Path]:
    """The return's CSV tables in ``folder`` (named as many systems name them)."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        "header.csv": [HEADER] + [[k.ref, "1", day(k.dob), "WBRI", k.upn, "", ""] for k in kids],
        "episodes.csv": [EPISODES] + [[k.ref, day(e.decom), e.rne, e.ls, "N1", e.place, e.provider, day(e.dec), e.rec,
                                       e.reason_place_change, "AB1 2CD", "AB3 4EF", ""]
                                      for k in kids for e in k.episodes],
        "reviews.csv": [REVIEWS] + [[k.ref, day(k.dob), day(on), code] for k in kids for on, code in k.reviews],
        "sw_episodes.csv": [SW_EPISODES] + [[k.ref, day(k.dob), sw, day(start), day(end), reason]
                                            for k in kids for sw, start, end, reason in k.workers],
    }
    if uasc:
        tables["uasc.csv"] = [UASC]
    paths = []
    for name, rows in tables.items():
        (folder / name).write_text(_csv(rows), encoding="utf-8")
        paths.append(folder / name)
    return paths


def write_xml(path: Path, kids: list[Kid]) -> Path:
    """The return as the XML form: EXPSSDA903 > CHILD > HEADER (with AREVIEW) and EPISODE."""
    def el(tag: str, text: str) -> str:
        return f"<{tag}>{escape(text)}</{tag}>" if text else f"<{tag} />"

    parts = ['<?xml version="1.0" encoding="utf-8"?>', "<EXPSSDA903>"]
    for k in kids:
        parts.append("<CHILD><HEADER>" + el("CHILDID", k.ref) + el("UPN", k.upn) + el("SEX", "1")
                     + el("DOB", day(k.dob)) + el("ETHNIC", "WBRI") + "<UASC />")
        parts += [f"<AREVIEW>{el('REVIEW', day(on))}{el('REVIEW_CODE', code)}</AREVIEW>" for on, code in k.reviews]
        parts.append("</HEADER>")
        for e in k.episodes:
            parts.append("<EPISODE>" + el("DECOM", day(e.decom)) + el("RNE", e.rne) + el("LS", e.ls) + el("CIN", "N1")
                         + el("PL", e.place) + el("PL_POST", "AB3 4EF") + el("HOME_POST", "AB1 2CD")
                         + el("PLACE_PROVIDER", e.provider) + el("DEC", day(e.dec)) + el("REC", e.rec)
                         + el("REASON_PLACE_CHANGE", e.reason_place_change) + "</EPISODE>")
        for sw, start, end, reason in k.workers:
            parts.append("<SWEPISODE>" + el("SW_ID", sw) + el("SW_DECOM", day(start)) + el("SW_DEC", day(end))
                         + el("SW_REASON", reason) + "</SWEPISODE>")
        parts.append("</CHILD>")
    parts.append("</EXPSSDA903>")
    path.write_text("".join(parts), encoding="utf-8")
    return path
