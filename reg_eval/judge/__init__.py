"""The judge layer: a language model that answers prompts, local or served, cached on disk.

`load_judge("transformers:PATH")` or `load_judge("openai:URL", model=NAME)` gives a
`CachedJudge`; its `generate(prompts, sample_index=i)` returns one `JudgeReply` per prompt.
Metrics that need a judge (REG 2026 Metric B, the `judge` metric group) build on this.
"""

from __future__ import annotations

from reg_eval.judge.cache import CachedJudge
from reg_eval.judge.load import load_judge, parse_judge_spec
from reg_eval.judge.types import GenerationSettings, Judge, JudgeIdentity, JudgeReply

__all__ = [
    "CachedJudge",
    "GenerationSettings",
    "Judge",
    "JudgeIdentity",
    "JudgeReply",
    "load_judge",
    "parse_judge_spec",
]
