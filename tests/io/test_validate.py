"""Validation against a reference, the id list and exclusion readers, and the text summary."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from reg_eval.errors import UsageError
from reg_eval.io.validate import (
    load_excluded_ids,
    load_id_list,
    render_text,
    validate_submission,
)

Write = Callable[..., Path]
Make = Callable[..., dict[str, str]]


def by_code(findings: list, code: str) -> list:
    return [f for f in findings if f.code == code]


def test_valid_submission(write_cases: Write, case: Make) -> None:
    gt = write_cases([case(n) for n in range(5)], "gt.json")
    report = validate_submission(write_cases([case(n) for n in range(5)]), ground_truth=gt)
    assert report.valid and report.n_cases == 5 and not report.errors and not report.warnings
    assert report.reference_ids == [case(n)["id"] for n in range(5)]
    assert report.to_dict() == {"valid": True, "n_cases": 5, "errors": [], "warnings": []}


def test_missing_ids_are_listed_with_their_count(write_cases: Write, case: Make) -> None:
    gt = write_cases([case(n) for n in range(6)], "gt.json")
    report = validate_submission(write_cases([case(0), case(2), case(4)]), ground_truth=gt)
    missing = by_code(report.errors, "E010")
    assert [f.id for f in missing] == [case(n)["id"] for n in (1, 3, 5)]
    assert all("3 of 6" in f.message for f in missing)
    assert not report.valid


def test_missing_id_hint_points_at_the_near_miss(write_cases: Write, case: Make) -> None:
    gt = write_cases([case(1)], "gt.json")
    sub = write_cases([{"id": "PIT_01_00001_01", "report": "x"}])
    report = validate_submission(sub, ground_truth=gt)
    (missing,) = by_code(report.errors, "E010")
    assert 'rename it to "PIT_01_00001_01.tiff"' in (missing.hint or "")
    (extra,) = by_code(report.warnings, "W001")
    assert "did you mean" in (extra.hint or "") and extra.index == 0 and extra.line == 2


def test_extra_ids_are_warnings(write_cases: Write, case: Make) -> None:
    ids = write_cases([case(1)["id"]], "ids.json")
    report = validate_submission(write_cases([case(1), case(9)]), ids=ids)
    assert report.valid
    assert [f.id for f in by_code(report.warnings, "W001")] == [case(9)["id"]]


def test_item_with_bad_report_is_not_also_missing(write_cases: Write, case: Make) -> None:
    gt = write_cases([case(1), case(2)], "gt.json")
    sub = write_cases([case(1), {"id": case(2)["id"], "report": None}])
    report = validate_submission(sub, ground_truth=gt)
    assert [f.code for f in report.errors] == ["E007"]


def test_excluded_ids_warn_and_are_not_missing(
    write_cases: Write, write_file: Write, case: Make
) -> None:
    gt = write_cases([case(n) for n in range(4)], "gt.json")
    csv_path = write_file(f"id_list\n{case(1)['id']}\n{case(3)['id']}\n", "corrupted_id.csv")
    sub = write_cases([case(0), case(1), case(2)])
    report = validate_submission(sub, ground_truth=gt, exclude=csv_path)
    assert report.valid  # case 3 is excluded, so not missing
    assert [f.index for f in by_code(report.warnings, "W007")] == [1]
    assert report.excluded_ids == [case(1)["id"], case(3)["id"]]


def test_no_reference_checks_when_the_file_did_not_parse(write_file: Write, case: Make,
                                                        write_cases: Write) -> None:
    gt = write_cases([case(1)], "gt.json")
    report = validate_submission(write_file("[{"), ground_truth=gt)
    assert [f.code for f in report.errors] == ["E003"]


def test_ground_truth_and_ids_are_exclusive(write_cases: Write, case: Make) -> None:
    path = write_cases([case(1)])
    with pytest.raises(UsageError, match="only one"):
        validate_submission(path, ground_truth=path, ids=path)


def test_broken_ground_truth_is_a_usage_error(write_file: Write, write_cases: Write,
                                              case: Make) -> None:
    with pytest.raises(UsageError, match="ground truth"):
        validate_submission(write_cases([case(1)]), ground_truth=write_file("{", "gt.json"))


def test_id_list_formats(write_file: Write) -> None:
    lines = write_file("# expected\nPIT_01_00001_01.tiff\n\n  PIT_01_00002_01.tiff \r\n"
                       "PIT_01_00001_01.tiff\n", "ids.txt")
    assert load_id_list(lines) == ["PIT_01_00001_01.tiff", "PIT_01_00002_01.tiff"]
    listed = write_file(json.dumps(["a", "b"]), "ids.json")
    assert load_id_list(listed) == ["a", "b"]
    with pytest.raises(UsageError):
        load_id_list(write_file(json.dumps([1, 2]), "bad.json"))
    with pytest.raises(UsageError, match="no ids"):
        load_id_list(write_file("\n# nothing\n", "empty.txt"))


def test_excluded_csv(write_file: Write) -> None:
    path = write_file("\ufeffid_list\r\nPIT_01_00001_01.tiff\r\n\r\n", "c.csv")
    assert load_excluded_ids(path) == ["PIT_01_00001_01.tiff"]
    with pytest.raises(UsageError, match="id_list"):
        load_excluded_ids(write_file("file_path\nx.tiff\n", "revised_list.csv"))
    with pytest.raises(UsageError, match="no such"):
        load_excluded_ids(write_file("x", "a.csv").with_name("missing.csv"))


def test_render_text_counts_and_limits(write_cases: Write, case: Make) -> None:
    sub = write_cases([case(n, "") for n in range(8)])
    report = validate_submission(sub)
    text = render_text(report, max_per_code=3)
    assert "valid — 8 cases, 0 errors, 8 warnings" in text
    assert "W003 empty-report (8)" in text
    assert text.count("the report is empty") == 3
    assert "and 5 more W003" in text and "--max-findings 0" in text
    assert "\x1b" not in text
    everything = render_text(report, max_per_code=0)
    assert everything.count("the report is empty") == 8 and "more W003" not in everything
    assert f"{sub}:2:3, item 0, id PIT_01_00000_01.tiff: the report is empty" in everything


def test_a_bad_item_deep_in_100000_cases_is_found_at_its_place(tmp_path: Path) -> None:
    # Speed is measured in benchmarks/validate_speed.py, not asserted here.
    cases = [{"id": f"PIT_{n % 7:02d}_{n:05d}_01.tiff", "report": "Lung, biopsy;\n  Adenocarcinoma"}
             for n in range(100_000)]
    cases[77_777]["report"] = None  # one bad item deep in the file, found at its place
    path = tmp_path / "big.json"
    path.write_text(json.dumps(cases, indent=2), encoding="utf-8")
    report = validate_submission(path)
    assert report.n_cases == 99_999
    (error,) = report.errors
    assert error.code == "E007" and error.index == 77_777
    assert error.line == 77_777 * 4 + 4  # "[", then 4 lines per item; the key is line 3 of it


def test_empty_list_is_told_once(write_file: Write, write_cases: Write, case: Make) -> None:
    gt = write_cases([case(1), case(2)], "gt.json")
    report = validate_submission(write_file("[]"), ground_truth=gt)
    assert [f.code for f in report.errors] == ["E012"]
