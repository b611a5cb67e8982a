"""What the council's Pupil Premium Plus model decides (config/pp_plus.toml), pure: a term's flat
amount on a QA grade, whether a request may be funded at all, whether it fits the caps, who
decides it, a line's cost, and the share kept centrally.  Money in whole pence; each answer says
why in words with the figures, for the page and the history."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pepflow.config.pp_plus import YearModel, pence
from pepflow.vocabulary import role_with_article, value_words

ALLOWED, TO_VSH, REFUSED = "allowed", "vsh", "refused"


def pounds(amount: int) -> str:
    """Pence in words: 55000 is "£550", 1250 "£12.50"."""
    whole, part = divmod(amount, 100)
    return f"£{whole:,}" + (f".{part:02d}" if part else "")


@dataclass(frozen=True)
class Decision:
    outcome: str  # allowed, vsh (the Virtual School Head decides), refused
    why: str = ""


def flat_allowance(model: YearModel, grade: str, scale: list[str]) -> int:
    """A flat model's amount for a term: released when the PEP's QA grade is at least the one the
    council set (``scale`` best first), else nothing.  Not a flat model: nothing automatic."""
    if model.model != "flat" or grade not in scale or model.flat_released_from not in scale:
        return 0
    return pence(model.flat_per_term) if scale.index(grade) <= scale.index(model.flat_released_from) else 0


def line_cost(hours: float | None = None, rate: float | str | None = None, fixed: float | str | None = None) -> int:
    """A needs-based line: hours at an hourly rate (12 hours at £50), or a fixed cost; in pence."""
    if fixed not in (None, ""):
        return pence(fixed)
    if hours is None or rate in (None, ""):
        raise ValueError("a line needs hours and a rate, or a fixed cost")
    if not 0 < float(hours) <= 500:
        raise ValueError(f"{hours!r} hours: must be more than 0 and at most 500")
    return int((Decimal(str(hours)) * pence(rate)).to_integral_value())


def may_fund(model: YearModel, amount: int, category: str) -> Decision:
    """Whether a request can be funded from PP+ at all: a known category the council funds, an
    amount the model allows (a tier of a tiers model)."""
    if category not in model.categories:
        return Decision(REFUSED, f"{value_words(category)} is not a category of this year's model "
                                 f"({', '.join(value_words(c) for c in model.categories)})")
    if category in model.refused_categories:
        return Decision(REFUSED, f"{value_words(category)} is not funded from Pupil Premium Plus")
    if amount <= 0:
        return Decision(REFUSED, "the amount must be more than £0")
    if model.model == "tiers" and amount not in [pence(t) for t in model.tiers]:
        return Decision(REFUSED, f"{pounds(amount)} is not one of this year's amounts "
                                 f"({', '.join(pounds(pence(t)) for t in model.tiers)})")
    return Decision(ALLOWED)


def within_caps(model: YearModel, amount: int, term_so_far: int, year_so_far: int) -> Decision:
    """Whether the child's term and year stay within the caps with this amount; over a cap the
    request is refused or goes to the VSH, as the council set, saying by how much."""
    over = []
    if term_so_far + amount > pence(model.per_term_cap):
        over.append(f"the term's {pounds(term_so_far + amount)} would pass its cap of {pounds(pence(model.per_term_cap))}")
    if year_so_far + amount > pence(model.per_year_cap):
        over.append(f"the year's {pounds(year_so_far + amount)} would pass its cap of {pounds(pence(model.per_year_cap))}")
    if not over:
        return Decision(ALLOWED)
    return Decision(REFUSED if model.over_cap == "refuse" else TO_VSH, "; ".join(over))


def who_decides(model: YearModel, role: str, amount: int, category: str) -> Decision:
    """Whether ``role`` may approve this itself, or the Virtual School Head must (over the role's
    limit, or a category the VSH keeps)."""
    if role == "vsh":
        return Decision(ALLOWED)
    if category in model.vsh_categories:
        return Decision(TO_VSH, f"{value_words(category)} needs the Virtual School Head's approval")
    limit = model.limit_of(role)
    if amount > limit:
        return Decision(TO_VSH, f"{pounds(amount)} is over the {pounds(limit)} {role_with_article(role)} may approve")
    return Decision(ALLOWED)


def central_share(model: YearModel, children: int) -> int:
    """The grant kept centrally for ``children`` looked-after children of the year, in pence."""
    return int((Decimal(pence(model.grant_per_child)) * children * Decimal(str(model.central_share_percent))
                / 100).to_integral_value())
