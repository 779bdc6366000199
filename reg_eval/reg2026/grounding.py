"""Score REG 2026 Metric B with an LLM judge: files -> plan -> judged prompts -> B with CIs.

The judge is anything with the judge layer's interface (`generate(prompts, sample_index=i)`
returning replies with `.content`, `.reasoning` and `.raw`, and `identity` / `settings` with
`fields()`). Each distinct prompt is sent once per vote, all prompts of a vote in one batch;
vote i is sample index i, so a cached judge answers a rerun without a call, and the same
prompt needed by B1 and B3 is judged once per vote.

Because the judge samples, B moves between samples. Beside the voted B, the result gives B
computed from each vote alone, and their spread: two B values closer than that spread are not
told apart by the judge.
"""

from __future__ import annotations

import hashlib
import json
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from reg_eval.errors import UsageError
from reg_eval.io.grounding import (
    RoiAnswers,
    RoiMapping,
    cross_findings,
    read_answers,
    read_mapping,
    require_valid,
)
from reg_eval.models.hashing import sha256_file
from reg_eval.reg2026.grounding_prompts import (
    VERDICT_NAMES,
    agreement,
    prompts_hash,
    verdict_value,
    vote,
)
from reg_eval.reg2026.metric_b import (
    COMPUTED,
    PARTS,
    WEIGHTS,
    MetricBPlan,
    PlanItem,
    judged_column,
    metric_b,
    plan_metric_b,
    score_plan,
)
from reg_eval.signature import Signature
from reg_eval.stats import DEFAULT_SEED, bootstrap_means

OFFICIAL_JUDGE = "Qwen/Qwen3-8B"
"""The organisers' judge (their template loads a local copy of Qwen3-8B)."""


class JudgeReplyLike(Protocol):
    content: str | None
    reasoning: str
    raw: str


class JudgeLike(Protocol):
    """The part of `reg_eval.judge.Judge` that Metric B uses."""

    identity: Any
    settings: Any

    def generate(
        self, prompts: Sequence[str], *, sample_index: int = 0
    ) -> Sequence[JudgeReplyLike]: ...


@dataclass
class GroundingResult:
    """A Metric B run; every rendering of it carries `signature`."""

    signature: Signature
    plan: MetricBPlan
    verdicts: list[dict[str, float]]
    """Per vote: prompt -> verdict (1.0, 0.0 or -1 unparseable)."""
    replies: list[dict[str, JudgeReplyLike]]
    scores: dict[str, list[float]]
    """Per part, per item, from the voted verdicts."""
    ci: dict[str, tuple[float, float] | None]
    sample_b: list[dict[str, float]]
    """B1, B2, B3 and B from each vote alone."""
    voting: int
    mapping_path: str
    answers_path: str
    confidence: float = 0.95
    n_bootstrap: int = 1000
    seed: int = DEFAULT_SEED
    messages: list[str] = field(default_factory=list)

    @property
    def means(self) -> dict[str, float]:
        return metric_b(self.scores)

    @property
    def voted(self) -> dict[str, float]:
        return {p: vote([v[p] for v in self.verdicts]) for p in self.verdicts[0]} \
            if self.verdicts else {}

    @property
    def spread(self) -> dict[str, Any]:
        """How much B moves between single judge samples (None with one vote)."""
        if len(self.sample_b) < 2:
            return {"samples": len(self.sample_b), "B_min": None, "B_max": None,
                    "B_sd": None}
        values = [s["B"] for s in self.sample_b]
        return {
            "samples": len(values),
            "B_min": min(values),
            "B_max": max(values),
            "B_sd": statistics.stdev(values),
            "per_sample": self.sample_b,
        }

    @property
    def agreement(self) -> float | None:
        """Mean share of votes agreeing with the voted verdict, over judged prompts."""
        if not self.verdicts or not self.verdicts[0]:
            return None
        prompts = list(self.verdicts[0])
        return sum(agreement([v[p] for v in self.verdicts]) for p in prompts) / len(prompts)

    def missing(self) -> dict[str, list[list[str]]]:
        return {
            name: [list(item.ids) for item in self.plan.part(name) if not item.gated]
            for name in PARTS
        }

    def to_dict(self) -> dict[str, Any]:
        means = self.means
        return {
            "signature": self.signature.to_dict(),
            "B": means["B"],
            "parts": {name: means[name] for name in PARTS},
            "weights": dict(WEIGHTS),
            "n": {name: len(self.scores[name]) for name in PARTS},
            "ci": {
                "confidence": self.confidence,
                **{name: (list(self.ci[name]) if self.ci[name] else None)
                   for name in (*PARTS, "B")},
            },
            "voting": self.voting,
            "vote_agreement": self.agreement,
            "judge_spread": self.spread,
            "unparseable_verdicts": sum(
                1 for v in self.verdicts for value in v.values() if value == -1
            ),
            "missing": self.missing(),
            "question_mismatch_pairs": [
                list(item.ids) for item in self.plan.part("B3") if item.question_mismatch
            ],
            "mapping": self.mapping_path,
            "answers": self.answers_path,
        }

    def _judged(self, prompt: str) -> dict[str, Any]:
        votes = [v[prompt] for v in self.verdicts]
        winner = vote(votes)
        chosen = next(i for i, v in enumerate(votes) if v == winner)
        reply = self.replies[chosen][prompt]
        return {
            "verdict": VERDICT_NAMES[winner],
            "votes": [VERDICT_NAMES[v] for v in votes],
            "content": reply.content,
            "raw": reply.raw,
            "reasoning": reply.reasoning,
        }

    def per_case_rows(self) -> list[dict[str, Any]]:
        rows = []
        for name in PARTS:
            for item, score in zip(self.plan.part(name), self.scores[name], strict=True):
                row: dict[str, Any] = {
                    "part": name,
                    "ids": list(item.ids),
                    "pair_id": item.pair_id,
                    "mapping_line": item.line,
                    "scored": item.gated,
                    "reasons": list(item.reasons),
                    "answers": list(item.answers),
                    "score": score,
                }
                for judgement in item.judgements:
                    for key, value in self._judged(judgement.prompt).items():
                        row[judged_column(judgement.kind, key)] = value
                if name == "B3":
                    row["question_mismatch"] = item.question_mismatch
                rows.append(row)
        return rows


def _answers_hash(answers: RoiAnswers | None) -> str | None:
    """The answers file's sha256 (first 16 digits); for a job folder, the sha256 of the
    answers assembled from its jobs (id -> image, question, answer, sorted by id), since the
    job list alone does not hold the answers."""
    if answers is None:
        return None
    path = Path(answers.path)
    if path.is_file():
        return sha256_file(path)[:16]
    assembled = {
        key: {"image": item.image, "question": item.question, "answer": item.answer}
        for key, item in sorted(answers.answers.items())
    }
    text = json.dumps(assembled, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()[:16]


def _fields(source: Any, prefix: str) -> dict[str, object]:
    fields = source.fields() if hasattr(source, "fields") else {}
    return {f"{prefix}{key}": value for key, value in fields.items() if value is not None}


def judge_plan(
    plan: MetricBPlan, judge: JudgeLike, voting: int
) -> tuple[list[dict[str, float]], list[dict[str, JudgeReplyLike]]]:
    """Every distinct prompt judged once per vote (vote i is sample index i)."""
    judgements = plan.judgements()
    prompts = [j.prompt for j in judgements]
    verdicts: list[dict[str, float]] = []
    replies: list[dict[str, JudgeReplyLike]] = []
    for index in range(voting):
        got = list(judge.generate(prompts, sample_index=index)) if prompts else []
        if len(got) != len(prompts):
            raise RuntimeError(f"the judge returned {len(got)} replies for {len(prompts)} prompts")
        replies.append(dict(zip(prompts, got, strict=True)))
        verdicts.append({
            j.prompt: verdict_value(reply.content, j.labels)
            for j, reply in zip(judgements, got, strict=True)
        })
    return verdicts, replies


def _cis(
    scores: Mapping[str, Sequence[float]], n_bootstrap: int, seed: int, confidence: float
) -> dict[str, tuple[float, float] | None]:
    """Percentile bootstrap CIs: each part over its own rows; B from the three parts resampled
    independently (a stratified bootstrap: the parts have different rows)."""
    tail = (1.0 - confidence) / 2.0 * 100.0
    draws: dict[str, np.ndarray] = {}
    out: dict[str, tuple[float, float] | None] = {}
    for offset, name in enumerate(PARTS):
        if scores[name]:
            draws[name] = bootstrap_means(scores[name], n_resamples=n_bootstrap,
                                          seed=seed + offset)
            lo, hi = np.percentile(draws[name], [tail, 100.0 - tail])
            out[name] = (float(lo), float(hi))
        else:
            draws[name] = np.zeros(n_bootstrap)
            out[name] = None
    b = sum(WEIGHTS[name] * draws[name] for name in PARTS)
    lo, hi = np.percentile(b, [tail, 100.0 - tail])
    out["B"] = (float(lo), float(hi)) if any(scores[name] for name in PARTS) else None
    return out


def grounding_signature(
    judge: JudgeLike, *, voting: int, mapping: Path, answers: RoiAnswers | None, seed: int,
    n_bootstrap: int,
) -> Signature:
    """What a Metric B number is: judge model and its hash, prompts, generation settings,
    voting, the mapping and answers files, the bootstrap seed."""
    identity = getattr(judge, "identity", None)
    model = str(getattr(identity, "model", "unknown"))
    fields: dict[str, object] = {
        **_fields(identity, "judge_"),
        **_fields(getattr(judge, "settings", None), "gen_"),
        "prompts_sha256": prompts_hash()[:16],
        "voting": voting,
        "mapping_sha256": sha256_file(mapping)[:16],
        "answers_sha256": _answers_hash(answers),
        "bootstrap": n_bootstrap,
        "seed": seed,
    }
    reasons = ["scored on a local ROI mapping, not the organisers' hidden test ROIs"]
    if model.rstrip("/").split("/")[-1].lower() != OFFICIAL_JUDGE.split("/")[-1].lower():
        reasons.append(f"judge {model} is not the organisers' {OFFICIAL_JUDGE}")
    return Signature.build(COMPUTED, fields, comparable_with_leaderboard=False,
                           not_comparable_because=reasons)


def score_grounding(
    mapping: RoiMapping,
    answers: RoiAnswers,
    judge: JudgeLike,
    *,
    voting: int = 1,
    n_bootstrap: int = 1000,
    seed: int = DEFAULT_SEED,
    confidence: float = 0.95,
) -> GroundingResult:
    """Metric B of read answers against a read mapping (both must be free of errors)."""
    if voting < 1:
        raise UsageError(f"--voting must be 1 or more, not {voting}")
    if n_bootstrap < 1:
        raise UsageError(f"--bootstrap must be 1 or more, not {n_bootstrap}")
    require_valid(mapping, "ROI mapping")
    require_valid(answers, "answers")
    plan = plan_metric_b(mapping.rows, answers.answers)
    verdicts, replies = judge_plan(plan, judge, voting)
    voted = {p: vote([v[p] for v in verdicts]) for p in verdicts[0]} if verdicts else {}
    scores = score_plan(plan, voted)
    sample_b = [metric_b(score_plan(plan, v)) for v in verdicts]
    messages = []
    for name in PARTS:
        if not scores[name]:
            messages.append(f"{name} has no rows in the mapping; it counts as 0 in B, as the "
                            "organisers score an empty part")
    n_missing = sum(not item.gated for item in plan.items)
    if n_missing:
        messages.append(f"{n_missing} ROI(s) or pair(s) have a missing or mismatched answer "
                        "and score 0 (listed under 'missing')")
    n_warnings = (len(mapping.warnings) + len(answers.warnings)
                  + len(cross_findings(mapping, answers)))
    if n_warnings:
        messages.append(
            f"{n_warnings} input warning(s) (e.g. unknown answer ids, a label or variant "
            "outside its set, a partner of the wrong kind); list them with `reg-eval validate "
            f"--kind grounding {answers.path} --ground-truth {mapping.path}`"
        )
    signature = grounding_signature(
        judge, voting=voting, mapping=mapping.path,
        answers=answers, seed=seed, n_bootstrap=n_bootstrap,
    )
    return GroundingResult(
        signature=signature, plan=plan, verdicts=verdicts, replies=replies, scores=scores,
        ci=_cis(scores, n_bootstrap, seed, confidence), sample_b=sample_b, voting=voting,
        mapping_path=str(mapping.path), answers_path=str(answers.path),
        confidence=confidence, n_bootstrap=n_bootstrap, seed=seed, messages=messages,
    )


def load_answers(path: str | Path, mapping: RoiMapping) -> RoiAnswers:
    """Answers from a JSON file, or from an algorithm phase's input folder (job list)."""
    path = Path(path)
    if path.is_dir():
        from reg_eval.io.grounding_jobs import answers_from_jobs

        return answers_from_jobs(path, mapping)
    return read_answers(path)


def score_grounding_files(
    mapping_path: str | Path,
    answers_path: str | Path,
    judge: JudgeLike,
    **options: Any,
) -> GroundingResult:
    """`score_grounding` on files: the mapping, and answers as JSON or a job folder."""
    mapping = read_mapping(mapping_path)
    require_valid(mapping, "ROI mapping")
    answers = load_answers(answers_path, mapping)
    return score_grounding(mapping, answers, judge, **options)


__all__ = [
    "GroundingResult",
    "JudgeLike",
    "PlanItem",
    "grounding_signature",
    "judge_plan",
    "load_answers",
    "score_grounding",
    "score_grounding_files",
]
