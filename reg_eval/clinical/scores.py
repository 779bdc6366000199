"""Clinical keyword precision, recall and F1 over facts, the weighted score, field accuracy.

Pure functions over facts, counts and plain vectors; no spaCy, no models, no I/O.

Matching rule ("concept+value+polarity+finer", then soft): after removing repeated facts on
each side, a reference fact and a hypothesis fact match when their concept ids agree (or,
given a `finer` relation, the hypothesis names a finer kind of the reference concept), their
polarity (negated, and uncertain where facts carry it) agrees, and the hypothesis value is
consistent with the reference value (`reg_eval.clinical.value_match`: numbers compared as
numbers, with tolerances). A reference fact without a value accepts any value of its
concept. Each fact matches at most once, and the matching is the largest possible. Facts left
over may then be soft-matched (`reg_eval.clinical.soft`) for half a match each.

Undefined is not correct (every ratio below is NaN when its denominator is empty):
- precision is NaN when the hypothesis states no fact, recall when the reference states
  none; F1 is NaN when neither does (nothing to compare) and 0 when only one side does;
- a field accuracy is NaN when the reference does not state the field. A field the
  hypothesis invents where the reference has none leaves the accuracy NaN and costs
  precision (and the weighted score).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from reg_eval.clinical.facts import Fact, unique_facts
from reg_eval.clinical.severity import (
    MALIGNANCY_PENALTY_PER_STEP,
    category_weight,
    is_uncertain,
    malignancy_steps,
    report_tier,
)
from reg_eval.clinical.soft import (
    SOFT_CREDIT,
    SOFT_THRESHOLD,
    allowed_matrix,
    cosine_matrix,
    greedy_pairs,
)
from reg_eval.clinical.value_match import values_agree

NAN = float("nan")


@dataclass(frozen=True)
class CaseMatch:
    matched: tuple[tuple[Fact, Fact], ...]
    """(reference fact, hypothesis fact) pairs: same concept, polarity and agreeing value."""
    missed: tuple[Fact, ...]
    """Reference facts the hypothesis does not state."""
    invented: tuple[Fact, ...]
    """Hypothesis facts the reference does not state."""
    soft: tuple[tuple[Fact, Fact, float], ...] = ()
    """(reference fact, hypothesis fact, cosine) pairs of neighbouring concepts."""


@dataclass(frozen=True)
class Counts:
    """Matched credit, reference and hypothesis totals: fact counts, or weights."""

    matched: float = 0
    reference: float = 0
    hypothesis: float = 0

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


def polarity(fact: Fact) -> tuple[bool, bool]:
    """(negated, uncertain): "no carcinoma" and "suspicious for carcinoma" are not "carcinoma"."""
    return (fact.negated, is_uncertain(fact))


ConceptRelation = Callable[[str, str], bool]
"""(reference concept id, hypothesis concept id) -> does the hypothesis name a finer kind of
the reference concept ("tubular adenocarcinoma" for "adenocarcinoma")?"""


def same_or_finer(reference: Fact, hypothesis: Fact, finer: ConceptRelation | None) -> bool:
    if reference.concept_id == hypothesis.concept_id:
        return True
    return (
        finer is not None
        and reference.category == hypothesis.category
        and finer(reference.concept_id, hypothesis.concept_id)
    )


def facts_agree(
    reference: Fact, hypothesis: Fact, finer: ConceptRelation | None = None
) -> bool:
    return (
        same_or_finer(reference, hypothesis, finer)
        and polarity(reference) == polarity(hypothesis)
        and values_agree(reference.value, hypothesis.value)
    )


def _exact_key(fact: Fact) -> tuple[object, ...]:
    return (fact.concept_id, fact.value, polarity(fact))


def match_facts(
    reference: Sequence[Fact],
    hypothesis: Sequence[Fact],
    finer: ConceptRelation | None = None,
) -> CaseMatch:
    """One-to-one matching under `facts_agree`: identical facts first, then the largest.

    Identical (concept, value, polarity) pairs are taken first; the facts left are paired by
    a maximum bipartite matching (augmenting paths, facts visited in report order, so the
    result is deterministic). Values within tolerance are what makes the second step needed:
    "7 (3+4)" in the hypothesis agrees with both "7" and "7 (3+4)" in the reference. With
    `finer`, a hypothesis fact naming a finer kind of the reference concept also agrees
    (the reference does not say which kind, so nothing is wrong: as with a value).
    """
    refs = unique_facts(list(reference))
    hyps = unique_facts(list(hypothesis))
    hyp_index: dict[tuple[object, ...], int] = {}
    for index, fact in enumerate(hyps):
        hyp_index.setdefault(_exact_key(fact), index)
    pairs: dict[int, int] = {}
    for ref_position, fact in enumerate(refs):
        found = hyp_index.get(_exact_key(fact))
        if found is not None and found not in pairs.values():
            pairs[ref_position] = found
    taken = {h: r for r, h in pairs.items()}
    free_hyps = [h for h in range(len(hyps)) if h not in taken]
    edges = {
        r: [h for h in free_hyps if facts_agree(refs[r], hyps[h], finer)]
        for r in range(len(refs))
        if r not in pairs
    }
    owner: dict[int, int] = {}

    def augment(r: int, seen: set[int]) -> bool:
        for h in edges[r]:
            if h in seen:
                continue
            seen.add(h)
            if h not in owner or augment(owner[h], seen):
                owner[h] = r
                return True
        return False

    for r in edges:
        augment(r, set())
    pairs.update({r: h for h, r in owner.items()})
    used = set(pairs.values())
    matched = tuple((refs[r], hyps[h]) for r, h in sorted(pairs.items()))
    missed = tuple(fact for r, fact in enumerate(refs) if r not in pairs)
    invented = tuple(fact for h, fact in enumerate(hyps) if h not in used)
    return CaseMatch(matched, missed, invented)


def soft_match(
    match: CaseMatch,
    vectors: Mapping[str, np.ndarray],
    behaviour_of: Callable[[str], str | None],
    names: Mapping[str, str] | None = None,
    *,
    threshold: float = SOFT_THRESHOLD,
) -> CaseMatch:
    """Pair leftover facts of one category whose concept vectors are close.

    `vectors` maps a concept id to its name's vector (a concept without one is never
    soft-matched), `names` to the name that was embedded (default: the id, "_" as space).
    See `reg_eval.clinical.soft` for the rule.
    """
    missed = [f for f in match.missed if f.concept_id in vectors]
    invented = [f for f in match.invented if f.concept_id in vectors]
    if not missed or not invented:
        return match
    similarity = cosine_matrix(
        np.stack([vectors[f.concept_id] for f in missed]),
        np.stack([vectors[f.concept_id] for f in invented]),
    )

    def key(fact: Fact) -> tuple[str, object, str | None, str]:
        name = (names or {}).get(fact.concept_id, fact.concept_id.replace("_", " "))
        return (fact.category, polarity(fact), behaviour_of(fact.concept_id), name)

    allowed = allowed_matrix([key(f) for f in missed], [key(f) for f in invented])
    pairs = greedy_pairs(similarity, allowed, threshold=threshold)
    if not pairs:
        return match
    soft_refs = {id(missed[r]) for r, _h, _s in pairs}
    soft_hyps = {id(invented[h]) for _r, h, _s in pairs}
    return replace(
        match,
        missed=tuple(f for f in match.missed if id(f) not in soft_refs),
        invented=tuple(f for f in match.invented if id(f) not in soft_hyps),
        soft=match.soft + tuple((missed[r], invented[h], s) for r, h, s in pairs),
    )


def counts_of(match: CaseMatch, category: str | None = None) -> Counts:
    """Matched credit, reference and hypothesis fact counts, optionally of one category.

    A soft pair counts as one reference and one hypothesis fact and `SOFT_CREDIT` matched.
    """
    return _counts(match, lambda fact: 1.0 if category is None or fact.category == category else 0)


def weighted_counts(match: CaseMatch) -> Counts:
    """`counts_of` with each fact weighted by its category (`severity.CATEGORY_WEIGHTS`)."""
    return _counts(match, lambda fact: category_weight(fact.category))


def _counts(match: CaseMatch, weight: Callable[[Fact], float]) -> Counts:
    exact = sum(weight(ref) for ref, _hyp in match.matched)
    soft = sum(weight(ref) for ref, _hyp, _s in match.soft)
    missed = sum(weight(fact) for fact in match.missed)
    invented = sum(weight(fact) for fact in match.invented)
    return Counts(
        exact + SOFT_CREDIT * soft,
        exact + soft + missed,
        exact + soft + invented,
    )


def precision_recall_f1(counts: Counts) -> PRF:
    precision = counts.matched / counts.hypothesis if counts.hypothesis else NAN
    recall = counts.matched / counts.reference if counts.reference else NAN
    total = counts.reference + counts.hypothesis
    f1 = 2 * counts.matched / total if total else NAN
    return PRF(precision, recall, f1)


def micro(cases: Sequence[Counts]) -> PRF:
    """Pool the counts of all cases, then one P/R/F1: large reports weigh more."""
    if not cases:
        raise ValueError("micro average of no cases")
    total = Counts()
    for counts in cases:
        total = total + counts
    return precision_recall_f1(total)


def nan_mean(values: Sequence[float]) -> float:
    """Mean over the defined values; NaN when none is defined."""
    defined = [v for v in values if not math.isnan(v)]
    return math.fsum(defined) / len(defined) if defined else NAN


def macro(cases: Sequence[Counts]) -> PRF:
    """Mean of the per-case P/R/F1 over the cases where each is defined."""
    if not cases:
        raise ValueError("macro average of no cases")
    scores = [precision_recall_f1(counts) for counts in cases]
    return PRF(
        nan_mean([s.precision for s in scores]),
        nan_mean([s.recall for s in scores]),
        nan_mean([s.f1 for s in scores]),
    )


def first_fact(facts: Sequence[Fact], category: str) -> Fact | None:
    """The earliest fact of a category: the report's organ, procedure, primary diagnosis."""
    of_category = [fact for fact in facts if fact.category == category]
    return min(of_category, key=lambda fact: fact.start) if of_category else None


def field_correct(
    reference: Sequence[Fact],
    hypothesis: Sequence[Fact],
    category: str,
    finer: ConceptRelation | None = None,
) -> float:
    """1.0 when the first facts of the category name the same concept (or the hypothesis a
    finer kind of it) with the same polarity, 0.0 when they differ or the hypothesis has
    none, NaN when the reference has none."""
    ref = first_fact(reference, category)
    if ref is None:
        return NAN
    hyp = first_fact(hypothesis, category)
    if hyp is None:
        return 0.0
    same = same_or_finer(ref, hyp, finer) and polarity(ref) == polarity(hyp)
    return 1.0 if same else 0.0


def all_correct(match: CaseMatch, category: str) -> float:
    """1.0 when every reference fact of the category is matched exactly and none is invented;
    NaN when the reference states no fact of the category (a soft pair is not exact)."""
    counts = counts_of(match, category)
    if counts.reference == 0:
        return NAN
    exact = sum(1 for ref, _hyp in match.matched if ref.category == category)
    return 1.0 if exact == counts.reference == counts.hypothesis else 0.0


@dataclass(frozen=True)
class Severity:
    """The weighted clinical score of one case and what went into it."""

    weighted_f1: float
    reference_tier: str | None
    hypothesis_tier: str | None
    steps: float
    """Malignancy tiers between the reports (NaN: the reference states no diagnosis)."""
    score: float


def severity_of(
    match: CaseMatch,
    reference: Sequence[Fact],
    hypothesis: Sequence[Fact],
    behaviour_of: Callable[[str], str | None],
) -> Severity:
    """Weighted F1 times (1 - 0.25 per malignancy tier between the reports).

    NaN when neither report states a fact. When the reference states no diagnosis, the
    malignancy factor is 1 (nothing to contradict) and the weighted F1 alone is the score.
    """
    weighted = precision_recall_f1(weighted_counts(match)).f1
    ref_tier = report_tier(reference, behaviour_of)
    hyp_tier = report_tier(hypothesis, behaviour_of)
    steps = malignancy_steps(ref_tier, hyp_tier)
    factor = 1.0 if math.isnan(steps) else 1.0 - MALIGNANCY_PENALTY_PER_STEP * steps
    return Severity(weighted, ref_tier, hyp_tier, steps, weighted * factor)


def malignancy_correct(severity: Severity) -> float:
    """1.0 when both reports put the case in the same tier; NaN without a reference tier."""
    if math.isnan(severity.steps):
        return NAN
    return 1.0 if severity.steps == 0 else 0.0
