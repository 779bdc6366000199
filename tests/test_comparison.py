from __future__ import annotations

import numpy as np
import pytest

from reg_eval.comparison import compare_results
from reg_eval.errors import InvalidInputError
from reg_eval.metrics.official import OfficialCaseStats
from reg_eval.metrics.ranking import ranking
from reg_eval.scoring import Alignment, ScoreResult, case_columns, summarise
from reg_eval.signature import Signature


def _result(ids: list[str], bleu: np.ndarray, shift: float = 0.0) -> ScoreResult:
    n = len(ids)
    rouge = np.clip(bleu + shift, 0, 1)
    key = np.full(n, 0.5)
    emb = np.full(n, 0.25)
    stats = OfficialCaseStats(
        bleu=bleu, rouge=rouge, key=key, emb=emb, cosine=emb,
        ranking=ranking(bleu, rouge, key, emb),
        ref_keywords=[frozenset()] * n, hyp_keywords=[frozenset()] * n,
    )
    organs = ["Breast"] * n
    ci, by_organ = summarise(case_columns(stats), organs, n_resamples=50, seed=1)
    sig = Signature.build("reg2025-ranking", {"profile": "offline", "seed": 1},
                          comparable_with_leaderboard=False)
    alignment = Alignment(ids, [""] * n, [""] * n, [], [], "error")
    return ScoreResult(sig, alignment, stats, organs, ci, by_organ)


def test_a_clear_improvement_is_significant_and_identical_runs_are_not() -> None:
    rng = np.random.default_rng(0)
    ids = [f"c{i}" for i in range(200)]
    bleu = rng.uniform(0, 0.8, 200)
    base, same, better = _result(ids, bleu), _result(ids, bleu.copy()), _result(ids, bleu, 0.2)
    comparison = compare_results(["a", "a2", "b"], [base, same, better], n=2000, seed=3)
    same_run, better_run = comparison.runs
    assert same_run.deltas["rouge"] == 0.0
    assert same_run.p_values["rouge"] == 1.0
    assert better_run.deltas["rouge"] > 0.15
    assert better_run.p_adjusted["rouge"] < 0.01
    # Holm never lowers a p-value; with two runs the smaller one is doubled.
    assert better_run.p_adjusted["rouge"] >= better_run.p_values["rouge"]
    assert "holm" in comparison.signature.format()
    assert comparison.to_dict()["runs"][1]["name"] == "b"


def test_runs_on_different_cases_cannot_be_paired() -> None:
    bleu = np.linspace(0, 1, 10)
    a = _result([f"c{i}" for i in range(10)], bleu)
    b = _result([f"d{i}" for i in range(10)], bleu)
    with pytest.raises(InvalidInputError):
        compare_results(["a", "b"], [a, b])


def test_result_dict_has_the_documented_keys() -> None:
    result = _result(["c0", "c1", "c2"], np.array([0.1, 0.2, 0.3]))
    data = result.to_dict()
    assert set(data) >= {"signature", "n_cases", "ranking", "components", "ci", "by_organ"}
    assert set(data["components"]) == {"bleu", "rouge", "key", "emb"}
    expected = np.mean(0.15 * (2 * np.array([0.1, 0.2, 0.3])) + 0.4 * 0.5 + 0.3 * 0.25)
    assert data["ranking"] == pytest.approx(expected, abs=1e-12)
    lo, hi = data["ci"]["ranking"]
    assert lo <= data["ranking"] <= hi


def test_the_comparison_keeps_why_the_runs_are_not_comparable() -> None:
    bleu = np.linspace(0, 1, 10)
    ids = [f"c{i}" for i in range(10)]
    reason = ("precision bfloat16 instead of float32",)
    runs = []
    for shift in (0.0, 0.1):
        result = _result(ids, bleu, shift)
        result.signature = Signature.build(
            "reg2025-ranking", {"profile": "reg2025", "dtype": "bfloat16"},
            comparable_with_leaderboard=True, not_comparable_because=reason,
        )
        runs.append(result)
    comparison = compare_results(["a", "b"], runs, n=100, seed=1)
    assert comparison.signature.comparable_with_leaderboard is False
    assert comparison.signature.not_comparable_because == reason
