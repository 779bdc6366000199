"""`reg-eval hf-metric-path`: the folder to give `evaluate.load`."""

from __future__ import annotations

from typing import Annotated

import typer

from reg_eval.commands.guard import guarded


@guarded
def hf_metric_path_command(
    name: Annotated[
        str, typer.Argument(help="Which evaluate module: reg2025.")
    ] = "reg2025",
) -> None:
    """Print the folder of the Hugging Face `evaluate` module (evaluate.load(FOLDER))."""
    from reg_eval.hf_metric import metric_path

    typer.echo(str(metric_path(name)))
