"""Undefined per-case values (NaN) through every consumer: means, CIs, JSON, CSV, compare,
grand-challenge metrics.json and the terminal table. Each is left out and counted."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from reg_eval.comparison import compare_results
from reg_eval.groups import GroupResult
from reg_eval.metrics.official import OfficialCaseStats
from reg_eval.metrics.ranking import ranking
from reg_eval.scoring import Alignment, ScoreResult, case_columns, summarise
from reg_eval.signature import Signature
from reg_eval.stats import approximate_randomization_test, bootstrap_ci

NAN = float("nan")
GRADE = np.array([1.0, NAN, 0.0, 1.0, NAN, 1.0, 0.0, 1.0])
NOWHERE = np.full(8, NAN)


def make_result(grade: np.ndarray = GRADE, shift: float = 0.0) -> ScoreResult:
    n = grade.size
    ids = [f"c{i}" for i in range(n)]
    bleu = np.linspace(0.1, 0.8, n)
    rouge = np.clip(bleu + shift, 0, 1)
    key, emb = np.full(n, 0.5), np.full(n, 0.25)
    stats = OfficialCaseStats(
        bleu=bleu, rouge=rouge, key=key, emb=emb, cosine=emb,
        ranking=ranking(bleu, rouge, key, emb),
        ref_keywords=[frozenset()] * n, hyp_keywords=[frozenset()] * n,
    )
    group = GroupResult(
        name="clinical",
        per_case={"grade_correct": grade, "stage_correct": NOWHERE[:n]},
        signature={"clinical": "test"},
        corpus={"clinical_micro_f1": NAN},
        details=[{"missed": [], "invented": [], "soft": ["a~b"]}] * n,
    )
    organs = ["Breast"] * (n // 2) + ["Prostate"] * (n - n // 2)
    groups = {"clinical": group}
    ci, by_organ = summarise(case_columns(stats, groups), organs, n_resamples=200, seed=7)
    signature = Signature.build("reg2025-ranking", {"profile": "offline"},
                                comparable_with_leaderboard=False)
    alignment = Alignment(ids, [""] * n, [""] * n, [], [], "error")
    return ScoreResult(signature, alignment, stats, organs, ci, by_organ, groups)


def test_means_and_intervals_use_the_defined_cases_only() -> None:
    result = make_result()
    defined = GRADE[~np.isnan(GRADE)]
    assert result.means["grade_correct"] == pytest.approx(defined.mean())
    assert result.defined["grade_correct"] == 6
    assert result.defined["ranking"] == 8
    lo, hi = bootstrap_ci(defined, n_resamples=200, seed=7)
    assert result.ci["grade_correct"] == (float(lo), float(hi))
    assert math.isnan(result.means["stage_correct"])
    assert all(math.isnan(bound) for bound in result.ci["stage_correct"])
    # columns defined everywhere keep the one shared set of resamples
    matrix = np.column_stack([result.columns[c] for c in ("ranking", "bleu", "rouge", "key",
                                                          "emb")])
    shared_lo, _ = bootstrap_ci(matrix, n_resamples=200, seed=7)
    assert result.ci["ranking"][0] == float(shared_lo[0])
    breast = result.by_organ["Breast"]
    assert breast["grade_correct"] == pytest.approx(np.nanmean(GRADE[:4]))
    assert breast["n_defined"] == {"grade_correct": 3, "stage_correct": 0}
    assert breast["stage_correct"] is None


def test_json_output_writes_null_and_the_counts() -> None:
    data = make_result().to_dict()
    text = json.dumps(data, allow_nan=False)  # would raise on NaN
    block = json.loads(text)["metrics"]["clinical"]
    assert block["means"]["stage_correct"] is None
    assert block["ci"]["stage_correct"] == [None, None]
    assert block["defined"] == {"grade_correct": 6, "stage_correct": 0}
    assert block["corpus"]["clinical_micro_f1"] is None


def test_per_case_rows_and_files_keep_undefined_as_missing(tmp_path: Path) -> None:
    from reg_eval.io.results import load_per_case
    from reg_eval.io.writers import write_result_files
    from reg_eval.report.analysis import numeric_columns

    result = make_result()
    rows = result.per_case_rows()
    assert rows[1]["grade_correct"] is None and rows[0]["grade_correct"] == 1.0
    jsonl, csv = tmp_path / "cases.jsonl", tmp_path / "cases.csv"
    write_result_files(result, output=None, per_case=jsonl, force=False)
    write_result_files(result, output=None, per_case=csv, force=False)
    assert ",," in csv.read_text().splitlines()[2]  # an empty cell, not "nan"
    for path in (jsonl, csv):
        cases = load_per_case(path)
        assert cases.rows[1]["grade_correct"] is None
        assert cases.rows[0]["grade_correct"] == 1.0
        assert "grade_correct" in numeric_columns(cases)
        assert cases.rows[0]["clinical_soft"] == ["a~b"]


def test_compare_pairs_the_cases_defined_in_both_runs() -> None:
    base = make_result()
    other_grade = GRADE.copy()
    other_grade[[0, 3]] = 0.0
    other_grade[2] = NAN  # a case defined in the baseline only
    other = make_result(other_grade, shift=0.1)
    comparison = compare_results(["a", "b"], [base, other], n=500, seed=3)
    run = comparison.runs[0]
    both = ~np.isnan(GRADE) & ~np.isnan(other_grade)
    assert run.n_paired["grade_correct"] == int(both.sum()) == 5
    assert run.n_paired["ranking"] == 8
    expected = approximate_randomization_test(GRADE[both], other_grade[both], n_trials=500,
                                              seed=3)
    assert run.p_values["grade_correct"] == pytest.approx(float(expected))
    assert run.deltas["grade_correct"] == pytest.approx((other_grade[both] - GRADE[both]).mean())
    assert math.isnan(run.p_values["stage_correct"])
    json.dumps(comparison.to_dict(), allow_nan=False)


def test_grand_challenge_metrics_leave_undefined_values_out() -> None:
    from reg_eval.grand_challenge.metrics import metrics_document

    document = metrics_document(make_result())
    assert "grade_correct" not in document["case"]["c1"]
    assert document["case"]["c0"]["grade_correct"] == 1.0
    aggregates = document["aggregates"]
    assert aggregates["n_defined"] == {"grade_correct": 6, "stage_correct": 0}
    assert "stage_correct" not in aggregates
    assert "stage_correct" not in aggregates["ci"]
    json.dumps(document, allow_nan=False)


def test_the_terminal_table_shows_how_many_cases_are_defined() -> None:
    from rich.console import Console

    from reg_eval.commands.render import print_comparison, print_score

    console = Console(width=200, record=True)
    print_score(console, make_result())
    text = console.export_text()
    assert "6/8" in text and "0/8" in text and "undefined" in text
    comparison = compare_results(["a", "b"], [make_result(), make_result(shift=0.1)], n=200)
    print_comparison(console, comparison)
    text = console.export_text()
    assert "n=6" in text and "no case defined in both" in text


def test_the_html_report_says_undefined_and_on_how_many_cases(tmp_path: Path) -> None:
    from reg_eval.io.results import load_per_case, load_result
    from reg_eval.io.writers import write_result_files
    from reg_eval.report.analysis import ReportRun
    from reg_eval.report.html import _overall

    result = make_result()
    output, cases = tmp_path / "result.json", tmp_path / "cases.jsonl"
    write_result_files(result, output=output, per_case=cases, force=False)
    run = ReportRun("run", load_result(output), load_per_case(cases))
    html = _overall(run)
    assert "defined on 6 of 8 cases" in html
    assert "undefined" in html
