"""`reg-eval score` and `reg-eval compare` end to end, on tiny local models."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reg_eval.cli import app

REPORTS = [
    ("PIT_01_00001_01.tiff", "Prostate, biopsy;\n  No tumor present"),
    ("PIT_01_00002_01.tiff", "Lung, biopsy;\n  Adenocarcinoma"),
    ("PIT_02_00003_01.tiff", "Stomach, endoscopic biopsy;\n  Chronic gastritis"),
    ("PIT_02_00004_02.tiff", "Urinary bladder, transurethral resection;\n  Urothelial carcinoma"),
    ("PIT_03_00005_01.tiff", "Bladder, transurethral resection;\n  Urothelial carcinoma"),
    ("PIT_03_00006_01.tiff", "Colon, colonoscopic biopsy;\n  Tubular adenoma"),
]
HYPOTHESES_A = [
    "Prostate, biopsy;\n  No tumor present",
    "Lung, biopsy;\n  Squamous cell carcinoma",
    "Stomach, endoscopic biopsy;\n  Chronic gastritis with intestinal metaplasia",
    "Urinary bladder, transurethral resection;\n  Urothelial carcinoma",
    "Bladder, biopsy;\n  Tubular adenoma",
    "Colon, colonoscopic biopsy;\n  Adenocarcinoma",
]


def _write(path: Path, items: list[tuple[str, str]]) -> Path:
    path.write_text(json.dumps([{"id": i, "report": r} for i, r in items]), encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    ids = [case_id for case_id, _ in REPORTS]
    return {
        "gt": _write(tmp_path / "gt.json", REPORTS),
        "a": _write(tmp_path / "a.json", list(zip(ids, HYPOTHESES_A, strict=True))),
        "b": _write(tmp_path / "b.json", REPORTS),  # a perfect run
        "partial": _write(tmp_path / "partial.json", REPORTS[:4]),
    }


@pytest.fixture
def model_args(tiny_bert_dir: Path, tiny_ruler_dir: Path, tmp_path: Path) -> list[str]:
    return [
        "--emb-model", str(tiny_bert_dir), "--key-model", str(tiny_ruler_dir),
        "--cache-dir", str(tmp_path / "cache"), "--device", "cpu", "--quiet",
    ]


runner = CliRunner()


def test_score_prints_table_with_signature_and_writes_outputs(
    files: dict[str, Path], model_args: list[str], tmp_path: Path
) -> None:
    out, cases = tmp_path / "result.json", tmp_path / "cases.csv"
    res = runner.invoke(app, [
        "score", "-g", str(files["gt"]), "-s", str(files["a"]), *model_args,
        "--output", str(out), "--per-case", str(cases), "--bootstrap", "200",
    ])
    assert res.exit_code == 0, res.output
    assert "signature: reg-eval:" in res.output
    assert "NOT comparable" in res.output
    assert "Urinary bladder" in res.output and "Colorectum" in res.output
    data = json.loads(out.read_text())
    assert data["n_cases"] == 6
    assert set(data["components"]) == {"bleu", "rouge", "key", "emb"}
    assert data["signature"]["text"].startswith("reg-eval:")
    # Bladder and Urinary bladder are one organ
    assert data["by_organ"]["Urinary bladder"]["n_cases"] == 2
    # One clinical number leads: the headline, marked; the rest are diagnostics.
    assert data["metrics"]["clinical"]["headline"] == "clinical_weighted"
    assert next(iter(data["metrics"]["clinical"]["means"])) == "clinical_weighted"
    assert "(headline)" in res.output
    with cases.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["id"] for row in rows] == [case_id for case_id, _ in REPORTS]
    assert all(row["signature"] == data["signature"]["text"] for row in rows)
    assert {"missed_keywords", "extra_keywords", "ranking", "organ"} <= set(rows[0])
    # the mean of the per-case rankings is the printed ranking
    mean = sum(float(row["ranking"]) for row in rows) / len(rows)
    assert mean == pytest.approx(data["ranking"], abs=1e-12)


def test_missing_cases_are_an_error_unless_a_policy_is_chosen(
    files: dict[str, Path], model_args: list[str]
) -> None:
    res = runner.invoke(app, ["score", "-g", str(files["gt"]), "-s", str(files["partial"]),
                              *model_args])
    assert res.exit_code == 1
    assert "PIT_03_00005_01.tiff" in res.output and "--missing" in res.output
    for policy, n in (("empty", 6), ("skip", 4)):
        res = runner.invoke(app, ["score", "-g", str(files["gt"]), "-s", str(files["partial"]),
                                  *model_args, "--missing", policy, "--format", "json"])
        assert res.exit_code == 0, res.output
        data = json.loads(res.stdout)
        assert data["n_cases"] == n
        assert f"missing:{policy}" in data["signature"]["text"]


def test_existing_output_is_not_overwritten_without_force(
    files: dict[str, Path], model_args: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "result.json"
    out.write_text("keep me")
    res = runner.invoke(app, ["score", "-g", str(files["gt"]), "-s", str(files["b"]),
                              *model_args, "--output", str(out)])
    assert res.exit_code == 2
    assert out.read_text() == "keep me"


def test_invalid_submission_is_refused_with_the_validation_report(
    files: dict[str, Path], model_args: list[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('[{"id": "PIT_01_00001_01.tiff", "report": null}]')
    res = runner.invoke(app, ["score", "-g", str(files["gt"]), "-s", str(bad), *model_args])
    assert res.exit_code == 1
    assert "bad.json" in res.output


def test_a_model_that_cannot_be_found_is_exit_2_without_traceback(
    files: dict[str, Path], tiny_ruler_dir: Path, tmp_path: Path
) -> None:
    env_cache = tmp_path / "hf"
    run = subprocess.run(
        [sys.executable, "-m", "reg_eval", "score", "-g", str(files["gt"]), "-s",
         str(files["b"]), "--emb-model", "no-such-org/no-such-model", "--key-model",
         str(tiny_ruler_dir), "--cache-dir", str(tmp_path / "cache"), "--quiet"],
        capture_output=True, text=True, timeout=300,
        env={"HF_HUB_OFFLINE": "1", "HF_HOME": str(env_cache), "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    assert "no-such-org/no-such-model" in run.stderr
    assert "--profile offline" in run.stderr


def test_compare_finds_the_perfect_run_better(
    files: dict[str, Path], model_args: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "compare.json"
    res = runner.invoke(app, [
        "compare", str(files["a"]), str(files["b"]), "-g", str(files["gt"]), *model_args,
        "--n", "999", "--output", str(out),
    ])
    assert res.exit_code == 0, res.output
    assert "signature: reg-eval:" in res.output
    data = json.loads(out.read_text())
    run = data["runs"][0]
    assert run["name"] == "b.json"
    assert run["delta"]["ranking"] > 0
    assert 0 < run["p_value"]["ranking"] <= 1
    assert "approximate randomization" in data["signature"]["text"]
