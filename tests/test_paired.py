"""The one paired test of runs against a baseline: cases matched by id, undefined values left
out and counted, Holm across runs, one seed; checked against hand-computed values."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from reg_eval.comparison import compare_results
from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.io.results import load_per_case, load_result
from reg_eval.io.writers import write_result_files
from reg_eval.leaderboard import build_leaderboard
from reg_eval.paired import RunCases, match_cases, paired_tests
from reg_eval.report.analysis import ReportRun, head_to_head
from reg_eval.scoring import Scorer
from reg_eval.scoring_options import ScoringOptions
from reg_eval.stats import DEFAULT_SEED

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

NAN = float("nan")


def _run(name: str, ids: list[str], **columns: list[float]) -> RunCases:
    arrays = {key: np.array(values, dtype=np.float64) for key, values in columns.items()}
    return RunCases(name, tuple(ids), arrays)


def test_cases_are_matched_by_id_whatever_their_order() -> None:
    ids = [f"c{i}" for i in range(12)]
    values = [0.1 * i for i in range(12)]
    base = _run("a", ids, m=values)
    shifted = [v + (0.05 if i % 3 else -0.02) for i, v in enumerate(values)]
    ordered = _run("b", ids, m=shifted)
    reversed_run = _run("b", ids[::-1], m=shifted[::-1])
    assert match_cases(base, reversed_run).tolist() == list(range(11, -1, -1))
    one = paired_tests(base, [ordered], n=400, seed=2).runs[0].metrics["m"]
    other = paired_tests(base, [reversed_run], n=400, seed=2).runs[0].metrics["m"]
    assert one == other
    # 8 cases gain 0.05, 4 lose 0.02: mean (8 * 0.05 - 4 * 0.02) / 12
    assert one.delta == pytest.approx(0.32 / 12)


def test_runs_on_other_cases_are_refused_naming_the_first_difference() -> None:
    base = _run("a", ["c0", "c1", "c2"], m=[0.0, 0.0, 0.0])
    other = _run("b", ["c0", "c2", "c9", "c8"], m=[0.0, 0.0, 0.0, 0.0])
    with pytest.raises(InvalidInputError) as caught:
        paired_tests(base, [other])
    message = str(caught.value)
    assert "case 'c1' is only in a" in message
    assert "1 only in a, 2 only in b" in message
    assert "--missing" in (caught.value.hint or "")


def test_undefined_cases_are_left_out_and_counted() -> None:
    ids = ["c0", "c1", "c2", "c3", "c4"]
    base = _run("a", ids, m=[0.2, 0.3, NAN, 0.5, 0.1])
    other = _run("b", ids, m=[0.3, 0.4, 0.9, 0.6, NAN])
    tested = paired_tests(base, [other], n=20_000, seed=5).runs[0].metrics["m"]
    assert tested.n_paired == 3
    assert tested.delta == pytest.approx(0.1)
    # Three defined pairs, each +0.1: of the 2^3 sign patterns the identity and its mirror
    # reach |sum| = 0.3, so the exact p is 2/8; the randomisation estimate is close to it.
    assert tested.p_value == pytest.approx(0.25, abs=0.015)
    # Means are over each run's own defined cases.
    assert tested.mean == pytest.approx((0.3 + 0.4 + 0.9 + 0.6) / 4)


def test_a_metric_defined_nowhere_in_both_has_no_p_value() -> None:
    base = _run("a", ["c0", "c1"], m=[NAN, 0.5], k=[0.1, 0.2])
    other = _run("b", ["c0", "c1"], m=[0.4, NAN], k=[0.1, 0.2])
    tested = paired_tests(base, [other], n=50).runs[0].metrics
    assert tested["m"].n_paired == 0
    assert math.isnan(tested["m"].p_value) and math.isnan(tested["m"].p_holm)
    assert math.isnan(tested["m"].delta)
    assert (tested["k"].p_value, tested["k"].n_paired) == (1.0, 2)


def test_holm_adjusts_across_the_runs_per_metric() -> None:
    ids = [f"c{i}" for i in range(30)]
    rng = np.random.default_rng(0)
    base_values = rng.uniform(0, 1, 30)
    base = RunCases("a", tuple(ids), {"m": base_values})
    clear = RunCases("b", tuple(ids), {"m": base_values + 0.2})
    noise = RunCases("c", tuple(ids), {"m": base_values + rng.normal(0, 0.05, 30)})
    tests = paired_tests(base, [clear, noise], n=999, seed=1)
    b, c = (run.metrics["m"] for run in tests.runs)
    assert tests.correction == "holm"
    small, large = sorted([b, c], key=lambda t: t.p_value)
    # Holm with two p-values: the smaller is doubled, the larger kept (never below it).
    assert small.p_holm == pytest.approx(min(1.0, 2 * small.p_value))
    assert large.p_holm == pytest.approx(max(small.p_holm, large.p_value))
    # Alone, a run's p-value is its own: Holm of one p-value is that p-value.
    alone = paired_tests(base, [clear], n=999, seed=1)
    assert alone.correction == "none"
    assert alone.runs[0].metrics["m"].p_holm == alone.runs[0].metrics["m"].p_value == b.p_value


def test_the_order_of_metrics_changes_no_p_value() -> None:
    ids = [f"c{i}" for i in range(25)]
    rng = np.random.default_rng(4)
    a = {name: rng.uniform(0, 1, 25) for name in ("x", "y", "z")}
    b = {name: values + rng.normal(0.05, 0.1, 25) for name, values in a.items()}
    b["y"][3] = NAN
    forward = paired_tests(
        RunCases("a", tuple(ids), a), [RunCases("b", tuple(ids), b)], test="bs", n=300
    )
    backward = paired_tests(
        RunCases("a", tuple(ids), dict(reversed(list(a.items())))),
        [RunCases("b", tuple(ids), dict(reversed(list(b.items()))))],
        test="bs",
        n=300,
    )
    for name in a:
        assert forward.runs[0].metrics[name] == backward.runs[0].metrics[name]
    assert forward.runs[0].metrics["y"].n_paired == 24


def test_identical_runs_give_p_one_under_both_tests() -> None:
    ids = ["c0", "c1", "c2", "c3"]
    base = _run("a", ids, m=[0.1, 0.7, 0.3, 0.9])
    for test in ("ar", "bs"):
        tested = paired_tests(base, [_run("b", ids, m=[0.1, 0.7, 0.3, 0.9])], test=test, n=99)
        assert (tested.runs[0].metrics["m"].p_value, tested.runs[0].metrics["m"].delta) == (
            1.0,
            0.0,
        )
        assert tested.describe() == {
            "test": {"ar": "paired approximate randomization", "bs": "paired bootstrap"}[test],
            "trials": "99",
            "seed": str(DEFAULT_SEED),
            "correction": "none",
        }


def test_rows_of_a_per_case_file_become_metric_columns() -> None:
    rows = [
        {"id": "c0", "organ": "Lung", "ranking": 0.5, "clinical_f1": None,
         "missed_keywords": ["a"], "signature": "s"},
        {"id": "c1", "organ": "Lung", "ranking": 0.25, "clinical_f1": 0.75,
         "missed_keywords": [], "signature": "s"},
    ]
    run = RunCases.from_rows("a", rows)
    assert run.ids == ("c0", "c1")
    assert list(run.columns) == ["ranking", "clinical_f1"]
    assert run.columns["ranking"].tolist() == [0.5, 0.25]
    assert math.isnan(run.columns["clinical_f1"][0]) and run.columns["clinical_f1"][1] == 0.75


def test_a_row_lacking_a_metric_is_refused_not_read_as_undefined() -> None:
    rows = [{"id": "c0", "ranking": 0.5, "clinical_f1": 0.2}, {"id": "c1", "ranking": 0.4}]
    with pytest.raises(InvalidInputError, match="case 'c1' has no 'clinical_f1' value"):
        RunCases.from_rows("run-a", rows)


@pytest.mark.parametrize(("test", "n"), [("xx", 10), ("ar", 0)])
def test_an_unknown_test_or_no_trials_is_a_usage_error(test: str, n: int) -> None:
    base = _run("a", ["c0"], m=[0.1])
    with pytest.raises(UsageError):
        paired_tests(base, [base], test=test, n=n)


def test_compare_leaderboard_and_report_give_the_same_p_value_for_every_metric(
    tmp_path: Path, tiny_bert_dir: Path, tiny_ruler_dir: Path
) -> None:
    """Two runs scored once; `compare` tests them in memory, `leaderboard` and `report` from
    the files `score --output --per-case` writes (JSONL for one run, CSV for the other)."""
    scorer = Scorer(
        ScoringOptions(
            profile="offline", emb_model=str(tiny_bert_dir), key_model=str(tiny_ruler_dir),
            metrics="official,clinical", device="cpu", bootstrap=20,
            cache_dir=tmp_path / "cache",
        )
    )
    truth = EXAMPLES / "ground-truth.json"
    scored = [scorer.score_files(truth, EXAMPLES / f"submission-{x}.json") for x in "ab"]
    undefined = [name for name, v in scored[0].columns.items() if np.isnan(v).any()]
    assert undefined, "the example runs should have a metric undefined on some case"

    compared = compare_results(["a", "b"], scored, n=2000).runs[0]

    files = []
    for name, result, suffix in (("a", scored[0], ".jsonl"), ("b", scored[1], ".csv")):
        output, per_case = tmp_path / f"{name}.json", tmp_path / f"{name}{suffix}"
        write_result_files(result, output=output, per_case=per_case, force=False)
        files.append((load_result(output, name=name), load_per_case(per_case)))
    (result_a, cases_a), (result_b, cases_b) = files
    board = build_leaderboard([result_a, result_b], per_case=[cases_a, cases_b], n_trials=2000)
    ranked = {entry.result.name: entry.paired for entry in board.entries}["b"]
    assert ranked is not None
    report = head_to_head(
        ReportRun("a", result_a, cases_a), ReportRun("b", result_b, cases_b), n_trials=2000
    )

    metrics = list(scored[0].columns)
    from_compare = [compared.p_values[m] for m in metrics]
    from_leaderboard = [ranked.metrics[m].p_value for m in metrics]
    from_report = [report.p_values[m] for m in metrics]
    assert set(ranked.metrics) == set(report.p_values) == set(compared.p_values) == set(metrics)
    assert np.array_equal(from_compare, from_leaderboard, equal_nan=True)
    assert np.array_equal(from_compare, from_report, equal_nan=True)
    assert any(p < 0.5 for p in from_compare), "a test that only ever says p = 1 proves little"
    for m in undefined:
        assert compared.n_paired[m] == ranked.metrics[m].n_paired == report.n_paired[m]
        assert compared.n_paired[m] < compared.n_paired["ranking"]
