"""Ranking local runs, placing them among the official rows, the paired test and the final
score, checked against hand-computed values and the published tables."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest
from report.report_fixtures import make_result, write_run

from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.io.results import load_per_case, load_result
from reg_eval.leaderboard import (
    build_leaderboard,
    final_from_results,
    load_official,
    official_place,
)
from reg_eval.report.tables import to_csv, to_html, to_markdown

NOT_COMPARABLE = (
    "not comparable: profile offline is not the test-phase setup (use --profile reg2025)"
)
IDS = [f"c{i}" for i in range(40)]


def _bleu_for(ranking: float) -> np.ndarray:
    # key = emb = 1: ranking = 0.4 + 0.3 + 0.15 * 2 * bleu
    return np.full(len(IDS), (ranking - 0.7) / 0.3)


def _run(folder: Path, name: str, ranking: float, **kw: object) -> tuple[Path, Path]:
    result = make_result(IDS, bleu=_bleu_for(ranking), key=np.ones(len(IDS)),
                         emb=np.ones(len(IDS)), **kw)  # type: ignore[arg-type]
    return write_run(folder, name, result)


def test_runs_are_ranked_and_marked(tmp_path: Path) -> None:
    low, _ = _run(tmp_path, "low", 0.80)
    high, _ = _run(tmp_path, "high", 0.85)
    dev, _ = _run(tmp_path, "dev", 0.83, profile="offline", comparable=False)
    board = build_leaderboard([load_result(p) for p in (low, high, dev)])
    assert [e.result.name for e in board.entries] == ["high", "dev", "low"]
    assert [e.rank for e in board.entries] == [1, 2, 3]
    assert board.entries[1].note == NOT_COMPARABLE
    assert board.entries[0].note == ""
    text = to_markdown(board)
    assert NOT_COMPARABLE in text
    for entry in board.entries:
        assert entry.result.signature_text in text
        assert entry.result.signature_text.startswith("reg-eval:")
    assert "profile:offline" in to_html(board) and "profile:reg2025" in to_csv(board)


def test_official_tables_and_placement() -> None:
    phase1 = load_official("reg2025-phase1")
    phase2 = load_official("reg2025-phase2")
    final = load_official("reg2025-final")
    assert (len(phase1), len(phase2), len(final)) == (22, 24, 26)
    assert (phase2[0].team, phase2[0].score) == ("IMAGINE Lab", 0.8494)
    assert phase1[0].components == {"rouge": 0.8188, "bleu": 0.6372, "key": 0.7514, "emb": 0.9696}
    assert final[0].components is None
    # Published phase 2: 0.8494, 0.8472, 0.8415, ...
    assert official_place(0.8500, phase2) == 1
    assert official_place(0.8480, phase2) == 2
    assert official_place(0.8472, phase2) == 2  # a tie shares the rank
    assert official_place(0.0, phase2) == 25
    with pytest.raises(UsageError):
        load_official("reg2024")


def test_local_runs_are_placed_among_official_rows(tmp_path: Path) -> None:
    run, _ = _run(tmp_path, "mine", 0.8480)
    board = build_leaderboard([load_result(run)], official="reg2025-phase2")
    assert board.entries[0].place == 2
    merged = board.merged()
    assert [getattr(item, "team", None) for item in merged[:3]] == ["IMAGINE Lab", None, "ICGI"]
    rows = list(csv.DictReader(io.StringIO(to_csv(board))))
    assert len(rows) == 25
    assert rows[1]["kind"] == "local" and rows[1]["rank"] == "(2)"
    assert rows[1]["signature"].startswith("reg-eval:")
    assert rows[0]["kind"] == "official" and rows[0]["signature"].startswith("lee-messi/")
    assert "REG 2025 test phase 2" in to_markdown(board)
    final_board = build_leaderboard([load_result(run)], official="reg2025-final")
    assert "0.2·s + 0.8·s = s" in to_markdown(final_board)


def test_every_metric_is_tested_and_cases_are_matched_by_id(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    bleu = rng.uniform(0, 0.5, len(IDS))
    ones = np.ones(len(IDS))
    base = make_result(IDS, bleu=bleu, key=ones, emb=ones)
    better = make_result(IDS, bleu=bleu + 0.3, key=ones, emb=ones)
    a_json, a_cases = write_run(tmp_path, "a", base)
    b_json, b_cases = write_run(tmp_path, "b", better)
    lines = b_cases.read_text().splitlines()
    b_cases.write_text("\n".join(lines[::-1]) + "\n")  # another order: pairing uses ids
    board = build_leaderboard(
        [load_result(a_json), load_result(b_json)],
        per_case=[load_per_case(a_cases), load_per_case(b_cases)],
        n_trials=500,
        seed=1,
    )
    tested = {e.result.name: e.paired for e in board.entries}["b"]
    assert tested is not None
    assert set(tested.metrics) == {"ranking", "bleu", "rouge", "key", "emb"}
    assert tested.metrics["ranking"].delta == pytest.approx(0.15 * 2 * 0.3)
    assert tested.metrics["bleu"].delta == pytest.approx(0.3)
    # Every case improves by the same amount: of 2^40 sign patterns only the identity and
    # its mirror reach it, so no random trial does and p = (0 + 1) / (500 + 1).
    assert tested.metrics["ranking"].p_value == pytest.approx(1 / 501)
    # KEY and EMB are 1 everywhere in both runs: nothing differs, p = 1.
    assert (tested.metrics["key"].delta, tested.metrics["key"].p_value) == (0.0, 1.0)
    data = board.to_dict()["runs"]
    assert {run["name"]: run["paired_test"] is None for run in data} == {"a": True, "b": False}
    markdown = to_markdown(board)
    assert "## Paired tests against a" in markdown and "+0.3000 (p=0.0020)" in markdown


def test_leaderboard_with_baseline_and_per_case_files(tmp_path: Path) -> None:
    a_json, a_cases = _run(tmp_path, "a", 0.80)
    b_json, b_cases = _run(tmp_path, "b", 0.82)
    results = [load_result(a_json), load_result(b_json)]
    cases = [load_per_case(a_cases), load_per_case(b_cases)]
    board = build_leaderboard(results, baseline=b_json, per_case=cases, n_trials=200)
    assert board.baseline == "b"
    by_name = {e.result.name: e for e in board.entries}
    assert by_name["b"].is_baseline and by_name["b"].paired is None
    assert by_name["a"].paired is not None
    assert by_name["a"].paired.metrics["ranking"].delta == pytest.approx(-0.02)
    assert "Δ vs baseline" in to_markdown(board)
    with pytest.raises(InvalidInputError, match="does not belong"):
        build_leaderboard(results, per_case=cases[::-1])
    with pytest.raises(UsageError, match="one --per-case file per"):
        build_leaderboard(results, per_case=cases[:1])
    with pytest.raises(UsageError, match="not one of the runs"):
        build_leaderboard(results, baseline=tmp_path / "other.json")


def test_final_score_by_hand(tmp_path: Path) -> None:
    p1 = load_result(_run(tmp_path, "p1", 0.75)[0])
    p2 = load_result(_run(tmp_path, "p2", 0.85)[0])
    final = final_from_results(p1, p2)
    assert final.score == pytest.approx(0.2 * 0.75 + 0.8 * 0.85)
    assert final.warnings == []
    only2 = final_from_results(None, p2)
    assert only2.score == pytest.approx(0.8 * 0.85)
    assert any("phase 1" in w for w in only2.warnings)
    assert final_from_results(p1, None).score == pytest.approx(0.2 * 0.75)
    with pytest.raises(UsageError):
        final_from_results(None, None)
    dev = load_result(_run(tmp_path, "dev", 0.8, profile="offline", comparable=False)[0])
    warnings = final_from_results(p1, dev).warnings
    assert any("not comparable" in w for w in warnings)
    assert any("different profiles" in w for w in warnings)
    data = final.to_dict()
    assert data["phase1"]["signature"] == p1.signature_text


def test_the_clinical_headline_is_shown_beside_the_score_and_does_not_rank(
    tmp_path: Path,
) -> None:
    import json

    high, _ = _run(tmp_path, "high", 0.85)
    low, _ = _run(tmp_path, "low", 0.80, clinical=True)
    data = json.loads(low.read_text(encoding="utf-8"))
    data["metrics"]["clinical"]["headline"] = "clinical_f1"
    low.write_text(json.dumps(data), encoding="utf-8")
    # per case 0.2 ... 0.8 evenly: the mean is 0.5
    assert data["metrics"]["clinical"]["means"]["clinical_f1"] == pytest.approx(0.5)
    board = build_leaderboard([load_result(p) for p in (low, high)])
    assert [e.result.name for e in board.entries] == ["high", "low"]
    assert board.to_dict()["runs"][1]["clinical_headline"] == {
        "column": "clinical_f1", "mean": pytest.approx(0.5)}
    assert board.to_dict()["runs"][0]["clinical_headline"] is None
    text = to_markdown(board)
    assert "Clinical (headline)" in text and "does not rank" in text
    rows = {row["name"]: row for row in csv.DictReader(io.StringIO(to_csv(board)))}
    assert rows["low"]["clinical_headline"] == "0.5000"
    assert rows["high"]["clinical_headline"] == ""
    assert "Clinical (headline)" in to_html(board)
    plain = build_leaderboard([load_result(high)])
    assert "Clinical (headline)" not in to_markdown(plain)
