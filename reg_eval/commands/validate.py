"""`reg-eval validate`: check a submission before it is uploaded."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from reg_eval.commands.guard import guarded
from reg_eval.commands.options import TEXT_OR_JSON, check_choice, input_limits
from reg_eval.errors import UsageError
from reg_eval.io.validate import ValidationReport, summary_lines, validate_submission

_STYLES = {
    "valid": "bold green",
    "invalid": "bold red",
    "error": "red",
    "warning": "yellow",
    "hint": "dim",
    "more": "dim",
    "note": "cyan",
    "finding": "",
}


def accepted(report: ValidationReport, *, strict: bool) -> bool:
    """Exit 0 or 1: errors always refuse; warnings refuse only under --strict."""
    return report.valid and not (strict and report.warnings)


def print_report(
    report: ValidationReport, *, strict: bool, max_findings: int, output_format: str = "text"
) -> int:
    """Print the verdict and return the exit code it implies."""
    ok = accepted(report, strict=strict)
    if output_format == "json":
        payload = report.to_dict()
        payload["valid"] = ok
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        sys.stdout.flush()
        return 0 if ok else 1
    from rich.console import Console
    from rich.text import Text

    console = Console(soft_wrap=True, highlight=False)
    for line, kind in summary_lines(report, max_per_code=max_findings):
        console.print(Text(line, style=_STYLES.get(kind, "")))
    if report.valid and not ok:
        console.print(Text("refused under --strict: the submission has warnings",
                           style="bold red"))
    return 0 if ok else 1


@guarded
@input_limits()
def validate_command(
    submission: Annotated[
        Path, typer.Argument(metavar="SUBMISSION", help="The predictions file: a JSON list of "
                             "{id, report} objects.",
                             show_default=False)
    ],
    ground_truth: Annotated[
        Path | None,
        typer.Option("--ground-truth", help="Ground-truth file (same format); its ids must "
                     "all have a prediction.", show_default=False),
    ] = None,
    ids: Annotated[
        Path | None,
        typer.Option("--ids", help="The expected ids instead of a ground truth: one per line, "
                     "or a JSON list.", show_default=False),
    ] = None,
    exclude: Annotated[
        Path | None,
        typer.Option("--exclude", help="The organisers' corrupted_id.csv (column id_list): "
                     "these ids are not scored.", show_default=False),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Treat warnings as errors (exit 1).")
    ] = False,
    output_format: Annotated[
        str, typer.Option("--format", help="text (a coloured summary) or json (one object).")
    ] = "text",
    max_findings: Annotated[
        int, typer.Option("--max-findings", help="Findings shown per code in text output; "
                          "0 shows all.")
    ] = 5,
    kind: Annotated[
        str, typer.Option("--kind", help="report: REG 2025 [{id, report}] submissions; cot: "
                          "REG 2026 chain-of-thought files or folders.")
    ] = "report",
) -> None:
    """Check a submission file: JSON, keys, ids, reports. Exit 0 valid, 1 not, 2 usage."""
    check_choice("--format", output_format, TEXT_OR_JSON)
    if max_findings < 0:
        raise UsageError("--max-findings must be 0 or more", hint="0 shows all findings")
    if kind == "cot":
        if ids is not None or exclude is not None:
            raise UsageError("--ids and --exclude apply to REG 2025 report submissions only")
        from reg_eval.reg2026.chain import validate_cot_report

        report = validate_cot_report(submission, ground_truth=ground_truth)
    elif kind == "report":
        report = validate_submission(
            submission, ground_truth=ground_truth, ids=ids, exclude=exclude
        )
    else:
        raise UsageError(f"unknown --kind {kind!r}", hint="use report or cot")
    code = print_report(report, strict=strict, max_findings=max_findings,
                        output_format=output_format)
    raise typer.Exit(code)
