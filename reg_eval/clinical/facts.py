"""A clinical fact: one concept a report states, with its value and polarity."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

FactKey = tuple[str, str | None, bool]
"""(concept id, value, negated): what two facts are compared on."""


@dataclass(frozen=True)
class Fact:
    concept_id: str
    category: str
    value: str | None
    negated: bool
    text: str
    """The words of the report the fact was read from (for explaining a miss)."""
    start: int = 0
    """Character offset in the report; orders facts, so "the first diagnosis" is defined."""
    uncertain: bool = False
    """Stated with doubt ("suspicious for carcinoma", "invasion cannot be excluded"); such a
    fact is never also negated. Not part of `key`: how doubt is scored is the scorer's choice."""

    @property
    def key(self) -> FactKey:
        return (self.concept_id, self.value, self.negated)

    @property
    def label(self) -> str:
        """Human-readable: "gleason_score=7 (3+4)", "not:tumor", "maybe:carcinoma"."""
        body = self.concept_id if self.value is None else f"{self.concept_id}={self.value}"
        if self.negated:
            return f"not:{body}"
        return f"maybe:{body}" if self.uncertain else body


def parse_label(label: str, category: str) -> Fact:
    """The inverse of `Fact.label` (for hand-written test data and examples)."""
    negated = label.startswith("not:")
    uncertain = label.startswith("maybe:")
    body = label.partition(":")[2] if negated or uncertain else label
    concept_id, sep, value = body.partition("=")
    return Fact(concept_id, category, value if sep else None, negated, label, 0, uncertain)


def unique_facts(
    facts: list[Fact] | tuple[Fact, ...],
    order: Callable[[Fact], tuple[float, ...]] | None = None,
) -> list[Fact]:
    """One fact per key, the first mention kept: a repeated statement counts once.

    `order` says which mention comes first (default: report order); the scorer puts the
    diagnosis section's mentions before the description's."""
    seen: set[FactKey] = set()
    kept: list[Fact] = []
    for fact in sorted(facts, key=order or (lambda f: (f.start,))):
        if fact.key not in seen:
            seen.add(fact.key)
            kept.append(fact)
    return kept
