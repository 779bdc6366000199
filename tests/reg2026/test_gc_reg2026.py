"""`gc-evaluate --challenge reg2026`: one upload with both interfaces -> A, B and the overall."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import grounding_literal as literal
import pytest
from cot_fixtures import PRED_BREAST, PRED_LUNG_NO_REPORT, write_json
from grounding_fixtures import (
    FakeJudge,
    ReferenceJudgeModel,
    answer_items,
    mapping_rows,
    write_answers,
    write_mapping,
)
from typer.testing import CliRunner

from reg_eval.cli import app
from reg_eval.commands import judging

runner = CliRunner()


def _wsi_job(pk: str, image_name: str) -> dict[str, object]:
    return {
        "pk": pk, "status": "Succeeded",
        "inputs": [{"socket": {"slug": "whole-slide-image"}, "image": {"name": image_name}}],
        "outputs": [{"socket": {"slug": "chain-of-thought",
                                "relative_path": "chain-of-thought.json"}}],
    }


def _roi_job(pk: str, roi_image: str) -> dict[str, object]:
    return {
        "pk": pk, "status": "Succeeded",
        "inputs": [
            {"pk": f"{pk}-q", "socket": {"slug": "visual-context-question"}, "value": "q"},
            {"pk": f"{pk}-i", "socket": {"slug": "histopathology-region-of-interest-thumbnail"},
             "file": f"https://example.org/{roi_image}"},
        ],
        "outputs": [{"socket": {"slug": "visual-context-response",
                                "relative_path": "visual-context-response.json"}}],
    }


def test_gc_evaluate_reg2026_writes_the_organisers_aggregates(
    cot_files: dict[str, Path], cot_bert_dir: Path, tiny_ruler_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(judging, "make_judge", lambda spec, **_: FakeJudge())
    root = cot_files["root"]
    truth = root / "ground_truth"
    (truth / "metric_A").mkdir(parents=True)
    shutil.copy(cot_files["gt"], truth / "metric_A" / "chain-of-thoughts-ground-truth.json")
    (truth / "metric_B").mkdir()
    mapping = write_mapping(truth / "metric_B" / "rois_mapping.txt")
    upload = root / "upload"
    jobs: list[dict[str, object]] = []
    for pk, name, chain in (("wsi-1", "PIT_01_00001_01.tiff", PRED_BREAST),
                            ("wsi-2", "PIT_02_00002_01.tiff", PRED_LUNG_NO_REPORT)):
        jobs.append(_wsi_job(pk, name))
        write_json(upload / pk / "output" / "chain-of-thought.json", chain)
    items = {item["id"]: item for item in answer_items()}
    flat = []
    for row in mapping_rows():
        rid = row["anonymous_id"]
        if rid not in items or rid in ("000011", "000015"):
            continue
        text = str(items[rid]["answer"] or "").strip()
        jobs.append(_roi_job(f"roi-{rid}", row["image"]))
        write_json(upload / f"roi-{rid}" / "output" / "visual-context-response.json", text)
        flat.append({"id": rid, "image": row["image"], "question": row["question"].strip(),
                     "answer": text})
    write_json(upload / "predictions.json", jobs)
    out = root / "out" / "metrics.json"
    res = runner.invoke(app, [
        "gc-evaluate", "--challenge", "reg2026", "--input", str(upload), "--ground-truth",
        str(truth), "--output", str(out), "--profile", "offline", "--emb-model",
        str(cot_bert_dir), "--key-model", str(tiny_ruler_dir), "--device", "cpu",
        "--bootstrap", "20", "--cache-dir", str(root / "cache"), "--missing", "empty",
        "--judge", "fake:x", "--voting", "2",
    ])
    assert res.exit_code == 0, res.output
    aggregates = json.loads(out.read_text(encoding="utf-8"))["aggregates"]
    a = runner.invoke(app, [
        "score-cot", "-g", str(cot_files["gt"]), "-s", str(upload), "--profile", "offline",
        "--emb-model", str(cot_bert_dir), "--key-model", str(tiny_ruler_dir), "--device",
        "cpu", "--bootstrap", "20", "--cache-dir", str(root / "cache"), "--quiet",
        "--format", "json"])
    assert a.exit_code == 0, a.output
    metric_a = json.loads(a.stdout)
    reference = literal.run_visual(write_answers(root / "flat.json", flat), mapping,
                                   ReferenceJudgeModel(2), voting=2)
    assert aggregates["workflow_final_ranking_score"] == pytest.approx(metric_a["A"], abs=1e-12)
    assert aggregates["visual_final_score"] == pytest.approx(reference["B"], abs=1e-12)
    assert aggregates["background_rejection"] == pytest.approx(reference["B1"], abs=1e-12)
    assert aggregates["overall_score"] == pytest.approx(
        0.7 * metric_a["A"] + 0.3 * reference["B"], abs=1e-12)
    assert aggregates["n_cases"] == 3
    assert (out.parent / "signature.txt").read_text(encoding="utf-8").startswith(
        "reg-eval:")
    no_judge = runner.invoke(app, ["gc-evaluate", "--challenge", "reg2026", "--input",
                                   str(upload), "--ground-truth", str(truth), "--output",
                                   str(root / "o2" / "metrics.json")])
    assert no_judge.exit_code == 2 and "--judge" in no_judge.output


def test_reg2025_metric_groups_are_refused_with_reg2026(tmp_path: Path) -> None:
    (tmp_path / "input").mkdir()
    out = tmp_path / "out" / "metrics.json"
    res = runner.invoke(app, ["gc-evaluate", "--challenge", "reg2026", "--input",
                              str(tmp_path / "input"), "--ground-truth", str(tmp_path),
                              "--output", str(out), "--judge", "fake:x", "--metrics",
                              "official,clinical"])
    assert res.exit_code == 2
    assert res.output.rstrip().splitlines()[-1].startswith("error: --metrics")
    assert not out.exists()
