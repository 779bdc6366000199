"""Matching rules and averages, checked against values computed by hand."""

from __future__ import annotations

import math

import pytest

from reg_eval.clinical.facts import Fact, parse_label
from reg_eval.clinical.scores import (
    Counts,
    all_correct,
    counts_of,
    field_correct,
    macro,
    match_facts,
    micro,
    precision_recall_f1,
)

CATEGORY = {
    "breast": "organ",
    "prostate": "organ",
    "biopsy": "procedure",
    "core_needle_biopsy": "procedure",
    "tumor": "diagnosis",
    "acinar_adenocarcinoma": "diagnosis",
    "gleason_score": "grade",
    "grade_group": "grade",
    "necrosis": "finding",
}


def facts(*labels: str) -> list[Fact]:
    made = []
    for position, label in enumerate(labels):
        concept_id = label.removeprefix("not:").partition("=")[0]
        fact = parse_label(label, CATEGORY.get(concept_id, "finding"))
        made.append(Fact(fact.concept_id, fact.category, fact.value, fact.negated, label, position))
    return made


def labels_of(found: tuple[Fact, ...]) -> list[str]:
    return [fact.label for fact in found]


@pytest.mark.parametrize(
    ("ref", "hyp", "matched"),
    [
        (["gleason_score=7 (3+4)"], ["gleason_score=7 (3+4)"], 1),
        (["gleason_score=7 (3+4)"], ["gleason_score=7 (4+3)"], 0),  # values differ
        (["gleason_score=7"], ["gleason_score=7 (4+3)"], 1),  # the sum agrees, as a value
        (["tumor_volume=30%"], ["tumor_volume=34%"], 1),  # within 5 points
        (["tumor_volume=30%"], ["tumor_volume=40%"], 0),
        (["gleason_score"], ["gleason_score=7 (4+3)"], 1),  # reference without a value
        (["gleason_score=7 (3+4)"], ["gleason_score"], 0),  # hypothesis without the value
        (["not:tumor"], ["tumor"], 0),  # polarity differs
        (["not:tumor"], ["not:tumor"], 1),
        (["breast"], ["prostate"], 0),
    ],
)
def test_matching_rule(ref: list[str], hyp: list[str], matched: int) -> None:
    result = match_facts(facts(*ref), facts(*hyp))
    assert len(result.matched) == matched
    assert len(result.missed) == len(ref) - matched
    assert len(result.invented) == len(hyp) - matched


def test_each_fact_matches_once_and_repeats_count_once() -> None:
    result = match_facts(facts("gleason_score"), facts("gleason_score=6", "gleason_score=7"))
    assert labels_of(result.invented) == ["gleason_score=7"]
    repeated = match_facts(facts("necrosis"), facts("necrosis", "necrosis"))
    assert counts_of(repeated) == Counts(matched=1, reference=1, hypothesis=1)


def test_value_less_reference_prefers_a_value_less_hypothesis() -> None:
    result = match_facts(facts("gleason_score"), facts("gleason_score=7", "gleason_score"))
    assert labels_of(result.invented) == ["gleason_score=7"]


def test_missed_and_invented_are_listed() -> None:
    result = match_facts(
        facts("prostate", "biopsy", "acinar_adenocarcinoma", "gleason_score=7 (3+4)"),
        facts("prostate", "biopsy", "acinar_adenocarcinoma", "gleason_score=7 (4+3)", "necrosis"),
    )
    assert labels_of(result.missed) == ["gleason_score=7 (3+4)"]
    assert labels_of(result.invented) == ["gleason_score=7 (4+3)", "necrosis"]


def test_per_case_precision_recall_f1_by_hand() -> None:
    # 2 matched, 3 reference, 4 hypothesis: P = 2/4, R = 2/3, F1 = 2*2/(3+4)
    result = precision_recall_f1(Counts(matched=2, reference=3, hypothesis=4))
    assert result.precision == pytest.approx(0.5)
    assert result.recall == pytest.approx(2 / 3)
    assert result.f1 == pytest.approx(4 / 7)


def test_empty_sides_are_undefined_not_perfect() -> None:
    both_empty = precision_recall_f1(Counts())
    assert all(math.isnan(v) for v in (both_empty.precision, both_empty.recall, both_empty.f1))
    only_reference = precision_recall_f1(Counts(reference=2))
    assert math.isnan(only_reference.precision)  # no hypothesis fact: precision undefined
    assert (only_reference.recall, only_reference.f1) == (0.0, 0.0)
    only_hypothesis = precision_recall_f1(Counts(hypothesis=2))
    assert math.isnan(only_hypothesis.recall)
    assert (only_hypothesis.precision, only_hypothesis.f1) == (0.0, 0.0)


def test_micro_and_macro_by_hand() -> None:
    cases = [
        match_facts(
            facts("breast", "biopsy", "gleason_score=7"),
            facts("breast", "gleason_score=8", "necrosis"),
        ),  # 1 of 3, 1 of 3
        match_facts(facts("necrosis"), facts("necrosis")),  # 1, 1, 1
        match_facts([], []),  # both empty: undefined, left out of the macro means
        match_facts(facts("tumor", "necrosis"), []),  # P undefined, R 0, F1 0
    ]
    counts = [counts_of(case) for case in cases]
    # micro: matched 1+1+0+0 = 2, hypothesis 3+1+0+0 = 4, reference 3+1+0+2 = 6
    pooled = micro(counts)
    assert pooled.precision == pytest.approx(2 / 4)
    assert pooled.recall == pytest.approx(2 / 6)
    assert pooled.f1 == pytest.approx(4 / 10)
    averaged = macro(counts)
    assert averaged.precision == pytest.approx((1 / 3 + 1) / 2)  # cases 1, 2
    assert averaged.recall == pytest.approx((1 / 3 + 1 + 0) / 3)  # cases 1, 2, 4
    assert averaged.f1 == pytest.approx((1 / 3 + 1 + 0) / 3)
    assert math.isnan(macro([Counts()]).f1)


def test_counts_per_category() -> None:
    case = match_facts(
        facts("breast", "biopsy", "gleason_score=7", "grade_group=2"),
        facts("prostate", "biopsy", "gleason_score=7"),
    )
    assert counts_of(case, "organ") == Counts(matched=0, reference=1, hypothesis=1)
    assert counts_of(case, "procedure") == Counts(matched=1, reference=1, hypothesis=1)
    assert counts_of(case, "grade") == Counts(matched=1, reference=2, hypothesis=1)
    assert counts_of(case, "finding") == Counts()


def test_averages_of_nothing_are_refused() -> None:
    with pytest.raises(ValueError):
        micro([])
    with pytest.raises(ValueError):
        macro([])


def test_field_accuracy() -> None:
    ref = facts("prostate", "biopsy", "acinar_adenocarcinoma", "gleason_score=7 (3+4)")
    same = facts("prostate", "biopsy", "acinar_adenocarcinoma", "gleason_score=7 (3+4)")
    other = facts("breast", "core_needle_biopsy", "not:tumor")
    assert field_correct(ref, same, "organ") == 1.0
    assert field_correct(ref, other, "organ") == 0.0
    assert field_correct(ref, other, "procedure") == 0.0
    assert field_correct(ref, other, "diagnosis") == 0.0
    assert field_correct(facts("not:tumor"), facts("tumor"), "diagnosis") == 0.0
    # first diagnosis decides; later ones do not
    assert (
        field_correct(
            facts("tumor", "necrosis"), facts("tumor", "acinar_adenocarcinoma"), "diagnosis"
        )
        == 1.0
    )
    # the reference names none: undefined, whatever the hypothesis says
    assert math.isnan(field_correct(facts("necrosis"), facts("necrosis"), "organ"))
    assert math.isnan(field_correct(facts("necrosis"), facts("breast"), "organ"))
    # the reference names one, the hypothesis none: wrong
    assert field_correct(facts("breast"), facts("necrosis"), "organ") == 0.0
    assert all_correct(match_facts(ref, same), "grade") == 1.0
    assert all_correct(match_facts(ref, other), "grade") == 0.0
    assert all_correct(match_facts(ref, facts("gleason_score=7 (3+4)", "grade_group=2")),
                       "grade") == 0.0  # an invented grade fact beside the right one
    assert math.isnan(all_correct(match_facts(facts("breast"), facts("breast")), "grade"))


def test_an_invented_field_is_undefined_for_accuracy_but_costs_precision() -> None:
    """A report that omits the grade is not "grade correct"; one that invents it pays."""
    silent = match_facts(facts("breast", "tumor"), facts("breast", "tumor"))
    invented = match_facts(facts("breast", "tumor"), facts("breast", "tumor", "grade_group=2"))
    assert math.isnan(all_correct(silent, "grade"))
    assert math.isnan(all_correct(invented, "grade"))
    assert precision_recall_f1(counts_of(silent)).precision == 1.0
    assert precision_recall_f1(counts_of(invented)).precision == pytest.approx(2 / 3)
