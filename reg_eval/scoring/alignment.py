"""Which (reference, hypothesis) pairs are scored: matching by id, the missing-case policy,
and the checks on inputs (files through validation, lists from memory through the text checks).

Both editions use it: REG 2025 aligns report texts, REG 2026 aligns chains, with the same
policy for ground-truth cases that have no prediction and the same account of what was left
out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from reg_eval.errors import InvalidInputError, UsageError

if TYPE_CHECKING:
    from reg_eval.io.records import Case

MISSING_POLICIES = ("error", "empty", "skip")
"""What happens to a ground-truth case without a prediction: refused, scored as empty, or
left out of the means (and listed)."""

C = TypeVar("C")


@dataclass(frozen=True)
class Matched(Generic[C]):
    """Ground-truth cases matched to predictions by id, before anything is scored."""

    scored: list[C]
    """Ground-truth cases to score, in ground-truth order (all but skipped ones)."""
    predicted: dict[str, C]
    """Prediction by id; a scored case not in it is scored as empty."""
    missing: list[C]
    """Ground-truth cases with no prediction (scored as empty, or skipped)."""
    extra: list[C]
    """Predictions whose id is not in the ground truth: listed, never scored."""


def check_missing_policy(missing: str) -> None:
    if missing not in MISSING_POLICIES:
        raise UsageError(
            f"unknown --missing policy {missing!r}", hint=f"use {', '.join(MISSING_POLICIES)}"
        )


def match_cases(
    reference: Sequence[C],
    submission: Sequence[C],
    missing: str,
    *,
    id_of: Callable[[C], str],
    shown_id: Callable[[C], str] | None = None,
    empty: str = "empty reports",
) -> Matched[C]:
    """Match by exact id, in ground-truth order, under the missing-case policy.

    Unlike the organisers' scripts, nothing is dropped or overwritten silently: missing ids
    are an error unless the caller chose `empty` (scored as `empty`) or `skip` (left out);
    extra ids are reported and never scored. `shown_id` gives the id as the user wrote it.
    """
    check_missing_policy(missing)
    shown = shown_id or id_of
    predicted = {id_of(case): case for case in submission}
    reference_ids = {id_of(case) for case in reference}
    missing_cases = [case for case in reference if id_of(case) not in predicted]
    extra = [case for case in submission if id_of(case) not in reference_ids]
    if missing_cases and missing == "error":
        listed = ", ".join(shown(case) for case in missing_cases[:5])
        raise InvalidInputError(
            f"{len(missing_cases)} ground-truth case(s) have no prediction: {listed}"
            + (" …" if len(missing_cases) > 5 else ""),
            hint="the platform refuses such submissions; add them, or score anyway with "
            f"--missing empty (scored as {empty}) or --missing skip (left out of the mean)",
        )
    scored = [case for case in reference if missing != "skip" or id_of(case) in predicted]
    if not scored:
        raise InvalidInputError(
            "no case left to score: the submission matches no ground-truth id",
            hint="check that the ids of the submission are those of the ground truth",
        )
    return Matched(scored, predicted, missing_cases, extra)


@dataclass(frozen=True)
class Alignment:
    """Which (reference, hypothesis) pairs are scored, and what was left out and why."""

    ids: list[str]
    refs: list[str]
    hyps: list[str]
    missing_ids: list[str]
    extra_ids: list[str]
    missing_policy: str

    @property
    def n_missing_scored_or_skipped(self) -> int:
        """Ground-truth cases without a prediction that were still scored or skipped."""
        return len(self.missing_ids) if self.missing_policy != "error" else 0


def align_cases(reference: Sequence[Case], submission: Sequence[Case], missing: str) -> Alignment:
    """Report pairs by exact id, in ground-truth order: `empty` scores a missing prediction
    as "" (like the organisers' test.py), `skip` leaves it out (like their evaluate())."""
    matched = match_cases(reference, submission, missing, id_of=lambda case: case.id)
    hyps = [
        matched.predicted[case.id].report if case.id in matched.predicted else ""
        for case in matched.scored
    ]
    return Alignment(
        [case.id for case in matched.scored],
        [case.report for case in matched.scored],
        hyps,
        [case.id for case in matched.missing],
        [case.id for case in matched.extra],
        missing,
    )


def align_texts(
    refs: Sequence[str], hyps: Sequence[str], ids: Sequence[str] | None = None
) -> Alignment:
    """Pairs handed over in memory (the Python API); `ids`, when given, name the cases.
    The texts themselves are checked where every scoring path passes, `Scorer.case_stats`,
    by `reg_eval.io.texts`."""
    for what, values in (("references", refs), ("hypotheses", hyps)):
        if isinstance(values, str):
            raise UsageError(f"{what} must be a list of strings, not one string")
    refs, hyps = list(refs), list(hyps)
    if len(refs) != len(hyps):
        raise UsageError(f"{len(refs)} references but {len(hyps)} hypotheses")
    names = (
        check_case_ids(ids, len(refs)) if ids is not None
        else [f"case-{i}" for i in range(len(refs))]
    )
    return Alignment(names, refs, hyps, [], [], "n/a")


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
