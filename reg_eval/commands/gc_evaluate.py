"""`reg-eval gc-evaluate`: the entry point of the grand-challenge evaluation container.

The platform shows the participant the last non-empty line of stderr when an evaluation
fails, so every way this command can end without metrics.json ends with one line that says
why: `error: ...`. Exit codes stay those of every command (1 refused submission, 2 usage or
I/O, 3 internal error).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from reg_eval.commands.guard import INTERNAL_ERROR_EXIT, guarded
from reg_eval.commands.options import (
    SHARED,
    MissingOption,
    SharedOption,
    profile_option,
    scoring_command,
)
from reg_eval.errors import RegEvalError
from reg_eval.grand_challenge import (
    GC_PROFILE,
    GROUND_TRUTH_DIR,
    IMAGE_SLUG,
    INPUT_DIR,
    OUTPUT_FILE,
    REPORT_SLUG,
    SubmissionRejected,
)
from reg_eval.io.findings import shown
from reg_eval.io.limits import Limits
from reg_eval.scoring_options import ScoringOptions

PROFILE_ENV = "REG_EVAL_GC_PROFILE"
PHASE_ENV = "REG_EVAL_GC_PHASE"
GC_OPTIONS = (
    profile_option(
        "Scoring profile; the container sets it to the profile whose models it holds.",
        GC_PROFILE, envvar=PROFILE_ENV,
    ),
    SharedOption(SHARED["metrics"].name, SHARED["metrics"].declaration, "official"),
)
"""The container's own profile (from its environment) and metrics (the official score)."""


def _explain(exc: RegEvalError) -> None:
    """Details first, the message's first line last: the platform shows the last line."""
    first, _, rest = exc.message.partition("\n")
    if isinstance(exc, SubmissionRejected):
        for line in exc.details:
            typer.echo(line, err=True)
    for line in rest.splitlines():
        typer.echo(line, err=True)
    if exc.hint:
        typer.echo(f"hint: {exc.hint}", err=True)
    typer.echo(f"error: {first}", err=True)


def _explain_internal(exc: BaseException) -> None:
    """A bug or an exhausted machine still ends with one line the participant can read."""
    if isinstance(exc, MemoryError):
        reason = "the evaluation ran out of memory"
    else:
        detail = str(exc).splitlines()[0] if str(exc) else ""
        reason = f"internal error in the evaluation ({type(exc).__name__}: {shown(detail, 200)})"
    typer.echo("  This is a problem of the evaluation, not necessarily of the submission; "
               "rerun with REG_EVAL_DEBUG=1 to see the traceback.", err=True)
    typer.echo(f"error: {reason}; please tell the organisers", err=True)


@guarded
@scoring_command(ScoringOptions, replace=GC_OPTIONS, omit=("quiet",))
def gc_evaluate_command(
    input_dir: Annotated[
        Path,
        typer.Option(
            "--input",
            help="Folder holding predictions.json (or .csv/.zip): a prediction-file upload, "
            "or an algorithm phase's job list with <pk>/output/ folders beside it.",
        ),
    ] = INPUT_DIR,
    ground_truth: Annotated[
        Path,
        typer.Option(
            "--ground-truth", help="Ground-truth JSON, or the folder holding exactly one."
        ),
    ] = GROUND_TRUTH_DIR,
    output: Annotated[
        Path, typer.Option("--output", help="Where to write metrics.json.")
    ] = OUTPUT_FILE,
    phase: Annotated[
        str,
        typer.Option(
            "--phase", envvar=PHASE_ENV, help="prediction-file, algorithm, or auto (from the "
            "content of predictions.json; a container should name its phase).",
        ),
    ] = "auto",
    report_slug: Annotated[
        str,
        typer.Option(
            "--report-slug", help="Algorithm phase: slug of the output that holds the report."
        ),
    ] = REPORT_SLUG,
    image_slug: Annotated[
        str,
        typer.Option(
            "--image-slug",
            help="Algorithm phase: slug of the input whose image name is the case id.",
        ),
    ] = IMAGE_SLUG,
    missing: MissingOption = "error",
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing metrics.json.")
    ] = False,
    *,
    options: ScoringOptions,
    limits: Limits,
) -> None:
    """Score a grand-challenge submission and write metrics.json (numbers only).

    Validation problems go to stderr with the most important line last, which is the line
    the platform shows the participant; every failure ends with one `error:` line. Paths
    never leave the input folder, and input is read up to the --max-* limits. The signature
    goes to stdout and to signature.txt beside metrics.json.
    """
    from reg_eval.grand_challenge import run_gc_evaluation

    try:
        outcome = run_gc_evaluation(
            input_dir=input_dir,
            ground_truth=ground_truth,
            output=output,
            options=options,
            phase=phase,
            missing=missing,
            report_slug=report_slug,
            image_slug=image_slug,
            force=force,
            limits=limits,
        )
    except RegEvalError as exc:
        _explain(exc)
        raise typer.Exit(exc.exit_code) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except (Exception, MemoryError) as exc:
        if os.environ.get("REG_EVAL_DEBUG"):
            raise
        _explain_internal(exc)
        raise typer.Exit(INTERNAL_ERROR_EXIT) from None
    for line in outcome.notes:
        typer.echo(f"note: {line}", err=True)
    for line in outcome.warnings:
        typer.echo(line, err=True)
    aggregates = outcome.metrics["aggregates"]
    typer.echo(f"phase: {outcome.phase}")
    typer.echo(f"cases scored: {aggregates['n_cases']}")
    typer.echo(f"ranking: {aggregates['ranking']:.4f}")
    typer.echo(f"metrics: {outcome.output}")
    typer.echo(f"signature: {outcome.result.signature.format()}")
