"""A term: the label people read for a code, and one sentence saying what it means."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    label: str  # as a heading or a table cell: "PEP meeting arranged"
    description: str = ""  # one sentence saying what it means

    @property
    def in_sentence(self) -> str:
        """The label inside a sentence: "termly PEP review", but "IRO", "VS admin" and
        "Virtual School Head" (an acronym first, or a name of two capitalised words) kept."""
        words = self.label.split(" ")
        second = words[1] if len(words) > 1 else ""
        if words[0].isupper() or (second[:1].isupper() and not second.isupper()):
            return self.label
        return self.label[0].lower() + self.label[1:]


def table_of_terms(table: dict[str, tuple[str, str] | str]) -> dict[str, Term]:
    return {key: Term(*value) if isinstance(value, tuple) else Term(value) for key, value in table.items()}
