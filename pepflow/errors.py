"""The one exception tree of pepflow.

Every error a user can cause is a ``PepflowError`` whose message reads as one plain
sentence naming the field and the value at fault.  The CLI prints ``str(error)`` and
exits non-zero; the web pages put it on the form beside its field.  The domain names
fields as it knows them (``on``, ``meeting_date``); each edge says them in its own words
(``--on`` on the command line, "Date" on a form).

    PepflowError
    ├── ConfigError           a configuration file: folder, file, entry, field
    ├── CalendarRangeError    a date beyond the term dates a calendar has
    ├── InputError            a value given on the command line, in an event or a form
    ├── ImportFileError       rows of an import file (nothing was imported)
    ├── SchemaError           the database is at a schema revision this version cannot use
    ├── BackupError           a backup or restore that could not be made (pg_dump failed …)
    ├── NotFound              a child, school, person or process that does not exist
    └── TransitionNotAllowed  an event the process's current state does not allow
"""

from __future__ import annotations

import re
from pepflow import vocabulary

QUOTE_AT_MOST = 80

# user:password@ in a URL (postgresql://pepflow_owner:secret@host/db)
_URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:)[^@\s]+@")


def without_passwords(text: str) -> str:
    """``text`` with the password of every URL in it shown as ``***``: no message, log line or
    error shows a database password (issue 35)."""
    return _URL_PASSWORD.sub(r"\1***@", text) if "://" in text else text


def quoted(value: object) -> str:
    """A value as an error message quotes it: in quotes, with at most about 80 characters of it
    (a whole 100,000-character cell is not repeated back), control characters escaped."""
    if value is None:
        return "(none)"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    text = without_passwords(str(value))
    if len(text) <= QUOTE_AT_MOST:
        return repr(text)
    return repr(text[:QUOTE_AT_MOST]) + f"… ({len(text):,} characters)"


class PepflowError(Exception):
    """Base class: a problem the user can understand and fix."""

    def __str__(self) -> str:
        return without_passwords(super().__str__())


class ConfigError(PepflowError):
    """A configuration file is missing, malformed or has a bad value."""

    def __init__(self, file: str, key: str | None, field: str | None, problem: str):
        self.file, self.key, self.field, self.problem = file, key, field, problem
        where = file
        if key:
            where += f", entry '{key}'"
        if field:
            where += f", field '{field}'"
        super().__init__(f"Configuration error in {where}: {problem}")


class CalendarRangeError(PepflowError):
    """A date falls outside the years a calendar has term dates for."""

    def __init__(self, calendar: str, academic_year: str, when: str):
        self.calendar, self.academic_year = calendar, academic_year
        super().__init__(
            f"Calendar '{calendar}' has no term dates for {academic_year} (needed for {when}); "
            f"add that year to config/calendars/{calendar}.toml"
        )


class InputError(PepflowError):
    """A value given on the command line or in an event is not acceptable."""

    def __init__(self, field: str, value: object, problem: str):
        self.field, self.value, self.problem = field, value, problem
        super().__init__(f"{field} = {quoted(value)}: {problem}")


class ImportFileError(PepflowError):
    """One or more rows of an import file are invalid; nothing was imported."""

    def __init__(self, file: str, problems: list[str]):
        self.file, self.problems = file, problems
        if len(problems) == 1:  # one line: the file, where in it, the value and what is wrong
            super().__init__(f"{file}, {problems[0]}. Nothing was imported.")
            return
        shown = "\n".join(f"  {p}" for p in problems[:50])
        more = f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{file}: {len(problems)} problems; nothing was imported.\n{shown}{more}")


class SchemaError(PepflowError):
    """The database's tables are at a revision this version of pepflow cannot use as they are."""

    def __init__(self, database: str, revision: str, needed: str, problem: str):
        self.database, self.revision, self.needed = database, revision, needed
        super().__init__(f"The database {database} is at schema revision {revision} (this version of pepflow "
                         f"uses {needed}): it {problem}.")


class NotFound(PepflowError):
    """A child, school, person or process named by the user does not exist."""

    def __init__(self, what: str, ref: str, near: list[str] | tuple[str, ...] = ()):
        self.what, self.ref, self.near = what, ref, list(near)
        maybe = f": did you mean {' or '.join(self.near)}?" if self.near else ""
        super().__init__(f"No {what} with reference {ref!r}{maybe}")


class TransitionNotAllowed(PepflowError):
    """An event is not allowed in the process's current state; nothing was changed."""

    def __init__(self, case_ref: str, process: str, event: str, state: str, allowed: list[str]):
        self.case_ref, self.process, self.event, self.state, self.allowed = (
            case_ref, process, event, state, allowed)

        # steps pepflow takes itself (a PEP superseded by the next) are not offered to people
        offered = [name for name in allowed if name in vocabulary.EVENTS]
        def listed(with_codes: bool) -> str:
            return ", ".join(f"{vocabulary.event_label(n)}" + (f" ({n})" if with_codes else "")
                             for n in offered) if offered else "nothing"
        code = process.lower()
        process_words = vocabulary.process_label(code) if code in vocabulary.PROCESSES else process
        state_words = vocabulary.state_label(code, state) if state in vocabulary.STATES.get(code, {}) else state
        where = (f"while the {process_words if process_words.isupper() else process_words.lower()} is "
                 f"'{state_words.lower()}'")
        # the pages name events by their labels; the command line adds the names it types
        self.in_words = (f"{vocabulary.event_label(event)} cannot be recorded {where}. What can be recorded now: "
                         f"{listed(False)}. Nothing was changed.")
        super().__init__(f"{case_ref}: {vocabulary.event_label(event)} ({event}) cannot be recorded {where}. "
                         f"What can be recorded now: {listed(True)}. Nothing was changed.")


class HistoryError(PepflowError):
    """The history does not verify, so pepflow will not record it as good (a checkpoint)."""


class BackupError(PepflowError):
    """A backup or restore that could not be made (``db/backup.py``)."""
