"""The weighted clinical score and the malignancy tier, against values worked by hand."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from reg_eval.clinical.facts import Fact
from reg_eval.clinical.scores import malignancy_correct, match_facts, severity_of
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
