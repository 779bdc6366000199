"""`reg-eval synth`: write a synthetic REG-like benchmark (features, reports, manifest)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reg_eval.commands.guard import guarded
from reg_eval.errors import UsageError


def parse_patch_range(text: str) -> tuple[int, int]:
    """`64..512` -> (64, 512); a single number means a fixed bag size."""
    low, sep, high = text.partition("..")
    try:
        return (int(low), int(high)) if sep else (int(low), int(low))
    except ValueError:
        raise UsageError(
            f"--patches {text!r}: expected MIN..MAX", hint="for example --patches 64..512"
        ) from None


@guarded
def synth_command(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the benchmark into.")],
    n_train: Annotated[int, typer.Option("--n-train", help="Training cases.")] = 2000,
    n_test: Annotated[int, typer.Option("--n-test", help="Test cases.")] = 500,
    dim: Annotated[int, typer.Option("--dim", help="Feature dimension.")] = 256,
    patches: Annotated[
        str, typer.Option("--patches", help="Patches per slide, MIN..MAX.")
    ] = "64..512",
    difficulty: Annotated[
        float, typer.Option("--difficulty", help="0 (clean) .. 1 (noisy).")
    ] = 0.5,
    seed: Annotated[int, typer.Option("--seed", help="Seed; same seed, same bytes.")] = 0,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an earlier synthetic benchmark in --out.")
    ] = False,
) -> None:
    """Write a synthetic REG-like benchmark: h5 features, train/test JSON and a manifest.

    Features are TRIDENT-style h5 files; train.json and test.json are in the submission
    format; manifest.csv maps ids to files and synth.json records the settings.
    """
    from reg_eval_baselines.synth import SynthConfig, write_benchmark

    min_patches, max_patches = parse_patch_range(patches)
    config = SynthConfig(
        n_train=n_train, n_test=n_test, dim=dim, min_patches=min_patches,
        max_patches=max_patches, difficulty=difficulty, seed=seed,
    )
    summary = write_benchmark(out, config, force=force)
    typer.echo(
        f"wrote {summary.out_dir}: {summary.n_train} train + {summary.n_test} test slides, "
        f"dim {dim}; {summary.distinct_train_reports} distinct training reports "
        f"({summary.distinct_train_reports / summary.n_train:.0%}); "
        f"{summary.test_reports_seen_in_train}/{summary.n_test} test reports occur in train"
    )
