"""Loading chain-of-thought files: accepted shapes, ids, and located findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cot_fixtures import PRED_BREAST, write_json

from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.reg2026.chain import (
    STEP_LIST_KEYS,
    load_ground_truth,
    load_predictions,
    require_valid,
    validate_cot,
)


def codes(findings: list) -> list[str]:
    return [finding.code for finding in findings]


@pytest.mark.parametrize("layout", ["folder", "single"])
def test_both_layouts_read_the_same_cases(cot_files: dict[str, Path], layout: str) -> None:
    load = load_predictions(cot_files[layout])
    assert load.ok
    assert sorted(case.id for case in load.cases) == [
        "PIT_01_00001_01", "PIT_02_00002_01", "PIT_09_99999_01"
    ]
    breast = next(case for case in load.cases if case.id == "PIT_01_00001_01")
    assert len(breast.steps) == len(PRED_BREAST)
    assert breast.steps[-1].answer.count("\\n") == 1  # a literal backslash-n stays text
    # The lung prediction has no final report and ends with "stop": only the first is odd.
    assert "W104" in codes(load.warnings)
    assert "W105" not in codes(load.warnings)


@pytest.mark.parametrize("key", STEP_LIST_KEYS)
def test_every_steps_key_is_accepted(tmp_path: Path, key: str) -> None:
    write_json(tmp_path / "s" / "X.json", {key: PRED_BREAST})
    load = load_predictions(tmp_path / "s")
    assert load.ok and len(load.cases[0].steps) == len(PRED_BREAST)


def test_ground_truth_ids_and_organ(cot_files: dict[str, Path]) -> None:
    load = load_ground_truth(cot_files["gt"])
    assert [case.id for case in load.cases] == [
        "PIT_01_00001_01", "PIT_02_00002_01", "PIT_03_00003_01"
    ]
    assert load.cases[0].organ == "Breast"
    assert load.cases[1].raw_id == "PIT_02_00002_01.TIFF"


def test_duplicate_ids_after_suffix_removal_are_an_error(tmp_path: Path) -> None:
    gt = write_json(tmp_path / "gt.json", [
        {"id": "PIT_01_00001_01.tiff", "chain-of-thought": PRED_BREAST},
        {"id": "PIT_01_00001_01.SVS", "chain-of-thought": PRED_BREAST},
    ])
    load = load_ground_truth(gt)
    assert codes(load.errors) == ["E009"]
    assert load.errors[0].index == 1
    with pytest.raises(InvalidInputError, match="E009"):
        require_valid(load, role="ground truth")
    write_json(tmp_path / "s" / "A.json", PRED_BREAST)
    write_json(tmp_path / "s" / "A.tiff.json", PRED_BREAST)
    assert codes(load_predictions(tmp_path / "s").errors) == ["E009"]


def test_tif_is_not_stripped(tmp_path: Path) -> None:
    write_json(tmp_path / "s" / "A.tif.json", PRED_BREAST)
    assert load_predictions(tmp_path / "s").cases[0].id == "A.tif"


def test_a_bare_list_of_steps_as_one_file_is_explained(tmp_path: Path) -> None:
    path = write_json(tmp_path / "chain-of-thought.json", PRED_BREAST)
    load = load_predictions(path)
    assert codes(load.errors) == ["E101"]
    assert "folder" in (load.errors[0].hint or "")


def test_malformed_steps(tmp_path: Path) -> None:
    path = write_json(tmp_path / "p.json", [
        {"id": "A", "chain-of-thought": [{"question": "Q", "answer": 3, "next_question": ""},
                                         "not a step"]},
        {"id": "B", "chain-of-thought": {"question": "Q"}},
        {"chain-of-thought": []},
        {"id": "C", "report": "text"},
        {"id": "D", "chain-of-thought": [{"question": "Q", "answer": "a", "extra": 1}]},
    ])
    load = load_predictions(path)
    assert codes(load.errors) == ["E102", "E101", "E103", "E101"]
    assert [f.id for f in load.errors] == ["A", "B", None, "C"]
    assert "W101" in codes(load.warnings)  # the number answer, read as "3"
    assert "W103" in codes(load.warnings)  # the unknown key
    assert [case.id for case in load.cases] == ["D"]


def test_json_syntax_and_bom(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('[\n  {"id": "A",}\n]', encoding="utf-8")
    finding = load_predictions(bad).errors[0]
    assert (finding.code, finding.line) == ("E003", 2)
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf[]")
    assert codes(load_predictions(bom).errors) == ["E002"]


def test_a_step_text_is_checked_as_every_report_text(tmp_path: Path) -> None:
    """A lone surrogate or a runaway field refuses the case, in the words of every reader."""
    from reg_eval.io.limits import Limits, limits_applied

    steps = [{"question": "What is the final pathology report?", "answer": "Lung \ud800",
              "next_question": ""}]
    path = tmp_path / "cases.json"
    path.write_text(json.dumps([{"id": "A", "chain-of-thought": steps}]), encoding="ascii")
    load = load_predictions(path)
    assert [(f.code, f.message, f.id) for f in load.errors] == [(
        "E011", "step 0: `answer` holds an unpaired surrogate (U+D800 at character 5), which "
        "is not text and cannot be written as UTF-8", "A")]
    assert load.cases == []
    steps[0]["answer"] = "x" * 41
    path.write_text(json.dumps([{"id": "A", "chain-of-thought": steps}]), encoding="ascii")
    with limits_applied(Limits(max_report_chars=40)):
        load = load_predictions(path)
    assert [(f.code, f.message) for f in load.errors] == [(
        "E015", "step 0: `answer` has 41 characters, over the limit of 40 (--max-report-chars)")]
    assert "--max-report-chars 41" in (load.errors[0].hint or "")


def test_unreadable_paths_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        load_predictions(tmp_path / "nowhere")
    with pytest.raises(UsageError):
        load_ground_truth(tmp_path / "nowhere.json")


def test_validate_against_ground_truth(cot_files: dict[str, Path]) -> None:
    findings = validate_cot(cot_files["folder"], ground_truth=cot_files["gt"])
    missing = [f for f in findings if f.code == "W108"]
    extra = [f for f in findings if f.code == "W001"]
    assert [f.id for f in missing] == ["PIT_03_00003_01.svs"]
    assert [f.id for f in extra] == ["PIT_09_99999_01.tiff"]
    assert all(f.severity.value == "warning" for f in findings)


def test_an_unended_chain_and_an_empty_chain_warn(tmp_path: Path) -> None:
    write_json(tmp_path / "s" / "A.json", [{"question": "Q", "answer": "a",
                                            "next_question": "What next?"}])
    write_json(tmp_path / "s" / "B.json", [])
    (tmp_path / "s" / "notes.txt").write_text("x", encoding="utf-8")
    load = load_predictions(tmp_path / "s")
    assert load.ok
    assert sorted(codes(load.warnings)) == ["W104", "W105", "W106", "W109"]
