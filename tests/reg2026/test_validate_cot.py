"""`reg-eval validate --kind cot`: chain-of-thought files get the same verdicts and exits."""

from __future__ import annotations

import json
from pathlib import Path

from cot_fixtures import GT_IDS, ground_truth_cases, write_json
from typer.testing import CliRunner

from reg_eval.cli import app

runner = CliRunner()


def test_a_submission_missing_a_case_warns_and_strict_refuses(tmp_path: Path) -> None:
    gt = write_json(tmp_path / "gt.json", ground_truth_cases())
    submission = write_json(tmp_path / "sub.json", ground_truth_cases()[:2])
    res = runner.invoke(app, ["validate", str(submission), "--kind", "cot",
                              "--ground-truth", str(gt), "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["valid"] is True and data["n_cases"] == 2
    assert [w["code"] for w in data["warnings"]] == ["W108"]
    assert GT_IDS[2].removesuffix(".svs") in json.dumps(data["warnings"])
    strict = runner.invoke(app, ["validate", str(submission), "--kind", "cot",
                                 "--ground-truth", str(gt), "--strict"])
    assert strict.exit_code == 1


def test_a_step_that_is_not_an_object_is_an_error_with_its_place(tmp_path: Path) -> None:
    cases = ground_truth_cases()
    cases[0]["chain-of-thought"] = ["not a step"]
    submission = write_json(tmp_path / "bad.json", cases)
    res = runner.invoke(app, ["validate", str(submission), "--kind", "cot"])
    assert res.exit_code == 1
    assert "E102" in res.output and "bad.json" in res.output


def test_ids_and_exclude_are_refused_for_chains(tmp_path: Path) -> None:
    submission = write_json(tmp_path / "sub.json", ground_truth_cases())
    res = runner.invoke(app, ["validate", str(submission), "--kind", "cot", "--ids",
                              str(submission)])
    assert res.exit_code == 2
