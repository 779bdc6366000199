"""`reg-eval score-cot` in a small Typer app: outputs, refusal to overwrite, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from reg_eval.commands.score_cot import score_cot_command

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
app.command("score-cot")(score_cot_command)
app.command("noop")(lambda: None)  # two commands, so the command name is required
runner = CliRunner()


def test_score_cot_writes_json_and_per_case_rows(
    cot_files: dict[str, Path], cot_bert_dir: Path, tiny_ruler_dir: Path
) -> None:
    out = cot_files["root"] / "out.json"
    rows = cot_files["root"] / "rows.jsonl"
    args = [
        "score-cot", "-g", str(cot_files["gt"]), "-s", str(cot_files["folder"]),
        "--profile", "offline", "--emb-model", str(cot_bert_dir),
        "--key-model", str(tiny_ruler_dir), "--device", "cpu", "--bootstrap", "30",
        "--cache-dir", str(cot_files["root"] / "cache"), "--quiet",
        "--output", str(out), "--per-case", str(rows),
    ]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "Metric A" in res.output and "signature: reg-eval:" in res.output
    data = json.loads(out.read_text(encoding="utf-8"))
    lines = [json.loads(line) for line in rows.read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in lines] == ["PIT_01_00001_01", "PIT_02_00002_01",
                                            "PIT_03_00003_01"]
    assert data["n_cases"] == 3
    assert abs(data["A"] - sum(row["A"] for row in lines) / 3) < 1e-12
    assert data["cases"]["missing_ids"] == ["PIT_03_00003_01.svs"]
    assert lines[2]["predicted"] is False
    assert data["signature"]["comparable_with_leaderboard"] is False
    # Same command again: the outputs exist, so it refuses (exit 2) unless --force.
    again = runner.invoke(app, args)
    assert again.exit_code == 2
    forced = runner.invoke(app, [*args, "--force"])
    assert forced.exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8")) == data


def test_score_cot_rejects_an_invalid_submission(
    cot_files: dict[str, Path], cot_bert_dir: Path, tiny_ruler_dir: Path
) -> None:
    bad = cot_files["root"] / "bad.json"
    bad.write_text('[{"id": "A", "chain-of-thought": ["x"]}]', encoding="utf-8")
    res = runner.invoke(app, [
        "score-cot", "-g", str(cot_files["gt"]), "-s", str(bad), "--profile", "offline",
        "--emb-model", str(cot_bert_dir), "--key-model", str(tiny_ruler_dir), "--no-cache",
    ])
    assert res.exit_code == 1
    assert "E102" in res.output
    res = runner.invoke(app, ["score-cot", "-g", str(cot_files["gt"]), "-s", str(bad),
                              "--profile", "nope"])
    assert res.exit_code == 2
