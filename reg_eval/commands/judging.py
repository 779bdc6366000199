"""The options of REG 2026 Metric B's judge that `score-grounding`, `score-cot` and
`gc-evaluate` share beside `--judge` and `--judge-model` (declared once in `options.py`, where
the judge metric group takes them too), and building the judge.

The judge layer (`reg_eval.judge`) is imported only when a judge is asked for, so commands
that never judge do not load it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from reg_eval.stats import DEFAULT_SEED

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
    typer.Option("--judge-cache-dir", help="Where verdicts are cached (default: --cache-dir "
                 "where the command has it, else the reg-eval cache folder)."),
]
DEFAULT_JUDGE_SEED = DEFAULT_SEED
"""The judge layer's default sampling seed (`GenerationSettings.seed`): vote i is drawn with
seed + i."""


def judge_cache_folder(judge_cache_dir: Path | None, cache_dir: str | Path | None) -> Path | None:
    """`--judge-cache-dir`, else the run's `--cache-dir` (None: the default cache folder)."""
    if judge_cache_dir is not None:
        return judge_cache_dir
    return None if cache_dir is None else Path(cache_dir)


def make_judge(
    spec: str,
    *,
    model: str | None = None,
    seed: int = DEFAULT_JUDGE_SEED,
    cache_dir: Path | None = None,
    dtype: str | None = None,
    device: str = "auto",
    use_cache: bool = True,
    progress: bool = False,
    batch_size: int | None = None,
) -> Any:
    """The judge `spec` names, a local one in precision `dtype` (None or "auto": the
    organisers' choice for the device); its verdicts are cached on disk by the judge layer
    (nothing read or stored with `use_cache=False`). `device` and `batch_size` (None: the
    judge layer's own) apply to a local model."""
    from reg_eval.judge import GenerationSettings, load_judge
    from reg_eval.judge.local import DEFAULT_BATCH_SIZE

    return load_judge(spec, model=model, settings=GenerationSettings(seed=seed),
                      cache_root=cache_dir, dtype=dtype, use_cache=use_cache, device=device,
                      batch_size=DEFAULT_BATCH_SIZE if batch_size is None else batch_size,
                      progress=progress)
