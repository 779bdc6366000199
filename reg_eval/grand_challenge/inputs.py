"""The platform's folders: the ground truth, the upload, and which kind of phase they hold.

A prediction-file phase's upload (`predictions.json`, `.csv` or `.zip`, whatever its content)
is read as a submission, a zip's one JSON member first unpacked; an algorithm phase's
`predictions.json` is the job list, whose report outputs become the submission
(`reg_eval.grand_challenge.algorithm`). `--phase auto` tells them apart by the content, once
the upload has been read (once, within the limits, its path kept inside the input folder).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from reg_eval.errors import UsageError
from reg_eval.grand_challenge.algorithm import ASSEMBLED_NAME, REPORT_SLUG, cases_from_jobs
from reg_eval.io.files import read_input_bytes
from reg_eval.io.findings import shown
from reg_eval.io.jobs import IMAGE_SLUG, SubmissionRejected, input_root, inside, is_job_list
from reg_eval.io.limits import Limits, current_limits
from reg_eval.io.submission import LoadResult, parse_submission
from reg_eval.io.upload_zip import is_zip, read_zip_member

INPUT_DIR = Path("/input")
GROUND_TRUTH_DIR = Path("/opt/ml/input/data/ground_truth")
OUTPUT_FILE = Path("/output/metrics.json")
UPLOAD_NAMES = ("predictions.json", "predictions.csv", "predictions.zip")
"""Where a prediction-file upload may arrive, in the order they are looked for."""
GROUND_TRUTH_NAME = "ground_truth.json"
"""Preferred when the ground-truth folder holds more than one JSON file."""
PHASES = ("auto", "prediction-file", "algorithm")


@dataclass(frozen=True)
class Layout:
    """What the input folder held: which phase kind, and the submission as read (once)."""

    phase: str
    loaded: LoadResult
    notes: list[str] = field(default_factory=list)
    """Things the organiser should know (skipped failed jobs, renamed ids, an unzipped file)."""



def find_ground_truth(path: Path) -> Path:
    """The ground-truth JSON: `path` itself, or the one JSON file in the folder."""
    path = Path(path)
    if path.is_file():
        return path
    if not path.is_dir():
        raise UsageError(
            f"ground truth {path} not found",
            hint="upload the ground truth to the phase, or pass --ground-truth FILE_OR_FOLDER",
        )
    found = sorted(
        p
        for p in path.rglob("*.json")
        if p.is_file() and not any(part.startswith((".", "__MACOSX")) for part in p.parts)
    )
    if not found:
        raise UsageError(
            f"no JSON file in the ground-truth folder {path}",
            hint="the ground truth is a JSON list of {id, report} objects",
        )
    if len(found) == 1:
        return found[0]
    preferred = [p for p in found if p.name == GROUND_TRUTH_NAME]
    if len(preferred) == 1:
        return preferred[0]
    names = ", ".join(str(p.relative_to(path)) for p in found[:5])
    raise UsageError(
        f"{len(found)} JSON files in the ground-truth folder {path}: {names}",
        hint=f"keep one, or name the ground truth {GROUND_TRUTH_NAME}",
    )


def find_upload(input_dir: Path) -> Path:
    """The upload in the input folder, resolved and checked to stay inside it."""
    root = input_root(Path(input_dir))
    for name in UPLOAD_NAMES:
        candidate = root / name
        if candidate.is_symlink() or candidate.exists():
            upload = inside(candidate, root, name)
            if not upload.is_file():
                raise SubmissionRejected(
                    f"{name} is not a file", hint="upload the predictions JSON file itself"
                )
            return upload
    raise UsageError(
        f"no {' or '.join(UPLOAD_NAMES)} in {input_dir}",
        hint="the platform puts the submission there; for a local run pass --input FOLDER",
    )


def read_layout(
    input_dir: Path,
    reference_ids: Sequence[str],
    *,
    phase: str = "auto",
    report_slug: str = REPORT_SLUG,
    image_slug: str = IMAGE_SLUG,
    limits: Limits | None = None,
) -> Layout:
    """Decide the phase kind from the input folder and read the submission, once."""
    if phase not in PHASES:
        raise UsageError(f"unknown phase kind {phase!r}", hint=f"use {', '.join(PHASES)}")
    limits = limits or current_limits()
    upload = find_upload(input_dir)
    notes: list[str] = []
    if is_zip(upload):
        if phase == "algorithm":
            raise UsageError(f"{upload.name} is a zip file, not an algorithm job list")
        member, data = read_zip_member(upload, limits)
        notes.append(f"read {shown(member, 120)} from the zip upload {upload.name}")
        shown_path = Path(f"{upload.name}:{shown(PurePosixPath(member).name, 120)}")
        return Layout("prediction-file", parse_submission(data, shown_path, limits=limits),
                      notes)
    loaded = parse_submission(read_input_bytes(upload, "upload", limits=limits),
                              Path(upload.name), limits=limits)
    jobs = loaded.values if loaded.parsed and is_job_list(loaded.values) else None
    if phase == "prediction-file" or (phase == "auto" and jobs is None):
        if jobs is not None:
            notes.append(f"{upload.name} is shaped like an algorithm job list; read as a "
                         "submission because the phase is prediction-file")
        return Layout("prediction-file", loaded, notes)
    if jobs is None:
        unread = f" ({loaded.errors[0].message})" if not loaded.parsed and loaded.errors else ""
        raise UsageError(
            f"{upload.name} is not an algorithm job list (a JSON list of jobs with pk and "
            f"outputs){unread}",
            hint="this evaluation is set for an algorithm phase (--phase algorithm)",
        )
    items, job_notes = cases_from_jobs(
        jobs, upload.parent, reference_ids, report_slug=report_slug, image_slug=image_slug,
        limits=limits,
    )
    # ASCII escapes: an odd character in an image name reaches validation as a finding.
    assembled = json.dumps(items, ensure_ascii=True, indent=1).encode("ascii")
    return Layout(
        "algorithm",
        parse_submission(assembled, Path(ASSEMBLED_NAME), limits=limits),
        notes + job_notes,
    )
