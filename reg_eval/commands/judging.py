"""The judge options shared by `score-grounding` and `score-cot`, and building the judge.

The judge layer (`reg_eval.judge`) is imported only when a judge is asked for, so commands
that never judge do not load it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from reg_eval.errors import UsageError

JUDGE_HELP = (
    "The LLM judge: transformers:NAME_OR_FOLDER (a local model, e.g. "
    "transformers:Qwen/Qwen3-8B) or openai:BASE_URL (an OpenAI-compatible server such as "
    "vLLM; name the model with --judge-model)."
)
JudgeOption = Annotated[str | None, typer.Option("--judge", help=JUDGE_HELP)]
JudgeModelOption = Annotated[
    str | None,
    typer.Option("--judge-model", help="The served model's name, for an openai: judge."),
]
JudgeSeedOption = Annotated[
    int,
    typer.Option("--judge-seed", help="Sampling seed of the judge (vote i uses seed + i)."),
]
VotingOption = Annotated[
    int,
    typer.Option("--voting", min=1, help="Judge samples per verdict; the most frequent wins "
                 "(ties as the organisers break them). B from each sample alone gives the "
                 "spread reported beside B."),
]
JudgeCacheDirOption = Annotated[
    Path | None,
    typer.Option("--judge-cache-dir", help="Where verdicts are cached (default: the reg-eval "
                 "cache folder)."),
]
DEFAULT_JUDGE_SEED = 12345


def make_judge(
    spec: str,
    *,
    model: str | None = None,
    seed: int = DEFAULT_JUDGE_SEED,
    cache_dir: Path | None = None,
) -> Any:
    """The judge `spec` names; its verdicts are cached on disk by the judge layer."""
    try:
        from reg_eval.judge import load_judge
        from reg_eval.judge.types import GenerationSettings
    except ImportError as exc:  # pragma: no cover - only in a build without the judge layer
        raise UsageError(
            f"the LLM judge layer is not available ({exc})",
            hint="install reg-eval with its judge layer (reg_eval.judge)",
        ) from None
    return load_judge(spec, model=model, settings=GenerationSettings(seed=seed),
                      cache_root=cache_dir)
