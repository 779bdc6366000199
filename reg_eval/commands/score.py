"""`reg-eval score`: the official REG 2025 score of one submission, with CIs and signature."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reg_eval.commands.guard import guarded
from reg_eval.commands.options import (
    ForceOption,
    MissingOption,
    PerCaseOutputOption,
    ResultFormatOption,
    ResultOutputOption,
    scoring_command,
)
from reg_eval.commands.results import check_result_outputs, deliver_result
from reg_eval.scoring_options import ScoringOptions


@guarded
@scoring_command(ScoringOptions)
def score_command(
    ground_truth: Annotated[
        Path, typer.Option("--ground-truth", "-g", help="Ground-truth JSON (same format).")
    ],
    submission: Annotated[
        Path, typer.Option("--submission", "-s", help="Submission JSON: [{id, report}, ...].")
    ],
    missing: MissingOption = "error",
    output: ResultOutputOption = None,
    per_case: PerCaseOutputOption = None,
    output_format: ResultFormatOption = "text",
    force: ForceOption = False,
    *,
    options: ScoringOptions,
) -> None:
    """Score a submission with the official REG 2025 formula.

    ranking = 0.15*(ROUGE+BLEU) + 0.4*KEY + 0.3*EMB per case, averaged. Validation runs
    first; missing cases are an error unless --missing says otherwise. Every printed number
    carries a signature naming the models, precision, tokenisation and version.
    """
    check_result_outputs(output_format, output, per_case, force=force)
    from reg_eval.scoring import Scorer

    result = Scorer(options).score_files(ground_truth, submission, missing=missing)

    def print_text() -> None:
        from reg_eval.commands.render import make_console, print_score

        print_score(make_console(), result, label=submission.name)

    deliver_result(
        result, output=output, per_case=per_case, force=force, output_format=output_format,
        print_text=print_text,
    )
