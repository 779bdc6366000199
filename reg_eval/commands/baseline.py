"""`reg-eval baseline train|generate|run`: reference baselines from slide features.

`train` fits a method and keeps it in a run directory; `generate` writes a validated
submission from a run directory; `run` does both in one go without keeping a run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from reg_eval.commands.guard import guarded
from reg_eval.commands.options import DeviceOption, ForceOption, QuietOption

baseline_app = typer.Typer(
    help="Reference baselines (majority, knn, prefix-lm): train on slide features, then "
    "generate a submission.",
    no_args_is_help=True,
)

FeaturesOption = Annotated[
    Path | None,
    typer.Option("--features", help="Folder with one .h5/.pt feature file per slide "
                 "(CLAM, TRIDENT, torch)."),
]
ManifestOption = Annotated[
    Path | None, typer.Option("--manifest", help="CSV id,path naming each feature file.")
]
SkipBadOption = Annotated[
    bool, typer.Option("--skip-bad", help="Leave out unreadable slides and list them.")
]
KOption = Annotated[int, typer.Option("--k", help="knn: neighbours to consider.")]
VoteOption = Annotated[
    bool, typer.Option("--vote", help="knn: most-voted report among the k nearest.")
]
StandardiseOption = Annotated[
    bool, typer.Option("--standardise", help="knn: z-score features on training stats.")
]
SeedOption = Annotated[int, typer.Option("--seed", help="Seed of the trained baselines.")]
# prefix-lm training, the same for `train` and `run`
LmOption = Annotated[
    str, typer.Option("--lm", help="prefix-lm: 'offline' (SmolLM2-135M from the offline "
                      "model cache), a model folder, or a cached hub name.")
]
LmLayersOption = Annotated[
    int | None, typer.Option("--lm-layers", help="prefix-lm: keep the first N decoder "
                             "blocks (small CPU runs).")
]
PrefixTokensOption = Annotated[
    int, typer.Option("--prefix-tokens", help="prefix-lm: prefix embeddings.")
]
EpochsOption = Annotated[int, typer.Option("--epochs", help="prefix-lm: training epochs.")]
MaxStepsOption = Annotated[
    int | None, typer.Option("--max-steps", help="prefix-lm: stop after N optimiser steps.")
]
TrainBatchSizeOption = Annotated[
    int, typer.Option("--batch-size", help="prefix-lm: micro-batch size per process.")
]
GradAccumOption = Annotated[
    int, typer.Option("--grad-accum", help="prefix-lm: micro-batches per optimiser step.")
]


def _prefix_lm_options(
    *, lm: str, lm_layers: int | None, prefix_tokens: int, mlp_hidden: int, epochs: int,
    max_steps: int | None, batch_size: int, grad_accum: int, lr: float, lm_lr: float,
    warmup_steps: int, checkpoint_every: int, max_report_tokens: int, device: str,
) -> dict[str, Any]:
    return {
        "lm": lm, "lm_layers": lm_layers, "n_prefix": prefix_tokens, "mlp_hidden": mlp_hidden,
        "epochs": epochs, "max_steps": max_steps, "batch_size": batch_size,
        "grad_accum": grad_accum, "lr": lr, "lm_lr": lm_lr, "warmup_steps": warmup_steps,
        "checkpoint_every": checkpoint_every, "max_report_tokens": max_report_tokens,
        "device": device,
    }


def _echo_skipped(skipped: list[Any], what: str) -> None:
    for slide in skipped:
        typer.echo(f"skipped {what} slide {slide.slide_id}: {slide.reason}", err=True)


@baseline_app.command("train")
@guarded
def train_command(
    method: Annotated[str, typer.Option("--method", help="majority, knn or prefix-lm.")],
    train: Annotated[Path, typer.Option("--train", help="Training reports, submission format.")],
    out: Annotated[Path, typer.Option("--out", help="Run directory to write.")],
    features: FeaturesOption = None,
    manifest: ManifestOption = None,
    skip_bad: SkipBadOption = False,
    seed: SeedOption = 0,
    k: KOption = 5,
    vote: VoteOption = False,
    standardise: StandardiseOption = False,
    lm: LmOption = "offline",
    lm_layers: LmLayersOption = None,
    prefix_tokens: PrefixTokensOption = 8,
    mlp_hidden: Annotated[
        int, typer.Option("--mlp-hidden", help="prefix-lm: hidden width of the MLP.")
    ] = 1024,
    epochs: EpochsOption = 1,
    max_steps: MaxStepsOption = None,
    batch_size: TrainBatchSizeOption = 8,
    grad_accum: GradAccumOption = 1,
    lr: Annotated[float, typer.Option("--lr", help="prefix-lm: learning rate of the MLP.")] = 1e-3,
    lm_lr: Annotated[
        float, typer.Option("--lm-lr", help="prefix-lm: learning rate of the LM; 0 freezes it.")
    ] = 5e-5,
    warmup_steps: Annotated[
        int, typer.Option("--warmup-steps", help="prefix-lm: linear warmup steps.")
    ] = 20,
    checkpoint_every: Annotated[
        int, typer.Option("--checkpoint-every", help="prefix-lm: steps between checkpoints "
                          "(0: at the end only).")
    ] = 0,
    max_report_tokens: Annotated[
        int, typer.Option("--max-report-tokens", help="prefix-lm: truncate longer reports.")
    ] = 192,
    device: DeviceOption = "auto",
    force: ForceOption = False,
    quiet: QuietOption = False,
) -> None:
    """Fit a baseline on training slides; keep config, seed, metrics and state in --out.

    An unfinished prefix-lm run in --out resumes from its checkpoint when the same command
    runs again. Under `accelerate launch` training spreads over the processes.
    """
    from reg_eval_baselines.rundir import train_run

    options: dict[str, Any] = {"k": k, "vote": vote, "standardise": standardise}
    if method == "prefix-lm":
        options = _prefix_lm_options(
            lm=lm, lm_layers=lm_layers, prefix_tokens=prefix_tokens, mlp_hidden=mlp_hidden,
            epochs=epochs, max_steps=max_steps, batch_size=batch_size, grad_accum=grad_accum,
            lr=lr, lm_lr=lm_lr, warmup_steps=warmup_steps, checkpoint_every=checkpoint_every,
            max_report_tokens=max_report_tokens, device=device,
        )
    result = train_run(
        method, features_dir=features, train_path=train, run_dir=out, manifest=manifest,
        skip_bad=skip_bad, seed=seed, options=options, force=force, progress=not quiet,
    )
    _echo_skipped(result.skipped, "training")
    resumed = (f", resumed from step {result.resumed_from_step}"
               if result.resumed_from_step else "")
    loss = f", final loss {result.final_loss:.4f}" if result.final_loss is not None else ""
    typer.echo(f"trained {result.method} on {result.n_train} slides (dim {result.dim})"
               f"{resumed}{loss}; run directory {result.run_dir}")


@baseline_app.command("generate")
@guarded
def generate_command(
    run: Annotated[Path, typer.Option("--run", help="Run directory of baseline train.")],
    out: Annotated[Path, typer.Option("--out", help="Submission file to write.")],
    features: FeaturesOption = None,
    manifest: ManifestOption = None,
    ids: Annotated[
        Path | None,
        typer.Option("--ids", help="Slides to report on: submission-format JSON, a JSON list "
                     "or one id a line (default: every slide of --features/--manifest)."),
    ] = None,
    skip_bad: SkipBadOption = False,
    device: DeviceOption = "auto",
    beams: Annotated[
        int | None, typer.Option("--beams", help="prefix-lm: beam width (1 = greedy).")
    ] = None,
    max_new_tokens: Annotated[
        int | None, typer.Option("--max-new-tokens", help="prefix-lm: longest report.")
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option("--batch-size", help="prefix-lm: reports per batch.")
    ] = None,
    force: ForceOption = False,
    quiet: QuietOption = False,
) -> None:
    """Write reports for the given slides from a trained run, then validate the file."""
    from reg_eval.io.validate import render_text
    from reg_eval_baselines.rundir import generate_run

    result = generate_run(
        run, features_dir=features, out_path=out, ids_path=ids, manifest=manifest,
        skip_bad=skip_bad, device=device, force=force, progress=not quiet,
        generation={"num_beams": beams, "max_new_tokens": max_new_tokens,
                    "generate_batch_size": batch_size},
    )
    _echo_skipped(result.skipped, "test")
    if result.skipped:
        typer.echo(f"{len(result.skipped)} skipped slides received the most frequent "
                   "training report", err=True)
    rate = (f" ({result.generated_tokens / result.seconds:.0f} tokens/s)"
            if result.generated_tokens and result.seconds > 0 else "")
    typer.echo(f"wrote {result.out_path}: {result.n_cases} reports from {result.method}{rate}")
    typer.echo(render_text(result.validation))
    if not result.validation.valid:
        raise typer.Exit(1)


@guarded
def baseline_command(
    name: Annotated[str, typer.Argument(help="Baseline: majority, knn or prefix-lm.")],
    features: FeaturesOption = None,
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
    manifest: ManifestOption = None,
    k: KOption = 5,
    vote: VoteOption = False,
    standardise: StandardiseOption = False,
    skip_bad: SkipBadOption = False,
    seed: SeedOption = 0,
    lm: LmOption = "offline",
    lm_layers: LmLayersOption = None,
    prefix_tokens: PrefixTokensOption = 8,
    epochs: EpochsOption = 1,
    max_steps: MaxStepsOption = None,
    batch_size: TrainBatchSizeOption = 8,
    grad_accum: GradAccumOption = 1,
    beams: Annotated[int, typer.Option("--beams", help="prefix-lm: 1 = greedy.")] = 1,
    checkpoint_dir: Annotated[
        Path | None,
        typer.Option("--checkpoint-dir", help="prefix-lm: checkpoints; resumes from one."),
    ] = None,
    device: DeviceOption = "auto",
    force: ForceOption = False,
    quiet: QuietOption = False,
) -> None:
    """Fit and generate in one go, keeping no run directory (train + generate keep one)."""
    from reg_eval_baselines.run import run_baseline

    result = run_baseline(
        name, features_dir=features, train_path=train, test_ids_path=test_ids, out_path=out,
        manifest=manifest, k=k, standardise=standardise, vote=vote, skip_bad=skip_bad,
        seed=seed, force=force,
        prefix_lm={
            "lm": lm, "lm_layers": lm_layers, "n_prefix": prefix_tokens, "epochs": epochs,
            "max_steps": max_steps, "batch_size": batch_size, "grad_accum": grad_accum,
            "num_beams": beams, "checkpoint_dir": str(checkpoint_dir) if checkpoint_dir else None,
            "device": device, "progress": not quiet,
        },
    )
    _echo_skipped(result.skipped_train, "training")
    _echo_skipped(result.skipped_test, "test")
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


baseline_app.command("run")(baseline_command)
