"""The weighted clinical score and the malignancy tier, against values worked by hand."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from reg_eval.clinical.facts import Fact
from reg_eval.clinical.scores import (
    Counts,
    malignancy_correct,
    match_facts,
    severity_of,
    weighted_counts,
)
from reg_eval.clinical.sections import ALL_DIAGNOSIS, Sections
from reg_eval.clinical.severity import (
    CATEGORY_WEIGHTS,
    behaviour_from_id,
    behaviour_table,
    report_tier,
)

CATEGORY = {"stomach": "organ", "colorectum": "organ", "biopsy": "procedure",
            "grade_group": "grade", "necrosis": "finding"}


def fact(label: str, position: int = 0) -> Fact:
    negated = label.startswith("not:")
    concept_id, _, value = label.removeprefix("not:").partition("=")
    return Fact(concept_id, CATEGORY.get(concept_id, "diagnosis"), value or None, negated,
                label, position)


def facts(*labels: str) -> list[Fact]:
    return [fact(label, i) for i, label in enumerate(labels)]


def behaviour(concept_id: str) -> str | None:
    return behaviour_from_id(concept_id) if CATEGORY.get(concept_id) is None else None


def test_behaviour_from_id() -> None:
    assert behaviour_from_id("tubular_adenocarcinoma") == "malignant"
    assert behaviour_from_id("ductal_carcinoma_in_situ") == "in_situ"
    assert behaviour_from_id("noninvasive_papillary_urothelial_carcinoma") == "in_situ"
    assert behaviour_from_id("hsil") == "in_situ"
    assert behaviour_from_id("atypical_ductal_hyperplasia") == "uncertain"
    assert behaviour_from_id("tubular_adenoma") == "benign"
    assert behaviour_from_id("fibroadenoma") == "benign"
    assert behaviour_from_id("chronic_gastritis") == "non_neoplastic"
    assert behaviour_from_id("chronic_cystitis") == "non_neoplastic"
    assert behaviour_from_id("lepidic_predominant") is None


def test_a_stated_behaviour_wins_over_the_id() -> None:
    @dataclass
    class Concept:
        id: str
        category: str
        behaviour: str | None = None

    table = behaviour_table([Concept("tumor", "diagnosis", "benign"),
                             Concept("carcinoma", "diagnosis"), Concept("stomach", "organ")])
    assert table == {"tumor": "benign", "carcinoma": "malignant", "stomach": None}


def test_report_tier() -> None:
    assert report_tier(facts("chronic_gastritis", "adenocarcinoma"), behaviour) == "malignant"
    assert report_tier(facts("not:tumor"), behaviour) == "benign"
    assert report_tier(facts("stomach", "biopsy"), behaviour) is None
    assert report_tier(facts("hsil"), behaviour) == "intermediate"
    suspicious = Fact("carcinoma", "diagnosis", None, False, "suspicious for", 0, uncertain=True)
    assert report_tier([suspicious], behaviour) == "intermediate"


def weighted(ref: list[str], hyp: list[str]) -> float:
    r, h = facts(*ref), facts(*hyp)
    return severity_of(match_facts(r, h), r, h, behaviour).score


def test_weighted_score_by_hand() -> None:
    ref = ["stomach", "biopsy", "adenocarcinoma", "necrosis"]
    w = CATEGORY_WEIGHTS
    total = w["organ"] + w["procedure"] + w["diagnosis"] + w["finding"]  # 5.0
    assert weighted(ref, ref) == 1.0
    # missing the finding: 2*(5 - 0.5) / (5 + 4.5)
    assert weighted(ref, ref[:3]) == pytest.approx(2 * (total - 0.5) / (2 * total - 0.5))
    # the wrong organ costs the organ weight on each side
    assert weighted(ref, ["colorectum", *ref[1:]]) == pytest.approx(
        2 * (total - 1.0) / (2 * total))  # colorectum: a diagnosis-free concept, weight 3
    # a benign diagnosis for a cancer: the diagnosis weight, then half (two tiers)
    benign = weighted(ref, ["stomach", "biopsy", "tubular_adenoma", "necrosis"])
    assert benign == pytest.approx(2 * (total - 3.0) / (2 * total) * 0.5)
    # no diagnosis at all: the weight, then one tier
    silent = weighted(ref, ["stomach", "biopsy", "necrosis"])
    assert silent == pytest.approx(2 * (total - 3.0) / (2 * total - 3.0) * 0.75)


def test_graver_errors_score_lower() -> None:
    ref = ["stomach", "biopsy", "adenocarcinoma", "grade_group=2", "necrosis"]
    scores = [
        weighted(ref, ref),
        weighted(ref, ["stomach", "biopsy", "adenocarcinoma", "grade_group=2"]),  # finding
        weighted(ref, ["stomach", "biopsy", "adenocarcinoma", "grade_group=3", "necrosis"]),
        weighted(ref, ["stomach", "biopsy", "hsil", "grade_group=2", "necrosis"]),
        weighted(ref, ["stomach", "biopsy", "not:tumor", "necrosis"]),
    ]
    assert scores == sorted(scores, reverse=True)
    assert len(set(scores)) == len(scores)


def test_malignancy_correct_is_undefined_without_a_reference_diagnosis() -> None:
    r, h = facts("stomach"), facts("stomach", "adenocarcinoma")
    severity = severity_of(match_facts(r, h), r, h, behaviour)
    assert math.isnan(malignancy_correct(severity))
    assert severity.score == pytest.approx(2 * 1.0 / (1.0 + 4.0))  # costs precision only
    r, h = facts("adenocarcinoma"), facts("carcinoma")
    assert malignancy_correct(severity_of(match_facts(r, h), r, h, behaviour)) == 1.0
    assert math.isnan(severity_of(match_facts([], []), [], [], behaviour).score)


# Where a fact stands: a report whose diagnosis section is characters 40-100.
REPORT_SECTIONS = Sections(((40, 100),), True)


def test_a_generic_finding_the_reference_does_not_state_costs_a_fifth_in_the_description(
) -> None:
    ref = [fact("colorectum", 0), fact("adenocarcinoma", 10)]
    hyp = [fact("necrosis", 5), fact("colorectum", 50), fact("adenocarcinoma", 60)]
    counts = weighted_counts(match_facts(ref, hyp), ALL_DIAGNOSIS, REPORT_SECTIONS)
    # matched organ 1 + diagnosis 3; the invented necrosis: 0.5 x 0.5 (description) x 0.2.
    assert counts == Counts(4.0, 4.0, pytest.approx(4.05))
    severity = severity_of(match_facts(ref, hyp), ref, hyp, behaviour,
                           hypothesis_sections=REPORT_SECTIONS)
    assert severity.score == pytest.approx(8 / 8.05)


def test_a_diagnosis_stated_only_in_the_description_earns_half() -> None:
    ref = [fact("colorectum", 0), fact("adenocarcinoma", 10)]
    hyp = [fact("adenocarcinoma", 5), fact("colorectum", 50)]
    counts = weighted_counts(match_facts(ref, hyp), ALL_DIAGNOSIS, REPORT_SECTIONS)
    assert counts == Counts(2.5, 4.0, 2.5)  # organ 1 + diagnosis 3 x 0.5
    # Stated in both places, the diagnosis section's mention is the one kept.
    both = [fact("adenocarcinoma", 5), fact("colorectum", 50), fact("adenocarcinoma", 60)]
    match = match_facts(ref, both, hypothesis_sections=REPORT_SECTIONS)
    assert [h.start for _r, h in match.matched] == [50, 60]
    assert weighted_counts(match, ALL_DIAGNOSIS, REPORT_SECTIONS) == Counts(4.0, 4.0, 4.0)


def test_a_description_that_contradicts_the_diagnosis_costs_a_quarter() -> None:
    ref = [fact("colorectum", 0), fact("adenocarcinoma", 10)]
    hyp = [fact("not:tumor", 5), fact("colorectum", 50), fact("adenocarcinoma", 60)]
    severity = severity_of(match_facts(ref, hyp, hypothesis_sections=REPORT_SECTIONS), ref,
                           hyp, behaviour, hypothesis_sections=REPORT_SECTIONS)
    assert severity.contradiction and severity.hypothesis_tier == "malignant"
    # weighted F1: 2 x 4 / (4 + 4 + 3 x 0.5 for the negated tumour in the description)
    assert severity.score == pytest.approx(8 / 9.5 * 0.75)


def test_the_diagnosis_section_decides_the_tier_when_the_description_disagrees() -> None:
    ref = [fact("adenocarcinoma", 0)]
    hyp = [fact("adenocarcinoma", 5), fact("not:tumor", 60)]
    severity = severity_of(match_facts(ref, hyp, hypothesis_sections=REPORT_SECTIONS), ref,
                           hyp, behaviour, hypothesis_sections=REPORT_SECTIONS)
    assert severity.hypothesis_tier == "benign" and severity.steps == 2
    assert severity.contradiction
    # matched 3 x 0.5; hypothesis 1.5 + 3; reference 3: F1 = 3 / 7.5, x 0.5 x 0.75.
    assert severity.score == pytest.approx(3 / 7.5 * 0.5 * 0.75)


def test_the_right_diagnosis_in_an_unrelated_organ_does_not_match() -> None:
    ref = facts("stomach", "adenocarcinoma", "grade_group=2")
    hyp = facts("colorectum", "adenocarcinoma", "grade_group=2")
    same = severity_of(match_facts(ref, hyp), ref, hyp, behaviour)
    assert same.score == pytest.approx(2 * 5 / 12)  # without sites: grade 2 + diagnosis 3
    conflict = severity_of(match_facts(ref, hyp), ref, hyp, behaviour,
                           related=lambda a, b: a == b)
    assert conflict.site_conflict
    assert conflict.score == pytest.approx(2 * 2 / 12)  # only the grade group matches
    related = severity_of(match_facts(ref, hyp), ref, hyp, behaviour,
                          related=lambda a, b: True)
    assert not related.site_conflict and related.score == same.score
