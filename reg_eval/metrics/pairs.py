"""Case-by-case evaluation of paired references and hypotheses.

Every metric reports one number per case; aggregates, confidence intervals and significance
tests are computed from those numbers (see `reg_eval.stats`), so nothing is ever re-scored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def check_paired(refs: Sequence[object], hyps: Sequence[object]) -> int:
    """The number of cases; references and hypotheses must pair up one to one."""
    if len(refs) != len(hyps):
        raise ValueError(
            f"references and hypotheses must pair up: {len(refs)} references, "
            f"{len(hyps)} hypotheses"
        )
    return len(refs)


def per_distinct_pair(
    refs: Sequence[str], hyps: Sequence[str], score: Callable[[str, str], float]
) -> np.ndarray:
    """`score(ref, hyp)` for every case, computed once per distinct pair (REG repeats a lot)."""
    n = check_paired(refs, hyps)
    memo: dict[tuple[str, str], float] = {}
    out = np.empty(n, dtype=np.float64)
    for i, pair in enumerate(zip(refs, hyps, strict=True)):
        if pair not in memo:
            memo[pair] = score(*pair)
        out[i] = memo[pair]
    return out
