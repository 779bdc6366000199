"""`reg-eval final`: the REG 2025 final-ranking score, 0.2·phase 1 + 0.8·phase 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from reg_eval.commands.guard import guarded
from reg_eval.commands.options import (
    SAVED_RESULT_LIMITS,
    TEXT_OR_JSON,
    TextOrJsonOption,
    check_choice,
    input_limits,
)
from reg_eval.errors import UsageError


@guarded
@input_limits(*SAVED_RESULT_LIMITS)
def final_command(
    phase1: Annotated[
        Path | None, typer.Option("--phase1", help="Result JSON of the test phase 1 run.")
    ] = None,
    phase2: Annotated[
        Path | None, typer.Option("--phase2", help="Result JSON of the test phase 2 run.")
    ] = None,
    output_format: TextOrJsonOption = "text",
) -> None:
    """Final score as the organisers ranked teams: 0.2·phase 1 + 0.8·phase 2.

    A phase left out counts 0 (with a warning), as for teams that skipped it. Both
    signatures are printed with the score. A phase not scored with the leaderboard's models
    in float32 on every case makes the final score not comparable, and says why.
    """
    from reg_eval.io.results import load_result
    from reg_eval.leaderboard import final_from_results, load_official, official_place

    check_choice("--format", output_format, TEXT_OR_JSON)
    first = load_result(phase1) if phase1 is not None else None
    second = load_result(phase2) if phase2 is not None else None
    final = final_from_results(first, second)
    for warning in final.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if output_format == "json":
        typer.echo(json.dumps(final.to_dict(), indent=2, ensure_ascii=False))
        return
    p1 = "0 (missing)" if first is None else f"{first.ranking:.4f}"
    p2 = "0 (missing)" if second is None else f"{second.ranking:.4f}"
    typer.echo(f"final score: {final.score:.4f}   = 0.2 × {p1} + 0.8 × {p2}")
    try:
        rows = load_official("reg2025-final")
    except UsageError:
        rows = []
    if rows:
        place = official_place(final.score, rows)
        note = "" if final.comparable else " (NOT comparable: see the warnings above)"
        typer.echo(f"would rank {place} of {len(rows) + 1} in the REG 2025 final ranking{note}")
    elif not final.comparable:
        typer.echo("NOT comparable with the REG 2025 final ranking: see the warnings above")
    typer.echo(f"phase 1 signature: {first.signature_text if first else '-'}")
    typer.echo(f"phase 2 signature: {second.signature_text if second else '-'}")
