"""Clinical keyword precision, recall and F1 over facts, and field accuracy.

Pure functions over facts and counts; no spaCy, no I/O.

Matching rule ("concept+value+polarity"): after removing repeated facts on each side, a
reference fact and a hypothesis fact match when their concept ids agree, their polarity
(negated or not) agrees, and, where the reference fact has a value, the values are equal
strings after normalisation. A reference fact without a value accepts any value of the same
concept. Each fact matches at most once.

Empty sides: when neither side has a fact, precision, recall and F1 are all 1 (the reports
agree that there is nothing to state); when exactly one side has none, all three are 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reg_eval.clinical.facts import Fact, unique_facts


@dataclass(frozen=True)
class CaseMatch:
    matched: tuple[tuple[Fact, Fact], ...]
    """(reference fact, hypothesis fact) pairs."""
    missed: tuple[Fact, ...]
    """Reference facts the hypothesis does not state."""
    invented: tuple[Fact, ...]
    """Hypothesis facts the reference does not state."""


@dataclass(frozen=True)
class Counts:
    matched: int = 0
    reference: int = 0
    hypothesis: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.matched + other.matched,
            self.reference + other.reference,
            self.hypothesis + other.hypothesis,
        )


@dataclass(frozen=True)
class PRF:
    precision: float
    recall: float
    f1: float


def facts_agree(reference: Fact, hypothesis: Fact) -> bool:
    return (
        reference.concept_id == hypothesis.concept_id
        and reference.negated == hypothesis.negated
        and (reference.value is None or reference.value == hypothesis.value)
    )


def match_facts(reference: Sequence[Fact], hypothesis: Sequence[Fact]) -> CaseMatch:
    """Largest one-to-one matching under `facts_agree`.

    Exact (concept, value, polarity) pairs first; then each value-less reference fact takes
    the first unmatched hypothesis fact of its concept and polarity, a value-less one first.
    After deduplication a value-less reference fact is the only one that can accept several
    hypothesis facts, so this order gives the largest matching.
    """
    refs = unique_facts(list(reference))
    hyps = unique_facts(list(hypothesis))
    hyp_index = {fact.key: index for index, fact in enumerate(hyps)}
    pairs: dict[int, int] = {}
    for ref_position, fact in enumerate(refs):
        found = hyp_index.get(fact.key)
        if found is not None:
            pairs[ref_position] = found
    taken = set(pairs.values())
    for ref_position, fact in enumerate(refs):
        if ref_position in pairs or fact.value is not None:
            continue
        candidates = [i for i, hyp in enumerate(hyps) if i not in taken and facts_agree(fact, hyp)]
        if candidates:
            chosen = min(candidates, key=lambda i: (hyps[i].value is not None, i))
            pairs[ref_position] = chosen
            taken.add(chosen)
    matched = tuple((refs[r], hyps[h]) for r, h in sorted(pairs.items()))
    missed = tuple(fact for r, fact in enumerate(refs) if r not in pairs)
    invented = tuple(fact for h, fact in enumerate(hyps) if h not in taken)
    return CaseMatch(matched, missed, invented)


def counts_of(match: CaseMatch, category: str | None = None) -> Counts:
    """Matched, reference and hypothesis fact counts, optionally of one category only."""

    def keep(fact: Fact) -> bool:
        return category is None or fact.category == category

    matched = sum(1 for ref, _hyp in match.matched if keep(ref))
    missed = sum(1 for fact in match.missed if keep(fact))
    invented = sum(1 for fact in match.invented if keep(fact))
    return Counts(matched, matched + missed, matched + invented)


def precision_recall_f1(counts: Counts) -> PRF:
    if counts.reference == 0 and counts.hypothesis == 0:
        return PRF(1.0, 1.0, 1.0)
    precision = counts.matched / counts.hypothesis if counts.hypothesis else 0.0
    recall = counts.matched / counts.reference if counts.reference else 0.0
    f1 = 2 * counts.matched / (counts.reference + counts.hypothesis)
    return PRF(precision, recall, f1)


def micro(cases: Sequence[Counts]) -> PRF:
    """Pool the counts of all cases, then one P/R/F1: large reports weigh more."""
    if not cases:
        raise ValueError("micro average of no cases")
    total = Counts()
    for counts in cases:
        total = total + counts
    return precision_recall_f1(total)


def macro(cases: Sequence[Counts]) -> PRF:
    """Mean of the per-case P/R/F1: every case weighs the same."""
    if not cases:
        raise ValueError("macro average of no cases")
    scores = [precision_recall_f1(counts) for counts in cases]
    return PRF(
        sum(s.precision for s in scores) / len(scores),
        sum(s.recall for s in scores) / len(scores),
        sum(s.f1 for s in scores) / len(scores),
    )


def first_fact(facts: Sequence[Fact], category: str) -> Fact | None:
    """The earliest fact of a category: the report's organ, procedure, primary diagnosis."""
    of_category = [fact for fact in facts if fact.category == category]
    return min(of_category, key=lambda fact: fact.start) if of_category else None


def field_correct(reference: Sequence[Fact], hypothesis: Sequence[Fact], category: str) -> float:
    """1.0 when the first facts of the category name the same concept with the same polarity.

    Also 1.0 when neither report has such a fact (nothing to get wrong), 0.0 when only one has.
    """
    ref = first_fact(reference, category)
    hyp = first_fact(hypothesis, category)
    if ref is None or hyp is None:
        return 1.0 if ref is None and hyp is None else 0.0
    return 1.0 if (ref.concept_id, ref.negated) == (hyp.concept_id, hyp.negated) else 0.0


def all_correct(match: CaseMatch, category: str) -> float:
    """1.0 when no fact of the category is missed or invented (grade/score correctness)."""
    counts = counts_of(match, category)
    return 1.0 if counts.matched == counts.reference == counts.hypothesis else 0.0
