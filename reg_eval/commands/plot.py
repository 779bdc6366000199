"""`reg-eval plot`: component bars with CIs and a per-organ heat map, as PNG and SVG."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reg_eval.commands.guard import guarded
from reg_eval.commands.options import SAVED_RESULT_LIMITS, ForceOption, input_limits


@guarded
@input_limits(*SAVED_RESULT_LIMITS)
def plot_command(
    results: Annotated[
        list[Path],
        typer.Argument(help="Result files of `reg-eval score --output`.", show_default=False),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the figures.")],
    force: ForceOption = False,
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
