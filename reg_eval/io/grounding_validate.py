"""`reg-eval validate --kind grounding`: the Metric B checks alone, as a validation report.

Given a mapping (`rois_mapping.txt`), its own checks; given answers (a JSON file, or an
algorithm phase's input folder), theirs, and with `--ground-truth MAPPING` the answers against
the mapping (unknown ids, missing answers, image or question that differ).
"""

from __future__ import annotations

from pathlib import Path

from reg_eval.errors import UsageError
from reg_eval.io.grounding import cross_findings, read_answers, read_mapping, require_valid
from reg_eval.io.validate import ValidationReport

MAPPING_SUFFIXES = (".txt", ".tsv")


def is_mapping_file(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in MAPPING_SUFFIXES


def validate_grounding_report(path: str | Path, *, mapping: str | Path | None = None,
                              manifest: str | Path | None = None) -> ValidationReport:
    """Every finding for a ROI mapping or a set of answers (checked against `mapping`)."""
    path = Path(path)
    if is_mapping_file(path):
        if mapping is not None:
            raise UsageError("--ground-truth is for checking answers against a mapping; "
                             f"{path} is itself a mapping")
        table = read_mapping(path)
        return ValidationReport(path=path, valid=table.ok, n_cases=len(table.rows),
                                errors=table.errors, warnings=table.warnings, cases=[],
                                reference_ids=None)
    table = read_mapping(mapping) if mapping is not None else None
    if table is not None:
        require_valid(table, "ROI mapping")
    if path.is_dir():
        if table is None:
            raise UsageError("an algorithm phase's folder is matched to ROIs through the "
                             "mapping", hint="pass --ground-truth rois_mapping.txt")
        from reg_eval.io.grounding_jobs import answers_from_jobs

        answers = answers_from_jobs(path, table, manifest=manifest)
    else:
        answers = read_answers(path)
    findings = list(answers.findings)
    if table is not None and answers.ok:
        findings.extend(cross_findings(table, answers))
    errors = [f for f in findings if f.severity.value == "error"]
    warnings = [f for f in findings if f.severity.value == "warning"]
    return ValidationReport(
        path=path, valid=not errors, n_cases=len(answers.answers), errors=errors,
        warnings=warnings, cases=[],
        reference_ids=[row.anonymous_id for row in table.rows] if table is not None else None,
    )
