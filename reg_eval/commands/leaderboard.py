"""`reg-eval leaderboard`: local runs ranked with CIs, tested against a baseline, and placed
among the official REG 2025 rows."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reg_eval.commands.guard import guarded
from reg_eval.commands.options import (
    SAVED_RESULT_LIMITS,
    ForceOption,
    SeedOption,
    TestOption,
    TrialsOption,
    check_choice,
    input_limits,
)
from reg_eval.errors import UsageError
from reg_eval.io.writers import refuse_existing
from reg_eval.paired import DEFAULT_TEST, DEFAULT_TRIALS, check_test
from reg_eval.stats import DEFAULT_SEED

FORMATS = ("md", "csv", "html")


@guarded
@input_limits(*SAVED_RESULT_LIMITS)
def leaderboard_command(
    results: Annotated[
        list[Path],
        typer.Argument(help="Result files of `reg-eval score --output`.", show_default=False),
    ],
    official: Annotated[
        str,
        typer.Option(
            "--official",
            help="Place the runs among an official table: reg2025-phase1, reg2025-phase2, "
            "reg2025-final or none.",
        ),
    ] = "none",
    baseline: Annotated[
        Path | None,
        typer.Option("--baseline", help="The run the others are tested against (default: the "
                     "first RESULT.json)."),
    ] = None,
    per_case: Annotated[
        list[Path] | None,
        typer.Option(
            "--per-case",
            help="The `--per-case` file of each run, in the same order, for the paired test.",
        ),
    ] = None,
    output_format: Annotated[str, typer.Option("--format", help="md, csv or html.")] = "md",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here instead of printing.")
    ] = None,
    test: TestOption = DEFAULT_TEST,
    n: TrialsOption = DEFAULT_TRIALS,
    seed: SeedOption = DEFAULT_SEED,
    force: ForceOption = False,
) -> None:
    """Rank local score runs, with CIs, paired tests and the official rows.

    With --per-case files, every metric of every run is tested against the baseline with
    the same paired test as `reg-eval compare` (Holm-adjusted when several runs are tested).

    A run not scored with the leaderboard's models in float32 on every case is marked not
    comparable, with the reason; a saved flag is checked against the run's signature.
    Every output lists the signature of each run shown.
    """
    from reg_eval.io.results import load_per_case, load_result, run_names
    from reg_eval.io.writers import atomic_write_text
    from reg_eval.leaderboard import build_leaderboard, official_choices
    from reg_eval.report.tables import RENDERERS

    check_choice("--format", output_format, FORMATS)
    if official not in official_choices():
        raise UsageError(
            f"unknown --official {official!r}", hint=f"use {', '.join(official_choices())}"
        )
    check_test(test, n)
    refuse_existing(out, force=force)
    names = run_names(results)
    runs = [load_result(path, name=name) for path, name in zip(results, names, strict=True)]
    cases = [load_per_case(path) for path in per_case] if per_case else None
    board = build_leaderboard(
        runs, official=official, baseline=baseline, per_case=cases, test=test, n_trials=n,
        seed=seed,
    )
    text = RENDERERS[output_format](board)
    if out is None:
        typer.echo(text, nl=False)
        return
    atomic_write_text(out, text, force=force)
    typer.echo(f"leaderboard written to {out}")
