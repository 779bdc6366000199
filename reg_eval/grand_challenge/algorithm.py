"""An algorithm phase's jobs as a REG 2025 submission: one `{id, report}` item per job.

Each succeeded job's report output (`reg_eval.io.jobs.read_job`) is a report string, or an
object with a `report` string, checked as every report text is (`reg_eval.io.texts`); the
case id is the name of the job's slide image, matched to the ground truth's ids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from reg_eval.io.findings import shown
from reg_eval.io.jobs import (
    IMAGE_SLUG,
    SubmissionRejected,
    input_root,
    match_id,
    read_job,
    shown_pk,
    unread_status,
)
from reg_eval.io.limits import Limits, current_limits
from reg_eval.io.texts import check_report_text

REPORT_SLUG = "pathology-report"
"""Default slug of the algorithm output interface that holds the generated report."""
ASSEMBLED_NAME = "reports-of-the-algorithm-jobs.json"
"""How the submission assembled from the jobs' outputs is named in findings."""


def report_from_value(value: Any, where: str, limits: Limits | None = None) -> str:
    """The report in a job's output value: a string, or an object with a `report` string.

    Checked at once (surrogates, `--max-report-chars`): every job's report is kept until the
    last job is read.
    """
    if isinstance(value, Mapping) and isinstance(value.get("report"), str):
        value = value["report"]
    if not isinstance(value, str):
        raise SubmissionRejected(
            f"{where}: the output must be a report string or an object with a 'report' string, "
            f"not {type(value).__name__}",
            hint="write the report as a JSON string to the output file",
        )
    return check_report_text(value, f"{where}: the report", limits, refusal=SubmissionRejected)


def cases_from_jobs(
    jobs: Sequence[Mapping[str, Any]],
    input_dir: Path,
    reference_ids: Sequence[str],
    *,
    report_slug: str = REPORT_SLUG,
    image_slug: str = IMAGE_SLUG,
    limits: Limits | None = None,
) -> tuple[list[dict[str, str]], list[str]]:
    """Submission items `{id, report}` from the algorithm jobs, and notes on what was done."""
    limits = limits or current_limits()
    root = input_root(Path(input_dir))
    items: list[dict[str, str]] = []
    notes: list[str] = []
    for job in jobs:
        status = unread_status(job)
        if status is not None:
            notes.append(f"job {shown_pk(job)} has status {status!r} and is not read")
            continue
        read = read_job(job, root, report_slug, image_slug=image_slug, limits=limits,
                        slug_hint="pass --report-slug with the slug of the report output")
        if read.output is None:
            raise SubmissionRejected(
                f"job {read.pk}: the report output is missing",
                hint="the algorithm must write its report for every slide",
            )
        case_id = match_id(read.name, reference_ids)
        if case_id != read.name:
            notes.append(f"job {read.pk}: image {shown(read.name)} scored as case {case_id}")
        # A file that is not JSON and not named .json is a plain-text output: the text is
        # the report.
        report = report_from_value(read.output.value, read.output.where, limits)
        items.append({"id": case_id, "report": report})
    return items, notes
