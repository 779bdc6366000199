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


# -- --missing and the grand-challenge container layout ---------------------------------------

def _base_args(cot_files: dict[str, Path], cot_bert_dir: Path, tiny_ruler_dir: Path,
               submission: Path) -> list[str]:
    return [
        "score-cot", "-g", str(cot_files["gt"]), "-s", str(submission), "--profile", "offline",
        "--emb-model", str(cot_bert_dir), "--key-model", str(tiny_ruler_dir), "--device", "cpu",
        "--bootstrap", "20", "--cache-dir", str(cot_files["root"] / "cache"), "--quiet",
        "--format", "json",
    ]


def test_missing_error_refuses_and_skip_leaves_the_case_out(
    cot_files: dict[str, Path], cot_bert_dir: Path, tiny_ruler_dir: Path
) -> None:
    base = _base_args(cot_files, cot_bert_dir, tiny_ruler_dir, cot_files["folder"])
    refused = runner.invoke(app, [*base, "--missing", "error"])
    assert refused.exit_code == 1
    assert "1 ground-truth case(s) have no prediction: PIT_03_00003_01.svs" in refused.output
    assert "--missing empty" in refused.output
    empty = json.loads(runner.invoke(app, [*base, "--missing", "empty"]).stdout)
    skip = json.loads(runner.invoke(app, [*base, "--missing", "skip"]).stdout)
    assert empty["n_cases"] == 3 and skip["n_cases"] == 2
    assert skip["cases"]["missing_policy"] == "skip"
    assert skip["cases"]["missing_ids"] == ["PIT_03_00003_01.svs"]
    assert skip["signature"]["missing"] == "skip" and empty["signature"]["missing"] == "empty"
    # skipping the missing case leaves the two predicted cases' values unchanged
    assert abs(skip["A"] * 2 - (empty["A"] * 3 - _a_of_missing(empty, base))) < 1e-9
    assert runner.invoke(app, [*base, "--missing", "drop"]).exit_code == 2


def _a_of_missing(empty: dict[str, object], base: list[str]) -> float:
    rows_path = Path(base[base.index("--cache-dir") + 1]).parent / "rows-empty.jsonl"
    runner.invoke(app, [*base, "--missing", "empty", "--per-case", str(rows_path), "--force"])
    rows = [json.loads(line) for line in rows_path.read_text(encoding="utf-8").splitlines()]
    return next(row["A"] for row in rows if not row["predicted"])


def _job(pk: str, image_name: str, value: object = None) -> dict[str, object]:
    return {
        "pk": pk, "status": "Succeeded",
        "inputs": [{"socket": {"slug": "whole-slide-image"}, "image": {"name": image_name}}],
        "outputs": [{"socket": {"slug": "chain-of-thought",
                                "relative_path": "chain-of-thought.json"}, "value": value}],
    }


def test_the_container_layout_scores_like_the_per_case_folder(
    cot_files: dict[str, Path], cot_bert_dir: Path, tiny_ruler_dir: Path
) -> None:
    from cot_fixtures import PRED_BREAST, PRED_EXTRA, PRED_LUNG_NO_REPORT, write_json

    container = cot_files["root"] / "input"
    pks = ["47ef23db-87c6-4800-a38b-a16e3cd8cb45", "968c92ae-e703-49d8-ad33-92d8f6585e41"]
    write_json(container / pks[0] / "output" / "chain-of-thought.json", PRED_BREAST)
    write_json(container / pks[1] / "output" / "chain-of-thought.json",
               {"workflow_steps": PRED_LUNG_NO_REPORT})
    write_json(container / "predictions.json", [
        _job(pks[0], "PIT_01_00001_01.tiff"),
        _job(pks[1], "PIT_02_00002_01.Tiff"),
        _job("inline-job", "PIT_09_99999_01.tiff", value=PRED_EXTRA),
    ])
    from_jobs = runner.invoke(app, _base_args(cot_files, cot_bert_dir, tiny_ruler_dir,
                                              container))
    from_folder = runner.invoke(app, _base_args(cot_files, cot_bert_dir, tiny_ruler_dir,
                                                cot_files["folder"]))
    assert from_jobs.exit_code == 0, from_jobs.output
    jobs, folder = json.loads(from_jobs.stdout), json.loads(from_folder.stdout)
    assert jobs["A"] == folder["A"] and jobs["n_cases"] == folder["n_cases"] == 3
    assert jobs["cases"]["missing_ids"] == ["PIT_03_00003_01.svs"]


def test_the_container_layout_without_a_job_list_takes_the_folder_name(
    cot_files: dict[str, Path], cot_bert_dir: Path, tiny_ruler_dir: Path
) -> None:
    from cot_fixtures import PRED_BREAST, write_json

    folder = cot_files["root"] / "outputs"
    write_json(folder / "PIT_01_00001_01" / "output" / "chain-of-thought.json", PRED_BREAST)
    res = runner.invoke(app, _base_args(cot_files, cot_bert_dir, tiny_ruler_dir, folder))
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert len(data["cases"]["missing_ids"]) == 2


def test_a_job_list_cannot_lead_score_cot_outside_its_folder(
    cot_files: dict[str, Path], cot_bert_dir: Path, tiny_ruler_dir: Path
) -> None:
    from cot_fixtures import PRED_BREAST, write_json

    outside = cot_files["root"] / "elsewhere"
    write_json(outside / "output" / "chain-of-thought.json", PRED_BREAST)
    container = cot_files["root"] / "input"
    write_json(container / "predictions.json", [_job(str(outside), "PIT_01_00001_01.tiff")])
    res = runner.invoke(app, _base_args(cot_files, cot_bert_dir, tiny_ruler_dir, container))
    assert res.exit_code == 1
    assert "not a plain job id" in res.output
