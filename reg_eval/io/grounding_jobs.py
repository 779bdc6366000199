"""Metric B answers read from a grand-challenge algorithm phase's input folder.

The region-of-interest interface's jobs each answer one ROI: the job's
`visual-context-response` output holds the answer, a bare JSON string or the older
`{"answer": ...}`, and the job's case title is the ROI's `anonymous_id`. The `image` and
`question` of the answer are copied from that ROI's mapping row, as the organisers' evaluation
does. The case title is taken from the organisers' `manifest.json` when one is given (uploads
matched to jobs by their inputs), else from the name of the job's ROI image input, matched to
the mapping's `anonymous_id` or `image` column. Jobs of the whole-slide interface (Metric A)
are left to `score-cot`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.io.findings import make_finding, shown
from reg_eval.io.grounding import RoiAnswers, RoiMapping, add_answer
from reg_eval.io.jobs import (
    JOB_LIST_NAME,
    case_name,
    input_root,
    is_job_list,
    job_output,
    match_id,
    shown_pk,
    slug,
    unread_status,
)
from reg_eval.io.jsondoc import load_json_document

RESPONSE_SLUG = "visual-context-response"
QUESTION_SLUG = "visual-context-question"
THUMBNAIL_SLUG = "histopathology-region-of-interest-thumbnail"
ROI_SLUGS = frozenset({QUESTION_SLUG, THUMBNAIL_SLUG})


def extract_answer(raw: Any, where: str) -> str:
    """The answer in a `visual-context-response` value: a string (stripped; a string that is
    itself a JSON object or list is read once more), or `{"answer": ...}`."""
    if isinstance(raw, str):
        stripped = raw.strip()
        if stripped.startswith(("{", "[")):
            try:
                inner = json.loads(stripped)
            except ValueError:
                return stripped
            return extract_answer(inner, where)
        return stripped
    if isinstance(raw, dict):
        if "answer" in raw:
            return str(raw["answer"] or "").strip()
        raise InvalidInputError(
            f"{where}: the response is an object with keys {sorted(map(str, raw))[:5]}, not an "
            "answer",
            hint='write the answer as a JSON string, e.g. json.dump("No tissue.", f)',
        )
    raise InvalidInputError(
        f"{where}: the response is a {type(raw).__name__}, not an answer",
        hint='write the answer as a JSON string, e.g. json.dump("No tissue.", f)',
    )


def _signature(values: Any) -> frozenset[tuple[str, str]] | None:
    if not isinstance(values, list):
        return None
    out = set()
    for value in values:
        if not isinstance(value, Mapping) or value.get("pk") is None:
            return None
        out.add((str(value["pk"]), slug(value)))
    return frozenset(out)


def manifest_titles(path: Path) -> dict[frozenset[tuple[str, str]], str]:
    """The organisers' manifest: the input signature of each upload -> its case title."""
    value = load_json_document(path, "manifest")
    uploads = value.get("uploads") if isinstance(value, dict) else None
    if not isinstance(uploads, list):
        raise UsageError(f"{path}: a manifest holds an 'uploads' list",
                         hint="pass the organisers' ground_truth/manifest.json")
    titles: dict[frozenset[tuple[str, str]], str] = {}
    for upload in uploads:
        if not isinstance(upload, Mapping):
            continue
        display = upload.get("display_set") or {}
        case = upload.get("case") or {}
        title = (display.get("title") if isinstance(display, Mapping) else None) or (
            case.get("title") if isinstance(case, Mapping) else None)
        key = _signature(display.get("values")) if isinstance(display, Mapping) else None
        if key is not None and title:
            titles[key] = str(title)
    return titles


def _input_name(job: Mapping[str, Any]) -> str | None:
    """The name of the job's ROI image input; None when it has none (no case title then)."""
    try:
        return case_name(job, THUMBNAIL_SLUG)
    except UsageError:
        return None


def _title(
    job: Mapping[str, Any], mapping: RoiMapping,
    titles: Mapping[frozenset[tuple[str, str]], str] | None,
) -> str | None:
    if titles is not None:
        key = _signature(job.get("inputs"))
        return titles.get(key) if key is not None else None
    name = _input_name(job)
    if name is None:
        return None
    by_id = mapping.by_id
    matched = match_id(name, list(by_id))
    if matched in by_id:
        return matched
    by_image = [row.anonymous_id for row in mapping.rows if row.image == name]
    return by_image[0] if len(by_image) == 1 else None


def is_roi_job(job: Mapping[str, Any]) -> bool:
    """A job of the region-of-interest interface (Metric B), not a whole-slide one."""
    inputs = job.get("inputs") if isinstance(job, Mapping) else None
    if not isinstance(inputs, list):
        return False
    return any(isinstance(i, Mapping) and slug(i) in ROI_SLUGS for i in inputs)


def answers_from_jobs(
    folder: str | Path, mapping: RoiMapping, *, manifest: str | Path | None = None
) -> RoiAnswers:
    """One answer per ROI job of the folder's `predictions.json`, as findings where a job
    cannot be read or matched (paths never leave `folder`)."""
    folder = Path(folder)
    root = input_root(folder)
    job_list = folder / JOB_LIST_NAME
    result = RoiAnswers(folder)
    file = str(job_list)
    if not job_list.is_file():
        raise UsageError(f"{folder} holds no {JOB_LIST_NAME}",
                         hint="pass the answers JSON file, or an algorithm phase's input folder")
    jobs = load_json_document(job_list, "job list")
    if not isinstance(jobs, list) or (jobs and not is_job_list(jobs)):
        result.findings.append(make_finding(
            "E206", "not a job list (a list of objects with pk and outputs)", file=file,
        ))
        return result
    titles = manifest_titles(Path(manifest)) if manifest is not None else None
    rows = mapping.by_id
    for index, job in enumerate(jobs):
        if not is_roi_job(job):
            continue
        pk = shown_pk(job)
        status = unread_status(job)
        if status is not None:
            result.findings.append(make_finding(
                "W204", f"job {pk} has status {status!r}; its ROI has no answer",
                file=file, index=index,
            ))
            continue
        title = _title(job, mapping, titles)
        if title is None or title not in rows:
            result.findings.append(make_finding(
                "E206", f"job {pk}: its case title {shown(str(title), 60)!r} is no ROI of the "
                "mapping" if title is not None else f"job {pk}: no case title found for it",
                file=file, index=index,
                hint="pass --manifest with the organisers' manifest.json, or name each ROI "
                "image input after its anonymous_id",
            ))
            continue
        try:
            output = job_output(job, root, RESPONSE_SLUG,
                                slug_hint=f"the answer output's slug is {RESPONSE_SLUG!r}")
            if output is None:
                raise InvalidInputError(f"job {pk} wrote no {RESPONSE_SLUG}")
            answer = extract_answer(output.value, output.where)
        except InvalidInputError as exc:
            result.findings.append(make_finding(
                "E206", exc.message, file=file, index=index, id=title, hint=exc.hint,
            ))
            continue
        row = rows[title]
        add_answer(
            result,
            {"id": title, "image": row.image, "question": row.question, "answer": answer},
            source=output.where, file=file, index=index,
        )
    return result


__all__ = ["answers_from_jobs", "extract_answer", "is_roi_job", "manifest_titles"]
