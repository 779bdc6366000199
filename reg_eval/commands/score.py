"""`reg-eval score`: the official REG 2025 score of one submission, with CIs and signature."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reg_eval.commands.guard import guarded
from reg_eval.commands.options import (
    BatchSizeOption,
    BertScoreLayerOption,
    BertScoreModelOption,
    BertScoreRescaleOption,
    BootstrapOption,
    CacheDirOption,
    ClinicalSoftOption,
    DeviceOption,
    DtypeOption,
    EmbModelOption,
    ForceOption,
    JudgeModelOption,
    JudgeOption,
    KeyModelOption,
    MaxCasesOption,
    MaxDecompressedMbOption,
    MaxDepthOption,
    MaxReportCharsOption,
    MaxUploadMbOption,
    MetricsOption,
    MissingOption,
    NoCacheOption,
    ProfileOption,
    QuietOption,
    RougeStemmerOption,
    SeedOption,
    SemanticModelOption,
    applies_input_limits,
    group_options,
)
from reg_eval.commands.results import check_result_outputs, deliver_result
from reg_eval.io.limits import (
    DEFAULT_MAX_CASES,
    DEFAULT_MAX_DECOMPRESSED_MB,
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_REPORT_CHARS,
    DEFAULT_MAX_UPLOAD_MB,
)
from reg_eval.scoring_options import (
    DEFAULT_BOOTSTRAP,
    DEFAULT_METRICS,
    DEFAULT_SEED,
    ScoringOptions,
)


@guarded
@applies_input_limits
def score_command(
    ground_truth: Annotated[
        Path, typer.Option("--ground-truth", "-g", help="Ground-truth JSON (same format).")
    ],
    submission: Annotated[
        Path, typer.Option("--submission", "-s", help="Submission JSON: [{id, report}, ...].")
    ],
    profile: ProfileOption = "offline",
    metrics: MetricsOption = DEFAULT_METRICS,
    semantic_model: SemanticModelOption = None,
    bertscore_model: BertScoreModelOption = None,
    bertscore_layer: BertScoreLayerOption = None,
    bertscore_rescale: BertScoreRescaleOption = False,
    rouge_stemmer: RougeStemmerOption = False,
    clinical_soft: ClinicalSoftOption = False,
    judge: JudgeOption = None,
    judge_model: JudgeModelOption = None,
    missing: MissingOption = "error",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the result as JSON.")
    ] = None,
    per_case: Annotated[
        Path | None,
        typer.Option("--per-case", help="Write one row per case (.jsonl or .csv)."),
    ] = None,
    bootstrap: BootstrapOption = DEFAULT_BOOTSTRAP,
    seed: SeedOption = DEFAULT_SEED,
    batch_size: BatchSizeOption = 16,
    device: DeviceOption = "auto",
    dtype: DtypeOption = "float32",
    emb_model: EmbModelOption = None,
    key_model: KeyModelOption = None,
    no_cache: NoCacheOption = False,
    cache_dir: CacheDirOption = None,
    output_format: Annotated[
        str, typer.Option("--format", help="text (tables) or json (the --output object).")
    ] = "text",
    force: ForceOption = False,
    quiet: QuietOption = False,
    max_upload_mb: MaxUploadMbOption = DEFAULT_MAX_UPLOAD_MB,
    max_decompressed_mb: MaxDecompressedMbOption = DEFAULT_MAX_DECOMPRESSED_MB,
    max_depth: MaxDepthOption = DEFAULT_MAX_DEPTH,
    max_report_chars: MaxReportCharsOption = DEFAULT_MAX_REPORT_CHARS,
    max_cases: MaxCasesOption = DEFAULT_MAX_CASES,
) -> None:
    """Score a submission with the official REG 2025 formula.

    ranking = 0.15*(ROUGE+BLEU) + 0.4*KEY + 0.3*EMB per case, averaged. Validation runs
    first; missing cases are an error unless --missing says otherwise. Every printed number
    carries a signature naming the models, precision, tokenisation and version.
    """
    check_result_outputs(output_format, output, per_case, force=force)
    from reg_eval.scoring import Scorer

    options = ScoringOptions(
        profile=profile,
        metrics=metrics,
        group_options=group_options(
            semantic_model=semantic_model,
            bertscore_model=bertscore_model,
            bertscore_layer=bertscore_layer,
            bertscore_rescale=bertscore_rescale,
            rouge_stemmer=rouge_stemmer,
            clinical_soft=clinical_soft,
            judge=judge,
            judge_model=judge_model,
        ),
        emb_model=emb_model,
        key_model=key_model,
        device=device,
        dtype=dtype,
        batch_size=batch_size,
        cache=not no_cache,
        cache_dir=cache_dir,
        bootstrap=bootstrap,
        seed=seed,
        progress=not quiet,
    )
    result = Scorer(options).score_files(ground_truth, submission, missing=missing)

    def print_text() -> None:
        from reg_eval.commands.render import make_console, print_score

        print_score(make_console(), result, label=submission.name)

    deliver_result(
        result, output=output, per_case=per_case, force=force, output_format=output_format,
        print_text=print_text,
    )
