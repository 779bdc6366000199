"""The official REG 2025 score with models kept loaded: the one path the CLI and the API share.

Aligned (reference, hypothesis) pairs -> entities and vectors from the backends (cached) ->
per-case statistics -> the metric groups -> means, bootstrap CIs and per-organ tables, with a
signature.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reg_eval.cache import cache_root
from reg_eval.errors import UsageError
from reg_eval.groups import OFFICIAL, GroupResult, ScoringContext, load_group, parse_metric_groups
from reg_eval.organs import organ_of
from reg_eval.profiles import Profile, get_profile
from reg_eval.scoring.alignment import Alignment, align_cases, align_texts, load_valid_cases
from reg_eval.scoring.result import ScoreResult, case_columns
from reg_eval.scoring.summary import summarise
from reg_eval.scoring_options import RunOptions, ScoringOptions
from reg_eval.signature import Signature, SignedModel

if TYPE_CHECKING:
    from reg_eval.backends.embeddings import TransformersEmbeddingBackend
    from reg_eval.backends.entities import SpacyEntityBackend
    from reg_eval.cache import FeatureCache
    from reg_eval.metrics.official import OfficialCaseStats

OVERLAP_MIN_CORES = 4
"""Load the EMB model beside the KEY entities only with this many cores: on 2 shared cores
the two compete and the overlap measured no gain (docs/performance.md)."""


def cache_root_of(options: RunOptions) -> Path:
    """Where the feature cache and prepared models live for these options."""
    return cache_root(options.cache_dir)


def chosen_profile(
    options: RunOptions, named: str | Profile, lookup: Callable[[str], Profile]
) -> Profile:
    """The profile a run uses: `named` (a name found by the edition's `lookup`, or a
    `Profile`) with the options' model overrides, which break leaderboard parity."""
    base = lookup(named) if isinstance(named, str) else named
    return base.with_models(emb=options.emb_model, key=options.key_model)


class Scorer:
    """The official REG score with models kept loaded between calls.

    Models load lazily and only for texts the cache does not hold, so scoring a second
    submission against the same ground truth embeds only its new reports.
    """

    def __init__(
        self, options: ScoringOptions | str | Profile = "offline", /, **changes: Any
    ) -> None:
        """`Scorer(ScoringOptions(...))`, or a profile with keyword options, as
        `Scorer("offline", device="cpu")`: the keywords are `ScoringOptions` fields."""
        options = ScoringOptions.of(options, **changes)
        self.options: ScoringOptions = options
        self.cache_root = cache_root_of(options)
        self.profile = chosen_profile(options, options.profile, get_profile)
        from reg_eval.backends.devices import check_device_name, check_dtype_name

        check_device_name(options.device)
        check_dtype_name(options.dtype)
        if options.batch_size < 1:
            raise UsageError("--batch-size must be at least 1")
        if options.bootstrap < 1:
            raise UsageError("--bootstrap must be at least 1")
        self.metric_groups = parse_metric_groups(options.metrics)
        self.group_options = options.group_options

    @cached_property
    def _groups(self) -> dict[str, Any]:
        return {
            name: load_group(name, **self.group_options.get(name, {}))
            for name in self.metric_groups
            if name != OFFICIAL
        }

    @cached_property
    def feature_cache(self) -> FeatureCache | None:
        if not self.options.cache:
            return None
        from reg_eval.cache import FeatureCache

        return FeatureCache(self.cache_root)

    @cached_property
    def emb_backend(self) -> TransformersEmbeddingBackend:
        """The EMB model, loaded on first use (only for texts the cache lacks)."""
        from reg_eval.backends.embeddings import TransformersEmbeddingBackend
        from reg_eval.models.resolve import resolve_emb

        resolved = resolve_emb(
            self.profile.emb,
            precision=self.options.dtype,
            max_length=self.profile.emb_max_length,
            cache_root=self.cache_root,
        )
        return TransformersEmbeddingBackend(
            resolved.load_path,
            identity=resolved.identity,
            gguf_file=resolved.gguf_file,
            revision=resolved.revision,
            device=self.options.device,
            dtype=self.options.dtype,
            batch_size=self.options.batch_size,
            max_length=self.profile.emb_max_length,
            cache=self.feature_cache,
            progress=self.options.progress,
        )

    @cached_property
    def key_backend(self) -> SpacyEntityBackend:
        """The KEY pipeline, loaded on first use (only for texts the cache lacks)."""
        from reg_eval.backends.entities import SpacyEntityBackend
        from reg_eval.models.resolve import resolve_key

        resolved = resolve_key(self.profile.key, cache_root=self.cache_root)
        return SpacyEntityBackend(
            resolved.load,
            identity=resolved.identity,
            cache=self.feature_cache,
            progress=self.options.progress,
        )

    def case_stats(
        self, refs: Sequence[str], hyps: Sequence[str], ids: Sequence[str] | None = None
    ) -> OfficialCaseStats:
        """Per-case BLEU, ROUGE, KEY, EMB and ranking; each distinct text is processed once.

        `ids` only name the cases in error messages.
        """
        from reg_eval.io.texts import checked_texts
        from reg_eval.metrics.official import official_case_stats

        if len(refs) != len(hyps):
            raise UsageError(f"{len(refs)} references but {len(hyps)} hypotheses")
        names = list(ids) if ids is not None else None
        # Texts from memory (the API, rewards, the HF module) get the checks files get.
        refs = checked_texts(refs, "references", names=names)
        hyps = checked_texts(hyps, "hypotheses", names=names)
        texts = list(refs) + list(hyps)
        if (os.cpu_count() or 1) >= OVERLAP_MIN_CORES:
            self.emb_backend.load_in_background(texts)
        names = names if names is not None else [f"#{i + 1}" for i in range(len(refs))]
        labels = [f"the reference of case {name!r}" for name in names] + [
            f"the prediction of case {name!r}" for name in names
        ]
        entities = self.key_backend.entity_texts(texts, labels)
        vectors = self.emb_backend.embed(texts)
        n = len(refs)
        return official_case_stats(
            refs,
            hyps,
            entities[:n],
            entities[n:],
            vectors[:n],
            vectors[n:],
            key_min_chars=self.profile.key_min_chars,
        )

    def signature(
        self,
        *,
        n_cases: int,
        missing: str,
        groups: dict[str, GroupResult] | None = None,
        n_missing: int = 0,
    ) -> Signature:
        from reg_eval.comparability import signature_differences
        from reg_eval.metrics.tokenize import TOKENISATION

        group_fields = {
            (name if key == name else f"{name}.{key}"): value
            for name, group in (groups or {}).items()
            for key, value in group.signature.items()
        }
        computed = "reg2025-ranking=0.15*(rouge+bleu)+0.4*key+0.3*emb"
        min_chars = (("min_chars", str(self.profile.key_min_chars)),)
        fields = {
            "metrics": ",".join(self.metric_groups),
            "profile": self.profile.name,
            "emb": SignedModel(self.emb_backend.identity),
            "key": SignedModel(self.key_backend.identity, min_chars),
            "tok": TOKENISATION,
            "device": self.emb_backend.device_type,
            "dtype": self.options.dtype,
            "missing": missing,
            "n": n_cases,
            "boot": self.options.bootstrap,
            "seed": self.options.seed,
            **group_fields,
        }
        # The leaderboard rule reads the same fields a saved result is judged by.
        as_run = Signature.build(computed, fields, comparable_with_leaderboard=True)
        return Signature.build(
            computed,
            fields,
            comparable_with_leaderboard=self.profile.comparable_with_leaderboard,
            not_comparable_because=signature_differences(
                as_run,
                models_overridden=not self.profile.comparable_with_leaderboard,
                n_missing=n_missing,
            ),
        )

    def score_alignment(self, alignment: Alignment) -> ScoreResult:
        stats = self.case_stats(alignment.refs, alignment.hyps, alignment.ids)
        organs = [organ_of(ref) for ref in alignment.refs]
        context = ScoringContext(
            device=self.options.device,
            dtype=self.options.dtype,
            batch_size=self.options.batch_size,
            cache=self.feature_cache,
            cache_root=self.cache_root,
            progress=self.options.progress,
            organs=organs,
        )
        groups = {
            name: group.compute(alignment.refs, alignment.hyps, context)
            for name, group in self._groups.items()
        }
        ci, by_organ = summarise(
            case_columns(stats, groups),
            organs,
            n_resamples=self.options.bootstrap,
            seed=self.options.seed,
        )
        messages = list(self.feature_cache.messages) if self.feature_cache is not None else []
        signature = self.signature(
            n_cases=len(alignment.ids),
            missing=alignment.missing_policy,
            groups=groups,
            n_missing=alignment.n_missing_scored_or_skipped,
        )
        return ScoreResult(
            signature=signature,
            alignment=alignment,
            stats=stats,
            organs=organs,
            ci=ci,
            by_organ=by_organ,
            groups=groups,
            messages=messages,
        )

    def __call__(
        self, refs: Sequence[str], hyps: Sequence[str], ids: Sequence[str] | None = None
    ) -> ScoreResult:
        """Score parallel lists of reference and generated reports.

        `ids`, when given, name the cases (one unique id per pair) in per-case rows.
        """
        alignment = align_texts(refs, hyps, ids)
        return self.score_alignment(alignment)

    def score_files(
        self, ground_truth: str | Path, submission: str | Path, *, missing: str = "error"
    ) -> ScoreResult:
        reference = load_valid_cases(ground_truth, role="ground truth")
        predicted = load_valid_cases(submission, role="submission")
        return self.score_alignment(align_cases(reference, predicted, missing))


def score_files(
    ground_truth: str | Path,
    submission: str | Path,
    options: ScoringOptions | str | Profile = "offline",
    /,
    *,
    missing: str = "error",
    **changes: Any,
) -> ScoreResult:
    """What `reg-eval score` computes, callable from Python with the same defaults.

    `options` and `changes` are as for `Scorer`: `score_files(gt, sub, profile="offline",
    metrics="official")` or `score_files(gt, sub, ScoringOptions(...))`.
    """
    return Scorer(options, **changes).score_files(ground_truth, submission, missing=missing)


