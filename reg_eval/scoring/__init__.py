"""Score submissions with the official REG formula: the one path the CLI and the API share.

Files -> validated cases -> aligned (reference, hypothesis) pairs (`alignment`) -> entities
and vectors from the backends, per-case statistics and metric groups (`scorer`) -> means,
bootstrap CIs and per-organ tables (`summary`) -> a `ScoreResult` with its signature, column
layout and JSON form (`result`). The names below are the package's public interface.
"""

from reg_eval.cache import default_cache_root
from reg_eval.scoring.alignment import (
    MISSING_POLICIES,
    Alignment,
    Matched,
    align_cases,
    align_texts,
    check_case_ids,
    check_missing_policy,
    load_valid_cases,
    match_cases,
)
from reg_eval.scoring.result import SUMMARY_COLUMNS, ScoreResult, case_columns, json_number
from reg_eval.scoring.scorer import (
    OVERLAP_MIN_CORES,
    Scorer,
    cache_root_of,
    score_files,
)
from reg_eval.scoring.summary import summarise

__all__ = [
    "MISSING_POLICIES",
    "OVERLAP_MIN_CORES",
    "SUMMARY_COLUMNS",
    "Alignment",
    "Matched",
    "ScoreResult",
    "Scorer",
    "align_cases",
    "align_texts",
    "cache_root_of",
    "case_columns",
    "check_case_ids",
    "check_missing_policy",
    "default_cache_root",
    "json_number",
    "load_valid_cases",
    "match_cases",
    "score_files",
    "summarise",
]
