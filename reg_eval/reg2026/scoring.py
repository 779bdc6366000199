"""Score chain-of-thought submissions with REG 2026 Metric A, models kept loaded between calls.

Files -> validated chains -> per-case plans (edges, MESS pairs, reports; no model) -> sentence
vectors for MESS and the 2025 KEY/EMB backends for the final report (all cached) -> per-case
columns -> means and bootstrap CIs, with a signature.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from reg_eval.columns import ColumnLayout
from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.reg2026.chain import (
    ChainCase,
    load_ground_truth,
    load_predictions,
    require_valid,
)
from reg_eval.reg2026.metric_a import (
    CasePlan,
    clamp01,
    final_report_score,
    mess,
    metric_a,
    plan_case,
)
from reg_eval.reg2026.settings import get_settings
from reg_eval.scoring.alignment import Alignment, match_cases
from reg_eval.scoring.result import RunSummary
from reg_eval.scoring.scorer import cache_root_of, chosen_profile
from reg_eval.scoring_options import RunOptions, ScoringOptions
from reg_eval.signature import Signature, SignedModel

if TYPE_CHECKING:
    from reg_eval.identity import ModelIdentity
    from reg_eval.profiles import ModelSpec, Profile
    from reg_eval.scoring.scorer import Scorer

COMPUTED = "reg2026-metric-a=0.05*bpv+0.30*edgef1+0.25*mess+0.40*final_report"
SUMMARY_COLUMNS: tuple[str, ...] = ("A", "bpv", "edge_f1", "mess", "final_report")
DETAIL_COLUMNS: tuple[str, ...] = (
    "edge_precision",
    "edge_recall",
    "ordered_validity",
    "report_bleu",
    "report_rouge",
    "report_key",
    "report_emb",
)
"""Per-case columns reported beside A; ordered validity is the organisers' extra, not in A."""
METRIC_A = "metric_a"
LAYOUT = ColumnLayout(numeric=(*SUMMARY_COLUMNS, *DETAIL_COLUMNS))
"""Metric A's per-case columns; Metric B, when scored, is another family beside it."""
CLAMP = ("clamp", "0-1")
"""Every Metric A component is clamped to [0, 1] before it is weighted."""


@dataclass(frozen=True, kw_only=True)
class CotScoringOptions(RunOptions):
    """The REG 2026 scorer's options: `score-cot`, `CotScorer` and `score_cot_files` fill it."""

    profile: str | Profile = "reg2026"
    """A setup name (`reg2026`, `offline`) or a `Profile` (reg_eval.reg2026.settings)."""


@dataclass
class CotResult(RunSummary):
    """Everything a Metric A run produced; every rendering of it carries `signature`.

    `alignment` holds the scored case ids with their final reports, and what happened to
    ground-truth cases without a prediction: empty (scored as an empty chain, as the
    organisers do) or skip (left out of the mean). Metric B, when scored, is a further
    part of the result beside Metric A (`layout`, `to_dict`)."""

    signature: Signature
    alignment: Alignment
    plans: list[CasePlan]
    columns: dict[str, np.ndarray]
    organs: list[str]
    ci: dict[str, tuple[float, float]]
    by_organ: dict[str, dict[str, Any]]
    confidence: float = 0.95
    messages: list[str] = field(default_factory=list)

    @property
    def layout(self) -> dict[str, ColumnLayout]:
        return {METRIC_A: LAYOUT}

    @property
    def means(self) -> dict[str, float]:
        """Plain means over the scored cases (every ground-truth case unless --missing skip)."""
        return {
            name: sum(map(float, values)) / len(values)
            for name, values in self.columns.items()
        }

    def to_dict(self) -> dict[str, Any]:
        means = self.means
        return {
            "signature": self.signature.to_dict(),
            "n_cases": self.n_cases,
            "A": means["A"],
            "components": {name: means[name] for name in SUMMARY_COLUMNS[1:]},
            "details": {name: means[name] for name in DETAIL_COLUMNS},
            "ci": self.ci_dict(LAYOUT.numeric),
            "by_organ": self.by_organ,
            "columns": self.columns_dict(),
            "cases": self.cases_dict(),
            "metric_b": None,
        }

    def per_case_rows(self) -> list[dict[str, Any]]:
        rows = []
        for i, plan in enumerate(self.plans):
            scores = plan.edges
            rows.append({
                "id": plan.id,
                "organ": self.organs[i],
                "predicted": plan.predicted,
                **{name: float(self.columns[name][i]) for name in SUMMARY_COLUMNS},
                **{name: float(self.columns[name][i]) for name in DETAIL_COLUMNS},
                "gt_edges": len(plan.gt_edges),
                "pred_edges": len(plan.pred_edges),
                "edge_tp": scores.tp,
                "edge_fp": scores.fp,
                "edge_fn": scores.fn,
                "mess_edges": len(plan.mess_pairs),
                "mess_missing_edges": sum(p.pred_answer is None for p in plan.mess_pairs),
            })
        return rows


class CotScorer:
    """REG 2026 Metric A with the models kept loaded; models load only for uncached texts."""

    def __init__(
        self, options: CotScoringOptions | str | Profile = "reg2026", /, **changes: Any
    ) -> None:
        """`CotScorer(CotScoringOptions(...))`, or a setup with keyword options, as
        `CotScorer("reg2026", device="cuda")`: the keywords are `CotScoringOptions` fields."""
        options = CotScoringOptions.of(options, **changes)
        self.options: CotScoringOptions = options
        self.cache_root = cache_root_of(options)
        self.settings = chosen_profile(options, options.profile, get_settings)
        if options.bootstrap < 1:
            raise UsageError("--bootstrap must be at least 1")

    # -- models ------------------------------------------------------------------------------

    @cached_property
    def _model_spec(self) -> ModelSpec:
        """The one model as a transformers spec (the offline wheel is unpacked first)."""
        from reg_eval.profiles import ModelSpec

        spec = self.settings.emb
        if spec.wheel is not None:
            from reg_eval.models.offline import prepare_sentence_model

            folder = prepare_sentence_model(self.cache_root, spec.wheel)
            return ModelSpec(kind="transformers", name=str(folder))
        return ModelSpec(
            kind="transformers", name=spec.name, revision=spec.revision, gguf_file=spec.gguf_file
        )

    @cached_property
    def _report_scorer(self) -> Scorer:
        """The 2025 scorer, whose KEY and EMB backends score the final report."""
        from reg_eval.scoring import Scorer

        profile = replace(self.settings, emb=self._model_spec)
        run = {**self.options.run_fields(), "cache_dir": self.cache_root}
        return Scorer(ScoringOptions.of(profile, **run))

    @cached_property
    def _sentence_model(self) -> tuple[str, ModelIdentity]:
        """Where the MESS model loads from, and its identity (same weights as EMB)."""
        from reg_eval.identity import ModelIdentity
        from reg_eval.models.resolve import resolve_emb

        spec = self._model_spec
        if spec.gguf_file is not None:
            raise UsageError(
                f"MESS needs a sentence-transformers or transformers model folder, not the GGUF "
                f"file {spec.gguf_file}",
                hint="give --emb-model a model folder or a hub name",
            )
        resolved = resolve_emb(
            spec, precision=self.options.dtype, max_length=self.settings.emb_max_length,
            cache_root=self.cache_root,
        )
        return resolved.load_path, ModelIdentity(
            role="sent-emb",
            name=resolved.identity.name,
            revision=resolved.identity.revision,
            sha256=resolved.identity.sha256,
            precision="float32",  # sentence-transformers loads and encodes in float32
            options=(("normalize", "l2"),),
        )

    @cached_property
    def _sentence(self) -> Any:
        from reg_eval.backends.sentence import SentenceEmbeddingBackend

        path, identity = self._sentence_model
        return SentenceEmbeddingBackend(
            path,
            identity=identity,
            device=self.options.device,
            batch_size=self.options.batch_size,
            cache=self._report_scorer.feature_cache,
            progress=self.options.progress,
        )

    # -- scoring -----------------------------------------------------------------------------

    def mess_scores(self, plans: Sequence[CasePlan]) -> np.ndarray:
        """MESS per case: clamped dot products of normalised sentence vectors."""
        gt_texts: list[str] = []
        pred_texts: list[str] = []
        for plan in plans:
            for pair in plan.mess_pairs:
                if pair.pred_answer is not None:
                    gt_texts.append(pair.gt_answer)
                    pred_texts.append(pair.pred_answer)
        sims: list[float] = []
        if gt_texts:
            vectors = self._sentence.embed(gt_texts + pred_texts).astype(np.float64)
            n = len(gt_texts)
            sims = [float(v) for v in np.sum(vectors[:n] * vectors[n:], axis=1)]
        out = np.empty(len(plans), dtype=np.float64)
        position = 0
        for i, plan in enumerate(plans):
            case_sims: list[float | None] = []
            for pair in plan.mess_pairs:
                if pair.pred_answer is None:
                    case_sims.append(None)
                else:
                    case_sims.append(clamp01(sims[position]))
                    position += 1
            out[i] = mess(case_sims)
        return out

    def score_plans(
        self,
        plans: Sequence[CasePlan],
        *,
        organs: Sequence[str] | None = None,
        missing_ids: Sequence[str] = (),
        extra_ids: Sequence[str] = (),
        missing: str = "empty",
    ) -> CotResult:
        """Metric A over planned cases; `missing_ids` and `extra_ids` are only reported."""
        if not plans:
            raise InvalidInputError("the ground truth holds no case to score")
        from reg_eval.organs import organ_of
        from reg_eval.scoring.summary import summarise

        n = len(plans)
        alignment = Alignment(
            [plan.id for plan in plans],
            [plan.gt_report for plan in plans],
            [plan.pred_report for plan in plans],
            list(missing_ids),
            list(extra_ids),
            missing,
        )
        stats = self._report_scorer.case_stats(alignment.refs, alignment.hyps, alignment.ids)
        columns: dict[str, np.ndarray] = {name: np.empty(n) for name in LAYOUT.numeric}
        mess_column = self.mess_scores(plans)
        for i, plan in enumerate(plans):
            edges = plan.edges
            report = final_report_score(stats.bleu[i], stats.rouge[i], stats.key[i], stats.emb[i])
            values = {
                "bpv": plan.bpv,
                "edge_f1": edges.f1,
                "mess": float(mess_column[i]),
                "final_report": report.score,
                "edge_precision": edges.precision,
                "edge_recall": edges.recall,
                "ordered_validity": plan.ordered_validity,
                "report_bleu": report.bleu,
                "report_rouge": report.rouge,
                "report_key": report.key,
                "report_emb": report.emb,
            }
            values["A"] = metric_a(
                values["bpv"], values["edge_f1"], values["mess"], values["final_report"]
            )
            for name, value in values.items():
                columns[name][i] = value
        case_organs = list(organs) if organs is not None else [
            organ_of(plan.gt_report) for plan in plans
        ]
        ci, by_organ = summarise(
            columns, case_organs, n_resamples=self.options.bootstrap, seed=self.options.seed
        )
        cache = self._report_scorer.feature_cache
        return CotResult(
            signature=self.signature(n_cases=n, missing=missing),
            alignment=alignment,
            plans=list(plans),
            columns=columns,
            organs=case_organs,
            ci=ci,
            by_organ=by_organ,
            messages=list(cache.messages) if cache is not None else [],
        )

    def score_cases(
        self,
        ground_truth: Sequence[ChainCase],
        predictions: Sequence[ChainCase],
        *,
        missing: str = "empty",
    ) -> CotResult:
        """Ground-truth cases in their order; one without a prediction is, by `missing`:
        refused (`error`), scored as an empty chain (`empty`, as the organisers do), or left
        out of the mean (`skip`). Nothing is left out without being listed in `missing_ids`."""
        matched = match_cases(
            ground_truth, predictions, missing, id_of=lambda case: case.id,
            shown_id=lambda case: case.raw_id, empty="empty chains, as the organisers do",
        )
        plans = [
            plan_case(
                case.id,
                case.steps,
                matched.predicted[case.id].steps if case.id in matched.predicted else None,
            )
            for case in matched.scored
        ]
        from reg_eval.organs import organ_of

        organs = [case.organ or organ_of(plan.gt_report) for case, plan in
                  zip(matched.scored, plans, strict=True)]
        return self.score_plans(
            plans,
            organs=organs,
            missing_ids=[case.raw_id for case in matched.missing],
            extra_ids=[case.raw_id for case in matched.extra],
            missing=missing,
        )

    def score_files(
        self, ground_truth: str | Path, submission: str | Path, *, missing: str = "empty"
    ) -> CotResult:
        reference = require_valid(load_ground_truth(ground_truth), role="ground truth")
        predicted = require_valid(load_predictions(submission), role="submission")
        return self.score_cases(reference, predicted, missing=missing)

    def signature(self, *, n_cases: int, missing: str = "empty") -> Signature:
        from reg_eval.metrics.tokenize import TOKENISATION

        report = self._report_scorer
        return Signature.build(
            COMPUTED,
            {
                "profile": self.settings.name,
                "mess": SignedModel(self._sentence_model[1], (("similarity", "dot"), CLAMP)),
                "emb": SignedModel(report.emb_backend.identity, (("rescale", "0.5"), CLAMP)),
                "key": SignedModel(
                    report.key_backend.identity,
                    (("min_chars", str(self.settings.key_min_chars)), CLAMP),
                ),
                "final_report": "clamp01(0.15*(rouge+bleu)+0.4*key+0.3*emb)",
                "tok": TOKENISATION,
                "device": report.emb_backend.device_type,
                "dtype": self.options.dtype,
                "missing": missing,
                "n": n_cases,
                "boot": self.options.bootstrap,
                "seed": self.options.seed,
            },
            comparable_with_leaderboard=self.settings.comparable_with_leaderboard,
            not_comparable_because=self._not_comparable_because(),
        )

    def _not_comparable_because(self) -> list[str]:
        """The organisers' models in float32, as for REG 2025 (see reg_eval.comparability)."""
        from reg_eval.comparability import LEADERBOARD_PRECISION

        reasons = []
        if not self.settings.comparable_with_leaderboard:
            reasons.append(f"profile {self.settings.name} is not the organisers' setup")
        if self.options.dtype != LEADERBOARD_PRECISION:
            reasons.append(f"precision {self.options.dtype} instead of {LEADERBOARD_PRECISION}")
        return reasons


def score_cot_files(
    ground_truth: str | Path,
    submission: str | Path,
    options: CotScoringOptions | str | Profile = "reg2026",
    /,
    *,
    missing: str = "empty",
    **changes: Any,
) -> CotResult:
    """What `reg-eval score-cot` computes, callable from Python with the same defaults."""
    return CotScorer(options, **changes).score_files(ground_truth, submission, missing=missing)
