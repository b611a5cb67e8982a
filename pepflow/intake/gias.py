"""Schools from Get Information About Schools (GIAS): the DfE's establishment file.

GIAS publishes every establishment in England as one CSV ("edubasealldata…csv", about 50,000
rows), in Windows-1252, with a column per field and, for coded fields, a "(code)" and a
"(name)" column.  This module turns its rows into pepflow's school columns (``urn``,
``name``, ``type``, ``la``, ``phase``, ``low_age``, ``high_age``, ``status``,
``close_date``), which ``importing.import_records`` then checks and writes like any schools
file.  What pepflow keeps of its own (a school's designated teacher, head teacher, calendar
and Ofsted record) is not in the file, so an import leaves it as it was.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from pepflow import values
from pepflow.errors import ImportFileError

# GIAS "TypeOfEstablishment (name)" -> pepflow's school type
TYPES = {
    "Community school": "maintained", "Voluntary aided school": "maintained",
    "Voluntary controlled school": "maintained", "Foundation school": "maintained",
    "Local authority nursery school": "maintained",
    "Academy converter": "academy", "Academy sponsor led": "academy", "Academy 16-19 converter": "academy",
    "Academy 16 to 19 sponsor led": "academy", "City technology college": "academy",
    "Free schools": "free", "Free schools 16 to 19": "free", "Studio schools": "free",
    "University technical college": "free",
    "Community special school": "special", "Foundation special school": "special",
    "Non-maintained special school": "special", "Academy special converter": "special",
    "Academy special sponsor led": "special", "Free schools special": "special",
    "Pupil referral unit": "pru",
    "Academy alternative provision converter": "ap", "Academy alternative provision sponsor led": "ap",
    "Free schools alternative provision": "ap",
    "Other independent school": "independent", "Other independent special school": "independent",
    "Further education": "further_education", "Sixth form centres": "further_education",
}
# GIAS "EstablishmentStatus (name)" -> pepflow's status
STATUSES = {"Open": "open", "Closed": "closed", "Open, but proposed to close": "proposed_to_close",
            "Proposed to open": "proposed_to_open"}
# pepflow's school columns, as GIAS names them (errors name the file's own column)
GIAS_COLUMNS = {"urn": "URN", "name": "EstablishmentName", "type": "TypeOfEstablishment (name)", "la": "LA (name)",
                "phase": "PhaseOfEducation (name)", "low_age": "StatutoryLowAge", "high_age": "StatutoryHighAge",
                "status": "EstablishmentStatus (name)", "close_date": "CloseDate"}
REQUIRED = ("URN", "EstablishmentName", "TypeOfEstablishment (name)", "EstablishmentStatus (name)")


def read_gias(path: str | Path) -> tuple[list[tuple[int, dict[str, str]]], list[str]]:
    """The file's rows as pepflow school columns (with their line numbers), and warnings (types
    pepflow does not know, kept as "other").  A file without GIAS's columns is refused whole."""
    name = Path(path).name
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:  # how GIAS serves it
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise ImportFileError(name, ["the file is neither UTF-8 nor Windows-1252 text: download it again "
                                         "from Get Information About Schools"]) from None
    csv.field_size_limit(values.CSV_FIELD_LIMIT)  # the same for every import, whatever ran before
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise ImportFileError(name, [f"this is not a GIAS establishment file: it has no column "
                                     f"{', '.join(repr(c) for c in missing)}"])
    rows, unknown = [], {}
    try:
        numbered = list(enumerate(reader, start=2))
    except csv.Error as exc:  # a cell longer than the csv module's limit, a stray quote
        raise ImportFileError(name, [f"line {reader.line_num}: cannot be read as CSV ({exc}): download the file again "
                                     "from Get Information About Schools"]) from None
    for line, raw in numbered:
        kind = raw.get("TypeOfEstablishment (name)", "")
        mapped = TYPES.get(kind)
        if mapped is None:
            unknown[kind] = unknown.get(kind, 0) + 1
            mapped = "other"
        status = raw.get("EstablishmentStatus (name)", "")
        rows.append((line, {
            "urn": raw.get("URN", ""), "name": raw.get("EstablishmentName", ""), "type": mapped,
            "la": raw.get("LA (name)", ""), "phase": raw.get("PhaseOfEducation (name)", ""),
            "low_age": raw.get("StatutoryLowAge", ""), "high_age": raw.get("StatutoryHighAge", ""),
            "status": STATUSES.get(status, status), "close_date": _gias_date(raw.get("CloseDate", "")),
        }))
    warnings = [f"{count} establishment(s) of type {kind!r} kept as 'other'" for kind, count in sorted(unknown.items())]
    return rows, warnings


def _gias_date(value: str) -> str:
    """GIAS writes dates ``dd-mm-yyyy``; pepflow's parser reads ``dd/mm/yyyy``."""
    value = (value or "").strip()
    if len(value) == 10 and value[2] == "-" and value[5] == "-":
        return value.replace("-", "/")
    return value
