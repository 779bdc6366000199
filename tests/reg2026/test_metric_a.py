"""Metric A maths against the literal spec reference, with similarities given as numbers."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from cot_fixtures import (
    GT_BREAST,
    GT_IDS,
    GT_LUNG,
    GT_PROSTATE,
    PRED_BREAST,
    PRED_LUNG_NO_REPORT,
)
from cot_literal import case_literal, final_report_literal

from literal_reference import bleu4_literal, rouge_literal
from reg_eval.reg2026.chain import load_ground_truth, load_predictions
from reg_eval.reg2026.metric_a import (
    A_WEIGHTS,
    CasePlan,
    bleu_2026,
    edge_scores,
    emb_2026,
    final_report_score,
    mess,
    metric_a,
    plan_case,
    rouge_2026,
)
from reg_eval.reg2026.steps import Step


def similarity(a: str, b: str) -> float:
    """A stand-in for the sentence model: can go below 0 and above 1, to exercise clamps."""
    if a == b:
        return 1.25
    shared = set(a.lower().split()) & set(b.lower().split())
    return len(shared) / 3 - 0.2


FIXED_KEY = 0.5
FIXED_COSINE = 0.8


def report_literal(reference: str, hypothesis: str) -> float:
    return final_report_literal(
        bleu4_literal(reference, hypothesis), rouge_literal(reference, hypothesis),
        FIXED_KEY, FIXED_COSINE,
    )


def package_case(plan: CasePlan) -> float:
    sims = [
        None if pair.pred_answer is None else similarity(pair.gt_answer, pair.pred_answer)
        for pair in plan.mess_pairs
    ]
    report = final_report_score(
        bleu_2026(plan.gt_report, plan.pred_report),
        rouge_2026(plan.gt_report, plan.pred_report),
        FIXED_KEY,
        emb_2026(FIXED_COSINE),
    )
    return metric_a(plan.bpv, plan.edges.f1, mess(sims), report.score)


def steps(raw: list[dict]) -> list[Step]:
    return [Step(str(s.get("question") or ""), str(s.get("answer") or ""),
                 str(s.get("next_question") or "")) for s in raw]


def test_weights_sum_to_one() -> None:
    assert A_WEIGHTS == {"bpv": 0.05, "edge_f1": 0.30, "mess": 0.25, "final_report": 0.40}


@pytest.mark.parametrize("layout", ["folder", "single"])
def test_hand_written_files_match_the_literal_reference(
    cot_files: dict[str, Path], layout: str
) -> None:
    gt = load_ground_truth(cot_files["gt"])
    pred = load_predictions(cot_files[layout])
    assert gt.ok and pred.ok, (gt.errors, pred.errors)
    predicted = {case.id: case for case in pred.cases}
    raw_gt = {"PIT_01_00001_01": GT_BREAST, "PIT_02_00002_01": GT_LUNG,
              "PIT_03_00003_01": GT_PROSTATE}
    raw_pred = {"PIT_01_00001_01": PRED_BREAST, "PIT_02_00002_01": PRED_LUNG_NO_REPORT}
    package, literal = [], []
    for case in gt.cases:
        found = predicted.get(case.id)
        plan = plan_case(case.id, case.steps, found.steps if found else None)
        package.append(package_case(plan))
        literal.append(case_literal(raw_gt[case.id], raw_pred.get(case.id), similarity,
                                    report_literal)["A"])
    assert [case.id for case in gt.cases] == list(raw_gt)
    assert package == pytest.approx(literal, abs=1e-12)
    # The mean runs over all three ground-truth cases; the prostate case has no prediction.
    assert sum(package) / 3 == pytest.approx(sum(literal) / 3, abs=1e-12)


def test_breast_edges_match_through_aliases_end_variants_and_duplicates() -> None:
    plan = plan_case("b", steps(GT_BREAST), steps(PRED_BREAST))
    assert plan.bpv == 1.0
    assert plan.edges.f1 == 1.0
    assert len(plan.gt_edges) == 5  # six steps, one duplicate edge
    # MESS takes the first answer on each edge, on both sides, and skips the final report.
    answers = {pair.edge[0]: (pair.gt_answer, pair.pred_answer) for pair in plan.mess_pairs}
    assert answers["what is the organ"] == ("Breast", "Breast")
    assert answers["is there any abnormality present"][0] == "Yes, there is an abnormality."
    assert "what is the final pathology report" not in answers
    assert plan.pred_report.startswith("Breast, core needle biopsy;\\n")


def test_missing_final_report_and_wrong_edges() -> None:
    plan = plan_case("l", steps(GT_LUNG), steps(PRED_LUNG_NO_REPORT))
    assert plan.bpv == 0.0
    scores = plan.edges
    assert (scores.tp, scores.fp, scores.fn) == (1, 1, 2)
    assert scores.precision == 0.5
    assert scores.recall == pytest.approx(1 / 3)
    assert scores.f1 == pytest.approx(0.4)
    assert plan.pred_report == ""
    assert [pair.pred_answer for pair in plan.mess_pairs] == ["Lung", None]


def test_a_missing_case_is_an_empty_chain() -> None:
    plan = plan_case("p", steps(GT_PROSTATE), None)
    assert not plan.predicted
    assert plan.bpv == 0.0 and plan.edges.f1 == 0.0
    assert mess([None for _ in plan.mess_pairs]) == 0.0
    # The final report still gets 0.3 * EMB of "" against the reference.
    report = final_report_score(
        bleu_2026(plan.gt_report, ""), rouge_2026(plan.gt_report, ""), 0.0, emb_2026(0.3)
    )
    assert report.score == pytest.approx(0.09)
    assert metric_a(0.0, 0.0, 0.0, report.score) == pytest.approx(0.4 * 0.3 * 0.3)


def test_two_empty_chains() -> None:
    plan = plan_case("e", [], [])
    assert plan.bpv == 1.0  # two empty edge sets are equal
    assert plan.edges.f1 == 0.0
    assert mess([]) == 0.0


def test_edge_scores_with_an_empty_prediction() -> None:
    scores = edge_scores(frozenset({("a", "__END__")}), frozenset())
    assert (scores.precision, scores.recall, scores.f1) == (0.0, 0.0, 0.0)


def test_worked_value_bleu_of_a_repeated_text() -> None:
    text = "a b c d a b c d"
    assert bleu4_literal(text, text) == pytest.approx(1.4)
    assert bleu_2026(text, text) == 1.0
    report = final_report_score(1.4, 1.0, 1.0, 1.0)
    assert report.bleu == 1.0
    assert report.score == pytest.approx(1.0)
    assert report.score <= 1.0


@pytest.mark.parametrize(
    ("cosine", "expected"),
    [(0.5, 0.5), (0.51, 0.02), (0.2, 0.2), (-0.3, 0.0), (0.99, 0.98), (1.0, 1.0)],
)
def test_emb_keeps_the_jump_and_is_clamped(cosine: float, expected: float) -> None:
    assert emb_2026(cosine) == pytest.approx(expected)


def test_final_report_clamps_each_component_and_the_sum() -> None:
    report = final_report_score(2.0, -0.5, 1.5, -0.2)
    assert (report.bleu, report.rouge, report.key, report.emb) == (1.0, 0.0, 1.0, 0.0)
    assert report.score == pytest.approx(0.15 * 1.0 + 0.4 * 1.0)


def test_mess_clamps_and_counts_missing_edges_as_zero() -> None:
    assert mess([1.3, -0.4, None, 0.5]) == pytest.approx((1.0 + 0.0 + 0.0 + 0.5) / 4)
    assert math.isclose(mess([0.25]), 0.25)


def test_ids_of_the_fixture() -> None:
    assert GT_IDS[2].endswith(".svs")
