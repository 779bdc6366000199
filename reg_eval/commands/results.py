"""What `score` and `score-cot` do around scoring: check the output options before any model
loads, then write the files, show the warnings and print the result."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import typer

from reg_eval.commands.options import TEXT_OR_JSON, check_choice
from reg_eval.errors import UsageError
from reg_eval.io.writers import ScoredResult, refuse_existing, write_result_files

PER_CASE_SUFFIXES = (".jsonl", ".csv")


class CommandResult(ScoredResult, Protocol):
    """A result the scoring commands deliver: files, JSON form and the cache's warnings."""

    messages: list[str]


def check_result_outputs(
    output_format: str, output: Path | None, per_case: Path | None, *, force: bool
) -> None:
    """A bad --format or --per-case name, or a file in the way, fails before the models load."""
    check_choice("--format", output_format, TEXT_OR_JSON)
    if per_case is not None and per_case.suffix.lower() not in PER_CASE_SUFFIXES:
        raise UsageError(f"--per-case {per_case}: use a .jsonl or .csv file name")
    refuse_existing(output, per_case, force=force)


def deliver_result(
    result: CommandResult,
    *,
    output: Path | None,
    per_case: Path | None,
    force: bool,
    output_format: str,
    print_text: Callable[[], None],
) -> None:
    """Write --output and --per-case, warn on stderr, then print JSON or the text tables."""
    from rich.console import Console

    write_result_files(result, output=output, per_case=per_case, force=force)
    err = Console(stderr=True)
    for message in result.messages:
        err.print(f"[yellow]warning:[/] {message}")
    if output_format == "json":
        typer.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        print_text()
