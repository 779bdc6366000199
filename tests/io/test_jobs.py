"""Algorithm job folders: one job, its case name and any one output, kept inside the input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reg_eval.errors import UsageError
from reg_eval.io.jobs import (
    SubmissionRejected,
    input_root,
    load_job_list,
    read_job,
    unread_status,
)

VISUAL = "visual-context-response"


def job(pk: Any, name: str, *, status: str = "Succeeded", value: Any = None) -> dict[str, Any]:
    """A job with a report output and a second output of another kind."""
    return {
        "pk": pk,
        "status": status,
        "inputs": [{"socket": {"slug": "whole-slide-image"}, "image": {"name": name}}],
        "outputs": [
            {"socket": {"slug": "pathology-report", "relative_path": "report.json"}},
            {"socket": {"slug": VISUAL, "relative_path": "visual-context.json"}, "value": value},
        ],
    }


def test_another_output_kind_is_read_from_its_file_or_its_inline_value(tmp_path: Path) -> None:
    root = input_root(tmp_path)
    (tmp_path / "job-1" / "output").mkdir(parents=True)
    answer = {"regions": [[0, 0, 10, 10]], "text": "tumour at the margin"}
    (tmp_path / "job-1" / "output" / "visual-context.json").write_text(json.dumps(answer))
    read = read_job(job("job-1", "PIT_01_00001_01.tiff"), root, VISUAL)
    assert (read.pk, read.name) == ("job-1", "PIT_01_00001_01.tiff")
    assert read.output is not None and read.output.parsed and read.output.value == answer
    assert read.output.file == root / "job-1" / "output" / "visual-context.json"
    assert read.output.where == "job job-1, output visual-context.json"

    inline = read_job(job("job-2", "PIT_01_00002_01.tiff", value="plain answer"), root, VISUAL)
    assert inline.output is not None and inline.output.value == "plain answer"
    assert inline.output.file is None
    assert read_job(job("job-3", "PIT_01_00003_01.tiff"), root, VISUAL).output is None


def test_an_unknown_slug_names_the_slugs_there_are(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        read_job(job("job-1", "a.tiff"), input_root(tmp_path), "other-output",
                 slug_hint="pass the slug of the visual output")
    assert caught.value.message == (
        "job job-1: no output with interface slug 'other-output' (output slugs: "
        f"pathology-report, {VISUAL})")
    assert caught.value.hint == "pass the slug of the visual output"


def test_a_pk_that_is_not_a_folder_name_is_refused_before_the_image_is_looked_up(
    tmp_path: Path
) -> None:
    bad = job("../elsewhere", "a.tiff")
    bad["inputs"] = []  # would be a UsageError about the image if it were looked up first
    with pytest.raises(SubmissionRejected, match="the pk is not a plain job id"):
        read_job(bad, input_root(tmp_path), VISUAL)


def test_an_output_link_that_leaves_the_input_folder_is_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "secret.json"
    outside.write_text('"not yours"')
    root = tmp_path / "input"
    (root / "job-1" / "output").mkdir(parents=True)
    (root / "job-1" / "output" / "visual-context.json").symlink_to(outside)
    with pytest.raises(SubmissionRejected, match="leads outside the input folder"):
        read_job(job("job-1", "a.tiff"), input_root(root), VISUAL)


def test_only_succeeded_jobs_are_read() -> None:
    assert unread_status(job("1", "a", status="Succeeded")) is None
    assert unread_status({"pk": "1"}) is None  # older job lists carry no status
    assert unread_status(job("1", "a", status="Failed")) == "Failed"
    assert unread_status(job("1", "a", status="Fail\x1bed")) == "Fail\\x1bed"


def test_the_job_list_is_found_only_when_the_folder_holds_one(tmp_path: Path) -> None:
    assert load_job_list(tmp_path) is None
    (tmp_path / "predictions.json").write_text(json.dumps([{"id": "a", "report": "b"}]))
    assert load_job_list(tmp_path) is None  # a submission, not a job list
    (tmp_path / "predictions.json").write_text("not json")
    assert load_job_list(tmp_path) is None
    jobs = [job("job-1", "a.tiff")]
    (tmp_path / "predictions.json").write_text(json.dumps(jobs))
    assert load_job_list(tmp_path) == jobs
