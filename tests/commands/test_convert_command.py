"""`reg-eval convert` from the outside: writes, refuses to overwrite, validates the result."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def test_csv_to_valid_submission(tmp_path: Path, invoke: Callable[..., Any]) -> None:
    src = tmp_path / "preds.csv"
    src.write_text('id,report\nPIT_01_00012_01.tiff,"Lung, biopsy;\n  Adenocarcinoma"\n',
                   encoding="utf-8")
    out = tmp_path / "predictions.json"
    result = invoke("convert", src, "--out", out)
    assert result.exit_code == 0, result.output
    assert "wrote 1 cases from csv input" in result.output
    assert "valid — 1 cases" in result.output
    assert json.loads(out.read_text()) == [
        {"id": "PIT_01_00012_01.tiff", "report": "Lung, biopsy;\n  Adenocarcinoma"}]


def test_refuses_to_overwrite_then_force(tmp_path: Path, invoke: Callable[..., Any]) -> None:
    src = tmp_path / "preds.jsonl"
    src.write_text('{"id": "PIT_01_00012_01.tiff", "report": "Lung, biopsy;"}\n')
    out = tmp_path / "predictions.json"
    out.write_text("old")
    refused = invoke("convert", src, "--out", out)
    assert refused.exit_code == 2 and "--force" in refused.output
    assert out.read_text() == "old"
    forced = invoke("convert", src, "--out", out, "--force")
    assert forced.exit_code == 0, forced.output
    assert json.loads(out.read_text())[0]["id"] == "PIT_01_00012_01.tiff"


def test_folder_with_duplicate_ids_is_written_but_exits_1(
    tmp_path: Path, invoke: Callable[..., Any]
) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "PIT_01_00012_01.txt").write_text("Lung, biopsy;\n  Adenocarcinoma\n")
    (folder / "PIT_01_00012_01.tiff.txt").write_text("Lung, biopsy;\n  Squamous cell carcinoma\n")
    out = tmp_path / "predictions.json"
    result = invoke("convert", folder, "--out", out)
    assert result.exit_code == 1
    assert "E009" in result.output and out.exists()


def test_bad_input_exits_1_without_writing(tmp_path: Path, invoke: Callable[..., Any]) -> None:
    src = tmp_path / "preds.csv"
    src.write_text("slide,text\na,b\n")
    out = tmp_path / "predictions.json"
    result = invoke("convert", src, "--out", out)
    assert result.exit_code == 1 and "no column 'id'" in result.output
    assert not out.exists() and list(tmp_path.iterdir()) == [src]


def test_convert_broken_jsonl_example_as_a_process(
    tmp_path: Path, run_process: Callable[..., Any]
) -> None:
    out = tmp_path / "fixed.json"
    done = run_process("convert", REPO / "examples" / "broken" / "json-lines.jsonl", "--out", out)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert len(json.loads(out.read_text())) == 4
