"""The `judge` group: a language model grades each (reference, generated) pair by the
severity rubric, 0-4, and names the category of the gravest error.

Optional and heavy: a thinking judge writes thousands of tokens per pair, so it is meant for a
GPU (`--judge transformers:PATH`) or a served model (`--judge openai:URL --judge-model NAME`).
Verdicts are cached by judge, prompt and settings, so a rerun asks nothing. Columns:
`judge_grade` (0-4, lower is better) and `judge_score` = 1 - grade/4 (higher is better); an
answer that cannot be read is missing (NaN) in both and counted in `judge_unparseable`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from reg_eval.columns import ColumnLayout
from reg_eval.errors import UsageError
from reg_eval.groups import GroupResult, ScoringContext, check_pairs
from reg_eval.judge import GenerationSettings, load_judge
from reg_eval.judge.local import AUTO_DTYPE, DEFAULT_BATCH_SIZE
from reg_eval.signature import SignedModel
from reg_eval.standard.judge_rubric import (
    CATEGORIES,
    RUBRIC_VERSION,
    grading_prompt,
    parse_grade,
    prompt_sha256,
)

if TYPE_CHECKING:
    from reg_eval.judge import CachedJudge

GRADE_COLUMN = "judge_grade"
SCORE_COLUMN = "judge_score"
UNPARSEABLE = "judge_unparseable"
DETAILS = ("category", "answer")
"""Per-case details; rows name them judge_category and judge_answer."""
LAYOUT = ColumnLayout(
    numeric=(GRADE_COLUMN, SCORE_COLUMN),
    detail=tuple(f"judge_{key}" for key in DETAILS),
    corpus=(UNPARSEABLE,),
)


class JudgeGroup:
    """Severity grades from a judge, one prompt per distinct pair."""

    name = "judge"
    layout = LAYOUT

    def __init__(
        self,
        judge: str | None = None,
        judge_model: str | None = None,
        judge_dtype: str | None = None,
        *,
        settings: GenerationSettings | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        concurrency: int = 8,
        timeout_s: float = 600.0,
        retries: int = 4,
    ) -> None:
        if not judge:
            raise UsageError(
                "the judge metric group needs a judge",
                hint="pass --judge transformers:NAME_OR_PATH (a local model, best on a GPU) or "
                "--judge openai:BASE_URL --judge-model NAME (a served model)",
            )
        self.spec = judge
        self.judge_model = judge_model
        if judge_dtype is not None and judge_dtype.strip().lower() != AUTO_DTYPE:
            from reg_eval.backends.devices import check_dtype_name

            judge_dtype = check_dtype_name(judge_dtype, option="--judge-dtype")
        self.judge_dtype = judge_dtype
        """A local judge's precision: None or "auto" for the organisers' choice on the device;
        separate from the run's `--dtype`, which is EMB's (float32 for the official numbers)."""
        self.settings = settings or GenerationSettings()
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.retries = retries
        self.judge: CachedJudge | None = None
        """The judge of the last `compute`, kept for the next one and for its counters."""
        self._judge_for: tuple[object, ...] | None = None

    def make_judge(self, context: ScoringContext) -> CachedJudge:
        """The judge for this context, built once: `compare` scores several submissions with
        one group, and a local model is loaded only once."""
        wanted = (context.cache_root, context.cache is not None, context.device)
        if self.judge is not None and self._judge_for == wanted:
            return self.judge
        self.judge = load_judge(
            self.spec,
            model=self.judge_model,
            settings=self.settings,
            cache_root=context.cache_root,
            use_cache=context.cache is not None,
            device=context.device,
            dtype=self.judge_dtype,
            batch_size=self.batch_size,
            concurrency=self.concurrency,
            timeout_s=self.timeout_s,
            retries=self.retries,
            progress=context.progress,
        )
        self._judge_for = wanted
        return self.judge

    def compute(
        self, refs: Sequence[str], hyps: Sequence[str], context: ScoringContext
    ) -> GroupResult:
        import numpy as np

        check_pairs(refs, hyps)
        judge = self.make_judge(context)
        prompts = [grading_prompt(ref, hyp) for ref, hyp in zip(refs, hyps, strict=True)]
        replies = judge.generate(prompts) if prompts else []
        grades = np.full(len(prompts), math.nan, dtype=np.float64)
        details: list[dict[str, Any]] = []
        categories: Counter[str] = Counter()
        for index, reply in enumerate(replies):
            parsed = parse_grade(reply.content)
            if parsed is not None:
                grades[index] = parsed.grade
                categories[parsed.category] += 1
            details.append(
                {"category": parsed.category if parsed else None, "answer": reply.content}
            )
        unparseable = int(np.count_nonzero(np.isnan(grades)))
        settings = ",".join(f"{k}={v}" for k, v in self.settings.fields().items())
        return GroupResult(
            name=self.name,
            per_case={GRADE_COLUMN: grades, SCORE_COLUMN: 1.0 - grades / 4.0},
            signature={
                "judge": SignedModel(judge.identity.model_identity()),
                "prompt": f"severity-rubric-v{RUBRIC_VERSION}|sha256:{prompt_sha256()[:16]}",
                "settings": settings,
                "samples": "1",
                "parse": "last-json{grade,category};unreadable=missing",
            },
            corpus={UNPARSEABLE: float(unparseable)},
            details=details,
            # How many verdicts came from the cache stays on `self.judge`: the output of a
            # rerun must be byte for byte the output of the first run.
            breakdowns={"judge_categories": {name: categories[name] for name in CATEGORIES}},
            layout=self.layout,
        )
