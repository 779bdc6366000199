"""`reg-eval gc-evaluate`: the entry point of the grand-challenge evaluation container."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reg_eval.commands.guard import guarded
from reg_eval.commands.options import (
    BatchSizeOption,
    BootstrapOption,
    CacheDirOption,
    DeviceOption,
    DtypeOption,
    EmbModelOption,
    KeyModelOption,
    MissingOption,
    NoCacheOption,
    SeedOption,
)
from reg_eval.errors import RegEvalError
from reg_eval.gc import (
    GC_PROFILE,
    GROUND_TRUTH_DIR,
    IMAGE_SLUG,
    INPUT_DIR,
    OUTPUT_FILE,
    REPORT_SLUG,
    SubmissionRejected,
)
from reg_eval.scoring_options import DEFAULT_BOOTSTRAP, DEFAULT_SEED, ScoringOptions

PROFILE_ENV = "REG_EVAL_GC_PROFILE"


def _explain(exc: RegEvalError) -> None:
    """Details first, the message last: the platform shows the participant the last line."""
    if isinstance(exc, SubmissionRejected):
        for line in exc.details:
            typer.echo(line, err=True)
    if exc.hint:
        typer.echo(f"hint: {exc.hint}", err=True)
    typer.echo(f"error: {exc.message}", err=True)


@guarded
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
    profile: Annotated[
        str,
        typer.Option(
            "--profile",
            envvar=PROFILE_ENV,
            help="Scoring profile; the container sets it to the profile whose models it holds.",
        ),
    ] = GC_PROFILE,
    phase: Annotated[
        str,
        typer.Option(
            "--phase", help="auto (from the content of predictions.json), prediction-file "
            "or algorithm."
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
    metrics: Annotated[
        str,
        typer.Option("--metrics", help="Metric groups: official (default) or e.g. "
                     "official,clinical."),
    ] = "official",
    missing: MissingOption = "error",
    bootstrap: BootstrapOption = DEFAULT_BOOTSTRAP,
    seed: SeedOption = DEFAULT_SEED,
    batch_size: BatchSizeOption = 16,
    device: DeviceOption = "auto",
    dtype: DtypeOption = "float32",
    emb_model: EmbModelOption = None,
    key_model: KeyModelOption = None,
    no_cache: NoCacheOption = False,
    cache_dir: CacheDirOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing metrics.json.")
    ] = False,
) -> None:
    """Score a grand-challenge submission and write metrics.json (numbers only).

    Validation problems go to stderr with the most important line last, which is the line
    the platform shows the participant. The signature goes to stdout and to signature.txt
    beside metrics.json.
    """
    from reg_eval.gc import run_gc_evaluation

    try:
        outcome = run_gc_evaluation(
            input_dir=input_dir,
            ground_truth=ground_truth,
            output=output,
            options=ScoringOptions(
                profile=profile,
                metrics=metrics,
                emb_model=emb_model,
                key_model=key_model,
                device=device,
                dtype=dtype,
                batch_size=batch_size,
                cache=not no_cache,
                cache_dir=cache_dir,
                bootstrap=bootstrap,
                seed=seed,
            ),
            phase=phase,
            missing=missing,
            report_slug=report_slug,
            image_slug=image_slug,
            force=force,
        )
    except RegEvalError as exc:
        _explain(exc)
        raise typer.Exit(exc.exit_code) from None
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
