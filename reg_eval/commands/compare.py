"""`reg-eval compare`: is run B really better than run A? Paired tests on per-case scores."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from reg_eval.commands.guard import guarded
from reg_eval.commands.options import (
    TEXT_OR_JSON,
    ForceOption,
    MissingOption,
    TestOption,
    TrialsOption,
    check_choice,
    scoring_command,
)
from reg_eval.errors import UsageError
from reg_eval.io.writers import refuse_existing
from reg_eval.paired import DEFAULT_TEST, DEFAULT_TRIALS, check_test
from reg_eval.scoring_options import ScoringOptions


@guarded
@scoring_command(ScoringOptions, omit=("bootstrap",))
def compare_command(
    submissions: Annotated[
        list[Path],
        typer.Argument(help="Two or more submissions; the first is the baseline."),
    ],
    ground_truth: Annotated[Path, typer.Option("--ground-truth", "-g", help="Ground-truth JSON.")],
    test: TestOption = DEFAULT_TEST,
    n: TrialsOption = DEFAULT_TRIALS,
    missing: MissingOption = "error",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the comparison as JSON.")
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", help="text (table) or json.")
    ] = "text",
    force: ForceOption = False,
    *,
    options: ScoringOptions,
) -> None:
    """Compare runs against a baseline with paired significance tests.

    Each run is scored once (the cache makes shared texts free); the tests then resample
    the per-case statistics, cases matched by id; a case where a metric is undefined in
    either run is left out of that metric's test. With more than two runs, p-values are
    Holm-adjusted per metric. `leaderboard` and `report` run the same test on saved files.
    """
    from reg_eval.comparison import compare_results

    check_choice("--format", output_format, TEXT_OR_JSON)
    if len(submissions) < 2:
        raise UsageError("compare needs at least two submissions: the baseline first")
    check_test(test, n)
    refuse_existing(output, force=force)
    from reg_eval.scoring import Scorer

    # The paired tests resample the per-case values themselves; the runs' own bootstrap CIs
    # appear nowhere in the comparison (nor its signature), so none are drawn beyond one.
    scorer = Scorer(options, bootstrap=1)
    results = [scorer.score_files(ground_truth, path, missing=missing) for path in submissions]
    comparison = compare_results(
        [path.name for path in submissions], results, test=test, n=n, seed=options.seed
    )
    if output is not None:
        from reg_eval.io.writers import write_json

        write_json(output, comparison.to_dict(), force=force)
    if output_format == "json":
        typer.echo(json.dumps(comparison.to_dict(), indent=2, ensure_ascii=False))
    else:
        from reg_eval.commands.render import make_console, print_comparison

        print_comparison(make_console(), comparison)
