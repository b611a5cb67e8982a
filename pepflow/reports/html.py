"""Self-contained HTML reports: the compliance figures and the annual report (Handbook
Appendix 10 headings the data can fill), with charts drawn by matplotlib as inline SVG."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import threading
from collections import OrderedDict
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from pepflow.calendars import format_iso_day
from pepflow.reports.text import BREAKDOWN_LABELS
from pepflow.vocabulary import kind_label, outcome_label, value_words


def _svg(figure) -> Markup:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    return Markup(text[text.index("<svg"):])


# Fonts for every chart: set per figure (never matplotlib's global rcParams, which every
# thread of the process shares).
_STYLE = {"font.family": "sans-serif", "font.sans-serif": ["Arial", "Liberation Sans", "DejaVu Sans"],
          "svg.fonttype": "none"}


def _figure() -> tuple[Any, Any]:
    """A new figure and its axes, on their own: ``matplotlib.figure.Figure`` keeps no global
    state (pyplot's current figure is shared by every request of the web pages)."""
    # imported here, not at the top: matplotlib loads only for the work that needs it (start-up time, bench/startup.py)
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 3))
    return figure, figure.subplots()


class _DrawnCharts:
    """Charts already drawn, by the figures they show: drawing is nine tenths of the compliance
    page's time (matplotlib, 40 ms a chart: bench/children.py), and the same figures are asked
    for again and again (the VSH, VS admin and the PDF in one morning).  Kept per process, the
    least recently used dropped first; pages run in a thread pool, so under a lock."""

    def __init__(self, size: int = 32):
        self.size = size
        self._lock = threading.Lock()
        self._drawn: OrderedDict[str, dict[str, Markup]] = OrderedDict()

    def get(self, report: dict[str, Any]) -> dict[str, Markup]:
        key = hashlib.sha256(json.dumps(_charted(report), sort_keys=True, default=str).encode()).hexdigest()
        with self._lock:
            if key in self._drawn:
                self._drawn.move_to_end(key)
                return self._drawn[key]
        # imported here, not at the top: matplotlib loads only for the work that needs it (start-up time, bench/startup.py)
        import matplotlib

        with matplotlib.rc_context(_STYLE):
            drawn = _charts(report)
        with self._lock:
            self._drawn[key] = drawn
            if len(self._drawn) > self.size:
                self._drawn.popitem(last=False)
        return drawn


def _charted(report: dict[str, Any]) -> dict[str, Any]:
    """The parts of a report its charts show: the same parts, the same charts."""
    return {"timescales": {k: v.get("outcomes") for k, v in report["timescales"].items()},
            "days": report["admissions"]["days_to_place"], "months": report["exclusions"]["suspensions_by_month"],
            "breakdowns": report["breakdowns"]}


_DRAWN = _DrawnCharts()


def charts(report: dict[str, Any]) -> dict[str, Markup]:
    """The report's charts as inline SVG, each drawn once for the same figures."""
    return _DRAWN.get(report)


def _whole_numbers(axis) -> None:
    """Counts of children and days are whole: no "0.2 children" or "2.5 school days" ticks."""
    # imported here, not at the top: matplotlib loads only for the work that needs it (start-up time, bench/startup.py)
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


OUTCOME_COLOURS = (("met", "#00703c"), ("met_late", "#f47738"), ("breached", "#d4351c"), ("missed", "#6f777b"),
                   ("pending", "#b1b4b6"))


def _charts(report: dict[str, Any]) -> dict[str, Markup]:
    out: dict[str, Markup] = {}
    review = {k: v for k, v in report["timescales"].items() if k in ("initial_pep", "pep_review", "pep_completion",
                                                                     "pep_distribution", "pep_qa")}
    if review:
        fig, ax = _figure()
        kinds = list(review)
        labels = [kind_label(k) for k in kinds]
        bottom = [0] * len(kinds)
        for name, colour in OUTCOME_COLOURS:  # every outcome the table counts, pending too
            values = [review[k]["outcomes"].get(name, 0) for k in kinds]
            ax.barh(labels, values, left=bottom, color=colour, label=outcome_label(name))
            bottom = [b + v for b, v in zip(bottom, values)]
        ax.set_xlabel("deadlines due in the period")
        _whole_numbers(ax.xaxis)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=5, fontsize=8, frameon=False)
        out["pep_timeliness"] = _svg(fig)
    days = report["admissions"]["days_to_place"]
    if days:
        fig, ax = _figure()
        ax.hist(days, bins=range(0, max(days) + 5, 5), color="#1d70b8", edgecolor="white")
        ax.axvline(20, color="#d4351c", linestyle="--", label="20 school days")
        ax.set_xlabel("school days from need to first day at school")
        ax.set_ylabel("children")
        _whole_numbers(ax.xaxis)
        _whole_numbers(ax.yaxis)
        ax.legend(fontsize=8)
        out["days_to_place"] = _svg(fig)
    months = report["exclusions"]["suspensions_by_month"]
    if months:
        fig, ax = _figure()
        ax.bar([format_month(m) for m in months], list(months.values()), color="#4c2c92")
        ax.set_ylabel("suspensions")
        _whole_numbers(ax.yaxis)
        ax.tick_params(axis="x", labelrotation=45)
        out["exclusions"] = _svg(fig)
    for name, groups in report["breakdowns"].items():
        if groups:
            out[f"breakdown_{name}"] = _breakdown_chart(groups)
    return out


def format_month(key: str) -> str:
    """ "2026-09" as "Sep 2026"."""
    return dt.date(int(key[:4]), int(key[5:7]), 1).strftime("%b %Y")


def _breakdown_chart(groups: list[dict[str, Any]]) -> Markup:
    """Children of each group with and without an up-to-date PEP, as stacked bars (counts,
    not percentages: a small group's percentage misleads)."""
    # imported here, not at the top: matplotlib loads only for the work that needs it (start-up time, bench/startup.py)
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 0.45 * len(groups) + 1.0))
    ax = figure.subplots()
    labels = [value_words(str(g["group"])) for g in groups][::-1]
    current = [g["up_to_date_pep"] for g in groups][::-1]
    behind = [g["children"] - g["up_to_date_pep"] for g in groups][::-1]
    ax.barh(labels, current, color="#00703c", label="up-to-date PEP")
    ax.barh(labels, behind, left=current, color="#d4351c", label="PEP not up to date")
    ax.set_xlabel("children")
    _whole_numbers(ax.xaxis)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.5 / max(1, len(groups) ** 0.5)), ncol=2, fontsize=8,
              frameon=False)
    return _svg(figure)


def render(report: dict[str, Any], template: str = "report.html.j2", title: str = "Compliance report") -> str:
    env = Environment(loader=PackageLoader("pepflow.reports", "templates"), autoescape=select_autoescape(["html", "j2"]))
    env.filters.update(kind=kind_label, words=lambda v: value_words(str(v)), day=format_iso_day)
    return env.get_template(template).render(r=report, charts=charts(report), title=title,
                                             breakdown_labels=BREAKDOWN_LABELS)
