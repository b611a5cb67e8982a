"""Self-contained HTML reports: the compliance figures and the annual report (Handbook
Appendix 10 headings the data can fill), with charts drawn by matplotlib as inline SVG."""

from __future__ import annotations

import io
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup


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
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 3))
    return figure, figure.subplots()


def charts(report: dict[str, Any]) -> dict[str, Markup]:
    import matplotlib

    with matplotlib.rc_context(_STYLE):
        return _charts(report)


def _charts(report: dict[str, Any]) -> dict[str, Markup]:
    out: dict[str, Markup] = {}
    review = {k: v for k, v in report["timescales"].items() if k in ("initial_pep", "pep_review", "pep_completion",
                                                                     "pep_distribution", "pep_qa")}
    if review:
        fig, ax = _figure()
        kinds = list(review)
        bottom = [0] * len(kinds)
        for name, colour in (("met", "#00703c"), ("met_late", "#f47738"), ("breached", "#d4351c"),
                             ("missed", "#6f777b")):
            values = [review[k]["outcomes"].get(name, 0) for k in kinds]
            ax.barh(kinds, values, left=bottom, color=colour, label=name.replace("_", " "))
            bottom = [b + v for b, v in zip(bottom, values)]
        ax.set_xlabel("deadlines due in the period")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=4, fontsize=8, frameon=False)
        out["pep_timeliness"] = _svg(fig)
    days = report["admissions"]["days_to_place"]
    if days:
        fig, ax = _figure()
        ax.hist(days, bins=range(0, max(days) + 5, 5), color="#1d70b8", edgecolor="white")
        ax.axvline(20, color="#d4351c", linestyle="--", label="20 school days")
        ax.set_xlabel("school days from need to first day at school")
        ax.set_ylabel("children")
        ax.legend(fontsize=8)
        out["days_to_place"] = _svg(fig)
    months = report["exclusions"]["suspensions_by_month"]
    if months:
        fig, ax = _figure()
        ax.bar(list(months), list(months.values()), color="#4c2c92")
        ax.set_ylabel("suspensions")
        ax.tick_params(axis="x", labelrotation=45)
        out["exclusions"] = _svg(fig)
    return out


def render(report: dict[str, Any], template: str = "report.html.j2", title: str = "Compliance report") -> str:
    env = Environment(loader=PackageLoader("pepflow", "templates"), autoescape=select_autoescape(["html", "j2"]))
    return env.get_template(template).render(r=report, charts=charts(report), title=title)
