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
"""

from __future__ import annotations

import json
import math
import tempfile
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from reg_eval.errors import InvalidInputError, UsageError
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
SUCCEEDED = "Succeeded"
ZIP_MAGIC = b"PK\x03\x04"


class SubmissionRejected(InvalidInputError):
    """The submission cannot be scored; `details` are printed before the message, which the
    platform shows the participant as the last stderr line."""

    def __init__(self, message: str, *, details: Sequence[str] = (), hint: str | None = None):
        super().__init__(message, hint=hint)
        self.details = list(details)


@dataclass(frozen=True)
class Layout:
    """What the input folder held: which phase kind, and the submission file to validate."""

    phase: str
    submission: Path
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


def find_upload(input_dir: Path) -> Path:
    for name in UPLOAD_NAMES:
        candidate = Path(input_dir) / name
        if candidate.is_file():
            return candidate
    raise UsageError(
        f"no {' or '.join(UPLOAD_NAMES)} in {input_dir}",
        hint="the platform puts the submission there; for a local run pass --input FOLDER",
    )


def _unzip_single_json(upload: Path, work: Path) -> Path:
    """The one JSON file of a zip upload, extracted under its own name."""
    try:
        with zipfile.ZipFile(upload) as archive:
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
                names = ", ".join(m.filename for m in chosen[:5]) or "nothing"
                raise SubmissionRejected(
                    f"the uploaded zip must hold exactly one JSON file; it holds {names}",
                    hint="upload the predictions JSON file itself, or a zip of that one file",
                )
            member = chosen[0]
            target = work / (PurePosixPath(member.filename).name or "predictions.json")
            target.write_bytes(archive.read(member))
            return target
    except zipfile.BadZipFile as exc:
        raise SubmissionRejected(
            f"the upload looks like a zip file but cannot be opened ({exc})",
            hint="upload the predictions JSON file itself",
        ) from None


def _read_json(path: Path) -> Any | None:
    """The parsed JSON value, or None when the file is not JSON (validation will say why)."""
    try:
        return json.loads(path.read_bytes().decode("utf-8-sig"))
    except (OSError, ValueError):
        return None


def is_job_list(value: Any) -> bool:
    """True for the algorithm phase's job list: objects with `pk` and `outputs`."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(job, dict) and "pk" in job and "outputs" in job for job in value)
    )


def _interface(entry: Mapping[str, Any]) -> Mapping[str, Any]:
    interface = entry.get("interface")
    return interface if isinstance(interface, Mapping) else {}


def _slug(entry: Mapping[str, Any]) -> str:
    return str(_interface(entry).get("slug", ""))


def _case_name(job: Mapping[str, Any], image_slug: str) -> str:
    """The user-given name of the job's slide image: the case id."""
    inputs = [i for i in job.get("inputs") or [] if isinstance(i, Mapping)]
    chosen = [i for i in inputs if _slug(i) == image_slug]
    if not chosen:
        with_image = [i for i in inputs if isinstance(i.get("image"), Mapping)]
        chosen = with_image if len(with_image) == 1 else []
    if chosen:
        entry = chosen[0]
        image = entry.get("image")
        if isinstance(image, Mapping) and isinstance(image.get("name"), str):
            return image["name"]
        for key in ("value", "file"):
            if isinstance(entry.get(key), str) and entry[key]:
                return PurePosixPath(entry[key]).name
    slugs = ", ".join(sorted({_slug(i) for i in inputs})) or "none"
    raise UsageError(
        f"job {job.get('pk')}: no input with interface slug {image_slug!r} and an image name "
        f"(input slugs: {slugs})",
        hint="pass --image-slug with the slug of the slide input",
    )


def _stem(name: str) -> str:
    return name.split(".", 1)[0]


def _match_id(name: str, reference_ids: Sequence[str]) -> str:
    """The ground-truth id of an image name; `PIT_01_00001_01.tif` and `.mha` find `.tiff`."""
    if name in reference_ids:
        return name
    by_stem: dict[str, list[str]] = {}
    for case_id in reference_ids:
        by_stem.setdefault(_stem(case_id), []).append(case_id)
    matches = by_stem.get(_stem(name), [])
    return matches[0] if len(matches) == 1 else name


def _report_from_value(value: Any, where: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("report"), str):
        return value["report"]
    raise SubmissionRejected(
        f"{where}: the output must be a report string or an object with a 'report' string, "
        f"not {type(value).__name__}",
        hint="write the report as a JSON string to the output file",
    )


def _job_report(job: Mapping[str, Any], input_dir: Path, report_slug: str) -> str:
    pk = str(job.get("pk"))
    outputs = [o for o in job.get("outputs") or [] if isinstance(o, Mapping)]
    chosen = [o for o in outputs if _slug(o) == report_slug]
    if not chosen:
        slugs = ", ".join(sorted({_slug(o) for o in outputs})) or "none"
        raise UsageError(
            f"job {pk}: no output with interface slug {report_slug!r} (output slugs: {slugs})",
            hint="pass --report-slug with the slug of the report output",
        )
    output = chosen[0]
    relative = _interface(output).get("relative_path") or f"{report_slug}.json"
    relative_path = PurePosixPath(str(relative))
    if relative_path.is_absolute() or ".." in relative_path.parts:
        raise UsageError(f"job {pk}: unsafe output path {relative!r}")
    file = Path(input_dir) / pk / "output" / relative_path
    if file.is_file():
        data = file.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SubmissionRejected(
                f"job {pk}: the output {relative} is not UTF-8 text",
                hint="write the report as UTF-8",
            ) from None
        try:
            value = json.loads(text)
        except ValueError:
            if file.suffix.lower() == ".json":
                raise SubmissionRejected(
                    f"job {pk}: the output {relative} is not valid JSON",
                    hint="write the report as a JSON string, e.g. json.dump(report, f)",
                ) from None
            return text  # a plain-text output interface
        return _report_from_value(value, f"job {pk}, output {relative}")
    if output.get("value") is not None:
        return _report_from_value(output["value"], f"job {pk}, output {report_slug}")
    raise SubmissionRejected(
        f"job {pk}: the report output {relative} is missing",
        hint="the algorithm must write its report for every slide",
    )


def cases_from_jobs(
    jobs: Sequence[Mapping[str, Any]],
    input_dir: Path,
    reference_ids: Sequence[str],
    *,
    report_slug: str = REPORT_SLUG,
    image_slug: str = IMAGE_SLUG,
) -> tuple[list[dict[str, str]], list[str]]:
    """Submission items `{id, report}` from the algorithm jobs, and notes on what was done."""
    items: list[dict[str, str]] = []
    notes: list[str] = []
    for job in jobs:
        status = job.get("status")
        if status is not None and status != SUCCEEDED:
            notes.append(f"job {job.get('pk')} has status {status!r} and is not read")
            continue
        name = _case_name(job, image_slug)
        case_id = _match_id(name, reference_ids)
        if case_id != name:
            notes.append(f"job {job.get('pk')}: image {name} scored as case {case_id}")
        items.append({"id": case_id, "report": _job_report(job, input_dir, report_slug)})
    return items, notes


def read_layout(
    input_dir: Path,
    work: Path,
    reference_ids: Sequence[str],
    *,
    phase: str = "auto",
    report_slug: str = REPORT_SLUG,
    image_slug: str = IMAGE_SLUG,
) -> Layout:
    """Decide the phase kind from the input folder and give the submission file to check."""
    if phase not in PHASES:
        raise UsageError(f"unknown phase kind {phase!r}", hint=f"use {', '.join(PHASES)}")
    upload = find_upload(input_dir)
    notes: list[str] = []
    data_head = upload.read_bytes()[:4]
    if data_head == ZIP_MAGIC:
        if phase == "algorithm":
            raise UsageError(f"{upload} is a zip file, not an algorithm job list")
        extracted = _unzip_single_json(upload, work)
        notes.append(f"read {extracted.name} from the zip upload {upload.name}")
        return Layout("prediction-file", extracted, notes)
    value = _read_json(upload) if phase != "prediction-file" else None
    if phase == "algorithm" or (phase == "auto" and is_job_list(value)):
        if not is_job_list(value):
            raise UsageError(
                f"{upload} is not an algorithm job list (a JSON list of jobs with pk and outputs)"
            )
        items, job_notes = cases_from_jobs(
            value, input_dir, reference_ids, report_slug=report_slug, image_slug=image_slug
        )
        assembled = work / "predictions-from-algorithm-jobs.json"
        assembled.write_text(json.dumps(items, ensure_ascii=False, indent=1), encoding="utf-8")
        return Layout("algorithm", assembled, notes + job_notes)
    return Layout("prediction-file", upload, notes)


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
    submission: Path, ground_truth: Path | None
) -> tuple[list[Case], list[str]]:
    """The valid cases, and warning lines; a refused submission raises `SubmissionRejected`.

    Without a ground truth, missing ids are not findings (for `--missing empty|skip`).
    """
    from reg_eval.io.validate import validate_submission

    report = validate_submission(submission, ground_truth=ground_truth)
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
    """`{"case": {id: {column: value}}, "aggregates": {...}}`, numbers only, all finite."""
    columns = result.columns
    case = {
        case_id: {
            name: _number(values[i], f"case.{case_id}.{name}") for name, values in columns.items()
        }
        for i, case_id in enumerate(result.alignment.ids)
    }
    means = result.means
    aggregates: dict[str, Any] = {
        name: _number(value, f"aggregates.{name}") for name, value in means.items()
    }
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
    }
    aggregates["by_organ"] = {
        organ: {
            key: _number(value, f"aggregates.by_organ.{organ}.{key}")
            for key, value in table.items()
            if key != "ci"
        }
        for organ, table in result.by_organ.items()
    }
    corpus = {
        group: {
            key: _number(value, f"aggregates.corpus.{group}.{key}")
            for key, value in g.corpus.items()
        }
        for group, g in result.groups.items()
        if g.corpus
    }
    if corpus:
        aggregates["corpus"] = corpus
    return {"case": case, "aggregates": aggregates}


# -- the whole evaluation -----------------------------------------------------------------------


@contextmanager
def _work_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="reg-eval-gc-") as name:
        yield Path(name)


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
    **changes: Any,
) -> GcOutcome:
    """Read the platform's inputs, score, write metrics.json and the signature.

    `options` (default: the `reg2025` profile) with `changes` are the `ScoringOptions` fields
    (profile, metrics, emb_model, key_model, device, dtype, batch_size, cache, cache_dir,
    bootstrap, seed), as for `reg_eval.Scorer`.
    """
    from reg_eval.io.writers import atomic_write_text, write_json
    from reg_eval.scoring import Scorer, align_cases, load_valid_cases

    scoring_options = ScoringOptions.of(options or ScoringOptions(profile=GC_PROFILE), **changes)
    gt_path = find_ground_truth(Path(ground_truth))
    reference = load_valid_cases(gt_path, role="ground truth")
    reference_ids = [case.id for case in reference]
    output = Path(output)
    signature_file = output.parent / SIGNATURE_FILE
    for target in (output, signature_file):
        if target.exists() and not force:
            raise UsageError(f"{target} already exists", hint="pass --force to overwrite it")
    with _work_dir() as work:
        layout = read_layout(
            Path(input_dir),
            work,
            reference_ids,
            phase=phase,
            report_slug=report_slug,
            image_slug=image_slug,
        )
        cases, warnings = check_submission(
            layout.submission, gt_path if missing == "error" else None
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
