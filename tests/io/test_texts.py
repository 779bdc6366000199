"""The one report-text check: the same words for a lone surrogate or a runaway report,
whether the text arrives in a file, a JSON Lines row, a job output or a Python list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reg_eval.errors import InvalidInputError
from reg_eval.grand_challenge.algorithm import report_from_value
from reg_eval.io.convert import read_jsonl
from reg_eval.io.jobs import SubmissionRejected
from reg_eval.io.limits import LimitExceeded, Limits, limits_applied
from reg_eval.io.submission import parse_submission
from reg_eval.io.texts import check_report_text, checked_texts, length_problem, surrogate_problem

SURROGATE_WORDS = (
    "holds an unpaired surrogate (U+D800 at character 5), which is not text and cannot be "
    "written as UTF-8"
)


def test_the_problems_in_words() -> None:
    assert surrogate_problem("Lung \ud800 biopsy") == SURROGATE_WORDS
    assert surrogate_problem("Lung \U0001f600 biopsy") is None  # a real astral character
    limits = Limits(max_report_chars=10)
    assert length_problem("x" * 10, limits) is None
    assert length_problem("x" * 1234, limits) == (
        "has 1,234 characters, over the limit of 10 (--max-report-chars)")


def test_check_report_text_raises_the_asked_refusal_or_the_limit() -> None:
    assert check_report_text("Lung, biopsy", "r") == "Lung, biopsy"
    with pytest.raises(SubmissionRejected, match=r"^job 7: the report holds an unpaired"):
        check_report_text("Lung \ud800", "job 7: the report", refusal=SubmissionRejected)
    with pytest.raises(LimitExceeded) as caught:
        check_report_text("x" * 11, "hypotheses[0]", Limits(max_report_chars=10))
    assert caught.value.message == (
        "hypotheses[0] has 11 characters, over the limit of 10 (--max-report-chars)")
    assert "--max-report-chars 11" in (caught.value.hint or "")
    assert "Limits(max_report_chars=11)" in (caught.value.hint or "")


def test_every_reader_says_the_same(tmp_path: Path) -> None:
    report = "Lung \ud800 biopsy"
    item = json.dumps([{"id": "PIT_01_00001_01.tiff", "report": report}])
    loaded = parse_submission(item.encode("ascii"), Path("preds.json"))
    assert [(f.code, f.message) for f in loaded.errors] == [("E011", f'"report" {SURROGATE_WORDS}')]

    rows = tmp_path / "preds.jsonl"
    rows.write_text(json.dumps({"id": "a", "report": report}) + "\n")
    with pytest.raises(InvalidInputError) as caught:
        read_jsonl(rows)
    assert caught.value.message == f"{rows}:1: 'report' {SURROGATE_WORDS}"

    with pytest.raises(SubmissionRejected) as rejected:
        report_from_value({"report": report}, "job 1, output r.json")
    assert rejected.value.message == f"job 1, output r.json: the report {SURROGATE_WORDS}"

    with pytest.raises(InvalidInputError) as refused:
        checked_texts(["ok", report], "hypotheses", names=["a", "b"])
    assert refused.value.message == f"hypotheses[1] (case 'b') {SURROGATE_WORDS}"


def test_a_runaway_report_is_refused_with_the_same_words_everywhere() -> None:
    long = "x" * 21
    words = "has 21 characters, over the limit of 20 (--max-report-chars)"
    item = json.dumps([{"id": "PIT_01_00001_01.tiff", "report": long}]).encode()
    with limits_applied(Limits(max_report_chars=20)):
        loaded = parse_submission(item, Path("preds.json"))
        with pytest.raises(LimitExceeded) as job:
            report_from_value(long, "job 1, output r.json")
        with pytest.raises(LimitExceeded) as api:
            checked_texts([long], "references")
    assert [(f.code, f.message) for f in loaded.errors] == [("E015", f"the report {words}")]
    assert job.value.message == f"job 1, output r.json: the report {words}"
    assert api.value.message == f"references[0] {words}"
