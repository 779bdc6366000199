"""Whole-submission validation: the loader's findings plus the checks against a reference.

The reference (ground truth or an id list) and the organisers' exclusion list are inputs the
user chose, so problems with them are usage errors (exit 2), not findings.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.io.files import read_input_bytes
from reg_eval.io.findings import CHECKS, Finding, Severity, make_finding, shown
from reg_eval.io.ids import suggest_id
from reg_eval.io.jsondoc import decode_utf8, parse_json_document
from reg_eval.io.records import Case
from reg_eval.io.submission import LoadResult, load_cases

EXCLUDE_COLUMN = "id_list"


@dataclass
class ValidationReport:
    """The verdict on one submission; `valid` means no errors (warnings allowed)."""

    path: Path
    valid: bool
    n_cases: int
    errors: list[Finding]
    warnings: list[Finding]
    cases: list[Case]
    reference_ids: list[str] | None
    excluded_ids: list[str] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [*self.errors, *self.warnings]

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "n_cases": self.n_cases,
            "errors": [f.to_dict() for f in self.errors],
            "warnings": [f.to_dict() for f in self.warnings],
        }


def _decode_text(path: Path, what: str) -> str:
    data = read_input_bytes(path, what)
    try:
        return decode_utf8(data, str(path))
    except InvalidInputError as exc:  # the user's option file: a usage error
        raise UsageError(exc.message, hint=exc.hint) from None


def load_id_list(path: str | Path) -> list[str]:
    """Ids for `--ids`: one per line (blank lines and # comments skipped), or a JSON list."""
    path = Path(path)
    text = _decode_text(path, "id list")
    if text.lstrip().startswith("["):
        try:
            value = parse_json_document(text.encode("utf-8"), str(path))
        except InvalidInputError as exc:
            raise UsageError(f"not a valid JSON list of ids: {exc.message}") from None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise UsageError(f"{path}: the JSON list must hold only id strings")
        ids = [v.strip() for v in value]
    else:
        ids = [line.strip() for line in text.splitlines()]
        ids = [i for i in ids if not i.startswith("#")]
    ids = list(dict.fromkeys(i for i in ids if i))
    if not ids:
        raise UsageError(f"{path}: no ids found", hint="write one id per line")
    return ids


def load_excluded_ids(csv_path: str | Path) -> list[str]:
    """Ids from the organisers' corrupted_id.csv (column `id_list`), in file order."""
    path = Path(csv_path)
    text = _decode_text(path, "CSV file")
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
        columns = [c.strip() for c in reader.fieldnames or []]
        if EXCLUDE_COLUMN not in columns:
            found = ", ".join(repr(c) for c in columns) or "none"
            raise UsageError(
                f"{path} has no column {EXCLUDE_COLUMN!r} (columns found: {found})",
                hint=f"the organisers' corrupted_id.csv has one column named {EXCLUDE_COLUMN}",
            )
        reader.fieldnames = columns
        ids = [(row.get(EXCLUDE_COLUMN) or "").strip() for row in reader]
    except csv.Error as exc:
        raise UsageError(f"{path}: not a readable CSV file ({exc})") from None
    return list(dict.fromkeys(i for i in ids if i))


def reference_ids_from_ground_truth(path: Path) -> list[str]:
    loaded = load_cases(path)
    if not loaded.ok:
        first = loaded.errors[:3]
        lines = "; ".join(f"{f.location()}: {f.message}" for f in first)
        raise UsageError(
            f"the ground truth {path} is not a valid file ({len(loaded.errors)} errors): {lines}",
            hint=f"run `reg-eval validate {path}` to see every problem",
        )
    return list(dict.fromkeys(case.id for case in loaded.cases))


def validate_submission(
    path: str | Path,
    *,
    ground_truth: Path | None = None,
    ids: Path | None = None,
    exclude: Path | None = None,
) -> ValidationReport:
    """Every check on one submission; missing ids are errors only with a reference given."""
    path = Path(path)
    if ground_truth is not None and ids is not None:
        raise UsageError(
            "--ground-truth and --ids both name the expected ids", hint="pass only one of them"
        )
    reference: list[str] | None = None
    if ground_truth is not None:
        reference = reference_ids_from_ground_truth(Path(ground_truth))
    elif ids is not None:
        reference = load_id_list(Path(ids))
    excluded = load_excluded_ids(Path(exclude)) if exclude is not None else []
    return validate_loaded(load_cases(path), reference=reference, excluded=excluded)


def validate_loaded(
    loaded: LoadResult, *, reference: list[str] | None = None, excluded: list[str] | None = None
) -> ValidationReport:
    """The verdict on a file already read (`load_cases`/`parse_submission`), so a caller that
    had to look at the JSON first does not read and parse it a second time."""
    excluded = excluded or []
    findings = list(loaded.findings)
    if loaded.parsed:
        findings.extend(_excluded_findings(loaded, set(excluded)))
        if reference is not None and loaded.n_items:  # an empty list is told once, as E012
            findings.extend(_reference_findings(loaded, reference, set(excluded)))
    errors = sorted(
        (f for f in findings if f.severity is Severity.ERROR), key=_finding_order
    )
    warnings = sorted(
        (f for f in findings if f.severity is Severity.WARNING), key=_finding_order
    )
    return ValidationReport(
        path=loaded.path,
        valid=not errors,
        n_cases=len(loaded.cases),
        errors=errors,
        warnings=warnings,
        cases=loaded.cases,
        reference_ids=reference,
        excluded_ids=excluded,
    )


def _finding_order(finding: Finding) -> tuple[str, int, int]:
    index = finding.index if finding.index is not None else -1
    return (finding.code, index, finding.line or 0)


def _excluded_findings(loaded: LoadResult, excluded: set[str]) -> list[Finding]:
    if not excluded:
        return []
    return [
        make_finding(
            "W007", "the id is in the organisers' exclusion list (corrupted slide); the case "
            "is not scored", hint="drop it, or leave it: it does not count",
            **loaded.where(case.index, case.id),
        )
        for case in loaded.cases
        if case.id in excluded
    ]


def _reference_findings(
    loaded: LoadResult, reference: list[str], excluded: set[str]
) -> list[Finding]:
    expected = set(reference)
    submitted: dict[str, Case] = {}
    for case in loaded.cases:
        submitted.setdefault(case.id, case)
    near: dict[str, str] = {}
    for case_id in submitted:
        fixed = suggest_id(case_id)
        if fixed is not None:
            near.setdefault(fixed, case_id)
    findings: list[Finding] = []
    present = set(submitted).union(loaded.broken_ids, excluded)
    missing = [i for i in reference if i not in present]
    file = str(loaded.path)
    for case_id in missing:
        hint = "add a case with this id"
        if case_id in near:
            hint = f'the submission has "{shown(near[case_id])}": rename it to "{case_id}"'
        findings.append(make_finding(
            "E010", f"no prediction for this id ({len(missing)} of {len(expected)} expected "
            "ids are missing)", file=file, id=shown(case_id, 200), hint=hint,
        ))
    for case_id, case in submitted.items():
        if case_id in expected or case_id in excluded:
            continue
        fixed = suggest_id(case_id)
        hint = (
            f'did you mean "{fixed}"?' if fixed in expected
            else "it is ignored by the official scorer"
        )
        findings.append(make_finding(
            "W001", "the id is not in the ground truth", hint=hint,
            **loaded.where(case.index, case_id),
        ))
    return findings


def summary_lines(report: ValidationReport, *, max_per_code: int = 5) -> list[tuple[str, str]]:
    """The text summary as (line, kind) pairs; kind lets a terminal colour it."""
    n_err, n_warn = len(report.errors), len(report.warnings)
    verdict = "valid" if report.valid else "NOT VALID"
    lines: list[tuple[str, str]] = [(
        f"{report.path}: {verdict} — {report.n_cases:,} cases, {n_err} "
        f"error{'s' if n_err != 1 else ''}, {n_warn} warning{'s' if n_warn != 1 else ''}",
        "valid" if report.valid else "invalid",
    )]
    if report.reference_ids is not None:
        lines.append((f"checked against {len(report.reference_ids):,} expected ids", "note"))
    if report.excluded_ids:
        lines.append((f"{len(report.excluded_ids):,} ids excluded by the organisers", "note"))
    hidden = 0
    for findings in (report.errors, report.warnings):
        by_code: dict[str, list[Finding]] = {}
        for finding in findings:
            by_code.setdefault(finding.code, []).append(finding)
        for code, group in by_code.items():
            kind = group[0].severity.value
            name = CHECKS[code].name if code in CHECKS else code
            lines.append((f"{code} {name} ({len(group):,})", kind))
            shown_group = group if max_per_code == 0 else group[:max_per_code]
            for finding in shown_group:
                place = finding.location()
                lines.append((f"  {place}: {finding.message}" if place else
                              f"  {finding.message}", "finding"))
                if finding.hint:
                    lines.append((f"    hint: {finding.hint}", "hint"))
            if len(group) > len(shown_group):
                extra = len(group) - len(shown_group)
                hidden += extra
                lines.append((f"  … and {extra:,} more {code}", "more"))
    if hidden:
        lines.append((
            f"{hidden:,} findings not shown: --max-findings 0 shows all, --format json lists "
            "them all", "note",
        ))
    return lines


def render_text(report: ValidationReport, *, max_per_code: int = 5) -> str:
    """Plain-text summary (no colour codes): verdict, counts, first findings of each code."""
    return "\n".join(line for line, _ in summary_lines(report, max_per_code=max_per_code))
