"""`reg-eval convert`: make a submission file from a table, JSON Lines or a folder of texts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reg_eval.commands.guard import guarded
from reg_eval.commands.options import input_limits
from reg_eval.commands.validate import print_report
from reg_eval.io.convert import convert_to_submission
from reg_eval.io.validate import validate_submission


@guarded
@input_limits()
def convert_command(
    source: Annotated[
        Path, typer.Argument(metavar="INPUT", help="A CSV/TSV file (columns id, report), a "
                             "JSON Lines file, or a folder of <id>.txt files.",
                             show_default=False)
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Where to write the JSON submission.",
                           show_default=False)
    ],
    force: Annotated[bool, typer.Option("--force", help="Overwrite OUT if it exists.")] = False,
    input_format: Annotated[
        str, typer.Option("--format", help="auto (from the name), csv, tsv, jsonl or dir.")
    ] = "auto",
) -> None:
    """Write INPUT as a submission list (atomically), then validate what was written."""
    converted = convert_to_submission(source, out, input_format=input_format, force=force)
    typer.echo(f"wrote {len(converted.rows):,} cases from {converted.input_format} input "
               f"to {out}")
    for note in converted.notes:
        typer.echo(f"note: {note}")
    report = validate_submission(out)
    raise typer.Exit(print_report(report, strict=False, max_findings=5))
