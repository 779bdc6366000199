"""reg-eval: validation, scoring and benchmarking for pathology report generation.

`reg_eval.Scorer` keeps its models loaded and scores lists of reports;
`reg_eval.score_files` does what `reg-eval score` does. Both return a `ScoreResult` with the
overall numbers, the CIs, the signature and `.per_case` as a pandas DataFrame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reg_eval._version import __version__

__all__ = ["ScoreResult", "Scorer", "__version__", "score_files"]

if TYPE_CHECKING:
    from reg_eval.scoring import Scorer, ScoreResult, score_files


def __getattr__(name: str) -> Any:
    # Lazy, so that `import reg_eval` (and the CLI's start-up) stays light.
    if name in ("Scorer", "ScoreResult", "score_files"):
        from reg_eval import scoring

        return getattr(scoring, name)
    raise AttributeError(f"module 'reg_eval' has no attribute {name!r}")
