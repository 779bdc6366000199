"""`reg-eval score-grounding`: REG 2026 Metric B of a set of ROI answers, judged by an LLM."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from reg_eval.commands import judging
from reg_eval.commands.guard import guarded
from reg_eval.commands.judging import (
    DEFAULT_JUDGE_SEED,
    JudgeCacheDirOption,
    JudgeSeedOption,
    VotingOption,
)
from reg_eval.commands.options import (
    DEFAULT_JUDGE_DTYPE,
    METRIC_B_JUDGE_HELP,
    BootstrapOption,
    DeviceOption,
    ForceOption,
    JudgeDtypeOption,
    JudgeModelOption,
    NoCacheOption,
    QuietOption,
    ResultFormatOption,
    ResultOutputOption,
    SeedOption,
    input_limits,
)
from reg_eval.commands.results import check_result_outputs, deliver_result
from reg_eval.errors import UsageError
from reg_eval.reg2026.grounding import GroundingResult
from reg_eval.reg2026.overall import OverallResult
from reg_eval.scoring_options import DEFAULT_BOOTSTRAP, DEFAULT_SEED

MappingOption = Annotated[
    Path,
    typer.Option("--mapping", "-m", help="The ROI mapping, rois_mapping.txt (tab-separated, "
                 "the organisers' columns)."),
]
AnswersOption = Annotated[
    Path,
    typer.Option("--answers", "-a", help='The answers: a JSON list of {"id", "image", '
                 '"question", "answer"}, or an algorithm phase\'s input folder (predictions.json '
                 "and each job's visual-context-response)."),
]
ManifestOption = Annotated[
    Path | None,
    typer.Option("--manifest", help="With a job folder: the organisers' manifest.json that "
                 "gives each job its case title (else the ROI image input's name is used)."),
]
_LABELS = {"B": "Metric B", "B1": "B1 background rejection (0.3)",
           "B2": "B2 input sensitivity (0.3)", "B3": "B3 cross-region consistency (0.4)"}


def run_grounding(
    mapping: Path, answers: Path, judge_spec: str, *, judge_model: str | None,
    judge_seed: int, voting: int, bootstrap: int, seed: int, judge_cache_dir: Path | None,
    judge_dtype: str = DEFAULT_JUDGE_DTYPE, manifest: Path | None = None,
    device: str = "auto", use_cache: bool = True,
    progress: bool = False, batch_size: int | None = None,
) -> GroundingResult:
    """Read, check, then judge and score (shared with `score-cot` and `gc-evaluate`): the
    inputs' errors are raised before a judge model is resolved or loaded. `device`,
    `use_cache`, `progress` and `batch_size` are the judge's (see `judging.make_judge`)."""
    from reg_eval.io.grounding import read_mapping, require_valid
    from reg_eval.io.grounding_jobs import answers_from_jobs
    from reg_eval.reg2026.grounding import load_answers, score_grounding

    table = read_mapping(mapping)
    require_valid(table, "ROI mapping")
    if answers.is_dir():
        loaded = answers_from_jobs(answers, table, manifest=manifest)
    else:
        loaded = load_answers(answers, table)
    require_valid(loaded, "answers")
    judge = judging.make_judge(judge_spec, model=judge_model, seed=judge_seed,
                               cache_dir=judge_cache_dir, dtype=judge_dtype, device=device,
                               use_cache=use_cache, progress=progress, batch_size=batch_size)
    return score_grounding(table, loaded, judge, voting=voting, n_bootstrap=bootstrap,
                           seed=seed)


@guarded
@input_limits("max_upload_mb", "max_depth", "max_report_chars", "max_cases")
def score_grounding_command(
    mapping: MappingOption,
    answers: AnswersOption,
    judge: Annotated[str, typer.Option("--judge", help=METRIC_B_JUDGE_HELP)],
    judge_model: JudgeModelOption = None,
    judge_dtype: JudgeDtypeOption = DEFAULT_JUDGE_DTYPE,
    judge_seed: JudgeSeedOption = DEFAULT_JUDGE_SEED,
    voting: VotingOption = 1,
    judge_cache_dir: JudgeCacheDirOption = None,
    device: DeviceOption = "auto",
    no_cache: NoCacheOption = False,
    quiet: QuietOption = False,
    manifest: ManifestOption = None,
    output: ResultOutputOption = None,
    per_case: Annotated[
        Path | None,
        typer.Option("--per-case", help="One row per ROI or pair, with the judge's verdict, "
                     "its raw answer and its reasoning (.jsonl or .csv)."),
    ] = None,
    bootstrap: BootstrapOption = DEFAULT_BOOTSTRAP,
    seed: SeedOption = DEFAULT_SEED,
    output_format: ResultFormatOption = "text",
    force: ForceOption = False,
) -> None:
    """Score ROI answers with REG 2026 Metric B: B = 0.3*B1 + 0.3*B2 + 0.4*B3.

    B1: background ROIs must get no tissue claims (background judge). B2: an original and its
    perturbed ROI should get the same answer. B3: a tissue ROI and a background ROI must get
    different answers, and the background one must be right. An answer that is missing, or
    whose image or question differs from the mapping, scores 0 and is listed.
    """
    check_result_outputs(output_format, output, per_case, force=force)
    result = run_grounding(
        mapping, answers, judge, judge_model=judge_model, judge_seed=judge_seed,
        voting=voting, bootstrap=bootstrap, seed=seed, judge_cache_dir=judge_cache_dir,
        judge_dtype=judge_dtype, manifest=manifest,
        device=device, use_cache=not no_cache, progress=not quiet,
    )
    deliver_result(
        result, output=output, per_case=per_case, force=force,
        output_format=output_format,
        print_text=lambda: print_grounding(Console(), result, label=answers.name),
    )


def print_grounding(console: Console, result: GroundingResult, *, label: str = "",
                    signature: bool = True) -> None:
    """The Metric B table, the spread between judge samples, the missing rows, the signature."""
    data = result.to_dict()
    pct = round(data["ci"]["confidence"] * 100)
    table = Table(title=f"REG 2026 Metric B{(' — ' + label) if label else ''}",
                  title_justify="left")
    table.add_column("metric")
    table.add_column("mean", justify="right")
    table.add_column(f"{pct}% CI", justify="right")
    table.add_column("n", justify="right")
    for name in ("B", "B1", "B2", "B3"):
        value = data["B"] if name == "B" else data["parts"][name]
        ci = data["ci"][name]
        n = "" if name == "B" else str(data["n"][name])
        table.add_row(_LABELS[name], f"{value:.4f}",
                      f"[{ci[0]:.4f}, {ci[1]:.4f}]" if ci else "—", n)
    console.print(table)
    spread = data["judge_spread"]
    if spread["B_sd"] is None:
        console.print("judge spread: one sample (--voting 1); pass --voting 3 or more to see "
                      "how much B moves between judge samples")
    else:
        console.print(
            f"judge spread over {spread['samples']} samples: B from {spread['B_min']:.4f} to "
            f"{spread['B_max']:.4f} (sd {spread['B_sd']:.4f}); votes agreeing: "
            f"{data['vote_agreement']:.1%}"
        )
    missing = data["missing"]
    console.print(
        "scored 0 for a missing or mismatched answer: "
        + ", ".join(f"{name} {len(missing[name])}" for name in ("B1", "B2", "B3"))
        + f"   unparseable verdicts: {data['unparseable_verdicts']}"
    )
    if signature:
        reasons = result.signature.not_comparable_because
        if reasons:
            console.print("[yellow]not comparable with the challenge's B: "
                          + "; ".join(reasons) + "[/]")
        console.print(f"signature: {result.signature.format()}", soft_wrap=True)


def grounding_requested(
    mapping: Path | None, answers: Path | None, judge: str | None, per_case: Path | None
) -> bool:
    """Whether `score-cot` also scores Metric B: all three of its options, or none."""
    given = {"--grounding-mapping": mapping, "--grounding-answers": answers, "--judge": judge}
    if not any(value is not None for value in given.values()):
        return False
    absent = [name for name, value in given.items() if value is None]
    if absent:
        raise UsageError(
            f"Metric B needs {', '.join(absent)} as well",
            hint="pass --grounding-mapping, --grounding-answers and --judge together, or none",
        )
    if per_case is not None and per_case.suffix.lower() == ".csv":
        raise UsageError(
            "--per-case with Metric B writes case rows and ROI rows of different columns",
            hint="use a .jsonl file",
        )
    return True


def print_overall(console: Console, result: OverallResult, *, label: str = "") -> None:
    """Metric A's tables, Metric B's, then the overall score and the one signature."""
    from reg_eval.commands.score_cot import print_cot_score

    print_cot_score(console, result.cot, label=label, with_grounding=True)
    print_grounding(console, result.grounding, signature=False)
    console.print(
        f"[bold]REG 2026 overall = 0.7·A + 0.3·B = 0.7·{result.a:.4f} + 0.3·{result.b:.4f} = "
        f"{result.overall:.4f}[/]"
    )
    console.print(f"signature: {result.signature.format()}", soft_wrap=True)
