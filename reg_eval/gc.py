"""Evaluation on grand-challenge.org: read the platform's inputs, score, write metrics.json.

The platform mounts the submission at `/input`, the ground truth (the phase's "ground truth"
tarball, extracted) at `/opt/ml/input/data/ground_truth/`, and collects `/output/metrics.json`.

- A prediction-file phase puts the participant's upload at `/input/predictions.json` (or
  `.csv`, whatever its content). It is read as a reg-eval submission; a zip holding one JSON
  file is unpacked first.
- An algorithm phase puts the job list at `/input/predictions.json`: one entry per algorithm
  job, with its `pk`, its `inputs` (the slide image, whose name is the case id) and its
  `outputs`. The report of job `pk` is read from `/input/<pk>/output/<relative_path>` of the
  report output interface (or from the output's inline `value`).

Either way the cases pass the same checks as `reg-eval validate --ground-truth`, and a refused
submission is explained on stderr with the most important line last: the platform shows the
participant the last line of stderr.

Everything under `/input` is the participant's: paths are resolved and must stay inside it
(`reg_eval.io.jobs`), the upload is read once within the input limits (`reg_eval.io.limits`),
and a zip is read member by member with its real size counted.
"""

from __future__ import annotations

import io
import json
import lzma
import math
import re
import struct
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, BinaryIO

from reg_eval.errors import UsageError
from reg_eval.io.files import read_input_bytes
from reg_eval.io.findings import shown
from reg_eval.io.jobs import (
    SUCCEEDED,
    SubmissionRejected,
    case_name,
    input_root,
    inside,
    is_job_list,
    job_folder,
    job_output,
    match_id,
    shown_pk,
)
from reg_eval.io.limits import (
    MAX_ZIP_MEMBERS,
    MIB,
    LimitExceeded,
    Limits,
    current_limits,
    too_large,
)
from reg_eval.io.submission import LoadResult
from reg_eval.scoring_options import ScoringOptions

if TYPE_CHECKING:
    from reg_eval.io.records import Case
    from reg_eval.io.validate import ValidationReport
    from reg_eval.scoring import ScoreResult

GC_PROFILE = "reg2025"
"""The profile an evaluation container scores with unless told otherwise."""
INPUT_DIR = Path("/input")
GROUND_TRUTH_DIR = Path("/opt/ml/input/data/ground_truth")
OUTPUT_FILE = Path("/output/metrics.json")
UPLOAD_NAMES = ("predictions.json", "predictions.csv", "predictions.zip")
"""Where a prediction-file upload may arrive, in the order they are looked for."""
GROUND_TRUTH_NAME = "ground_truth.json"
"""Preferred when the ground-truth folder holds more than one JSON file."""
REPORT_SLUG = "pathology-report"
"""Default slug of the algorithm output interface that holds the generated report."""
IMAGE_SLUG = "whole-slide-image"
"""Default slug of the algorithm input interface whose image name is the case id."""
SIGNATURE_FILE = "signature.txt"
PHASES = ("auto", "prediction-file", "algorithm")
ZIP_MAGIC = b"PK\x03\x04"
ASSEMBLED_NAME = "reports-of-the-algorithm-jobs.json"
"""How the submission assembled from the jobs' outputs is named in findings."""
_SURROGATE = re.compile(r"[\ud800-\udfff]")


@dataclass(frozen=True)
class Layout:
    """What the input folder held: which phase kind, and the submission as read (once)."""

    phase: str
    loaded: LoadResult
    notes: list[str] = field(default_factory=list)
    """Things the organiser should know (skipped failed jobs, renamed ids, an unzipped file)."""


@dataclass(frozen=True)
class GcOutcome:
    phase: str
    metrics: dict[str, Any]
    result: ScoreResult
    output: Path
    signature_file: Path
    notes: list[str]
    warnings: list[str]


# -- ground truth ---------------------------------------------------------------------------


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


# -- reading the submission -----------------------------------------------------------------
#
# Everything under the input folder comes from the participant, the job list included when
# `--phase auto` lets an upload pose as one. So every path is resolved (symlinks followed) and
# must stay inside the input folder, every file is read up to a limit, the upload is read and
# parsed once, and a zip is read member by member with its declared and its real size checked.


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


_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22
_MAX_CENTRAL_DIRECTORY = 4 * 1024 * 1024
_ZIP_METHODS = {
    zipfile.ZIP_STORED: "stored",
    zipfile.ZIP_DEFLATED: "deflate",
    zipfile.ZIP_BZIP2: "bzip2",
    zipfile.ZIP_LZMA: "lzma",
}
_ZIP_READ_ERRORS = (
    zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, RuntimeError,
    NotImplementedError, ValueError, struct.error, lzma.LZMAError,
)
_CHUNK = 1024 * 1024


def _zip_refused(message: str) -> SubmissionRejected:
    return SubmissionRejected(
        message, hint="upload the predictions JSON file itself, or a plain zip of that one file"
    )


def _check_central_directory(handle: BinaryIO, size: int) -> None:
    """Refuse, before zipfile reads it, a central directory too large for one JSON member."""
    tail_size = min(size, _EOCD_SIZE + 0xFFFF)
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < _EOCD_SIZE:
        raise _zip_refused("the upload starts like a zip file but has no zip directory")
    fields = struct.unpack("<4s4H2LH", tail[at : at + _EOCD_SIZE])
    entries, directory_size = fields[4], fields[5]
    if entries == 0xFFFF or directory_size == 0xFFFFFFFF:
        raise _zip_refused("the upload is a ZIP64 archive, which is not accepted")
    if entries > MAX_ZIP_MEMBERS or directory_size > _MAX_CENTRAL_DIRECTORY:
        raise _zip_refused(
            f"the uploaded zip lists {entries:,} entries in a {directory_size:,}-byte directory; "
            "it should hold one JSON file"
        )


def _read_zip_member(upload: Path, limits: Limits) -> tuple[str, bytes]:
    """(member name, content) of the one JSON file in a zip upload, read up to the limits."""
    size = upload.stat().st_size
    if size > limits.max_upload_bytes:
        raise too_large(f"the upload {upload.name}", size, limits)
    try:
        with upload.open("rb") as handle:
            _check_central_directory(handle, size)
            handle.seek(0)
            with zipfile.ZipFile(handle) as archive:
                member = _single_json_member(archive)
                name = shown(member.filename, 120)
                if member.flag_bits & 0x1:
                    raise _zip_refused(f"the zip member {name} is encrypted")
                if member.compress_type not in _ZIP_METHODS:
                    raise _zip_refused(
                        f"the zip member {name} uses compression method {member.compress_type}; "
                        f"accepted: {', '.join(_ZIP_METHODS.values())}"
                    )
                if member.file_size > limits.max_decompressed_bytes:
                    raise _decompressed_too_large(name, member.file_size, limits)
                content = io.BytesIO()
                with archive.open(member) as stream:
                    while chunk := stream.read(_CHUNK):
                        content.write(chunk)
                        if content.tell() > limits.max_decompressed_bytes:
                            raise _decompressed_too_large(name, None, limits)
                return member.filename, content.getvalue()
    except SubmissionRejected:
        raise
    except _ZIP_READ_ERRORS as exc:
        reason = shown(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, 120)
        raise _zip_refused(f"the uploaded zip cannot be read ({reason})") from None


def _decompressed_too_large(name: str, size: int | None, limits: Limits) -> LimitExceeded:
    declared = f"declares {size / MIB:,.1f} MB," if size is not None else "unpacks to"
    return LimitExceeded(
        f"the zip member {name} {declared} more than the limit of "
        f"{limits.max_decompressed_mb:,} MB (--max-decompressed-mb); reading stopped",
        hint="a REG submission is a few megabytes of JSON: upload the file itself",
    )


def _single_json_member(archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    members = [
        info
        for info in archive.infolist()
        if not info.is_dir()
        and not PurePosixPath(info.filename).name.startswith(".")
        and "__MACOSX" not in PurePosixPath(info.filename).parts
    ]
    jsons = [m for m in members if m.filename.lower().endswith(".json")]
    chosen = jsons if jsons else members
    if len(chosen) != 1:
        names = ", ".join(shown(m.filename, 60) for m in chosen[:5]) or "nothing"
        raise _zip_refused(f"the uploaded zip must hold exactly one JSON file; it holds {names}")
    return chosen[0]


def _report_from_value(value: Any, where: str) -> str:
    if isinstance(value, Mapping) and isinstance(value.get("report"), str):
        value = value["report"]
    if not isinstance(value, str):
        raise SubmissionRejected(
            f"{where}: the output must be a report string or an object with a 'report' string, "
            f"not {type(value).__name__}",
            hint="write the report as a JSON string to the output file",
        )
    limit = current_limits().max_report_chars
    if len(value) > limit:  # refused at once: reports are kept until every job is read
        raise LimitExceeded(
            f"{where}: the report has {len(value):,} characters, over the limit of {limit:,} "
            "(--max-report-chars)",
            hint="a REG report has a few hundred characters: check that the model stopped "
            "generating",
        )
    surrogate = _SURROGATE.search(value)
    if surrogate:
        raise SubmissionRejected(
            f"{where}: the report holds an unpaired surrogate (U+{ord(surrogate.group()):04X} at "
            f"character {surrogate.start()}), which is not text and cannot be written as UTF-8",
            hint="write the report as valid Unicode text",
        )
    return value


def _job_report(
    job: Mapping[str, Any], root: Path, report_slug: str, limits: Limits
) -> str:
    output = job_output(job, root, report_slug, limits=limits,
                        slug_hint="pass --report-slug with the slug of the report output")
    if output is None:
        raise SubmissionRejected(
            f"job {shown_pk(job)}: the report output is missing",
            hint="the algorithm must write its report for every slide",
        )
    # A file that is not JSON and not named .json is a plain-text output: the text is the report.
    return _report_from_value(output.value, output.where)


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
        status = job.get("status")
        if status is not None and status != SUCCEEDED:
            notes.append(f"job {shown_pk(job)} has status {shown(str(status), 40)!r} and is "
                         "not read")
            continue
        job_folder(job, root)  # a pk that is not a plain folder name is refused first
        name = case_name(job, image_slug)
        case_id = match_id(name, reference_ids)
        if case_id != name:
            notes.append(f"job {shown_pk(job)}: image {shown(name)} scored as case {case_id}")
        items.append({"id": case_id, "report": _job_report(job, root, report_slug, limits)})
    return items, notes


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
    from reg_eval.io.submission import parse_submission

    if phase not in PHASES:
        raise UsageError(f"unknown phase kind {phase!r}", hint=f"use {', '.join(PHASES)}")
    limits = limits or current_limits()
    upload = find_upload(input_dir)
    notes: list[str] = []
    with upload.open("rb") as handle:
        head = handle.read(len(ZIP_MAGIC))
    if head == ZIP_MAGIC:
        if phase == "algorithm":
            raise UsageError(f"{upload.name} is a zip file, not an algorithm job list")
        member, data = _read_zip_member(upload, limits)
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


# -- validation, in the order the participant should read it ---------------------------------


def rejection(report: ValidationReport) -> SubmissionRejected:
    """Every finding first, the verdict with the first error last (shown to the participant)."""
    from reg_eval.io.validate import summary_lines

    lines = [line for line, _ in summary_lines(report, max_per_code=10)[1:]]
    first = report.errors[0]
    place = first.location()
    n = len(report.errors)
    headline = (
        f"submission not valid ({n} error{'s' if n != 1 else ''}): {first.code} "
        f"{place + ': ' if place else ''}{first.message}"
    )
    if first.hint:
        headline += f" (hint: {first.hint})"
    return SubmissionRejected(headline, details=lines)


def check_submission(
    loaded: LoadResult, reference_ids: Sequence[str] | None
) -> tuple[list[Case], list[str]]:
    """The valid cases, and warning lines; a refused submission raises `SubmissionRejected`.

    Without reference ids, missing ids are not findings (for `--missing empty|skip`).
    """
    from reg_eval.io.validate import validate_loaded

    reference = list(reference_ids) if reference_ids is not None else None
    report = validate_loaded(loaded, reference=reference)
    if not report.valid:
        raise rejection(report)
    warnings = [
        f"warning {f.code} {f.location()}: {f.message}".replace(" : ", ": ")
        for f in report.warnings
    ]
    return list(report.cases), warnings


# -- metrics.json -----------------------------------------------------------------------------


def _number(value: Any, where: str) -> float | int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"metrics.json would hold a non-finite number at {where}")
    return number


def metrics_document(result: ScoreResult) -> dict[str, Any]:
    """`{"case": {id: {column: value}}, "aggregates": {...}}`, numbers only, all finite.

    A value that is undefined for a case (NaN, e.g. `grade_correct` where the reference
    states no grade) is left out of that case; `aggregates.n_defined` counts, per such
    column, the cases its mean is taken over.
    """
    columns = result.columns
    case = {
        case_id: {
            name: _number(values[i], f"case.{case_id}.{name}")
            for name, values in columns.items()
            if not math.isnan(values[i])
        }
        for i, case_id in enumerate(result.alignment.ids)
    }
    means = result.means
    aggregates: dict[str, Any] = {
        name: _number(value, f"aggregates.{name}")
        for name, value in means.items()
        if not math.isnan(value)
    }
    defined = result.defined
    partial = {name: n for name, n in defined.items() if n < result.n_cases}
    if partial:
        aggregates["n_defined"] = partial
    aggregates["n_cases"] = result.n_cases
    aggregates["n_missing"] = len(result.alignment.missing_ids)
    aggregates["n_extra"] = len(result.alignment.extra_ids)
    aggregates["comparable_with_leaderboard"] = int(result.signature.comparable_with_leaderboard)
    aggregates["confidence"] = _number(result.confidence, "aggregates.confidence")
    aggregates["ci"] = {
        name: {
            "lower": _number(low, f"aggregates.ci.{name}.lower"),
            "upper": _number(high, f"aggregates.ci.{name}.upper"),
        }
        for name, (low, high) in result.ci.items()
        if not (math.isnan(low) or math.isnan(high))
    }
    aggregates["by_organ"] = {
        organ: {
            key: _number(value, f"aggregates.by_organ.{organ}.{key}")
            for key, value in table.items()
            if key not in ("ci", "n_defined") and value is not None
        }
        for organ, table in result.by_organ.items()
    }
    corpus = {
        group: {
            key: _number(value, f"aggregates.corpus.{group}.{key}")
            for key, value in g.corpus.items()
            if not math.isnan(value)
        }
        for group, g in result.groups.items()
        if g.corpus
    }
    if corpus:
        aggregates["corpus"] = corpus
    return {"case": case, "aggregates": aggregates}


# -- the whole evaluation -----------------------------------------------------------------------


def run_gc_evaluation(
    *,
    input_dir: str | Path = INPUT_DIR,
    ground_truth: str | Path = GROUND_TRUTH_DIR,
    output: str | Path = OUTPUT_FILE,
    options: ScoringOptions | None = None,
    phase: str = "auto",
    missing: str = "error",
    report_slug: str = REPORT_SLUG,
    image_slug: str = IMAGE_SLUG,
    force: bool = False,
    limits: Limits | None = None,
    **changes: Any,
) -> GcOutcome:
    """Read the platform's inputs, score, write metrics.json and the signature.

    `options` (default: the `reg2025` profile) with `changes` are the `ScoringOptions` fields
    (profile, metrics, emb_model, key_model, device, dtype, batch_size, cache, cache_dir,
    bootstrap, seed), as for `reg_eval.Scorer`. `limits` default to the ones
    in force (`reg_eval.io.limits`).
    """
    from reg_eval.io.limits import limits_applied
    from reg_eval.io.writers import atomic_write_text, write_json
    from reg_eval.scoring import Scorer, align_cases, load_valid_cases

    limits = limits or current_limits()
    scoring_options = ScoringOptions.of(options or ScoringOptions(profile=GC_PROFILE), **changes)
    output = Path(output)
    signature_file = output.parent / SIGNATURE_FILE
    for target in (output, signature_file):
        if target.exists() and not force:
            raise UsageError(f"{target} already exists", hint="pass --force to overwrite it")
    with limits_applied(limits):
        gt_path = find_ground_truth(Path(ground_truth))
        reference = load_valid_cases(gt_path, role="ground truth")
        reference_ids = [case.id for case in reference]
        layout = read_layout(
            Path(input_dir),
            reference_ids,
            phase=phase,
            report_slug=report_slug,
            image_slug=image_slug,
            limits=limits,
        )
        cases, warnings = check_submission(
            layout.loaded, reference_ids if missing == "error" else None
        )
    scorer = Scorer(scoring_options)
    result = scorer.score_alignment(align_cases(reference, cases, missing))
    metrics = metrics_document(result)
    write_json(output, metrics, force=True)
    atomic_write_text(signature_file, result.signature.format() + "\n", force=True)
    return GcOutcome(
        phase=layout.phase,
        metrics=metrics,
        result=result,
        output=output,
        signature_file=signature_file,
        notes=layout.notes,
        warnings=warnings,
    )
