"""Load and validate the configuration directory into frozen objects.

The shipped ``config/`` is always the base.  A council points ``--config`` (or
``PEPFLOW_CONFIG``) at its own directory, which needs to hold only what differs:
a timescale entry there adds a new *version* of the rule (from its ``effective_from``
date) and inherits every field it does not set from the version before; a calendar
file replaces the shipped calendar of the same name; ``pepflow.toml`` settings
override one by one.  Nothing here rewrites history: a deadline is computed and
judged by the version in force on its start date.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from bisect import bisect_right
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .calendars import COUNTINGS, UNITS, UNIT_LABELS, Calendar, Term, academic_year_of
from .errors import ConfigError, InputError

OWNER_ROLES = (
    "social_worker", "team_manager", "designated_teacher", "head_teacher", "vs_admin",
    "vs_officer", "vsh", "iro", "carer", "admission_authority", "governors", "local_authority",
    "school",
)


def shipped_config_dir() -> Path:
    """The ``config/`` that comes with pepflow (inside the wheel, or beside the package)."""
    inside = Path(__file__).parent / "_shipped_config"
    if inside.is_dir():
        return inside
    return Path(__file__).resolve().parent.parent / "config"


# ---- timescales ---------------------------------------------------------------------

_TIMESCALE_FIELDS = {
    "description": str, "number": int, "unit": str, "counting": str, "start_event": str,
    "owner": str, "source": str, "effective_from": dt.date, "calendar": str,
}
_REQUIRED = ("number", "unit", "start_event", "owner", "source", "effective_from")


@dataclass(frozen=True)
class Timescale:
    """One version of one statutory or local timescale."""

    key: str
    number: int
    unit: str
    start_event: str
    owner: str
    source: str
    effective_from: dt.date
    counting: str = "after"
    description: str = ""
    calendar: str = "school"  # "school": the child's school's calendar, else the LA default

    @property
    def version(self) -> str:
        return self.effective_from.isoformat()

    @property
    def label(self) -> str:
        return f"{self.number} {UNIT_LABELS[self.unit]}"


class Timescales:
    """Every timescale, each a list of versions ordered by ``effective_from``."""

    def __init__(self, versions: dict[str, list[Timescale]]):
        self._versions = {k: sorted(v, key=lambda t: t.effective_from) for k, v in versions.items()}
        self._starts = {k: [t.effective_from for t in v] for k, v in self._versions.items()}

    def keys(self) -> list[str]:
        return sorted(self._versions)

    def __contains__(self, key: str) -> bool:
        return key in self._versions

    def versions(self, key: str) -> list[Timescale]:
        return list(self._versions[key])

    def describe(self, key: str) -> str:
        """What a deadline of this kind is, in words people read (emails, web pages)."""
        if key in self._versions:
            return self._versions[key][-1].description
        return key.replace("_", " ")

    def rule(self, key: str, on: dt.date) -> Timescale:
        """The version of ``key`` in force on ``on`` (the deadline's start date)."""
        if key not in self._versions:
            raise InputError("timescale", key, "no such timescale in the configuration")
        versions = self._versions[key]
        position = bisect_right(self._starts[key], on) - 1
        if position < 0:
            raise InputError("timescale", key, (
                f"no version in force on {on.isoformat()}; the earliest is effective from "
                f"{versions[0].effective_from.isoformat()}"))
        return versions[position]

    def rule_version(self, key: str, version: str) -> Timescale:
        """The exact version a deadline was computed by (for judging it later)."""
        for candidate in self._versions.get(key, []):
            if candidate.version == version:
                return candidate
        raise InputError("timescale", f"{key}@{version}", "that version is not in the configuration")

    def all_on(self, on: dt.date) -> list[Timescale]:
        out = []
        for key in self.keys():
            try:
                out.append(self.rule(key, on))
            except InputError:
                continue
        return out


def _timescale_versions(file: str, key: str, raw: Any) -> list[dict[str, Any]]:
    if isinstance(raw, dict):
        return [raw]
    if isinstance(raw, list) and all(isinstance(r, dict) for r in raw):
        return list(raw)
    raise ConfigError(file, key, None, "expected a table ([key]) or tables ([[key]])")


def _check_fields(file: str, key: str, entry: dict[str, Any]) -> None:
    for name, value in entry.items():
        if name not in _TIMESCALE_FIELDS:
            raise ConfigError(file, key, name, f"unknown field (known: {', '.join(_TIMESCALE_FIELDS)})")
        expected = _TIMESCALE_FIELDS[name]
        if expected is dt.date:
            ok = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
        elif expected is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        else:
            ok = isinstance(value, expected)
        if not ok:
            raise ConfigError(file, key, name, f"{value!r} is not a {expected.__name__}")
    if "effective_from" not in entry:
        raise ConfigError(file, key, "effective_from", "missing (every version needs the date it applies from)")
    if "unit" in entry and entry["unit"] not in UNITS:
        raise ConfigError(file, key, "unit", f"unknown unit {entry['unit']!r} (one of {', '.join(UNITS)})")
    if "counting" in entry and entry["counting"] not in COUNTINGS:
        raise ConfigError(file, key, "counting", f"{entry['counting']!r} is not one of {', '.join(COUNTINGS)}")
    if "owner" in entry and entry["owner"] not in OWNER_ROLES:
        raise ConfigError(file, key, "owner", f"unknown role {entry['owner']!r} (one of {', '.join(OWNER_ROLES)})")
    if "number" in entry and entry["number"] < 0:
        raise ConfigError(file, key, "number", f"{entry['number']} must not be negative")


def merge_timescales(layers: list[tuple[str, dict[str, Any]]]) -> Timescales:
    """Merge timescale files, base first; later layers add or replace versions by date."""
    raw_versions: dict[str, dict[dt.date, tuple[str, dict[str, Any]]]] = {}
    for file, data in layers:
        for key, raw in data.items():
            for entry in _timescale_versions(file, key, raw):
                _check_fields(file, key, entry)
                versions = raw_versions.setdefault(key, {})
                earlier = versions.get(entry["effective_from"], (file, {}))[1]
                versions[entry["effective_from"]] = (file, {**earlier, **entry})  # same date: override fields
    result: dict[str, list[Timescale]] = {}
    for key, by_date in raw_versions.items():
        inherited: dict[str, Any] = {}
        versions = []
        for effective_from in sorted(by_date):
            file, entry = by_date[effective_from]
            merged = {**inherited, **entry}
            for name in _REQUIRED:
                if name not in merged:
                    raise ConfigError(file, key, name, "missing")
            inherited = merged
            versions.append(Timescale(key=key, **merged))
        result[key] = versions
    return Timescales(result)


# ---- calendars ----------------------------------------------------------------------

def _date(file: str, key: str, name: str, value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ConfigError(file, key, name, f"{value!r} is not a date (write it 2026-09-03)")


def _dates(file: str, key: str, name: str, values: Any) -> frozenset[dt.date]:
    if not isinstance(values, list):
        raise ConfigError(file, key, name, "expected a list of dates")
    return frozenset(_date(file, key, name, v) for v in values)


def parse_calendar(file: str, data: dict[str, Any], default_name: str) -> Calendar:
    """Build a ``Calendar`` from a calendar file's contents, checking term dates hang together."""
    name = data.get("name", default_name)
    raw_terms = data.get("terms")
    if not isinstance(raw_terms, list) or not raw_terms:
        raise ConfigError(file, None, "terms", "a calendar needs at least one [[terms]] entry")
    terms: list[Term] = []
    for i, raw in enumerate(raw_terms, start=1):
        key = f"terms #{i}"
        for needed in ("year", "name", "start", "end"):
            if needed not in raw:
                raise ConfigError(file, key, needed, "missing")
        start = _date(file, key, "start", raw["start"])
        end = _date(file, key, "end", raw["end"])
        year = str(raw["year"])
        if end < start:
            raise ConfigError(file, key, "end", f"{end} is before the start {start}")
        if academic_year_of(start) != year or academic_year_of(end) != year:
            raise ConfigError(file, key, "year", f"{year!r} does not match the term dates {start}..{end}")
        half_term = None
        if "half_term" in raw:
            ht = raw["half_term"]
            if not isinstance(ht, dict) or "start" not in ht or "end" not in ht:
                raise ConfigError(file, key, "half_term", "expected { start = DATE, end = DATE }")
            half_term = (_date(file, key, "half_term.start", ht["start"]),
                         _date(file, key, "half_term.end", ht["end"]))
            if not (start <= half_term[0] <= half_term[1] <= end):
                raise ConfigError(file, key, "half_term", f"{half_term[0]}..{half_term[1]} is not inside the term")
        pep_deadline = _date(file, key, "pep_deadline", raw["pep_deadline"]) if "pep_deadline" in raw else None
        if pep_deadline and not (start <= pep_deadline <= end):
            raise ConfigError(file, key, "pep_deadline", f"{pep_deadline} is not inside the term {start}..{end}")
        terms.append(Term(year, str(raw["name"]), start, end, half_term, pep_deadline))
    terms.sort(key=lambda t: t.start)
    for before, after in zip(terms, terms[1:]):
        if after.start <= before.end:
            raise ConfigError(file, after.label, "start", f"{after.start} overlaps the term before")
    years = sorted({int(t.academic_year[:4]) for t in terms})
    missing = sorted(set(range(years[0], years[-1] + 1)) - set(years))
    if missing:
        raise ConfigError(file, None, "terms", f"no terms for {missing[0]}-{(missing[0] + 1) % 100:02d} "
                          "(years must follow on without gaps)")
    overrides: dict[str, tuple[frozenset[dt.date], frozenset[dt.date]]] = {}
    for urn, school in (data.get("schools") or {}).items():
        overrides[str(urn)] = (
            _dates(file, f"schools.{urn}", "inset_days", school.get("inset_days", [])),
            _dates(file, f"schools.{urn}", "closures", school.get("closures", [])),
        )
    return Calendar(
        name=name,
        terms=terms,
        inset_days=_dates(file, None, "inset_days", data.get("inset_days", [])),
        closures=_dates(file, None, "closures", data.get("closures", [])),
        school_overrides=overrides,
    )


# ---- the whole configuration --------------------------------------------------------

@dataclass(frozen=True)
class Settings:
    authority_name: str = "Example Council"
    default_calendar: str = "default"
    base_url: str = "http://127.0.0.1:8000"
    # The council's own local authority name as schools record it (the "la" column):
    # a school elsewhere is out of area.
    home_la: str = "Example"
    # Children's Wellbeing and Schools Act 2026 ss.61-62: from this date the LA may direct an
    # academy to admit, instead of asking the Secretary of State.  None: not yet commenced.
    academy_directions_from: dt.date | None = None
    # Best practice for looked-after children: full-time provision from the 1st day of a
    # suspension (timescale suspension_provision_best_practice) instead of the 6th.
    provision_from_first_day: bool = False
    # Attendance bands, percent of sessions attended (003; DfE Working together to improve
    # school attendance, 2024): good at or above, persistent absence at or below, severe at or below.
    attendance_good: float = 95.0
    attendance_persistent: float = 90.0
    attendance_severe: float = 50.0
    # Web pages: a signed-in browser is signed out after this many minutes without a request.
    session_idle_minutes: int = 30


@dataclass(frozen=True)
class PpPlusRules:
    """Pupil Premium Plus limits, from funding.toml."""

    per_term_max: int = 500
    annual_max: int = 2500
    year_starts: str = "04-01"
    min_year_group: int = -1
    max_year_group: int = 11

    def grant_year(self, day: dt.date) -> str:
        """'2025-26' for a day in the grant year starting 1 April 2025 (by default)."""
        month, mday = (int(x) for x in self.year_starts.split("-"))
        start = day.year if (day.month, day.day) >= (month, mday) else day.year - 1
        return f"{start}-{(start + 1) % 100:02d}"


def parse_pp_plus(file: str, data: dict[str, Any]) -> PpPlusRules:
    values = dict(data.get("pp_plus", {}))
    for name, value in values.items():
        if name not in PpPlusRules.__dataclass_fields__:
            raise ConfigError(file, "pp_plus", name, "unknown setting")
        expected = str if name == "year_starts" else int
        if not isinstance(value, expected) or isinstance(value, bool):
            raise ConfigError(file, "pp_plus", name, f"{value!r} is not a {expected.__name__}")
    rules = PpPlusRules(**values)
    try:
        dt.date(2001, *(int(x) for x in rules.year_starts.split("-")))
    except (ValueError, TypeError):
        raise ConfigError(file, "pp_plus", "year_starts", f"{rules.year_starts!r} is not MM-DD") from None
    return rules


RECIPIENTS = ("owner", "manager", "vsh", "vs_admin")


@dataclass(frozen=True)
class Escalation:
    after: int
    to: tuple[str, ...]


@dataclass(frozen=True)
class KindPolicy:
    reminders: tuple[int, ...]
    escalations: tuple[Escalation, ...]


@dataclass(frozen=True)
class Delivery:
    digest: bool = True
    immediate_kinds: tuple[str, ...] = ()
    include_child_name: bool = False
    max_attempts: int = 6
    retry_after_seconds: int = 60
    from_address: str = "pepflow@example.org"
    folder: str = "outbox"
    sweep_time: str = "07:00"
    dispatch_every_seconds: int = 60


@dataclass(frozen=True)
class NotificationPolicy:
    delivery: Delivery
    kinds: dict[str, KindPolicy]

    def for_kind(self, kind: str) -> KindPolicy:
        return self.kinds.get(kind) or self.kinds["default"]


def parse_notifications(file: str, data: dict[str, Any]) -> NotificationPolicy:
    """Validate notifications.toml: offsets are whole working days, recipients known."""
    raw_delivery = dict(data.get("delivery", {}))
    fields = Delivery.__dataclass_fields__
    for name, value in raw_delivery.items():
        if name not in fields:
            raise ConfigError(file, "delivery", name, f"unknown setting (known: {', '.join(fields)})")
        default = fields[name].default
        expected = tuple if isinstance(default, tuple) else type(default)
        if expected is tuple:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(file, "delivery", name, f"{value!r} is not a list of names")
            raw_delivery[name] = tuple(value)
        elif not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ConfigError(file, "delivery", name, f"{value!r} is not a {expected.__name__}")
    delivery = Delivery(**raw_delivery)
    if delivery.max_attempts < 1 or delivery.retry_after_seconds < 1 or delivery.dispatch_every_seconds < 1:
        raise ConfigError(file, "delivery", "max_attempts", "attempts and intervals must be at least 1")
    try:
        hour, minute = (int(x) for x in delivery.sweep_time.split(":"))
        dt.time(hour, minute)
    except (ValueError, TypeError):
        raise ConfigError(file, "delivery", "sweep_time", f"{delivery.sweep_time!r} is not HH:MM") from None
    kinds: dict[str, KindPolicy] = {}
    for kind, raw in (data.get("policy") or {}).items():
        key = f"policy.{kind}"
        unknown = set(raw) - {"reminders", "escalations"}
        if unknown:
            raise ConfigError(file, key, sorted(unknown)[0], "unknown field (reminders, escalations)")
        reminders = raw.get("reminders", [])
        if not isinstance(reminders, list) or not all(
                isinstance(r, int) and not isinstance(r, bool) and r >= 0 for r in reminders):
            raise ConfigError(file, key, "reminders", f"{reminders!r} is not a list of whole working days >= 0")
        escalations = []
        for e in raw.get("escalations", []):
            after, to = (e.get("after"), e.get("to")) if isinstance(e, dict) else (None, None)
            if not isinstance(after, int) or isinstance(after, bool) or after < 1:
                raise ConfigError(file, key, "escalations.after", f"{after!r} is not a whole number of working days >= 1")
            if isinstance(to, str):
                to = [to]
            if not isinstance(to, list) or not to or any(t not in RECIPIENTS for t in to):
                raise ConfigError(file, key, "escalations.to", f"{to!r}: recipients are {', '.join(RECIPIENTS)}")
            escalations.append(Escalation(after, tuple(to)))
        kinds[kind] = KindPolicy(tuple(sorted(set(reminders), reverse=True)),
                                 tuple(sorted(escalations, key=lambda x: x.after)))
    if "default" not in kinds:
        raise ConfigError(file, "policy.default", None, "a default policy is required")
    return NotificationPolicy(delivery, kinds)


@dataclass
class Config:
    directory: Path
    settings: Settings
    timescales: Timescales
    calendars: dict[str, Calendar]
    pp_plus: PpPlusRules = field(default_factory=PpPlusRules)
    notifications: NotificationPolicy | None = None
    raw_files: dict[str, dict[str, Any]] = field(default_factory=dict)

    def calendar(self, name: str | None = None, school_urn: str | None = None) -> Calendar:
        """A named calendar (the LA default when None), with a school's own days applied."""
        name = name or self.settings.default_calendar
        if name not in self.calendars:
            raise InputError("calendar", name, (
                f"no such calendar; known: {', '.join(sorted(self.calendars))} "
                f"(add config/calendars/{name}.toml)"))
        return self.calendars[name].for_school(school_urn)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), None, None, f"not valid TOML: {exc}") from None


def _layers(directory: Path) -> list[Path]:
    base = shipped_config_dir().resolve()
    chosen = directory.resolve()
    return [base] if chosen == base else [base, chosen]


def load_config(directory: str | Path | None = None) -> Config:
    """Load the shipped configuration, overlaid by a council's directory if given."""
    chosen = Path(directory) if directory else shipped_config_dir()
    if not chosen.is_dir():
        raise ConfigError(str(chosen), None, None, "configuration directory not found")
    layers = _layers(chosen)
    timescale_layers: list[tuple[str, dict[str, Any]]] = []
    calendars: dict[str, Calendar] = {}
    settings_data: dict[str, Any] = {}
    pp_plus_data: dict[str, Any] = {}
    funding_file = "funding.toml"
    notifications_file = "notifications.toml"
    raw_files: dict[str, dict[str, Any]] = {}
    for layer in layers:
        path = layer / "timescales.toml"
        if path.exists():
            timescale_layers.append((str(path), _read_toml(path)))
        for cal in sorted((layer / "calendars").glob("*.toml")):
            calendars[cal.stem] = parse_calendar(str(cal), _read_toml(cal), cal.stem)
        path = layer / "pepflow.toml"
        if path.exists():
            settings_data.update(_read_toml(path).get("settings", {}))
        path = layer / "funding.toml"
        if path.exists():
            pp_plus_data.update(_read_toml(path).get("pp_plus", {}))
            funding_file = str(path)
        path = layer / "notifications.toml"
        if path.exists():
            layer_data = _read_toml(path)
            merged = raw_files.setdefault("notifications.toml", {})
            merged.setdefault("delivery", {}).update(layer_data.get("delivery", {}))
            merged.setdefault("policy", {}).update(layer_data.get("policy", {}))
            notifications_file = str(path)
    unknown = set(settings_data) - set(Settings.__dataclass_fields__)
    if unknown:
        raise ConfigError("pepflow.toml", "settings", sorted(unknown)[0], "unknown setting")
    when = settings_data.get("academy_directions_from")
    if when in ("", None):
        settings_data["academy_directions_from"] = None
    elif not isinstance(when, dt.date):
        raise ConfigError("pepflow.toml", "settings", "academy_directions_from",
                          f"{when!r} is not a date (write it 2027-09-01, or leave it out)")
    idle = settings_data.get("session_idle_minutes", 30)
    if not isinstance(idle, int) or isinstance(idle, bool) or not 1 <= idle <= 24 * 60:
        raise ConfigError("pepflow.toml", "settings", "session_idle_minutes",
                          f"{idle!r} must be a whole number of minutes from 1 to 1440")
    settings = replace(Settings(), **settings_data)
    if settings.default_calendar not in calendars:
        raise ConfigError("pepflow.toml", "settings", "default_calendar",
                          f"{settings.default_calendar!r} has no file in calendars/")
    timescales = merge_timescales(timescale_layers)
    for key in timescales.keys():
        for version in timescales.versions(key):
            if version.calendar not in ("school", "la") and version.calendar not in calendars:
                raise ConfigError("timescales.toml", key, "calendar",
                                  f"{version.calendar!r} is not 'school', 'la' or a calendar name")
    pp_plus = parse_pp_plus(funding_file, {"pp_plus": pp_plus_data})
    notifications = parse_notifications(notifications_file, raw_files.get("notifications.toml", {}))
    return Config(chosen, settings, timescales, calendars, pp_plus, notifications, raw_files)


def config_from_env(directory: str | None = None) -> Config:
    return load_config(directory or os.environ.get("PEPFLOW_CONFIG") or None)
