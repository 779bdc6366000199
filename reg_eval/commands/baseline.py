"""`reg-eval baseline NAME`: fit a reference baseline on training features, write a submission."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reg_eval.commands.guard import guarded


@guarded
def baseline_command(
    name: Annotated[str, typer.Argument(help="Baseline: majority, knn or prefix-lm.")],
    features: Annotated[
        Path | None,
        typer.Option("--features", help="Folder with one .h5/.pt feature file per slide."),
    ] = None,
    train: Annotated[
        Path, typer.Option("--train", help="Training reports, submission format.")
    ] = Path("train.json"),
    test_ids: Annotated[
        Path,
        typer.Option("--test-ids", help="Test ids: submission-format JSON or one id a line."),
    ] = Path("test.json"),
    out: Annotated[
        Path, typer.Option("--out", help="Submission file to write.")
    ] = Path("predictions.json"),
    manifest: Annotated[
        Path | None, typer.Option("--manifest", help="CSV id,path naming each feature file.")
    ] = None,
    k: Annotated[int, typer.Option("--k", help="knn: neighbours to consider.")] = 5,
    vote: Annotated[
        bool, typer.Option("--vote", help="knn: most-voted report among the k nearest.")
    ] = False,
    standardise: Annotated[
        bool, typer.Option("--standardise", help="knn: z-score features on training stats.")
    ] = False,
    skip_bad: Annotated[
        bool, typer.Option("--skip-bad", help="Leave out unreadable slides and list them.")
    ] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed for trained baselines.")] = 0,
    lm: Annotated[
        str, typer.Option("--lm", help="prefix-lm: causal LM, hub name or local folder.")
    ] = "HuggingFaceTB/SmolLM2-135M",
    prefix_tokens: Annotated[
        int, typer.Option("--prefix-tokens", help="prefix-lm: prefix embeddings.")
    ] = 8,
    epochs: Annotated[int, typer.Option("--epochs", help="prefix-lm: training epochs.")] = 1,
    max_steps: Annotated[
        int | None, typer.Option("--max-steps", help="prefix-lm: stop after N optimiser steps.")
    ] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", help="prefix-lm: batch size.")] = 8,
    grad_accum: Annotated[
        int, typer.Option("--grad-accum", help="prefix-lm: micro-batches per step.")
    ] = 1,
    beams: Annotated[int, typer.Option("--beams", help="prefix-lm: 1 = greedy.")] = 1,
    checkpoint_dir: Annotated[
        Path | None,
        typer.Option("--checkpoint-dir", help="prefix-lm: checkpoints; resumes from one."),
    ] = None,
    device: Annotated[
        str, typer.Option("--device", help="prefix-lm: auto, cpu or cuda.")
    ] = "auto",
    force: Annotated[bool, typer.Option("--force", help="Overwrite --out.")] = False,
) -> None:
    """Fit a baseline on the training slides and write its reports for the test slides."""
    from baselines.run import run_baseline

    result = run_baseline(
        name, features_dir=features, train_path=train, test_ids_path=test_ids, out_path=out,
        manifest=manifest, k=k, standardise=standardise, vote=vote, skip_bad=skip_bad,
        seed=seed, force=force,
        prefix_lm={
            "lm": lm, "n_prefix": prefix_tokens, "epochs": epochs, "max_steps": max_steps,
            "batch_size": batch_size, "grad_accum": grad_accum, "num_beams": beams,
            "checkpoint_dir": str(checkpoint_dir) if checkpoint_dir else None,
            "device": device, "progress": True,
        },
    )
    for skipped in result.skipped_train:
        typer.echo(f"skipped training slide {skipped.slide_id}: {skipped.reason}", err=True)
    for skipped in result.skipped_test:
        typer.echo(f"skipped test slide {skipped.slide_id}: {skipped.reason}", err=True)
    if result.skipped_test:
        typer.echo(
            f"{len(result.skipped_test)} skipped test slides received the most frequent "
            "training report",
            err=True,
        )
    typer.echo(
        f"wrote {result.out_path}: {result.n_test} reports from {result.baseline} "
        f"(fitted on {result.n_train} slides, dim {result.dim})"
    )
