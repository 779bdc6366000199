"""The `reg-eval` command line: parse options, call library code, print.

Command modules hold the option declarations; everything they compute comes from the
library, so the CLI and the Python API give the same numbers with the same signatures.
"""

from __future__ import annotations

import typer

from reg_eval._version import __version__

app = typer.Typer(
    name="reg-eval",
    help=(
        "Validate, score and compare pathology report submissions for the MICCAI REG "
        "challenges. Every printed score carries its signature."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"reg-eval {__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", help="Print the version and exit.", callback=_print_version,
        is_eager=True,
    ),
) -> None:
    """Validate, score and compare pathology report submissions."""


def _register() -> None:
    # Command functions carry commands.guard.guarded themselves, and import heavy
    # libraries lazily, inside the functions that need them.
    from reg_eval.commands import (
        baseline,
        compare,
        convert,
        features,
        final,
        gc_evaluate,
        grounding,
        hf_metric_path,
        leaderboard,
        models,
        plot,
        report,
        score,
        score_cot,
        score_grounding,
        slides,
        synth,
        validate,
    )

    app.command("validate")(validate.validate_command)
    app.command("convert")(convert.convert_command)
    app.command("score")(score.score_command)
    app.command("compare")(compare.compare_command)
    app.command("score-cot")(score_cot.score_cot_command)
    app.command("score-grounding")(score_grounding.score_grounding_command)
    app.command("leaderboard")(leaderboard.leaderboard_command)
    app.command("final")(final.final_command)
    app.command("report")(report.report_command)
    app.command("plot")(plot.plot_command)
    app.command("gc-evaluate")(gc_evaluate.gc_evaluate_command)
    app.command("hf-metric-path")(hf_metric_path.hf_metric_path_command)
    app.add_typer(models.models_app, name="models")
    app.command("synth")(synth.synth_command)
    app.add_typer(baseline.baseline_app, name="baseline")
    app.add_typer(slides.slides_app, name="slides")
    app.add_typer(features.features_app, name="features")
    app.add_typer(grounding.grounding_app, name="grounding")


_register()


def main() -> None:
    app()
