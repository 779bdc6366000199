"""`reg-eval gc-evaluate --challenge reg2026`: the REG 2026 overall score of one upload.

Metric A from the whole-slide jobs' chains of thought, Metric B from the region-of-interest
jobs' answers judged by the LLM judge, and `metrics.json` with the organisers' aggregate
names (`overall_score`, `workflow_final_ranking_score`, `visual_final_score`, ...).
"""

from __future__ import annotations

from pathlib import Path

import typer

from reg_eval.errors import UsageError
from reg_eval.reg2026.overall import OverallResult
from reg_eval.scoring_options import ScoringOptions


def gc_evaluate_reg2026(
    *,
    input_dir: Path,
    ground_truth: Path,
    output: Path,
    options: ScoringOptions,
    missing: str,
    judge_seed: int,
    voting: int,
    judge_cache_dir: Path | None,
    force: bool,
) -> OverallResult:
    """Score, write metrics.json and signature.txt, print the summary.

    `options` are gc-evaluate's: their run fields (models, device, resampling, cache) score
    Metric A, its REG 2025 profile becomes REG 2026's, and it has no metric groups; the judge
    group's `--judge`, `--judge-model` and `--judge-dtype` name Metric B's judge. The input
    limits are those the command applies while this runs."""
    from reg_eval.commands.judging import judge_cache_folder
    from reg_eval.commands.score_grounding import run_grounding
    from reg_eval.grand_challenge.evaluation import SIGNATURE_FILE
    from reg_eval.io.writers import atomic_write_text, refuse_existing, write_json
    from reg_eval.reg2026.challenge import challenge_metrics, find_inputs
    from reg_eval.reg2026.scoring import CotScorer, CotScoringOptions

    if options.metrics != "official":
        raise UsageError("--metrics names REG 2025 metric groups; REG 2026 has none",
                         hint="leave --metrics out with --challenge reg2026")
    judge = options.group_options.get("judge", {}).get("judge")
    judge_model = options.group_options.get("judge", {}).get("judge_model")
    judge_dtype = options.group_options.get("judge", {}).get("judge_dtype")
    if judge is None:
        raise UsageError("REG 2026 scores Metric B with an LLM judge: pass --judge",
                         hint="e.g. --judge transformers:/opt/ml/model/Qwen3-8B")
    output = Path(output)
    signature_file = output.parent / SIGNATURE_FILE
    refuse_existing(output, signature_file, force=force)  # before any work is done
    profile = str(getattr(options.profile, "name", options.profile))
    inputs = find_inputs(ground_truth)
    scorer = CotScorer(CotScoringOptions(
        **{**options.run_fields(), "progress": False},
        profile="reg2026" if profile == "reg2025" else profile,
    ))
    cot = scorer.score_files(inputs.metric_a, input_dir, missing=missing)
    grounding = run_grounding(
        inputs.mapping, Path(input_dir), judge, judge_model=judge_model,
        judge_seed=judge_seed, voting=voting, bootstrap=options.bootstrap, seed=options.seed,
        judge_cache_dir=judge_cache_folder(judge_cache_dir, options.cache_dir),
        judge_dtype=judge_dtype,
        manifest=inputs.manifest, device=options.device, use_cache=options.cache,
    )
    result = OverallResult.of(cot, grounding)
    metrics = challenge_metrics(result)
    write_json(output, metrics, force=force)
    atomic_write_text(signature_file, result.signature.format() + "\n", force=force)
    for message in result.messages:
        typer.echo(f"note: {message}", err=True)
    aggregates = metrics["aggregates"]
    typer.echo("challenge: reg2026")
    typer.echo(f"cases scored (Metric A): {aggregates['n_cases']}")
    typer.echo(f"A: {aggregates['workflow_final_ranking_score']:.4f}   "
               f"B: {aggregates['visual_final_score']:.4f}   "
               f"overall: {aggregates['overall_score']:.4f}")
    typer.echo(f"metrics: {output}")
    typer.echo(f"signature: {result.signature.format()}")
    return result
