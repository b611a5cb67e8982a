"""Example settings still in force in a council's installation, said at start-up.

pepflow ships a working configuration so that the demo runs: an example authority, an example
term-dates calendar, an example sender address, and timescales whose sources are the
documents pepflow was built from, some of them other councils' guides and local practice.
A council that forgets to replace one gets emails from ``pepflow@example.org``, reports
headed "Example Council" and case pages citing Essex's guide as its policy.  These checks
name each one with the file and setting that replaces it; ``pepflow run`` and ``pepflow web``
log them as they start and ``pepflow timescales`` prints them, as warnings (not errors: a
trial may run on the examples)."""

from __future__ import annotations

import re
from pathlib import Path

from pepflow.config import Config, load_config
from pepflow.config.files import shipped_config_dir
from pepflow.config.settings import Settings

EXAMPLE_DOMAINS = ("example.org", "example.com", "example.net")
# what marks a shipped rule's source as another council's policy rather than law or national
# guidance: the councils whose guides pepflow's shipped timescales cite, and their own words
# for a number they chose themselves
LOCAL_POLICY = re.compile(r"Havering|Essex|Hillingdon|Southwark|Example Council|local (practice|standard)", re.I)


def example_settings_in_force(config: Config) -> list[str]:
    """One sentence per example setting the configuration still has."""
    found: list[str] = []
    delivery = config.notifications.delivery if config.notifications else None
    if delivery and delivery.from_address.rsplit("@", 1)[-1].lower() in EXAMPLE_DOMAINS:
        found.append(f"emails are sent from the example address {delivery.from_address}: set from_address "
                     "under [delivery] in your notifications.toml")
    defaults = Settings()
    if config.settings.authority_name == defaults.authority_name:
        found.append(f"the authority is still called “{defaults.authority_name}” on every page, email and report: "
                     "set authority_name in your pepflow.toml")
    if config.settings.home_la == defaults.home_la:
        found.append(f"the home local authority is still “{defaults.home_la}”, so a school move counts as in "
                     "or out of area by the example's name: set home_la in your pepflow.toml")
    name = config.settings.default_calendar
    if not _council_has(config, Path("calendars") / f"{name}.toml"):
        found.append(f"school days are counted on the example term dates (calendar “{name}”): import your own "
                     f"with `pepflow calendar import {name} FILE.ics` or write calendars/{name}.toml")
    borrowed = _borrowed_sources(config)
    if borrowed:
        shown = ", ".join(f"{key} (“{source[:60]}”)" for key, source in borrowed[:3])
        more = f" and {len(borrowed) - 3} more" if len(borrowed) > 3 else ""
        found.append(f"{len(borrowed)} timescales still cite another council's guide or local practice as their "
                     f"source: {shown}{more}; give your own policy as their source in your timescales.toml")
    return found


def _council_has(config: Config, relative: Path) -> bool:
    directory = config.directory.resolve()
    return directory != shipped_config_dir().resolve() and (directory / relative).exists()


def _borrowed_sources(config: Config) -> list[tuple[str, str]]:
    """Timescales whose latest version is still the shipped one and cites a local policy."""
    shipped = config if config.directory.resolve() == shipped_config_dir().resolve() else load_config()
    borrowed = []
    for key in config.timescales.keys():
        latest = config.timescales.versions(key)[-1]
        if key not in shipped.timescales:
            continue
        ours = shipped.timescales.versions(key)[-1]
        if (latest.effective_from, latest.source) == (ours.effective_from, ours.source) and \
                LOCAL_POLICY.search(latest.source):
            borrowed.append((key, latest.source))
    return borrowed
