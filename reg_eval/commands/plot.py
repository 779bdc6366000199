"""`reg-eval plot`: component bars with CIs and a per-organ heat map, as PNG and SVG."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reg_eval.commands.guard import guarded
from reg_eval.commands.options import (
    ForceOption,
    MaxCasesOption,
    MaxDepthOption,
    MaxUploadMbOption,
    applies_input_limits,
)
from reg_eval.io.limits import DEFAULT_MAX_CASES, DEFAULT_MAX_DEPTH, DEFAULT_MAX_UPLOAD_MB


@guarded
@applies_input_limits
def plot_command(
    results: Annotated[
        list[Path],
        typer.Argument(help="Result files of `reg-eval score --output`.", show_default=False),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the figures.")],
    force: ForceOption = False,
    max_upload_mb: MaxUploadMbOption = DEFAULT_MAX_UPLOAD_MB,
    max_depth: MaxDepthOption = DEFAULT_MAX_DEPTH,
    max_cases: MaxCasesOption = DEFAULT_MAX_CASES,
) -> None:
    """Write components.png/.svg and organs.png/.svg; same input, same bytes."""
    from reg_eval.io.results import load_result, run_names
    from reg_eval.report.plots import write_plot_files

    names = run_names(results)
    runs = [load_result(path, name=name) for path, name in zip(results, names, strict=True)]
    for path in write_plot_files(runs, out, force=force):
        typer.echo(str(path))
    for run in runs:
        typer.echo(f"signature {run.name}: {run.signature_text}")
