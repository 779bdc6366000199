"""What the `evaluate` module computes, kept in the package so the script stays a thin shell.

The script is copied into the `evaluate` modules cache before it runs, so it cannot read
files beside itself; everything it needs is imported from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reg_eval.errors import UsageError

DESCRIPTION = """\
The MICCAI REG 2025 ranking score for generated pathology reports:
0.15 * (ROUGE + BLEU) + 0.4 * KEY + 0.3 * EMB, per case, averaged over cases, computed by
reg-eval exactly as the challenge platform does. Every result carries a signature that names
the models, their revisions or hashes, and the tokenisation.
"""

CITATION = """\
@misc{reg2025,
  title = {MICCAI 2025 REG: Report Generation for whole-slide images},
  note = {Official scoring reproduced by reg-eval},
  year = {2025}
}
"""

KWARGS_DESCRIPTION = """\
Args:
    predictions: generated reports, one string per case.
    references: reference reports, one string per case, in the same order.
    profile: "offline" (default; shipped models, not comparable with the leaderboard),
        "reg2025" (the leaderboard's models) or "reg2025-dev".
    metrics: extra metric groups beside the official score, e.g. "official,clinical".
    emb_model: override the EMB model (hub name[@revision], a folder, or a .gguf file).
    key_model: override the KEY spaCy pipeline (a package name or a saved folder).
    device: "auto", "cpu" or "cuda".  dtype: "float32" (official), "bfloat16", "float16".
    batch_size, cache_dir, cache: as for reg_eval.Scorer.
    ids: optional case ids, one per prediction, used in per-case rows.
    per_case: when True, also return one row per case.
Returns:
    ranking: the mean ranking score.
    components: mean bleu, rouge, key and emb.
    ci: 95% bootstrap intervals of each.
    signature: what was computed, with which models (one line).
    comparable_with_leaderboard: whether the numbers may sit beside the official table.
    n_cases: how many pairs were scored.
    metrics: with extra groups, each group's column means.
    headlines: with extra groups that have one, the column that stands for the group and
        its mean ({"clinical": {"column": "clinical_weighted", "mean": ...}}); the group's
        other columns are diagnostics.
    per_case: with per_case=True, one row per case (id, organ, the official columns and
        ranking, keywords matched, missed and extra, each extra group's columns and details).
Examples:
    >>> import evaluate, reg_eval.hf_metric
    >>> metric = evaluate.load(str(reg_eval.hf_metric.metric_path()))
    >>> result = metric.compute(predictions=["Lung, biopsy;\\n  Adenocarcinoma"],
    ...                         references=["Lung, biopsy;\\n  Adenocarcinoma"])
    >>> sorted(result)[:3]
    ['ci', 'comparable_with_leaderboard', 'components']
"""

SCORER_OPTIONS = (
    "metrics",
    "emb_model",
    "key_model",
    "device",
    "dtype",
    "batch_size",
    "cache",
    "cache_dir",
    "bootstrap",
    "seed",
)


def compute_reg2025(
    predictions: Sequence[str],
    references: Sequence[str],
    *,
    profile: str = "offline",
    ids: Sequence[str] | None = None,
    per_case: bool = False,
    **scorer_options: Any,
) -> dict[str, Any]:
    """The official score of parallel lists, with the scorer shared across calls."""
    from reg_eval.io.texts import checked_texts
    from reg_eval.rewards import shared_scorer
    from reg_eval.scoring import SUMMARY_COLUMNS

    unknown = sorted(set(scorer_options) - set(SCORER_OPTIONS))
    if unknown:
        raise UsageError(
            f"unknown option(s) for the reg2025 metric: {', '.join(unknown)}",
            hint=f"use profile, ids, per_case, {', '.join(SCORER_OPTIONS)}",
        )
    options = {k: (str(v) if k == "cache_dir" else v) for k, v in scorer_options.items()}
    # A None (a row without a report) is an error, never an empty report.
    names = list(ids) if ids is not None else None
    predictions = checked_texts(predictions, "predictions", names=names)
    references = checked_texts(references, "references", names=names)
    if not predictions:
        raise UsageError("no predictions to score", hint="pass at least one prediction")
    result = shared_scorer(profile, **options)(references, predictions, ids=ids)
    summary = result.to_dict()
    output: dict[str, Any] = {
        "ranking": summary["ranking"],
        "components": summary["components"],
        "ci": {name: summary["ci"][name] for name in SUMMARY_COLUMNS},
        "signature": result.signature.format(),
        "comparable_with_leaderboard": result.signature.comparable_with_leaderboard,
        "n_cases": result.n_cases,
    }
    if summary["metrics"]:
        output["metrics"] = {
            name: group["means"] for name, group in summary["metrics"].items()
        }
        output["headlines"] = {
            name: {"column": group["headline"], "mean": group["means"][group["headline"]]}
            for name, group in summary["metrics"].items()
            if group.get("headline")
        }
    if per_case:
        output["per_case"] = result.per_case_rows()
    return output
