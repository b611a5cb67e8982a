"""Load and validate the configuration directory into frozen objects.

The shipped ``config/`` is always the base.  A council points ``--config`` (or
``PEPFLOW_CONFIG``) at its own directory, which needs to hold only what differs:
a timescale entry there adds a new *version* of the rule (from its ``effective_from``
date) and inherits every field it does not set from the version before; a calendar
file replaces the shipped calendar of the same name; ``pepflow.toml`` settings
override one by one.  Nothing here rewrites history: a deadline is computed and
judged by the version in force on its start date.

Every file is read through pydantic models (``timescales``, ``calendar_files``,
``settings``, ``notifications``): types, ranges and the rules across fields.  An error
names the folder (shipped or the council's), the file, the entry by its name and the field.

May import: the ground only.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from pepflow.calendars import Calendar
from pepflow.errors import ConfigError, InputError
from pepflow.config.calendar_files import parse_calendar
from pepflow.config.files import Source, invalid, read_toml, shipped_config_dir
from pepflow.config.notifications import (FLAG_KINDS, NOTICE_EVENTS, RECIPIENTS, Delivery, Escalation, KindPolicy, Notice,
                            NotificationPolicy)
from pepflow.config.settings import Settings
from pepflow.config.timescales import OWNER_ROLES, Timescale, Timescales, merge_timescales

if TYPE_CHECKING:
    from pepflow.config.pep_template import PepTemplate
    from pepflow.config.attendance_codes import AttendanceCodes
    from pepflow.config.retention import RetentionSchedule
    from pepflow.config.pp_plus import FundingModel

__all__ = [
    "Calendar", "Config", "ConfigError", "Delivery", "Escalation", "FLAG_KINDS", "KindPolicy", "NOTICE_EVENTS", "Notice",
    "NotificationPolicy", "OWNER_ROLES", "RECIPIENTS", "Settings", "Timescale", "Timescales",
    "load_config", "shipped_config_dir",
]


@dataclass
class Config:
    directory: Path
    settings: Settings
    timescales: Timescales
    calendars: dict[str, Calendar]
    notifications: NotificationPolicy | None = None
    # the council's folder whose notifications.toml set [delivery] folder (None: the shipped default)
    delivery_folder_set_in: Path | None = None

    @property
    def pep_template(self) -> "PepTemplate":
        """The PEP document (``pep.toml``: the council's own, else the shipped one), read when first
        needed; a council's own file is also read when pepflow starts (``App.config``), so a bad one
        is refused at once."""
        return pep_template_in(self.directory)

    @property
    def attendance_codes(self) -> "AttendanceCodes":
        """The register codes and what each counts as (``attendance_codes.toml``: the council's own,
        else the shipped one), read when first needed."""
        return attendance_codes_in(self.directory)

    @property
    def retention(self) -> "RetentionSchedule":
        """The retention schedule (``retention.toml``: the council's own, else the shipped one)."""
        return _one_file(self.directory, "retention.toml", "retention")

    @property
    def funding_model(self) -> "FundingModel":
        """Pupil Premium Plus as the council funds it (``pp_plus.toml``: the shipped years, then the
        council's), read when first needed; a council's own file is read when pepflow starts."""
        return funding_model_in(self.directory)

    def calendar(self, name: str | None = None, school_urn: str | None = None) -> Calendar:
        """A named calendar (the LA default when None), with a school's own days applied."""
        name = name or self.settings.default_calendar
        if name not in self.calendars:
            raise InputError("calendar", name, (
                f"no such calendar; known: {', '.join(sorted(self.calendars))} "
                f"(add config/calendars/{name}.toml)"))
        return self.calendars[name].for_school(school_urn)


def pep_template_in(directory: Path) -> "PepTemplate":
    """The PEP template of a configuration folder: its own ``pep.toml`` replaces the shipped one whole."""
    layer = _layers(directory)[-1]
    own = layer.path / "pep.toml"
    source = Source(own, layer.shipped) if own.is_file() else Source(shipped_config_dir() / "pep.toml", True)
    return _pep_template(source, source.path.stat().st_mtime_ns)


def _one_file(directory: Path, name: str, what: str):
    """A configuration file a council's own copy replaces whole, read once while unchanged."""
    layer = _layers(directory)[-1]
    own = layer.path / name
    source = Source(own, layer.shipped) if own.is_file() else Source(shipped_config_dir() / name, True)
    return _loaded(what, source, source.path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _loaded(what: str, source: Source, _mtime_ns: int):
    if what == "retention":
        from pepflow.config.retention import load_retention  # imported here: only records work needs it

        return load_retention(source)
    raise KeyError(what)


def attendance_codes_in(directory: Path) -> "AttendanceCodes":
    """The attendance codes of a configuration folder: its own file replaces the shipped one whole."""
    layer = _layers(directory)[-1]
    own = layer.path / "attendance_codes.toml"
    source = Source(own, layer.shipped) if own.is_file() else Source(shipped_config_dir() / "attendance_codes.toml",
                                                                     True)
    return _attendance_codes(source, source.path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _attendance_codes(source: Source, _mtime_ns: int) -> "AttendanceCodes":
    from pepflow.config.attendance_codes import load_attendance_codes  # imported here: only attendance work needs it

    return load_attendance_codes(source)


def funding_model_in(directory: Path) -> "FundingModel":
    """The PP+ funding model of a configuration folder: the shipped years, then the council's."""
    sources = [Source(layer.path / "pp_plus.toml", layer.shipped) for layer in _layers(directory)
               if (layer.path / "pp_plus.toml").is_file()]
    return _funding_model(tuple((s, s.path.stat().st_mtime_ns) for s in sources))


@functools.lru_cache(maxsize=8)
def _funding_model(sources: tuple) -> "FundingModel":
    from pepflow.config.pp_plus import load_funding_model  # imported here: only PP+ work needs it (bench/startup.py)

    return load_funding_model([source for source, _ in sources])


@functools.lru_cache(maxsize=8)
def _pep_template(source: Source, _mtime_ns: int) -> "PepTemplate":
    from pepflow.config.pep_template import load_pep_template  # imported here: only PEP work needs it (bench/startup.py)

    return load_pep_template(source)


def _layers(directory: Path) -> tuple[Source, ...]:
    """The shipped folder, then the council's."""
    return _resolved_layers(directory.absolute())  # a relative folder is the working folder's


@functools.lru_cache(maxsize=32)
def _resolved_layers(directory: Path) -> tuple[Source, ...]:
    """Resolved once a folder: resolving both paths at each look-up of a file (the PEP template,
    the funding model…) cost every event 186 µs (issue 42, bench/pep_machine.py); a file's changes
    are still seen, by its own ``stat``."""
    base = shipped_config_dir().resolve()
    chosen = directory.resolve()
    return (Source(base, True),) if chosen == base else (Source(base, True), Source(chosen, False))


def _table(source: Source, data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(str(source), name, None, f"expected a table [{name}]")
    return value


def load_config(directory: str | Path | None = None) -> Config:
    """Load the shipped configuration, overlaid by a council's directory if given."""
    chosen = Path(directory) if directory else shipped_config_dir()
    if not chosen.is_dir():
        raise ConfigError(str(chosen), None, None, "configuration directory not found")
    timescale_layers: list[tuple[Source, dict[str, Any]]] = []
    calendars: dict[str, Calendar] = {}
    settings_data: dict[str, Any] = {}
    settings_from: dict[str, Source] = {}
    notifications_source = None
    notifications_data: dict[str, dict[str, Any]] = {"delivery": {}, "policy": {}, "notices": {}}
    folder_set_in: Path | None = None
    for layer in _layers(chosen):
        def at(name: str) -> Source:
            return Source(layer.path / name, layer.shipped)

        if (layer.path / "timescales.toml").exists():
            source = at("timescales.toml")
            timescale_layers.append((source, read_toml(source)))
        for path in sorted((layer.path / "calendars").glob("*.toml")):
            source = Source(path, layer.shipped)
            calendars[path.stem] = parse_calendar(source, read_toml(source), path.stem)
        if (layer.path / "pepflow.toml").exists():
            source = at("pepflow.toml")
            values = _table(source, read_toml(source), "settings")
            settings_data.update(values)
            settings_from.update({k: source for k in values})
        if (layer.path / "funding.toml").exists():  # before issue 40: refused, so no limit is silently dropped
            raise ConfigError(str(at("funding.toml")), "pp_plus", None,
                              "funding.toml is no longer read: set Pupil Premium Plus in pp_plus.toml, one entry a "
                              "financial year (per_term_max is now per_term_cap, annual_max per_year_cap; README, "
                              "'Pupil Premium Plus'), then remove funding.toml")
        if (layer.path / "notifications.toml").exists():
            notifications_source = at("notifications.toml")
            data = read_toml(notifications_source)
            delivery = _table(notifications_source, data, "delivery")
            notifications_data["delivery"].update(delivery)
            if "folder" in delivery and not layer.shipped:
                folder_set_in = layer.path
            notifications_data["policy"].update(_table(notifications_source, data, "policy"))
            notifications_data["notices"].update(_table(notifications_source, data, "notices"))
    settings = _settings(settings_data, settings_from, chosen)
    if settings.default_calendar not in calendars:
        raise ConfigError(str(settings_from.get("default_calendar", "pepflow.toml")), "settings", "default_calendar",
                          f"{settings.default_calendar!r} has no file in calendars/")
    timescales = merge_timescales(timescale_layers)
    for key in timescales.keys():
        for version in timescales.versions(key):
            if version.calendar not in ("school", "la") and version.calendar not in calendars:
                raise ConfigError("timescales.toml", key, "calendar",
                                  f"{version.calendar!r} is not 'school', 'la' or a calendar name")
    notifications = _notifications(notifications_source, notifications_data, timescales)
    return Config(chosen, settings, timescales, calendars, notifications, folder_set_in)


def _settings(data: dict[str, Any], sources: dict[str, Source], chosen: Path) -> Settings:
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        loc = exc.errors(include_url=False)[0]["loc"]
        source = sources.get(str(loc[0])) if loc else None
        if source is None:  # a rule across settings: the council's file when it has one
            source = next((s for s in sources.values() if not s.shipped), None) or next(iter(sources.values()), None)
        raise invalid(source or "pepflow.toml", "settings", exc, list(Settings.model_fields)) from None


def _notifications(source: Source | None, data: dict[str, dict[str, Any]], timescales: Timescales
                   ) -> NotificationPolicy:
    where = source or "notifications.toml"
    try:
        delivery = Delivery.model_validate(data["delivery"])
    except ValidationError as exc:
        raise invalid(where, "delivery", exc, list(Delivery.model_fields)) from None
    known = set(timescales.keys()) | FLAG_KINDS
    kinds: dict[str, KindPolicy] = {}
    for kind, raw in data["policy"].items():
        if kind != "default" and kind not in known:
            raise ConfigError(str(where), f"policy.{kind}", None,
                              "no timescale or flag has this kind (see timescales.toml for the kinds)")
        try:
            kinds[kind] = KindPolicy.model_validate(raw)
        except ValidationError as exc:
            raise invalid(where, f"policy.{kind}", exc, list(KindPolicy.model_fields)) from None
    for kind in delivery.immediate_kinds:
        if kind not in known:
            raise ConfigError(str(where), "delivery", "immediate_kinds", f"{kind!r} is not a kind of deadline")
    if "default" not in kinds:
        raise ConfigError(str(where), "policy.default", None, "a default policy is required")
    notices: dict[str, Notice] = {}
    for name, raw in data.get("notices", {}).items():
        if name not in NOTICE_EVENTS:
            raise ConfigError(str(where), f"notices.{name}", None,
                              f"only these events can send a notice: {', '.join(sorted(NOTICE_EVENTS))}")
        try:
            notices[name] = Notice.model_validate(raw)
        except ValidationError as exc:
            raise invalid(where, f"notices.{name}", exc, list(Notice.model_fields)) from None
    return NotificationPolicy(delivery=delivery, kinds=kinds, notices=notices)
