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
from reg_eval.clinical.sections import ALL_DIAGNOSIS, Sections
from reg_eval.clinical.severity import (
    CONTRADICTION_PENALTY,
    DESCRIPTION_FACTOR,
    GENERIC_FACTOR,
    MALIGNANCY_PENALTY_PER_STEP,
    category_weight,
    is_generic,
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


def standing(sections: Sections, fact: Fact) -> float:
    """1 for a fact in the report's diagnosis, `DESCRIPTION_FACTOR` in its description."""
    return 1.0 if sections.in_diagnosis(fact.start) else DESCRIPTION_FACTOR


def diagnosis_first(sections: Sections) -> Callable[[Fact], tuple[float, ...]]:
    """Order facts with the diagnosis section's mentions first, then by place in the text."""
    return lambda fact: (0.0 if sections.in_diagnosis(fact.start) else 1.0, float(fact.start))


def _exact_key(fact: Fact) -> tuple[object, ...]:
    return (fact.concept_id, fact.value, polarity(fact))


def match_facts(
    reference: Sequence[Fact],
    hypothesis: Sequence[Fact],
    finer: ConceptRelation | None = None,
    *,
    reference_sections: Sections = ALL_DIAGNOSIS,
    hypothesis_sections: Sections = ALL_DIAGNOSIS,
) -> CaseMatch:
    """One-to-one matching under `facts_agree`: identical facts first, then the largest.

    A fact stated twice counts once; with sections, the mention in the diagnosis section is
    the one kept (and paired first), so a diagnosis repeated from the description earns
    the diagnosis section's weight.

    Identical (concept, value, polarity) pairs are taken first; the facts left are paired by
    a maximum bipartite matching (augmenting paths, facts visited in report order, so the
    result is deterministic). Values within tolerance are what makes the second step needed:
    "7 (3+4)" in the hypothesis agrees with both "7" and "7 (3+4)" in the reference. With
    `finer`, a hypothesis fact naming a finer kind of the reference concept also agrees
    (the reference does not say which kind, so nothing is wrong: as with a value).
    """
    refs = unique_facts(list(reference), diagnosis_first(reference_sections))
    hyps = unique_facts(list(hypothesis), diagnosis_first(hypothesis_sections))
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


def weighted_counts(
    match: CaseMatch,
    reference_sections: Sections = ALL_DIAGNOSIS,
    hypothesis_sections: Sections = ALL_DIAGNOSIS,
) -> Counts:
    """Facts weighted by category (`severity.CATEGORY_WEIGHTS`) and by where they stand.

    A fact in a report's description (a report with a diagnosis section) counts
    `DESCRIPTION_FACTOR` of its weight on its side; a pair earns the smaller of its two
    sides, so a reference diagnosis met only in the hypothesis' description earns half. A
    generic morphology fact the reference does not state (`severity.is_generic`) costs
    `GENERIC_FACTOR` of its weight.
    """
    matched = reference = hypothesis = 0.0
    for ref, hyp in match.matched:
        weight = category_weight(ref.category)
        on_ref, on_hyp = standing(reference_sections, ref), standing(hypothesis_sections, hyp)
        matched += weight * min(on_ref, on_hyp)
        reference += weight * on_ref
        hypothesis += weight * on_hyp
    for ref, hyp, _s in match.soft:
        weight = category_weight(ref.category)
        on_ref, on_hyp = standing(reference_sections, ref), standing(hypothesis_sections, hyp)
        matched += SOFT_CREDIT * weight * min(on_ref, on_hyp)
        reference += weight * on_ref
        hypothesis += weight * on_hyp
    for ref in match.missed:
        reference += category_weight(ref.category) * standing(reference_sections, ref)
    for hyp in match.invented:
        factor = GENERIC_FACTOR if is_generic(hyp) else 1.0
        hypothesis += (
            category_weight(hyp.category) * standing(hypothesis_sections, hyp) * factor
        )
    return Counts(matched, reference, hypothesis)


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


def first_fact(
    facts: Sequence[Fact], category: str, sections: Sections = ALL_DIAGNOSIS
) -> Fact | None:
    """The first fact of a category, the diagnosis section's first: the report's organ,
    procedure, primary diagnosis (not the "tumour" its description opens with)."""
    of_category = [fact for fact in facts if fact.category == category]
    return min(of_category, key=diagnosis_first(sections)) if of_category else None


def field_correct(
    reference: Sequence[Fact],
    hypothesis: Sequence[Fact],
    category: str,
    finer: ConceptRelation | None = None,
    *,
    reference_sections: Sections = ALL_DIAGNOSIS,
    hypothesis_sections: Sections = ALL_DIAGNOSIS,
) -> float:
    """1.0 when the first facts of the category name the same concept (or the hypothesis a
    finer kind of it) with the same polarity, 0.0 when they differ or the hypothesis has
    none, NaN when the reference has none. First: in the diagnosis section, where a report
    has one (`first_fact`)."""
    ref = first_fact(reference, category, reference_sections)
    if ref is None:
        return NAN
    hyp = first_fact(hypothesis, category, hypothesis_sections)
    if hyp is None:
        return 0.0
    same = same_or_finer(ref, hyp, finer) and polarity(ref) == polarity(hyp)
    return 1.0 if same else 0.0


def all_correct(match: CaseMatch, category: str) -> float:
    """1.0 when every reference fact of the category is matched exactly and none is invented;
    NaN when the reference states no fact of the category (a soft pair is not exact).

    Generic morphology the reference does not state (`severity.is_generic`: "necrosis",
    "pleomorphism" in a description) is not an invention here: it fits any tumour, so it
    says nothing about whether the report got the category right.
    """
    counts = counts_of(match, category)
    if counts.reference == 0:
        return NAN
    exact = sum(1 for ref, _hyp in match.matched if ref.category == category)
    generic = sum(1 for hyp in match.invented if hyp.category == category and is_generic(hyp))
    return 1.0 if exact == counts.reference == counts.hypothesis - generic else 0.0


@dataclass(frozen=True)
class Severity:
    """The weighted clinical score of one case and what went into it."""

    weighted_f1: float
    reference_tier: str | None
    hypothesis_tier: str | None
    steps: float
    """Malignancy tiers between the reports (NaN: the reference states no diagnosis)."""
    score: float
    contradiction: bool = False
    """The hypothesis' description puts the case in another tier than its diagnosis."""
    site_conflict: bool = False
    """The two reports name unrelated organs, so their diagnoses are different diseases."""


SITE_BOUND = ("diagnosis", "histologic_type")
"""Categories whose facts name a disease, which is a disease of a site."""


def stated_tier(
    facts: Sequence[Fact], sections: Sections, behaviour_of: Callable[[str], str | None]
) -> tuple[str | None, bool]:
    """(the tier the report states, does its description contradict it).

    Where the report has a diagnosis section that states a diagnosis, that section decides
    the tier: it is what the clinician acts on. The description contradicts it when it
    puts the case in another tier on its own.
    """
    if not sections.has_diagnosis_section:
        return report_tier(facts, behaviour_of), False
    in_diagnosis = [f for f in facts if sections.in_diagnosis(f.start)]
    described = [f for f in facts if not sections.in_diagnosis(f.start)]
    concluded = report_tier(in_diagnosis, behaviour_of)
    if concluded is None:
        return report_tier(facts, behaviour_of), False
    body = report_tier(described, behaviour_of)
    return concluded, body is not None and body != concluded


def site_conflict(
    reference: Sequence[Fact],
    hypothesis: Sequence[Fact],
    related: ConceptRelation,
    hypothesis_sections: Sections = ALL_DIAGNOSIS,
) -> bool:
    """Do the reports name organs, none of the hypothesis' related to any of the reference's?

    The hypothesis' organs are read from its diagnosis section where it names one there.
    `related(a, b)`: the same organ or one part of the other.
    """
    ref_organs = {f.concept_id for f in reference if f.category == "organ" and not f.negated}
    organs = [f for f in hypothesis if f.category == "organ" and not f.negated]
    concluded = [f for f in organs if hypothesis_sections.in_diagnosis(f.start)]
    hyp_organs = {f.concept_id for f in (concluded or organs)}
    if not ref_organs or not hyp_organs:
        return False
    return not any(related(r, h) for r in ref_organs for h in hyp_organs)


def unbind_sites(match: CaseMatch) -> CaseMatch:
    """The diagnosis pairs of a case whose sites conflict become a miss and an invention."""
    kept = tuple((r, h) for r, h in match.matched if r.category not in SITE_BOUND)
    unbound = [(r, h) for r, h in match.matched if r.category in SITE_BOUND]
    if not unbound:
        return match
    return replace(
        match,
        matched=kept,
        missed=match.missed + tuple(r for r, _h in unbound),
        invented=match.invented + tuple(h for _r, h in unbound),
    )


def severity_of(
    match: CaseMatch,
    reference: Sequence[Fact],
    hypothesis: Sequence[Fact],
    behaviour_of: Callable[[str], str | None],
    *,
    reference_sections: Sections = ALL_DIAGNOSIS,
    hypothesis_sections: Sections = ALL_DIAGNOSIS,
    related: ConceptRelation | None = None,
) -> Severity:
    """Weighted F1 times (1 - 0.25 per malignancy tier between the reports), times 0.75
    when the hypothesis' description contradicts its diagnosis section.

    Facts weigh by category and by where they stand (`weighted_counts`); with `related`
    (organ concepts: same or part of), the diagnoses of reports that name unrelated organs
    do not match (`site_conflict`). NaN when neither report states a fact. When the
    reference states no diagnosis, the malignancy factor is 1 (nothing to contradict).
    """
    conflict = related is not None and site_conflict(
        reference, hypothesis, related, hypothesis_sections
    )
    scored = unbind_sites(match) if conflict else match
    weighted = precision_recall_f1(
        weighted_counts(scored, reference_sections, hypothesis_sections)
    ).f1
    ref_tier, _ = stated_tier(reference, reference_sections, behaviour_of)
    hyp_tier, contradiction = stated_tier(hypothesis, hypothesis_sections, behaviour_of)
    steps = malignancy_steps(ref_tier, hyp_tier)
    factor = 1.0 if math.isnan(steps) else 1.0 - MALIGNANCY_PENALTY_PER_STEP * steps
    if contradiction:
        factor *= 1.0 - CONTRADICTION_PENALTY
    return Severity(
        weighted, ref_tier, hyp_tier, steps, weighted * factor, contradiction, conflict
    )


def malignancy_correct(severity: Severity) -> float:
    """1.0 when both reports put the case in the same tier; NaN without a reference tier."""
    if math.isnan(severity.steps):
        return NAN
    return 1.0 if severity.steps == 0 else 0.0
