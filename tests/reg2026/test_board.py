"""`leaderboard` and `report` show saved REG 2026 results (Metric B here) without rescoring."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from grounding_fixtures import FakeJudge, write_answers, write_mapping
from typer.testing import CliRunner

from reg_eval.cli import app
from reg_eval.io.writers import write_json, write_jsonl
from reg_eval.reg2026.grounding import score_grounding_files

runner = CliRunner()


def _saved(tmp_path: Path, salt: int) -> tuple[Path, Path, float]:
    files = (write_mapping(tmp_path / "m.txt"), write_answers(tmp_path / "a.json"))
    result = score_grounding_files(*files, FakeJudge(salt=salt), voting=3, n_bootstrap=50)
    path = write_json(tmp_path / f"run-{salt}.json", result.to_dict())
    rows = write_jsonl(tmp_path / f"run-{salt}.jsonl", result.per_case_rows())
    return path, rows, result.means["B"]


def test_leaderboard_ranks_reg2026_runs_by_b(tmp_path: Path) -> None:
    saved = [_saved(tmp_path, salt) for salt in (0, 1, 2)]
    res = runner.invoke(app, ["leaderboard", *(str(p) for p, _, _ in saved), "--format",
                              "csv"])
    assert res.exit_code == 0, res.output
    table = list(csv.DictReader(io.StringIO(res.stdout)))
    expected = sorted(saved, key=lambda s: -s[2])
    assert [row["run"] for row in table] == [p.stem for p, _, _ in expected]
    assert [float(row["B"]) for row in table] == [round(b, 4) for _, _, b in expected]
    assert all(row["signature"].startswith("reg-eval:") for row in table)
    refused = runner.invoke(app, ["leaderboard", str(saved[0][0]), "--official",
                                  "reg2025-phase2"])
    assert refused.exit_code == 2


def test_report_shows_a_reg2026_run_and_its_rows(tmp_path: Path) -> None:
    path, rows, b = _saved(tmp_path, 0)
    out = tmp_path / "report.html"
    res = runner.invoke(app, ["report", "--out", str(out), "--results", str(path),
                              "--per-case", str(rows)])
    assert res.exit_code == 0, res.output
    page = out.read_text(encoding="utf-8")
    assert f"{b:.4f}" in page and "Metric B rows" in page and "000009" in page
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["signature"]["text"].split("|")[1] in page


def test_report_refuses_a_head_to_head_of_a_reg2026_run(tmp_path: Path) -> None:
    path, rows, _ = _saved(tmp_path, 0)
    other, _, _ = _saved(tmp_path, 1)
    out = tmp_path / "report.html"
    res = runner.invoke(app, ["report", "--out", str(out), "--results", str(path),
                              "--per-case", str(rows), "--against-results", str(other)])
    assert res.exit_code == 2
    assert "head-to-head" in res.output and str(path) in res.output
    assert not out.exists()


def test_a_reg2026_rows_file_is_read_within_the_depth_limit(tmp_path: Path) -> None:
    path, rows, _ = _saved(tmp_path, 0)
    deep = tmp_path / "deep.jsonl"
    deep.write_text(rows.read_text(encoding="utf-8") + '{"id": ' + "[" * 40 + "]" * 40 + "}\n",
                    encoding="utf-8")
    res = runner.invoke(app, ["report", "--out", str(tmp_path / "r.html"), "--results",
                              str(path), "--per-case", str(deep), "--max-depth", "20"])
    assert res.exit_code == 1
    line = len(rows.read_text(encoding="utf-8").splitlines()) + 1
    assert f"deep.jsonl:{line}: lists and objects nested more than 20 levels deep " \
        "(--max-depth)" in res.output


def test_page_shows_the_judges_from_metric_b_layout(tmp_path: Path) -> None:
    """Verdicts and reasoning come from Metric B's declared columns, in the judges' order;
    a stray column that only looks like one is not shown as a verdict."""
    from reg_eval.io.results_reg2026 import load_reg2026_result
    from reg_eval.reg2026.board import render_page

    path, _, _ = _saved(tmp_path, 0)
    row = {"part": "B3", "ids": ["000001", "000002"], "score": 0.0, "answers": ["a", "b"],
           "background_verdict": "CORRECT", "background_reasoning": "why bg",
           "similarity_verdict": "SAME", "similarity_reasoning": "why sim",
           "note_verdict": "stray"}
    page = render_page(load_reg2026_result(path), [row])
    rows_section = page.split("<h2>Metric B rows</h2>", 1)[1]
    assert "similarity: SAME; background: CORRECT" in rows_section
    assert "why sim | why bg" in rows_section
    assert "stray" not in rows_section


def test_per_case_judge_columns_are_declared_in_metric_b_layout(tmp_path: Path) -> None:
    from reg_eval.reg2026.metric_b import LAYOUT

    _, rows, _ = _saved(tmp_path, 0)
    judged = [json.loads(line) for line in rows.read_text(encoding="utf-8").splitlines()]
    columns = {key for row in judged for key in row
               if key.startswith(("similarity_", "background_"))}
    assert columns == set(LAYOUT.detail)
    assert {"similarity_verdict", "similarity_reasoning", "background_verdict",
            "background_reasoning"} <= set(LAYOUT.detail)
