"""Score submissions with the official REG formula: the one path the CLI and the API share.

Files -> validated cases -> aligned (reference, hypothesis) pairs -> entities and vectors from
the backends (cached) -> per-case statistics -> means, bootstrap CIs and per-organ tables.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.groups import OFFICIAL, GroupResult, ScoringContext, load_group, parse_metric_groups
from reg_eval.organs import organ_of
from reg_eval.profiles import Profile, get_profile
from reg_eval.scoring_options import RunOptions, ScoringOptions
from reg_eval.signature import Signature

if TYPE_CHECKING:
    import pandas as pd

    from reg_eval.cache import FeatureCache
    from reg_eval.io.records import Case
    from reg_eval.metrics.official import OfficialCaseStats

MISSING_POLICIES = ("error", "empty", "skip")
SUMMARY_COLUMNS = ("ranking", "bleu", "rouge", "key", "emb")
OVERLAP_MIN_CORES = 4
"""Load the EMB model beside the KEY entities only with this many cores: on 2 shared cores
the two compete and the overlap measured no gain (docs/performance.md)."""


@dataclass(frozen=True)
class Alignment:
    """Which (reference, hypothesis) pairs are scored, and what was left out and why."""

    ids: list[str]
    refs: list[str]
    hyps: list[str]
    missing_ids: list[str]
    extra_ids: list[str]
    missing_policy: str


def align_cases(reference: Sequence[Case], submission: Sequence[Case], missing: str) -> Alignment:
    """Match cases by exact id, in ground-truth order.

    Unlike the organisers' scripts, nothing is dropped or overwritten silently: missing ids
    are an error unless the caller chose `empty` (scored as "", like their test.py) or `skip`
    (dropped, like their evaluate()); extra ids are reported and never scored.
    """
    if missing not in MISSING_POLICIES:
        raise UsageError(f"unknown --missing policy {missing!r}", hint="use error, empty or skip")
    predicted = {case.id: case.report for case in submission}
    reference_ids = {case.id for case in reference}
    missing_ids = [case.id for case in reference if case.id not in predicted]
    extra_ids = [case.id for case in submission if case.id not in reference_ids]
    if missing_ids and missing == "error":
        shown = ", ".join(missing_ids[:5]) + (" …" if len(missing_ids) > 5 else "")
        raise InvalidInputError(
            f"{len(missing_ids)} ground-truth case(s) have no prediction: {shown}",
            hint="the platform refuses such submissions; add them, or score anyway with "
            "--missing empty (scored as empty reports) or --missing skip (left out)",
        )
    ids: list[str] = []
    refs: list[str] = []
    hyps: list[str] = []
    for case in reference:
        if case.id in predicted:
            hyp = predicted[case.id]
        elif missing == "empty":
            hyp = ""
        else:
            continue
        ids.append(case.id)
        refs.append(case.report)
        hyps.append(hyp)
    if not ids:
        raise InvalidInputError("no case left to score: the submission matches no ground-truth id")
    return Alignment(ids, refs, hyps, missing_ids, extra_ids, missing)


@dataclass
class ScoreResult:
    """Everything a score run produced; every rendering of it carries `signature`."""

    signature: Signature
    alignment: Alignment
    stats: OfficialCaseStats
    organs: list[str]
    ci: dict[str, tuple[float, float]]
    by_organ: dict[str, dict[str, Any]]
    groups: dict[str, GroupResult] = field(default_factory=dict)
    confidence: float = 0.95
    messages: list[str] = field(default_factory=list)

    @property
    def n_cases(self) -> int:
        return len(self.alignment.ids)

    @property
    def columns(self) -> dict[str, np.ndarray]:
        """Every per-case numeric column: the official ones, then each group's."""
        return case_columns(self.stats, self.groups)

    @property
    def means(self) -> dict[str, float]:
        """Mean of each column over the cases where it is defined (NaN: defined nowhere)."""
        from reg_eval.stats import defined_mean

        return {name: defined_mean(values) for name, values in self.columns.items()}

    @property
    def defined(self) -> dict[str, int]:
        """Cases where each column is defined (not NaN): the n behind its mean and CI."""
        return {name: int(np.count_nonzero(~np.isnan(v))) for name, v in self.columns.items()}

    def to_dict(self) -> dict[str, Any]:
        means = self.means
        defined = self.defined
        return {
            "signature": self.signature.to_dict(),
            "n_cases": self.n_cases,
            "ranking": means["ranking"],
            "components": {name: means[name] for name in SUMMARY_COLUMNS[1:]},
            "ci": {
                "confidence": self.confidence,
                **{name: list(self.ci[name]) for name in SUMMARY_COLUMNS},
            },
            "by_organ": self.by_organ,
            "metrics": {
                name: {
                    "means": {column: _json_number(means[column]) for column in group.per_case},
                    "ci": {
                        column: [_json_number(bound) for bound in self.ci[column]]
                        for column in group.per_case
                    },
                    "defined": {column: defined[column] for column in group.per_case},
                    "corpus": {key: _json_number(v) for key, v in group.corpus.items()},
                    "breakdowns": group.breakdowns,
                    "signature": group.signature,
                    "headline": group.headline,
                }
                for name, group in self.groups.items()
            },
            "cases": {
                "missing_policy": self.alignment.missing_policy,
                "missing_ids": self.alignment.missing_ids,
                "extra_ids": self.alignment.extra_ids,
            },
        }

    def per_case_rows(self) -> list[dict[str, Any]]:
        """One row per scored case, with the keyword sets and what was missed or invented."""
        rows = []
        columns = self.columns
        extra = [name for name in columns if name not in SUMMARY_COLUMNS]
        for i, case_id in enumerate(self.alignment.ids):
            ref_kw = self.stats.ref_keywords[i]
            hyp_kw = self.stats.hyp_keywords[i]
            row: dict[str, Any] = {
                "id": case_id,
                "organ": self.organs[i],
                **{name: float(columns[name][i]) for name in SUMMARY_COLUMNS[1:]},
                "ranking": float(self.stats.ranking[i]),
                "ref_keywords": sorted(ref_kw),
                "hyp_keywords": sorted(hyp_kw),
                "missed_keywords": sorted(ref_kw - hyp_kw),
                "extra_keywords": sorted(hyp_kw - ref_kw),
            }
            row.update({name: _json_number(float(columns[name][i])) for name in extra})
            for group_name, group in self.groups.items():
                if group.details is not None:
                    for key, value in group.details[i].items():
                        row[f"{group_name}_{key}"] = value
            rows.append(row)
        return rows

    @property
    def per_case(self) -> pd.DataFrame:
        import pandas as pd

        frame = pd.DataFrame(self.per_case_rows())
        frame.attrs["signature"] = self.signature.format()
        return frame


def case_columns(
    stats: OfficialCaseStats, groups: dict[str, GroupResult] | None = None
) -> dict[str, np.ndarray]:
    """Official per-case columns in SUMMARY_COLUMNS order, then each group's columns."""
    columns = {name: np.asarray(getattr(stats, name), dtype=np.float64) for name in SUMMARY_COLUMNS}
    for group in (groups or {}).values():
        for name, values in group.per_case.items():
            if name in columns:
                raise ValueError(f"metric column {name!r} is defined twice")
            columns[name] = np.asarray(values, dtype=np.float64)
    return columns


def _json_number(value: float) -> float | None:
    """JSON has no NaN: an undefined value is written as null."""
    return None if isinstance(value, float) and np.isnan(value) else value


def summarise(
    columns: dict[str, np.ndarray],
    organs: Sequence[str],
    *,
    n_resamples: int,
    seed: int,
    confidence: float = 0.95,
) -> tuple[dict[str, tuple[float, float]], dict[str, dict[str, Any]]]:
    """Bootstrap CIs overall and per organ, all from the same per-case statistics.

    Undefined (NaN) values are left out of each column's mean and interval; `n_defined`
    in each organ row counts, per column, the cases that are defined.
    """
    from reg_eval.stats import bootstrap_ci_defined, defined_mean

    names = list(columns)
    matrix = np.column_stack([columns[name] for name in names])
    kw = {"n_resamples": n_resamples, "seed": seed, "confidence": confidence}
    lo, hi = bootstrap_ci_defined(matrix, **kw)
    ci = {name: (float(lo[j]), float(hi[j])) for j, name in enumerate(names)}
    by_organ: dict[str, dict[str, Any]] = {}
    organ_array = np.asarray(organs)
    for organ in sorted(set(organs)):
        rows = matrix[organ_array == organ]
        olo, ohi = bootstrap_ci_defined(rows, **kw)
        defined = (~np.isnan(rows)).sum(axis=0)
        by_organ[organ] = {
            "n_cases": int(rows.shape[0]),
            **{name: _json_number(defined_mean(rows[:, j])) for j, name in enumerate(names)},
            "ci": {
                name: [_json_number(float(olo[j])), _json_number(float(ohi[j]))]
                for j, name in enumerate(names)
            },
            "n_defined": {
                name: int(defined[j])
                for j, name in enumerate(names)
                if defined[j] < rows.shape[0]
            },
        }
    return ci, by_organ


class RunAttributes:
    """What a scorer reads from its run options, under the attribute names scorers expose."""

    def __init__(self, options: RunOptions) -> None:
        self.options = options
        self.cache_root = Path(options.cache_dir) if options.cache_dir else default_cache_root()

    @property
    def device(self) -> str:
        return self.options.device

    @property
    def dtype(self) -> str:
        return self.options.dtype

    @property
    def batch_size(self) -> int:
        return self.options.batch_size

    @property
    def use_cache(self) -> bool:
        return self.options.cache

    @property
    def bootstrap(self) -> int:
        return self.options.bootstrap

    @property
    def seed(self) -> int:
        return self.options.seed

    @property
    def progress(self) -> bool:
        return self.options.progress


class Scorer(RunAttributes):
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
        super().__init__(options)
        self.options: ScoringOptions = options
        named = options.profile
        base = get_profile(named) if isinstance(named, str) else named
        self.profile = base.with_models(emb=options.emb_model, key=options.key_model)
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
        if not self.use_cache:
            return None
        from reg_eval.cache import FeatureCache

        return FeatureCache(self.cache_root)

    @cached_property
    def _emb(self) -> Any:
        from reg_eval.backends.embeddings import TransformersEmbeddingBackend
        from reg_eval.models.resolve import resolve_emb

        resolved = resolve_emb(
            self.profile.emb,
            precision=self.dtype,
            max_length=self.profile.emb_max_length,
            cache_root=self.cache_root,
        )
        return TransformersEmbeddingBackend(
            resolved.load_path,
            identity=resolved.identity,
            gguf_file=resolved.gguf_file,
            revision=resolved.revision,
            device=self.device,
            dtype=self.dtype,
            batch_size=self.batch_size,
            max_length=self.profile.emb_max_length,
            cache=self.feature_cache,
            progress=self.progress,
        )

    @cached_property
    def _key(self) -> Any:
        from reg_eval.backends.entities import SpacyEntityBackend
        from reg_eval.models.resolve import resolve_key

        resolved = resolve_key(self.profile.key, cache_root=self.cache_root)
        return SpacyEntityBackend(
            resolved.load,
            identity=resolved.identity,
            cache=self.feature_cache,
            progress=self.progress,
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
            self._emb.load_in_background(texts)
        names = names if names is not None else [f"#{i + 1}" for i in range(len(refs))]
        labels = [f"the reference of case {name!r}" for name in names] + [
            f"the prediction of case {name!r}" for name in names
        ]
        entities = self._key.entity_texts(texts, labels)
        vectors = self._emb.embed(texts)
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
        from reg_eval.comparability import run_differences
        from reg_eval.metrics.tokenize import TOKENISATION

        group_fields = {
            (name if key == name else f"{name}.{key}"): value
            for name, group in (groups or {}).items()
            for key, value in group.signature.items()
        }
        emb = self._emb.identity
        key = self._key.identity
        return Signature.build(
            "reg2025-ranking=0.15*(rouge+bleu)+0.4*key+0.3*emb",
            {
                "metrics": ",".join(self.metric_groups),
                "profile": self.profile.name,
                "emb": emb.describe(),
                "key": key.describe() + f"|min_chars={self.profile.key_min_chars}",
                "tok": TOKENISATION,
                "device": self._emb.device_type,
                "dtype": self.dtype,
                "missing": missing,
                "n": n_cases,
                "boot": self.bootstrap,
                "seed": self.seed,
                **group_fields,
            },
            comparable_with_leaderboard=self.profile.comparable_with_leaderboard,
            not_comparable_because=run_differences(
                profile=self.profile.name,
                models_overridden=not self.profile.comparable_with_leaderboard,
                precision=self.dtype,
                emb_name=emb.name,
                key_name=key.name,
                key_revision=key.revision,
                emb_max_length=self.profile.emb_max_length,
                key_min_chars=self.profile.key_min_chars,
                n_missing=n_missing,
            ),
        )

    def score_alignment(self, alignment: Alignment) -> ScoreResult:
        stats = self.case_stats(alignment.refs, alignment.hyps, alignment.ids)
        organs = [organ_of(ref) for ref in alignment.refs]
        context = ScoringContext(
            device=self.device,
            dtype=self.dtype,
            batch_size=self.batch_size,
            cache=self.feature_cache,
            cache_root=self.cache_root,
            progress=self.progress,
            organs=organs,
        )
        groups = {
            name: group.compute(alignment.refs, alignment.hyps, context)
            for name, group in self._groups.items()
        }
        ci, by_organ = summarise(
            case_columns(stats, groups), organs, n_resamples=self.bootstrap, seed=self.seed
        )
        messages = list(self.feature_cache.messages) if self.feature_cache is not None else []
        signature = self.signature(
            n_cases=len(alignment.ids),
            missing=alignment.missing_policy,
            groups=groups,
            n_missing=len(alignment.missing_ids) if alignment.missing_policy != "error" else 0,
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
        refs = _texts(refs, "references")
        hyps = _texts(hyps, "hypotheses")
        if len(refs) != len(hyps):
            raise UsageError(f"{len(refs)} references but {len(hyps)} hypotheses")
        case_ids = (
            check_case_ids(ids, len(refs))
            if ids is not None
            else [f"case-{i}" for i in range(len(refs))]
        )
        alignment = Alignment(case_ids, list(refs), list(hyps), [], [], "n/a")
        return self.score_alignment(alignment)

    def score_files(
        self, ground_truth: str | Path, submission: str | Path, *, missing: str = "error"
    ) -> ScoreResult:
        reference = load_valid_cases(ground_truth, role="ground truth")
        predicted = load_valid_cases(submission, role="submission")
        return self.score_alignment(align_cases(reference, predicted, missing))


def _texts(values: Sequence[str], what: str) -> list[str]:
    """The texts as a list; a value that is not a string is an error naming its position."""
    if isinstance(values, str):
        raise UsageError(f"{what} must be a list of strings, not one string")
    texts = list(values)
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            shown = "None" if text is None else type(text).__name__
            raise InvalidInputError(
                f"{what}[{index}] is {shown}, not a string",
                hint="pass the report text; an empty report is \"\" (scored as empty)",
            )
    return texts


def check_case_ids(ids: Sequence[str], n_texts: int) -> list[str]:
    """One unique, non-empty string id per pair of texts; the first problem is the error."""
    if isinstance(ids, str):
        raise UsageError("ids must be a list of case ids, not one string")
    case_ids = list(ids)
    if len(case_ids) != n_texts:
        raise UsageError(
            f"{len(case_ids)} ids for {n_texts} pairs of reports",
            hint="give one id per (reference, hypothesis) pair, in the same order",
        )
    seen: dict[str, int] = {}
    for index, case_id in enumerate(case_ids):
        if not isinstance(case_id, str) or not case_id:
            raise InvalidInputError(
                f"ids[{index}] is {case_id!r}: a case id must be a non-empty string",
                hint="give one id per pair, such as the slide file name",
            )
        if case_id in seen:
            raise InvalidInputError(
                f"case id {case_id!r} appears twice (ids[{seen[case_id]}] and ids[{index}])",
                hint="each pair needs its own id; per-case rows and paired tests match by id",
            )
        seen[case_id] = index
    return case_ids




def load_valid_cases(path: str | Path, *, role: str) -> list[Case]:
    """Cases of a file that passes validation; otherwise the validation report as an error."""
    from reg_eval.io.validate import render_text, validate_submission

    report = validate_submission(Path(path))
    if not report.valid:
        raise InvalidInputError(
            f"the {role} {path} is not valid:\n{render_text(report)}",
            hint=f"run `reg-eval validate {path}` for every finding",
        )
    return list(report.cases)


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


def default_cache_root() -> Path:
    from reg_eval.cache import FeatureCache

    return FeatureCache.default_root()
