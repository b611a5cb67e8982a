"""Reading a council's CSV list: its encoding, its columns (renamed by a mapping file where the
council's export names them differently), and the rows, each with its line number.  Nothing is
parsed or written here: a file that cannot be read is refused naming the line."""

from __future__ import annotations

import csv
import io
import re
import tomllib
from pathlib import Path

from pepflow import values
from pepflow.errors import ImportFileError, quoted
from pepflow.intake.csv_columns import COLUMNS


def read_mapping(path: str | Path) -> dict[str, str]:
    """Their column name -> our column name, from a mapping file."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ImportFileError(str(path), [f"cannot read mapping file: {exc}"]) from None
    columns = data.get("columns")
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        raise ImportFileError(str(path), ['expected a [columns] table of "their name" = "our name"'])
    return columns


LONE_CARRIAGE_RETURN = re.compile("\r(?!\n)")
SAVE_AS = "save it as CSV UTF-8 (in Excel: Save As, then 'CSV UTF-8 (Comma delimited)')"


def read_csv(path: str | Path, kind: str, mapping: dict[str, str] | None = None
             ) -> list[tuple[int, dict[str, str]]]:
    """Rows as (line number, {our column: raw text}), after applying a column mapping.

    Refused whole, naming the line: a file that is not UTF-8 text (UTF-16 included), a
    quoted value whose closing quote is missing (it would swallow the lines after it), a
    row with more values than the header has columns."""
    file = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ImportFileError(file, [f"cannot read the file: {exc.strerror}"]) from None
    text = _decode(file, data)
    lone = LONE_CARRIAGE_RETURN.search(text)
    if lone:
        line = text.count("\n", 0, lone.start()) + 1
        raise ImportFileError(file, [f"line {line}: a line break (a carriage return) in the middle of a line, "
                                     f"at character {lone.start() - text.rfind(chr(10), 0, lone.start())}: "
                                     "values cannot contain line breaks"])
    csv.field_size_limit(values.CSV_FIELD_LIMIT)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip() for h in next(reader, [])]
    except csv.Error as exc:
        raise ImportFileError(file, [f"line 1: the header cannot be read as CSV ({exc})"]) from None
    for name in header:
        try:
            values.clean(name, 100)
        except ValueError as bad:
            raise ImportFileError(file, [f"line 1: the column name {quoted(name)} {bad}"]) from None
    mapping = mapping or {}
    # a column is found whatever its case ("REF", "First_Name"): spreadsheets change it
    known = {c.lower(): c for c in COLUMNS.get(kind, {})}
    ours = [mapping.get(h, known.get(h.lower(), h)) for h in header]
    required = [c for c, (_, req) in COLUMNS[kind].items() if req] if kind in COLUMNS else []
    missing = [c for c in required if c not in ours]
    if missing:
        raise ImportFileError(file, [
            f"line 1: missing column(s) {', '.join(missing)} (found: {', '.join(quoted(h) for h in header)[:300]})"])
    rows, problems = [], []
    end = reader.line_num
    while True:
        start = end + 1
        try:
            raw = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(_unreadable(start, reader.line_num, str(exc)))
            break
        end = reader.line_num
        if not any(v.strip() for v in raw):
            continue  # a blank line
        if end > start and any("\n" in v or "\r" in v for v in raw):
            problems.append(f"line {start}: a quoted value opens here and runs on to line {end} (a quote mark "
                            "missing or extra, or a line break inside a value): values cannot span lines")
            break
        if len(raw) != len(ours):
            problems.append(f"line {start}: {len(raw)} values, but the header has {len(ours)} columns "
                            "(a comma inside a value needs the value in quotes; a line break cannot be in one)")
            break  # the lines after it are likely out of step too
        rows.append((start, dict(zip(ours, raw))))
    if problems:
        raise ImportFileError(file, problems)
    return rows


def ignored_columns(path: str | Path, kind: str, mapping: dict[str, str] | None = None) -> list[str]:
    """The file's columns pepflow does not read, each with "did you mean …?" when it is close
    to one it does (the header only is read: the file has been checked by ``read_csv``)."""
    if kind not in COLUMNS:
        return []
    with open(path, encoding="utf-8-sig", newline="") as handle:
        header = [h.strip() for h in next(csv.reader(handle), [])]
    mapping = mapping or {}
    known = {c.lower(): c for c in COLUMNS[kind]}
    out = []
    for name in header:
        ours = mapping.get(name, known.get(name.lower()))
        if ours is None or ours not in COLUMNS[kind]:
            near = values.did_you_mean(name, COLUMNS[kind]).strip()
            out.append(f"{quoted(name)}" + (f" ({near})" if near else ""))
    return out


def _decode(file: str, data: bytes) -> str:
    start = data[:4096]
    # UTF-16 text holds a NUL byte beside every letter of plain English; one NUL in a cell is
    # a control character, refused with its line and column by the value parsers
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or start.count(b"\x00") > len(start) // 4:
        raise ImportFileError(file, [f"the file is UTF-16 text, not UTF-8: {SAVE_AS}"])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ImportFileError(file, [f"line {line}: the file is not UTF-8 text (byte {data[exc.start]:#04x}): "
                                     f"{SAVE_AS}"]) from None


def _unreadable(start: int, end: int, problem: str) -> str:
    if "unexpected end of data" in problem or "EOF" in problem:
        return (f"line {start}: a quoted value opens here and is never closed (a quote mark is missing or "
                "extra); the file ends inside it")
    return f"line {start}: cannot be read as CSV ({problem})"

