"""`reg-eval score-cot`: REG 2026 Metric A of a chain-of-thought submission, with CIs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from reg_eval.commands.guard import guarded
from reg_eval.commands.judging import (
    DEFAULT_JUDGE_SEED,
    JudgeCacheDirOption,
    JudgeSeedOption,
    VotingOption,
    judge_cache_folder,
)
from reg_eval.commands.options import (
    DEFAULT_JUDGE_DTYPE,
    SHARED,
    ForceOption,
    JudgeDtypeOption,
    JudgeModelOption,
    MetricBJudgeOption,
    PerCaseOutputOption,
    ResultFormatOption,
    ResultOutputOption,
    SharedOption,
    profile_option,
    scoring_command,
)
from reg_eval.commands.render import means_table
from reg_eval.commands.results import check_result_outputs, deliver_result
from reg_eval.reg2026.scoring import (
    DETAIL_COLUMNS,
    SUMMARY_COLUMNS,
    CotResult,
    CotScorer,
    CotScoringOptions,
)
from reg_eval.reg2026.settings import SETTINGS

COT_OPTIONS = (
    profile_option(
        f"Scoring setup: {', '.join(SETTINGS)}. 'offline' needs no hub access but is not "
        "comparable with REG 2026.",
        CotScoringOptions().profile,
    ),
    SharedOption(
        SHARED["emb_model"].name,
        Annotated[
            str | None,
            typer.Option(
                "--emb-model",
                help="Override the one embedding model (MESS and EMB): a hub name[@revision] "
                "or a local model folder.",
            ),
        ],
        SHARED["emb_model"].default,
    ),
)
"""REG 2026 names its own setups, and one embedding model serves MESS and EMB."""

_LABELS = {
    "A": "Metric A",
    "bpv": "BPV (0.05)",
    "edge_f1": "EdgeF1 (0.30)",
    "mess": "MESS (0.25)",
    "final_report": "FinalReport (0.40)",
    "edge_precision": "edge precision",
    "edge_recall": "edge recall",
    "ordered_validity": "ordered path validity*",
    "report_bleu": "report BLEU-4 (clamped)",
    "report_rouge": "report ROUGE-L",
    "report_key": "report KEY",
    "report_emb": "report EMB (clamped)",
}


@guarded
@scoring_command(CotScoringOptions, replace=COT_OPTIONS)
def score_cot_command(
    ground_truth: Annotated[
        Path,
        typer.Option(
            "--ground-truth", "-g",
            help='Ground truth: a JSON list of {"id", "chain-of-thought": [...]}, or a folder '
            "of such files.",
        ),
    ],
    submission: Annotated[
        Path,
        typer.Option(
            "--submission", "-s",
            help="A folder of <id>.json, <id>/chain-of-thought.json or "
            "<id>/output/chain-of-thought.json files; an algorithm phase's input folder (the "
            "job list predictions.json beside <pk>/output/chain-of-thought.json); or one JSON "
            "file listing cases with ids.",
        ),
    ],
    output: ResultOutputOption = None,
    per_case: PerCaseOutputOption = None,
    missing: Annotated[
        str,
        typer.Option(
            "--missing",
            help="Ground-truth cases without a prediction: 'empty' (scored as an empty chain, "
            "as the organisers do), 'error' (refuse), 'skip' (leave out of the mean).",
        ),
    ] = "empty",
    output_format: ResultFormatOption = "text",
    force: ForceOption = False,
    grounding_mapping: Annotated[
        Path | None,
        typer.Option("--grounding-mapping", help="Metric B too: the ROI mapping "
                     "(rois_mapping.txt). With --grounding-answers and --judge, prints A, B and "
                     "Overall = 0.7*A + 0.3*B."),
    ] = None,
    grounding_answers: Annotated[
        Path | None,
        typer.Option("--grounding-answers", help="Metric B answers: a JSON list of {id, image, "
                     "question, answer}, or an algorithm phase's input folder."),
    ] = None,
    judge: MetricBJudgeOption = None,
    judge_model: JudgeModelOption = None,
    judge_dtype: JudgeDtypeOption = DEFAULT_JUDGE_DTYPE,
    judge_seed: JudgeSeedOption = DEFAULT_JUDGE_SEED,
    voting: VotingOption = 1,
    judge_cache_dir: JudgeCacheDirOption = None,
    *,
    options: CotScoringOptions,
) -> None:
    """Score a chain-of-thought submission with REG 2026 Metric A.

    A = 0.05*BPV + 0.30*EdgeF1 + 0.25*MESS + 0.40*FinalReport per case, averaged over every
    ground-truth case (a missing case is scored as an empty chain, unless --missing says
    otherwise). With --grounding-mapping, --grounding-answers and --judge, Metric B and the
    overall score 0.7*A + 0.3*B too; without them Metric B is not computed.
    """
    from reg_eval.commands.score_grounding import grounding_requested

    with_grounding = grounding_requested(grounding_mapping, grounding_answers, judge, per_case)
    check_result_outputs(output_format, output, per_case, force=force)
    scorer = CotScorer(options)
    result = scorer.score_files(ground_truth, submission, missing=missing)
    if with_grounding:
        from reg_eval.commands.score_grounding import print_overall, run_grounding
        from reg_eval.reg2026.overall import OverallResult

        assert grounding_mapping and grounding_answers and judge
        combined = OverallResult.of(result, run_grounding(
            grounding_mapping, grounding_answers, judge, judge_model=judge_model,
            judge_seed=judge_seed, voting=voting, bootstrap=options.bootstrap, seed=options.seed,
            judge_cache_dir=judge_cache_folder(judge_cache_dir, options.cache_dir),
            judge_dtype=judge_dtype, device=options.device,
            use_cache=options.cache, progress=options.progress,
        ))
        deliver_result(
            combined, output=output, per_case=per_case, force=force,
            output_format=output_format,
            print_text=lambda: print_overall(Console(), combined, label=submission.name),
        )
        return
    deliver_result(
        result, output=output, per_case=per_case, force=force, output_format=output_format,
        print_text=lambda: print_cot_score(Console(), result, label=submission.name),
    )


def print_cot_score(
    console: Console, result: CotResult, *, label: str = "", with_grounding: bool = False
) -> None:
    sig = result.signature
    if not sig.comparable_with_leaderboard:
        console.print(
            f"[bold yellow]Profile {sig.get('profile')}: NOT comparable with REG 2026 "
            "(other models than the organisers').[/]"
        )
    console.print(means_table(
        "REG 2026 Metric A", result, (*SUMMARY_COLUMNS, *DETAIL_COLUMNS), _LABELS, label=label
    ))
    treated = {"empty": "scored as empty chains", "skip": "left out", "error": "refused"}
    console.print(
        f"n cases: {result.n_cases}   missing ({treated[result.missing_policy]}): "
        f"{len(result.missing_ids)}   extra ids ignored: {len(result.extra_ids)}"
    )
    if with_grounding:  # Metric B and the one signature follow
        console.print("* ordered path validity is reported by the organisers but not part of A.")
        return
    console.print(
        "* ordered path validity is reported by the organisers but not part of A. "
        "Metric B (0.30 of the overall score) is not computed."
    )
    console.print(f"signature: {sig.format()}", soft_wrap=True)
