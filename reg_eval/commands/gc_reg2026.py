"""`reg-eval gc-evaluate --challenge reg2026`: the REG 2026 overall score of one upload.

Metric A from the whole-slide jobs' chains of thought, Metric B from the region-of-interest
jobs' answers judged by the LLM judge, and `metrics.json` with the organisers' aggregate
names (`overall_score`, `workflow_final_ranking_score`, `visual_final_score`, ...).
"""

from __future__ import annotations

from pathlib import Path

import typer

from reg_eval.errors import UsageError
from reg_eval.io.limits import Limits, limits_applied
from reg_eval.reg2026.overall import OverallResult

SIGNATURE_FILE = "signature.txt"


def gc_evaluate_reg2026(
    *,
    input_dir: Path,
    ground_truth: Path,
    output: Path,
    profile: str,
    missing: str,
    judge: str | None,
    judge_model: str | None,
    judge_seed: int,
    voting: int,
    judge_cache_dir: Path | None,
    bootstrap: int,
    seed: int,
    device: str,
    dtype: str,
    batch_size: int,
    emb_model: str | None,
    key_model: str | None,
    cache: bool,
    cache_dir: Path | None,
    force: bool,
    limits: Limits,
) -> OverallResult:
    """Score, write metrics.json and signature.txt, print the summary."""
    from reg_eval.commands.score_grounding import run_grounding
    from reg_eval.io.writers import atomic_write_text, write_json
    from reg_eval.reg2026.challenge import challenge_metrics, find_inputs
    from reg_eval.reg2026.scoring import CotScorer, CotScoringOptions

    if judge is None:
        raise UsageError("REG 2026 scores Metric B with an LLM judge: pass --judge",
                         hint="e.g. --judge transformers:/opt/ml/model/Qwen3-8B")
    output = Path(output)
    signature_file = output.parent / SIGNATURE_FILE
    for target in (output, signature_file):
        if target.exists() and not force:
            raise UsageError(f"{target} already exists", hint="pass --force to overwrite it")
    with limits_applied(limits):
        inputs = find_inputs(ground_truth)
        scorer = CotScorer(CotScoringOptions(
            profile="reg2026" if profile == "reg2025" else profile, emb_model=emb_model,
            key_model=key_model, device=device, dtype=dtype, batch_size=batch_size,
            cache=cache, cache_dir=cache_dir, bootstrap=bootstrap, seed=seed, progress=False,
        ))
        cot = scorer.score_files(inputs.metric_a, input_dir, missing=missing)
        grounding = run_grounding(
            inputs.mapping, Path(input_dir), judge, judge_model=judge_model,
            judge_seed=judge_seed, voting=voting, bootstrap=bootstrap, seed=seed,
            judge_cache_dir=judge_cache_dir, manifest=inputs.manifest,
        )
    result = OverallResult.of(cot, grounding)
    metrics = challenge_metrics(result)
    write_json(output, metrics, force=True)
    atomic_write_text(signature_file, result.signature.format() + "\n", force=True)
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
