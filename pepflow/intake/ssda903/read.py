"""Read an SSDA903 return: its CSV tables (a folder, or the files) or its XML file.

The CSV tables are told apart by their columns, whatever the files are called (Header has
SEX, ETHNIC and UPN; Episodes DECOM; Reviews REVIEW; SWEpisodes SW_ID …), as councils'
systems name the files differently.  The XML form is ``EXPSSDA903`` > ``CHILD`` > ``HEADER``
(with ``AREVIEW`` reviews) and ``EPISODE`` (``PL`` for the placement type); social worker
episodes are read from ``SWEPISODE`` or ``SW_EPISODE`` elements under ``CHILD`` or ``HEADER``.

A file that cannot be read, or a table without a column pepflow needs, stops the whole import
(``ImportFileError``).  A bad value in one child's rows is that child's problem only: it is
kept with the child (``RawChild.problems``) and the other children load.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from pepflow.errors import ImportFileError, quoted
from pepflow.intake.csv_reading import read_csv
from pepflow.rules.care_periods import Episode, Review, SocialWorkerEpisode
from pepflow import values

# a table -> a column only it has
TABLE_MARKS = (("Episodes", "DECOM"), ("Reviews", "REVIEW"), ("SWEpisodes", "SW_ID"), ("UASC", "DUC"),
               ("Missing", "MIS_START"), ("OC2", "SDQ_SCORE"), ("OC3", "IN_TOUCH"), ("AD1", "DATE_INT"),
               ("PlacedAdoption", "DATE_PLACED"), ("PrevPerm", "PREV_PERM"), ("Header", "ETHNIC"))
NEEDED = {
    "Header": ("CHILD", "DOB", "UPN"),
    "Episodes": ("CHILD", "DECOM", "RNE", "LS", "PLACE", "PLACE_PROVIDER", "DEC", "REC"),
    "Reviews": ("CHILD", "REVIEW", "REVIEW_CODE"),
    "SWEpisodes": ("CHILD", "SW_ID", "SW_DECOM", "SW_DEC"),
}
USED = tuple(NEEDED)


@dataclass
class RawChild:
    """One child's rows, typed; ``problems`` name each value that could not be read."""

    ref: str
    dob: dt.date | None = None
    upn: str = ""
    episodes: list[Episode] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    workers: list[SocialWorkerEpisode] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    header_at: str = ""  # where its Header row is, for messages


@dataclass
class Return:
    children: dict[str, RawChild]
    files: list[str]  # the names read, for the actor of the events ("import of …")
    ignored: list[str]  # tables read but not used by pepflow
    warnings: list[str] = field(default_factory=list)


def read_return(paths: list[Path]) -> Return:
    """The children of the return at ``paths`` (folders are read for their .csv and .xml files)."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(f for f in p.iterdir() if f.suffix.lower() in (".csv", ".xml"))
            if not found:
                raise ImportFileError(str(p), ["the folder holds no .csv or .xml files"])
            files += found
        elif not p.exists():
            raise ImportFileError(str(p), ["no such file or folder"])
        else:
            files.append(p)
    xml = [f for f in files if f.suffix.lower() == ".xml"]
    if xml and len(files) > 1:
        raise ImportFileError(str(xml[0]), ["give either the XML file or the CSV tables, not both (or two XML "
                                            "files)"])
    if xml:
        return _read_xml(xml[0])
    return _read_csv_tables(files)


def _read_csv_tables(files: list[Path]) -> Return:
    tables: dict[str, tuple[Path, list[tuple[int, dict[str, str]]]]] = {}
    for f in files:
        rows = read_csv(f, "ssda903")
        columns = {_column(c) for c in (rows[0][1] if rows else _header_of(f))}
        table = next((t for t, mark in TABLE_MARKS if mark in columns), None)
        if table is None:
            raise ImportFileError(str(f), [f"line 1: this is not an SSDA903 table (its columns: "
                                           f"{', '.join(sorted(columns))[:200]})"])
        if table in tables:
            raise ImportFileError(str(f), [f"this is a second {table} table (the first is {tables[table][0].name})"])
        rows = [(line, {_column(k): v for k, v in raw.items()}) for line, raw in rows]
        missing = [c for c in NEEDED.get(table, ()) if c not in columns]
        if missing:
            raise ImportFileError(str(f), [f"line 1: the {table} table has no column {', '.join(missing)}"])
        tables[table] = (f, rows)
    for needed in ("Header", "Episodes"):
        if needed not in tables:
            raise ImportFileError(", ".join(f.name for f in files), [
                f"no {needed} table among the files (tables found: {', '.join(sorted(tables)) or 'none'})"])
    children: dict[str, RawChild] = {}
    header_file, header_rows = tables["Header"]
    for line, row in header_rows:
        _add_header(children, row, f"{header_file.name} line {line}")
    for table, add in (("Episodes", _add_episode), ("Reviews", _add_review), ("SWEpisodes", _add_worker)):
        if table in tables:
            f, rows = tables[table]
            for line, row in rows:
                add(children, row, f"{f.name} line {line}")
    warnings = [f"no {t} table: {why}" for t, why in (("Reviews", "care reviews are not updated"),
                                                     ("SWEpisodes", "social workers are not updated"))
                if t not in tables]
    if not children:
        warnings.append(f"the {header_file.name} table holds no child: no child was read from the return (is it the "
                        "whole return?)")
    return Return(children, [f.name for f in files], sorted(t for t in tables if t not in USED), warnings)


def _column(name: str) -> str:
    """A column as pepflow names it: in capitals, and the XML's ``PL`` (which some systems also
    write in the CSV) as the CSV's ``PLACE``."""
    name = name.strip().upper()
    return "PLACE" if name == "PL" else name


def _header_of(f: Path) -> list[str]:
    first = f.read_text(encoding="utf-8-sig", errors="replace").splitlines()[:1]
    return [c.strip() for c in first[0].split(",")] if first else []


def _child(children: dict[str, RawChild], row: dict[str, str], where: str) -> RawChild:
    raw = row.get("CHILD", "")
    try:
        ref = values.ref(raw)
    except ValueError as bad:
        ref = f"(at {where})"
        children.setdefault(ref, RawChild(ref)).problems.append(f"{where}: CHILD {quoted(raw)} {bad}")
        return children[ref]
    if ref not in children:
        children[ref] = RawChild(ref)
    return children[ref]


def _date(child: RawChild, row: dict[str, str], column: str, where: str, required: bool = True) -> dt.date | None:
    raw = row.get(column, "") or ""
    try:
        return values.date_value(raw) if required else values.optional_date(raw)
    except ValueError as bad:
        child.problems.append(f"{where}: {column} {quoted(raw)} {bad}")
        return None


def _code(child: RawChild, row: dict[str, str], column: str, where: str) -> str:
    raw = row.get(column, "") or ""
    try:
        return values.clean(raw, 20).upper()
    except ValueError as bad:
        child.problems.append(f"{where}: {column} {quoted(raw)} {bad}")
        return ""


def _add_header(children: dict[str, RawChild], row: dict[str, str], where: str) -> None:
    child = _child(children, row, where)
    if child.header_at:
        child.problems.append(f"{where}: the child is in the Header table twice (also at {child.header_at})")
        return
    child.header_at = where
    child.dob = _date(child, row, "DOB", where)
    child.upn = _code(child, row, "UPN", where)


def _add_episode(children: dict[str, RawChild], row: dict[str, str], where: str) -> None:
    child = _child(children, row, where)
    start, end = _date(child, row, "DECOM", where), _date(child, row, "DEC", where, required=False)
    codes = {c: _code(child, row, c, where) for c in ("RNE", "LS", "PLACE", "PLACE_PROVIDER", "REC",
                                                       "REASON_PLACE_CHANGE")}
    if start is not None:
        child.episodes.append(Episode(start, end, codes["RNE"], codes["LS"], codes["PLACE"],
                                      codes["PLACE_PROVIDER"], codes["REC"], codes["REASON_PLACE_CHANGE"]))


def _add_review(children: dict[str, RawChild], row: dict[str, str], where: str) -> None:
    if not (row.get("REVIEW") or "").strip() and not (row.get("REVIEW_CODE") or "").strip():
        return  # a child with no reviews may have an empty row
    child = _child(children, row, where)
    on = _date(child, row, "REVIEW", where)
    if on is not None:
        child.reviews.append(Review(on, _code(child, row, "REVIEW_CODE", where)))


def _add_worker(children: dict[str, RawChild], row: dict[str, str], where: str) -> None:
    child = _child(children, row, where)
    start, end = _date(child, row, "SW_DECOM", where), _date(child, row, "SW_DEC", where, required=False)
    try:
        sw = values.ref(row.get("SW_ID", ""))
    except ValueError as bad:
        child.problems.append(f"{where}: SW_ID {quoted(row.get('SW_ID', ''))} {bad}")
        return
    if start is not None:
        child.workers.append(SocialWorkerEpisode(sw, start, end, _code(child, row, "SW_REASON", where)))


def _read_xml(path: Path) -> Return:
    # imported here, not at the top: defusedxml, xml loads only for the work that needs it (start-up time, bench/startup.py)
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException
    from xml.etree.ElementTree import ParseError

    try:
        root = ElementTree.parse(path, forbid_dtd=True).getroot()
    except ParseError as exc:
        raise ImportFileError(str(path), [f"the XML cannot be read: {exc}"]) from None
    except DefusedXmlException:
        raise ImportFileError(str(path), ["the XML declares entities or a document type, which an SSDA903 "
                                          "file does not; it is not read"]) from None
    except OSError as exc:
        raise ImportFileError(str(path), [f"cannot read the file: {exc.strerror}"]) from None
    if root.tag != "EXPSSDA903":
        raise ImportFileError(str(path), [f"this is not an SSDA903 XML file (its root element is <{root.tag[:40]}>, "
                                          "not <EXPSSDA903>)"])
    children: dict[str, RawChild] = {}
    not_read: dict[str, int] = {}
    for n, element in enumerate(root.iter("CHILD"), start=1):
        header = element.find("HEADER")
        fields = _leaves(header) if header is not None else {}
        child_id = fields.get("CHILDID", "")
        where = f"child {n} ({quoted(child_id)})"
        _add_header(children, {"CHILD": child_id, "DOB": fields.get("DOB", ""), "UPN": fields.get("UPN", "")},
                    where)
        for review in element.iter("AREVIEW"):  # under HEADER, or wherever a system writes it in CHILD
            _add_review(children, {"CHILD": child_id, **_leaves(review)}, f"{where}, review")
        for m, episode in enumerate(element.iter("EPISODE"), start=1):
            row = {_column(k): v for k, v in _leaves(episode).items()}
            _add_episode(children, {"CHILD": child_id, **row}, f"{where}, episode {m}")
        for tag in ("SWEPISODE", "SW_EPISODE"):
            for worker in element.iter(tag):
                _add_worker(children, {"CHILD": child_id, **_leaves(worker)}, f"{where}, social worker episode")
        for part in element.iter():
            if part.tag not in XML_READ and part.tag not in XML_LEFT_ALONE:
                not_read[part.tag] = not_read.get(part.tag, 0) + 1
    warnings = [] if children else ["the file holds no <CHILD>: no child was read from it (is it the whole return?)"]
    if not_read:
        warnings.append("elements pepflow does not read, left alone: " + ", ".join(
            f"<{tag[:40]}> ({count})" for tag, count in sorted(not_read.items())))
    return Return(children, [path.name], [], warnings)


# the XML elements pepflow reads, and those of the return it knows and leaves alone
XML_READ = frozenset({"CHILD", "HEADER", "CHILDID", "DOB", "UPN", "AREVIEW", "REVIEW", "REVIEW_CODE", "EPISODE",
                      "DECOM", "RNE", "LS", "PL", "PLACE", "PLACE_PROVIDER", "DEC", "REC", "REASON_PLACE_CHANGE",
                      "SWEPISODE", "SW_EPISODE", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"})
XML_LEFT_ALONE = frozenset({"SEX", "ETHNIC", "CIN", "UASC", "DUC", "MOTHER", "MC_DOB", "HOME_POST", "PL_POST", "URN",
                            "PL_LOCATION", "PL_DISTANCE", "PL_LA", "LA", "OC2", "OC3", "AD1", "PLACED_ADOPTION",
                            "PREV_PERM", "MISSING", "MIS_START", "MIS_END", "MISSING_EPISODE"})


def _leaves(element) -> dict[str, str]:
    """The element's own childless sub-elements, tag -> text."""
    return {e.tag: (e.text or "") for e in element if len(e) == 0}
