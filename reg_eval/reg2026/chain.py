"""Chain-of-thought files and folders, read into cases with located findings.

A case is a list of steps (`reg_eval.reg2026.steps`). Ground truth is one JSON list
of `{"id": ..., "chain-of-thought": [...]}` (or a folder of such files). A submission is
either one such file, or a folder of per-case files: `<id>.json`, `<id>/chain-of-thought.json`
or `<id>/output/chain-of-thought.json`, each holding a bare list of steps or an object with the
list under one of `STEP_LIST_KEYS`. A folder holding the grand-challenge job list
(`predictions.json`) is an algorithm phase's input: each job's
`<pk>/output/chain-of-thought.json` (or inline value) is the case named by its slide image.
Every problem becomes a `Finding`; only an unreadable path raises (`UsageError`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.io.findings import Finding, HasFindings, shown
from reg_eval.io.items import describe
from reg_eval.io.jobs import IMAGE_SLUG
from reg_eval.io.limits import current_limits, raise_hint
from reg_eval.reg2026.canonical import normalise_case_id
from reg_eval.reg2026.steps import (
    STEP_LIST_KEYS,
    ChainCase,
    chain_findings,
    check_of,
    cot_finding,
    parse_steps,
    steps_holder_key,
)

if TYPE_CHECKING:
    from reg_eval.io.validate import ValidationReport

CASE_LIST_KEYS: tuple[str, ...] = ("cases", "data")
"""Keys under which a multi-case file may hold its list of cases."""
PER_CASE_FILE = "chain-of-thought.json"
COT_OUTPUT_SLUG = "chain-of-thought"
"""Slug of the REG 2026 algorithm output; its file is `<pk>/output/chain-of-thought.json`."""


@dataclass
class ChainLoad(HasFindings):
    """The cases read from a path and everything found wrong on the way."""

    path: Path
    cases: list[ChainCase] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


# -- reading JSON ---------------------------------------------------------------------------


def _read_json(path: Path, findings: list[Finding]) -> tuple[bool, Any]:
    """(parsed, value); a problem becomes a finding. An unreadable file raises UsageError.

    The organisers' template reads these files with `json.load`, so a UTF-8 byte-order mark
    is an error here (REG 2025 submissions only get a finding and are read on).
    """
    from reg_eval.io.files import read_input_bytes
    from reg_eval.io.jsondoc import decode_json

    value, problem = decode_json(read_input_bytes(path), bom="refuse")
    if problem is not None:
        findings.append(problem.finding(str(path)))
        return False, None
    return True, value


# -- steps ----------------------------------------------------------------------------------


# -- files ----------------------------------------------------------------------------------


def _case_from_object(
    obj: Any, index: int, file: str, load: ChainLoad
) -> ChainCase | None:
    where: dict[str, Any] = {"file": file, "index": index}
    if not isinstance(obj, dict):
        load.findings.append(cot_finding(
            "E101", f"item {index} is {describe(obj)}, not a case object",
            hint='each case is {"id": "PIT_01_00020_01.tiff", "chain-of-thought": [...]}',
            **where,
        ))
        return None
    raw_id = obj.get("id")
    if not raw_id or not isinstance(raw_id, str | int) or isinstance(raw_id, bool):
        load.findings.append(cot_finding(
            "E103", f"item {index} has no usable `id` (found {describe(raw_id)})",
            hint="give every case its slide id as a string", **where,
        ))
        return None
    raw = str(raw_id)
    where["id"] = raw
    key = steps_holder_key(obj)
    if key is None:
        load.findings.append(cot_finding(
            "E101", "the case holds no list of steps",
            hint=f"put the steps under one of: {', '.join(STEP_LIST_KEYS)}", **where,
        ))
        return None
    steps = parse_steps(obj[key], load.findings, **where)
    if steps is None:
        return None
    load.findings.extend(chain_findings(steps, **where))
    organ = obj.get("organ") if isinstance(obj.get("organ"), str) else None
    return ChainCase(normalise_case_id(raw), raw, steps, file, index, organ)


def _read_case_list(path: Path, load: ChainLoad) -> None:
    """A multi-case file: a list of cases, or an object with the list under cases/data."""
    parsed, value = _read_json(path, load.findings)
    if not parsed:
        return
    file = str(path)
    if isinstance(value, dict):
        holder = next((k for k in CASE_LIST_KEYS if isinstance(value.get(k), list)), None)
        if holder is None:
            hint = (
                "this looks like one case's chain; put it in a folder as <id>.json and pass the "
                "folder" if steps_holder_key(value) else
                'write a list of cases: [{"id": "PIT_01_00020_01.tiff", "chain-of-thought": '
                "[...]}]"
            )
            load.findings.append(cot_finding(
                "E101", "the file holds an object, not a list of cases", file=file, hint=hint,
            ))
            return
        value = value[holder]
    if not isinstance(value, list):
        load.findings.append(cot_finding(
            "E101", f"the file holds {describe(value)}, not a list of cases", file=file,
        ))
        return
    if value and all(isinstance(item, dict) and "id" not in item for item in value) and any(
        isinstance(item, dict) and "question" in item for item in value
    ):
        load.findings.append(cot_finding(
            "E101", "the file is a bare list of steps (one case's chain), and has no case id",
            file=file,
            hint="a single file must list cases with their ids; for per-case files, pass a "
            "folder holding <id>.json or <id>/chain-of-thought.json",
        ))
        return
    if not value:
        load.findings.append(cot_finding("E012", "the list of cases is empty", file=file))
    limits = current_limits()
    if len(value) > limits.max_cases:
        load.findings.append(cot_finding(
            "E014", f"the list holds {len(value):,} cases, more than {limits.max_cases:,} "
            "(--max-cases); none is read", file=file, hint=raise_hint("max_cases"),
        ))
        return
    for index, item in enumerate(value):
        case = _case_from_object(item, index, file, load)
        if case is not None:
            load.cases.append(case)


def _read_case_file(path: Path, case_name: str, load: ChainLoad) -> None:
    """One per-case file: a bare list of steps, or an object holding it."""
    parsed, value = _read_json(path, load.findings)
    if not parsed:
        return
    _add_case_value(value, case_name, str(path), load)


def _add_case_value(value: Any, case_name: str, file: str, load: ChainLoad) -> None:
    case_id = normalise_case_id(case_name)
    where: dict[str, Any] = {"file": file, "id": case_name}
    if isinstance(value, dict):
        inner = value.get("id")
        if isinstance(inner, str) and normalise_case_id(inner) != case_id:
            load.findings.append(cot_finding(
                "W107", f"the file is named {case_name!r} but holds id {shown(inner, 40)!r}; "
                "the name is used", hint="rename the file or fix the id", **where,
            ))
        key = steps_holder_key(value)
        if key is None:
            load.findings.append(cot_finding(
                "E101", "the object holds no list of steps",
                hint=f"write a bare list of steps, or put it under one of: "
                f"{', '.join(STEP_LIST_KEYS)}", **where,
            ))
            return
        value = value[key]
    steps = parse_steps(value, load.findings, **where)
    if steps is None:
        return
    load.findings.extend(chain_findings(steps, **where))
    load.cases.append(ChainCase(case_id, case_name, steps, file))


def _read_jobs(folder: Path, jobs: list[dict[str, Any]], load: ChainLoad) -> None:
    """An algorithm phase's input folder: each job's `<pk>/output/chain-of-thought.json` (or
    inline value), named by the job's slide image. Paths never leave `folder`."""
    from reg_eval.io.grounding_jobs import is_roi_job
    from reg_eval.io.jobs import JOB_LIST_NAME, input_root, read_job, shown_pk, unread_status

    root = input_root(folder)
    where = {"file": str(folder / JOB_LIST_NAME)}
    for job in jobs:
        if is_roi_job(job):
            continue  # a Metric B job (one ROI and its question): read by score-grounding
        status = unread_status(job)
        if status is not None:
            load.findings.append(cot_finding(
                "W109", f"job {shown_pk(job)} has status {status!r}; it is not read", **where,
            ))
            continue
        try:
            read = read_job(job, root, COT_OUTPUT_SLUG, image_slug=IMAGE_SLUG,
                            slug_hint=f"the chain-of-thought output's slug must be "
                            f"{COT_OUTPUT_SLUG!r}")
        except InvalidInputError as exc:
            load.findings.append(cot_finding("E101", exc.message, hint=exc.hint, **where))
            continue
        output = read.output
        if output is None:
            load.findings.append(cot_finding(
                "E101", f"job {read.pk} wrote no {PER_CASE_FILE}", id=read.name, **where,
                hint="the algorithm must write its chain of thought for every slide",
            ))
            continue
        if not output.parsed:
            load.findings.append(cot_finding(
                "E003", f"{output.where} is not valid JSON", id=read.name, **where,
            ))
            continue
        file = str(output.file) if output.file is not None else output.where
        _add_case_value(output.value, read.name, file, load)


def _read_folder(folder: Path, load: ChainLoad) -> None:
    from reg_eval.io.jobs import load_job_list

    jobs = load_job_list(folder)
    if jobs is not None:
        _read_jobs(folder, jobs, load)
        if not load.cases and load.ok:
            load.findings.append(cot_finding(
                "E012", "the job list holds no job that succeeded", file=str(folder),
            ))
        return
    entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    for entry in entries:
        if entry.is_dir():
            inner = entry / PER_CASE_FILE
            container = entry / "output" / PER_CASE_FILE
            if inner.is_file():
                _read_case_file(inner, entry.name, load)
            elif container.is_file():
                _read_case_file(container, entry.name, load)
            else:
                load.findings.append(cot_finding(
                    "W109", f"folder {entry.name} holds no {PER_CASE_FILE} (nor "
                    f"output/{PER_CASE_FILE}); it is not read",
                    file=str(entry),
                ))
        elif entry.suffix.lower() == ".json":
            _read_case_file(entry, entry.name[: -len(entry.suffix)], load)
        else:
            load.findings.append(cot_finding(
                "W109", f"{entry.name} is not a .json file; it is not read", file=str(entry),
            ))
    if not load.cases and load.ok:
        load.findings.append(cot_finding(
            "E012", f"the folder {folder} holds no chain-of-thought file",
            file=str(folder),
            hint=f"put one <id>.json, <id>/{PER_CASE_FILE} or <id>/output/{PER_CASE_FILE} "
            "per case in it",
        ))


def _check_duplicate_ids(load: ChainLoad) -> None:
    first: dict[str, ChainCase] = {}
    for case in load.cases:
        if case.id in first:
            earlier = first[case.id]
            load.findings.append(cot_finding(
                "E009",
                f"id {shown(case.raw_id, 40)!r} is the same case as {shown(earlier.raw_id, 40)!r}"
                f" ({earlier.file}) once a trailing .svs/.tiff is removed",
                file=case.file, index=case.index, id=case.raw_id,
                hint="keep one prediction per slide",
            ))
        else:
            first[case.id] = case


def _load(
    path: str | Path, role: str, read_folder: Callable[[Path, ChainLoad], None]
) -> ChainLoad:
    """One file listing cases, or a folder read by `read_folder`; ids checked once for both."""
    path = Path(path)
    load = ChainLoad(path)
    if path.is_dir():
        read_folder(path, load)
    elif path.exists():
        _read_case_list(path, load)
    else:
        raise UsageError(f"the {role} {path} does not exist", hint="check the path")
    _check_duplicate_ids(load)
    return load


def _read_case_list_folder(folder: Path, load: ChainLoad) -> None:
    """A ground-truth folder: every visible .json file in it is a list of cases."""
    files = sorted(p for p in folder.glob("*.json") if not p.name.startswith("."))
    if not files:
        raise UsageError(f"the ground-truth folder {folder} holds no .json file")
    for file in files:
        _read_case_list(file, load)


def load_ground_truth(path: str | Path) -> ChainLoad:
    """A ground-truth file (a list of cases), or a folder of such files."""
    return _load(path, "ground truth", _read_case_list_folder)


def load_predictions(path: str | Path) -> ChainLoad:
    """A submission: one file listing cases with ids, or a folder of per-case files."""
    return _load(path, "submission", _read_folder)


def reference_findings(
    predictions: ChainLoad, ground_truth: Sequence[ChainCase]
) -> list[Finding]:
    """Ground-truth cases without a prediction, and predictions for no ground-truth case."""
    predicted = {case.id for case in predictions.cases}
    expected = {case.id for case in ground_truth}
    found = [
        cot_finding(
            "W108", "no prediction for this ground-truth case; it is scored as an empty chain "
            "and stays in the mean", id=case.raw_id,
        )
        for case in ground_truth
        if case.id not in predicted
    ]
    found.extend(
        cot_finding(
            "W001", "this case is not in the ground truth; it is ignored",
            file=case.file, index=case.index, id=case.raw_id,
        )
        for case in predictions.cases
        if case.id not in expected
    )
    return found


def _checked_load(
    path: str | Path, ground_truth: str | Path | None, role: str
) -> tuple[ChainLoad, list[ChainCase] | None]:
    """The load of `path` with the ground-truth findings added, and the ground truth's cases
    (None when none was given or the load already has errors)."""
    load = load_ground_truth(path) if role == "ground truth" else load_predictions(path)
    if ground_truth is None or not load.ok:
        return load, None
    reference = require_valid(load_ground_truth(ground_truth), role="ground truth")
    load.findings.extend(reference_findings(load, reference))
    return load, reference


def validate_cot(
    path: str | Path, *, ground_truth: str | Path | None = None, role: str = "submission"
) -> list[Finding]:
    """Every finding for a chain-of-thought submission (or ground truth, `role="ground
    truth"`), checked against a ground truth when one is given."""
    load, _ = _checked_load(path, ground_truth, role)
    return list(load.findings)


def validate_cot_report(
    path: str | Path, *, ground_truth: str | Path | None = None
) -> ValidationReport:
    """`validate_cot` as the report `reg-eval validate` prints for every kind of file."""
    from reg_eval.io.validate import ValidationReport

    load, reference = _checked_load(path, ground_truth, "submission")
    return ValidationReport(
        path=Path(path),
        valid=load.ok,
        n_cases=len(load.cases),
        errors=load.errors,
        warnings=load.warnings,
        cases=[],
        reference_ids=None if reference is None else [case.id for case in reference],
    )


def render_findings(findings: Sequence[Finding], *, limit: int = 20) -> str:
    lines = []
    for finding in findings[:limit]:
        place = finding.location()
        lines.append(
            f"  {finding.severity.value} {finding.code} {check_of(finding.code).name}: "
            f"{finding.message}" + (f" [{place}]" if place else "")
            + (f"\n    hint: {finding.hint}" if finding.hint else "")
        )
    if len(findings) > limit:
        lines.append(f"  … and {len(findings) - limit} more")
    return "\n".join(lines)


def require_valid(load: ChainLoad, *, role: str) -> list[ChainCase]:
    """The cases of a load without errors; otherwise its errors as an InvalidInputError."""
    if not load.ok:
        raise InvalidInputError(
            f"the {role} {load.path} is not valid:\n{render_findings(load.errors)}",
            hint=f"run `reg-eval validate --kind cot {load.path}` for every finding",
        )
    return list(load.cases)
