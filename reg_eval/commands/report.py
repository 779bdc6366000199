"""`reg-eval report`: a self-contained HTML error-analysis report of one run, or of two.

Either scores the submissions (same options as `reg-eval score`) or reads the files a
score run saved (`--results` and `--per-case`), so that nothing is scored twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from reg_eval.commands.guard import guarded
from reg_eval.commands.options import (
    ForceOption,
    MissingOption,
    TestOption,
    TrialsOption,
    scoring_command,
)
from reg_eval.errors import UsageError
from reg_eval.io.writers import refuse_existing
from reg_eval.paired import DEFAULT_TEST, DEFAULT_TRIALS, check_test
from reg_eval.scoring_options import ScoringOptions

if TYPE_CHECKING:
    from reg_eval.report.analysis import ReportRun
    from reg_eval.scoring import ScoreResult


@guarded
@scoring_command(ScoringOptions)
def report_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="The HTML file to write.")],
    ground_truth: Annotated[
        Path | None,
        typer.Option("--ground-truth", "-g", help="Ground-truth JSON (gives the reference "
                     "texts; required when scoring)."),
    ] = None,
    submission: Annotated[
        Path | None,
        typer.Option("--submission", "-s", help="Submission JSON (scored, or only its texts "
                     "shown with --results)."),
    ] = None,
    against: Annotated[
        Path | None,
        typer.Option("--against", help="A second submission for the head-to-head view."),
    ] = None,
    results: Annotated[
        Path | None,
        typer.Option("--results", help="Use this `reg-eval score --output` file instead of "
                     "scoring."),
    ] = None,
    per_case: Annotated[
        Path | None,
        typer.Option("--per-case", help="The `--per-case` file of the same run as --results."),
    ] = None,
    against_results: Annotated[
        Path | None, typer.Option("--against-results", help="Result file of the second run.")
    ] = None,
    against_per_case: Annotated[
        Path | None,
        typer.Option("--against-per-case", help="Per-case file of the second run."),
    ] = None,
    missing: MissingOption = "error",
    test: TestOption = DEFAULT_TEST,
    n: TrialsOption = DEFAULT_TRIALS,
    force: ForceOption = False,
    *,
    options: ScoringOptions,
) -> None:
    """Write one self-contained HTML report: scores with CIs, distributions, organs, cases.

    The case table is sortable and filterable and shows a word-level diff of reference and
    hypothesis, with the missed and invented facts. With --against (or --against-results),
    it adds a head-to-head view with the paired test of every metric that `reg-eval compare`
    runs (the same p-values). The file needs no network.
    """
    from reg_eval.io.writers import atomic_write_text
    from reg_eval.report.html import build_report

    if out.suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"--out {out}: use a .html file name")
    refuse_existing(out, force=force)
    check_test(test, n)
    if results is not None or per_case is not None:
        run, other, references = _from_files(
            results, per_case, against_results, against_per_case,
            ground_truth=ground_truth, submission=submission, against=against,
        )
    else:
        if against_results is not None or against_per_case is not None:
            raise UsageError(
                "--against-results needs --results",
                hint="either score both runs (--submission and --against) or give saved "
                "files for both (--results/--per-case and --against-results/--against-per-case)",
            )
        if ground_truth is None or submission is None:
            raise UsageError(
                "give --ground-truth and --submission to score, or --results and --per-case",
            )
        from reg_eval.scoring import Scorer

        scorer = Scorer(options)
        scored = scorer.score_files(ground_truth, submission, missing=missing)
        run = _run_from_score(submission.stem, submission, scored)
        references = dict(zip(scored.alignment.ids, scored.alignment.refs, strict=True))
        other = None
        if against is not None:
            name = against.stem if against.stem != submission.stem else f"{against.stem} (2)"
            other = _run_from_score(
                name, against, scorer.score_files(ground_truth, against, missing=missing)
            )
    page = build_report(
        run, references=references, against=other, test=test, n_trials=n, seed=options.seed
    )
    atomic_write_text(out, page, force=force)
    typer.echo(f"report written to {out}")
    for item in (run, other):
        if item is not None:
            typer.echo(f"signature {item.name}: {item.result.signature_text}")


def _run_from_score(name: str, path: Path, scored: ScoreResult) -> ReportRun:
    from reg_eval.io.results import cases_from_rows, result_from_dict, run_layout
    from reg_eval.report.analysis import ReportRun

    signature = scored.signature.format()
    result = result_from_dict(scored.to_dict(), name=name, path=path)
    cases = cases_from_rows(
        [{**row, "signature": signature} for row in scored.per_case_rows()],
        path=None, signature_text=signature, layout=run_layout(result),
    )
    hypotheses = dict(zip(scored.alignment.ids, scored.alignment.hyps, strict=True))
    return ReportRun(name, result, cases, hypotheses)


def _texts(path: Path | None, role: str) -> dict[str, str] | None:
    if path is None:
        return None
    from reg_eval.scoring import load_valid_cases

    return {case.id: case.report for case in load_valid_cases(path, role=role)}


def _saved_run(
    results: Path, per_case: Path, texts: Path | None, *, name: str
) -> ReportRun:
    from reg_eval.io.results import check_same_run, load_per_case, load_result, run_layout
    from reg_eval.report.analysis import ReportRun

    result = load_result(results, name=name)
    cases = load_per_case(per_case, layout=run_layout(result))
    check_same_run(result, cases)
    return ReportRun(name, result, cases, _texts(texts, "submission"))


def _from_files(
    results: Path | None,
    per_case: Path | None,
    against_results: Path | None,
    against_per_case: Path | None,
    *,
    ground_truth: Path | None,
    submission: Path | None,
    against: Path | None,
) -> tuple[ReportRun, ReportRun | None, dict[str, str] | None]:
    if results is None or per_case is None:
        raise UsageError("--results and --per-case go together: give both files of one run")
    if (against_results is None) != (against_per_case is None):
        raise UsageError("--against-results and --against-per-case go together")
    if against is not None and against_results is None:
        raise UsageError(
            "--against with --results needs the saved files of that run too",
            hint="add --against-results and --against-per-case (--against then only gives "
            "its texts)",
        )
    name = submission.stem if submission is not None else results.stem
    run = _saved_run(results, per_case, submission, name=name)
    other = None
    if against_results is not None and against_per_case is not None:
        other_name = against.stem if against is not None else against_results.stem
        if other_name == name:
            other_name = f"{other_name} (2)"
        other = _saved_run(against_results, against_per_case, against, name=other_name)
    references = _texts(ground_truth, "ground truth")
    for item in (run, other):
        if item is None:
            continue
        for label, texts in (("ground truth", references), ("submission", item.hypotheses)):
            if texts is None:
                continue
            absent = [i for i in item.cases.ids if i not in texts]
            if absent:
                typer.echo(
                    f"warning: {len(absent)} case(s) of {item.name} have no text in the "
                    f"{label} file (first: {absent[0]}); their diff is left out",
                    err=True,
                )
    return run, other, references
