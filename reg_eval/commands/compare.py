"""`reg-eval compare`: is run B really better than run A? Paired tests on per-case scores."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from reg_eval.commands.guard import guarded
from reg_eval.commands.options import (
    BatchSizeOption,
    BertScoreLayerOption,
    BertScoreModelOption,
    BertScoreRescaleOption,
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
from reg_eval.errors import UsageError
from reg_eval.io.limits import (
    DEFAULT_MAX_CASES,
    DEFAULT_MAX_DECOMPRESSED_MB,
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_REPORT_CHARS,
    DEFAULT_MAX_UPLOAD_MB,
)
from reg_eval.io.writers import refuse_existing
from reg_eval.scoring_options import DEFAULT_METRICS, DEFAULT_SEED, ScoringOptions


@guarded
@applies_input_limits
def compare_command(
    submissions: Annotated[
        list[Path],
        typer.Argument(help="Two or more submissions; the first is the baseline."),
    ],
    ground_truth: Annotated[Path, typer.Option("--ground-truth", "-g", help="Ground-truth JSON.")],
    test: Annotated[
        str,
        typer.Option(
            "--test", help="ar: paired approximate randomization; bs: paired bootstrap."
        ),
    ] = "ar",
    n: Annotated[int, typer.Option("--n", help="Trials (ar) or resamples (bs).")] = 10_000,
    seed: SeedOption = DEFAULT_SEED,
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
        Path | None, typer.Option("--output", "-o", help="Write the comparison as JSON.")
    ] = None,
    batch_size: BatchSizeOption = 16,
    device: DeviceOption = "auto",
    dtype: DtypeOption = "float32",
    emb_model: EmbModelOption = None,
    key_model: KeyModelOption = None,
    no_cache: NoCacheOption = False,
    cache_dir: CacheDirOption = None,
    output_format: Annotated[
        str, typer.Option("--format", help="text (table) or json.")
    ] = "text",
    force: ForceOption = False,
    quiet: QuietOption = False,
    max_upload_mb: MaxUploadMbOption = DEFAULT_MAX_UPLOAD_MB,
    max_decompressed_mb: MaxDecompressedMbOption = DEFAULT_MAX_DECOMPRESSED_MB,
    max_depth: MaxDepthOption = DEFAULT_MAX_DEPTH,
    max_report_chars: MaxReportCharsOption = DEFAULT_MAX_REPORT_CHARS,
    max_cases: MaxCasesOption = DEFAULT_MAX_CASES,
) -> None:
    """Compare runs against a baseline with paired significance tests.

    Each run is scored once (the cache makes shared texts free); the tests then resample
    the per-case statistics. With more than two runs, p-values are Holm-adjusted per metric.
    """
    from reg_eval.comparison import compare_results

    if output_format not in ("text", "json"):
        raise UsageError(f"unknown --format {output_format!r}", hint="use text or json")
    if len(submissions) < 2:
        raise UsageError("compare needs at least two submissions: the baseline first")
    refuse_existing(output, force=force)
    from reg_eval.scoring import Scorer

    scorer = Scorer(
        ScoringOptions(
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
            seed=seed,
            progress=not quiet,
        )
    )
    results = [scorer.score_files(ground_truth, path, missing=missing) for path in submissions]
    comparison = compare_results(
        [path.name for path in submissions], results, test=test, n=n, seed=seed
    )
    if output is not None:
        from reg_eval.io.writers import write_json

        write_json(output, comparison.to_dict(), force=force)
    if output_format == "json":
        typer.echo(json.dumps(comparison.to_dict(), indent=2, ensure_ascii=False))
    else:
        from reg_eval.commands.render import make_console, print_comparison

        print_comparison(make_console(), comparison)
