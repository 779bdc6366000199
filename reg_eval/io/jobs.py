"""The grand-challenge algorithm phase's job list, and the job outputs it points to.

`predictions.json` lists one job per slide: its `pk`, its `inputs` (the slide image, whose
user-given name is the case id) and its `outputs`. Output `slug` of job `pk` is the file
`<input>/<pk>/output/<relative_path>`, or the output's inline `value`.

Everything here comes from the participant (with `--phase auto` an uploaded file can pose as a
job list), so a pk must be one plain folder name, every path is resolved with its symlinks and
must stay inside the input folder, and every file is read within the input limits.

Every reader of an algorithm phase (the REG 2025 report, the REG 2026 chain of thought) goes
through `read_job`: one job, its case name and the one output it is asked for. Reading another
output kind only needs that output's slug.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.io.files import read_input_bytes
from reg_eval.io.findings import shown
from reg_eval.io.jsondoc import decode_text, load_json_document, parse_text
from reg_eval.io.limits import Limits, current_limits

SUCCEEDED = "Succeeded"
JOB_LIST_NAME = "predictions.json"
IMAGE_SLUG = "whole-slide-image"
"""Default slug of the algorithm input interface whose image name is the case id."""
_PK = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
"""A job pk that is one plain folder name (grand-challenge uses UUIDs)."""


class SubmissionRejected(InvalidInputError):
    """The submission cannot be scored; `details` are printed before the message, which the
    platform shows the participant as the last stderr line."""

    def __init__(self, message: str, *, details: Sequence[str] = (), hint: str | None = None):
        super().__init__(message, hint=hint)
        self.details = list(details)


@dataclass(frozen=True)
class JobOutput:
    """What one job wrote for one output: parsed JSON, or text when the file is not JSON."""

    value: Any
    parsed: bool
    where: str
    """'job <pk>, output <relative path>', for messages."""
    file: Path | None
    """The file read (resolved, inside the input folder); None for an inline value."""


@dataclass(frozen=True)
class JobCase:
    """One succeeded job as a case: the name of its slide image and the output asked for."""

    pk: str
    """The job's pk, made safe to print."""
    name: str
    """The user-given name of the slide image: the case id (before matching)."""
    output: JobOutput | None
    """None when the job wrote neither a file nor an inline value for the output."""


def input_root(input_dir: Path) -> Path:
    try:
        root = Path(input_dir).resolve(strict=True)
    except (OSError, RuntimeError):
        root = None
    if root is None or not root.is_dir():
        raise UsageError(
            f"the input folder {input_dir} does not exist",
            hint="the platform mounts the submission at /input; for a local run pass --input "
            "FOLDER",
        )
    return root


def inside(path: Path, root: Path, what: str) -> Path:
    """`path` with every symlink resolved; refused unless it stays inside `root`."""
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        raise SubmissionRejected(
            f"{what} cannot be resolved (a symbolic link loop?)",
            hint="write plain files, not links",
        ) from None
    if not resolved.is_relative_to(root):
        raise SubmissionRejected(
            f"{what} leads outside the input folder; it is not read",
            hint="write plain files inside the output folder, not links or paths that leave it",
        )
    return resolved


def is_job_list(value: Any) -> bool:
    """True for the algorithm phase's job list: objects with `pk` and `outputs`."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(job, dict) and "pk" in job and "outputs" in job for job in value)
    )


def interface(entry: Mapping[str, Any]) -> Mapping[str, Any]:
    """The socket of an input or output (`interface` in older job lists)."""
    for key in ("socket", "interface"):
        interface = entry.get(key)
        if isinstance(interface, Mapping):
            return interface
    return {}


def slug(entry: Mapping[str, Any]) -> str:
    return str(interface(entry).get("slug", ""))


def shown_pk(job: Mapping[str, Any]) -> str:
    return shown(str(job.get("pk")), 60)


def case_name(job: Mapping[str, Any], image_slug: str) -> str:
    """The user-given name of the job's slide image: the case id."""
    inputs = [i for i in job.get("inputs") or [] if isinstance(i, Mapping)]
    chosen = [i for i in inputs if slug(i) == image_slug]
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
    slugs = ", ".join(sorted({shown(slug(i), 40) for i in inputs})) or "none"
    raise UsageError(
        f"job {shown_pk(job)}: no input with interface slug {image_slug!r} and an image name "
        f"(input slugs: {slugs})",
        hint="pass --image-slug with the slug of the slide input",
    )


def job_folder(job: Mapping[str, Any], root: Path) -> Path:
    pk = job.get("pk")
    if not isinstance(pk, str | int) or isinstance(pk, bool) or not _PK.fullmatch(str(pk)):
        raise SubmissionRejected(
            f"job {shown_pk(job)}: the pk is not a plain job id (letters, digits, '-', '_', "
            "'.'), so no output folder is looked up for it",
            hint="grand-challenge job pks are UUIDs",
        )
    return root / str(pk)


def parse_output(data: bytes, where: str, limits: Limits) -> tuple[bool, Any]:
    """(parsed, value) of a job's output file; UTF-8 text that is not JSON gives (False, text)."""
    text, problem = decode_text(data, limits=limits)
    if problem is not None:
        raise problem.error(where)
    value, problem = parse_text(str(text), limits=limits)
    if problem is None:
        return True, value
    if problem.code == "E003":
        return False, text
    raise problem.error(where)


def job_output(
    job: Mapping[str, Any],
    root: Path,
    output_slug: str,
    *,
    limits: Limits | None = None,
    slug_hint: str = "pass the slug of the output",
) -> JobOutput | None:
    """The job's output `output_slug`; None when the job wrote neither a file nor a value."""
    limits = limits or current_limits()
    pk = shown_pk(job)
    outputs = [o for o in job.get("outputs") or [] if isinstance(o, Mapping)]
    chosen = [o for o in outputs if slug(o) == output_slug]
    if not chosen:
        slugs = ", ".join(sorted({shown(slug(o), 40) for o in outputs})) or "none"
        raise UsageError(
            f"job {pk}: no output with interface slug {output_slug!r} (output slugs: {slugs})",
            hint=slug_hint,
        )
    output = chosen[0]
    relative = str(interface(output).get("relative_path") or f"{output_slug}.json")
    relative_path = PurePosixPath(relative)
    shown_relative = shown(relative, 80)
    if relative_path.is_absolute() or ".." in relative_path.parts or "\x00" in relative:
        raise SubmissionRejected(
            f"job {pk}: unsafe output path {shown_relative!r}; it is not read",
            hint="output paths are relative to the job's output folder",
        )
    candidate = job_folder(job, root) / "output" / relative_path
    where = f"job {pk}, output {shown_relative}"
    if candidate.is_symlink() or candidate.exists():
        file = inside(candidate, root, f"job {pk}: the output {shown_relative}")
        if not file.is_file():
            raise SubmissionRejected(f"{where} is not a file")
        data = read_input_bytes(file, "output file", limits=limits)
        parsed, value = parse_output(data, where, limits)
        if not parsed and file.suffix.lower() == ".json":
            raise SubmissionRejected(
                f"{where} is not valid JSON",
                hint="write the output as JSON, e.g. json.dump(value, f)",
            )
        return JobOutput(value, parsed, where, file)
    if output.get("value") is not None:
        return JobOutput(output["value"], True, f"job {pk}, output {shown(output_slug, 40)}",
                         None)
    return None


def unread_status(job: Mapping[str, Any]) -> str | None:
    """The job's status, made safe to print, when it did not succeed (such a job is not read)."""
    status = job.get("status")
    if status is None or status == SUCCEEDED:
        return None
    return shown(str(status), 40)


def read_job(
    job: Mapping[str, Any],
    root: Path,
    output_slug: str,
    *,
    image_slug: str = IMAGE_SLUG,
    limits: Limits | None = None,
    slug_hint: str = "pass the slug of the output",
) -> JobCase:
    """The case name and the output `output_slug` of one job whose outputs are read.

    The pk is checked first (a pk that is not a plain folder name is refused before anything
    is looked up), then the image name, then the output. `root` is `input_root(...)`.
    """
    job_folder(job, root)
    name = case_name(job, image_slug)
    output = job_output(job, root, output_slug, limits=limits, slug_hint=slug_hint)
    return JobCase(shown_pk(job), name, output)


def load_job_list(folder: Path, *, limits: Limits | None = None) -> list[dict[str, Any]] | None:
    """The platform's job list when `folder` holds one; None when it holds none or the file
    is not a job list (it is then read as whatever else it may be)."""
    candidate = Path(folder) / JOB_LIST_NAME
    if not candidate.is_file():
        return None
    try:
        value = load_json_document(candidate, "job list", limits=limits)
    except InvalidInputError:
        return None
    return value if is_job_list(value) else None


def stem(name: str) -> str:
    return name.split(".", 1)[0]


def match_id(name: str, reference_ids: Sequence[str]) -> str:
    """The ground-truth id of an image name; `PIT_01_00001_01.tif` and `.mha` find `.tiff`."""
    if name in reference_ids:
        return name
    by_stem: dict[str, list[str]] = {}
    for case_id in reference_ids:
        by_stem.setdefault(stem(case_id), []).append(case_id)
    matches = by_stem.get(stem(name), [])
    return matches[0] if len(matches) == 1 else name
