"""The "clinical" metric group: keyword P/R/F1 over facts, field accuracy, missed/invented.

Per case it reports clinical precision, recall and F1 and four field accuracies; the
corpus values are the micro averages; the breakdowns hold micro and macro P/R/F1 per
category and per organ. No value is ever NaN: every undefined ratio has a stated value
(see `reg_eval.clinical.scores`).
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from reg_eval.clinical.extract import FactExtractor
from reg_eval.clinical.facts import Fact
from reg_eval.clinical.lexicon import CATEGORIES, Lexicon, load_lexicon
from reg_eval.clinical.negation import RULES_VERSION
from reg_eval.clinical.scores import (
    CaseMatch,
    Counts,
    all_correct,
    counts_of,
    field_correct,
    macro,
    match_facts,
    micro,
)
from reg_eval.errors import InvalidInputError
from reg_eval.groups import GroupResult, ScoringContext
from reg_eval.organs import ORGANS, UNKNOWN_ORGAN, organ_of

MATCH_RULE = "concept+value+polarity"
COLUMNS = (
    "clinical_precision",
    "clinical_recall",
    "clinical_f1",
    "organ_correct",
    "procedure_correct",
    "diagnosis_correct",
    "grade_correct",
)


class ClinicalGroup:
    """`ClinicalGroup(lexicon=path).compute(refs, hyps, context)`; lexicon defaults to shipped."""

    name = "clinical"

    def __init__(self, *, lexicon: str | Path | Lexicon | None = None) -> None:
        self.lexicon = lexicon if isinstance(lexicon, Lexicon) else load_lexicon(lexicon)
        self.extractor = FactExtractor(self.lexicon)

    def signature(self) -> dict[str, str]:
        return {
            "clinical": (
                f"lexicon sha256:{self.lexicon.short_hash}|rules:{RULES_VERSION}"
                f"|match:{MATCH_RULE}|spacy-{_spacy_version()}"
            )
        }

    def compute(
        self, refs: Sequence[str], hyps: Sequence[str], context: ScoringContext
    ) -> GroupResult:
        import numpy as np

        if len(refs) != len(hyps):
            raise InvalidInputError(
                f"clinical metrics: {len(refs)} references but {len(hyps)} hypotheses",
                hint="pass one hypothesis per reference, in the same order",
            )
        organs = list(context.organs) if len(context.organs) == len(refs) else []
        if not organs:
            organs = [organ_of(reference) for reference in refs]
        facts = self._facts_of([*refs, *hyps])
        ref_facts, hyp_facts = facts[: len(refs)], facts[len(refs) :]
        matches = [match_facts(r, h) for r, h in zip(ref_facts, hyp_facts, strict=True)]
        columns: dict[str, list[float]] = {name: [] for name in COLUMNS}
        for match, ref, hyp in zip(matches, ref_facts, hyp_facts, strict=True):
            case = _case_scores(match, ref, hyp)
            for name in COLUMNS:
                columns[name].append(case[name])
        per_case = {name: np.asarray(values, dtype=np.float64) for name, values in columns.items()}
        details = [
            {
                "missed": [fact.label for fact in match.missed],
                "invented": [fact.label for fact in match.invented],
            }
            for match in matches
        ]
        return GroupResult(
            name=self.name,
            per_case=per_case,
            signature=self.signature(),
            corpus=_corpus(matches),
            details=details,
            breakdowns=breakdowns(matches, organs),
        )

    def _facts_of(self, texts: Sequence[str]) -> list[list[Fact]]:
        """Each distinct text is read once (ground truth repeats across submissions)."""
        distinct = list(dict.fromkeys(texts))
        by_text = dict(zip(distinct, self.extractor.extract_many(distinct), strict=True))
        return [by_text[text] for text in texts]


def _case_scores(match: CaseMatch, ref: list[Fact], hyp: list[Fact]) -> dict[str, float]:
    scores = micro([counts_of(match)])
    return {
        "clinical_precision": scores.precision,
        "clinical_recall": scores.recall,
        "clinical_f1": scores.f1,
        "organ_correct": field_correct(ref, hyp, "organ"),
        "procedure_correct": field_correct(ref, hyp, "procedure"),
        "diagnosis_correct": field_correct(ref, hyp, "diagnosis"),
        "grade_correct": all_correct(match, "grade"),
    }


def _corpus(matches: Sequence[CaseMatch]) -> dict[str, float]:
    if not matches:
        return {}
    pooled = micro([counts_of(match) for match in matches])
    return {
        "clinical_micro_precision": pooled.precision,
        "clinical_micro_recall": pooled.recall,
        "clinical_micro_f1": pooled.f1,
    }


def _row(counts: Sequence[Counts]) -> dict[str, Any]:
    pooled, averaged = micro(counts), macro(counts)
    total = Counts()
    for case in counts:
        total = total + case
    return {
        "cases": len(counts),
        "reference_facts": total.reference,
        "hypothesis_facts": total.hypothesis,
        "matched": total.matched,
        "micro_precision": pooled.precision,
        "micro_recall": pooled.recall,
        "micro_f1": pooled.f1,
        "macro_precision": averaged.precision,
        "macro_recall": averaged.recall,
        "macro_f1": averaged.f1,
    }


def breakdowns(matches: Sequence[CaseMatch], organs: Sequence[str]) -> dict[str, Any]:
    """Micro/macro P/R/F1 overall, per category and per organ, as JSON-ready rows.

    A category's row uses only the cases where that category occurs in the reference or the
    hypothesis: cases without it would each add a perfect 1.0 to its macro average.
    """
    if not matches:
        return {}
    overall = _row([counts_of(match) for match in matches])
    by_category = []
    for category in CATEGORIES:
        counts = [counts_of(match, category) for match in matches]
        present = [c for c in counts if c.reference or c.hypothesis]
        if present:
            by_category.append({"category": category, **_row(present)})
    by_organ = []
    order = [*ORGANS, UNKNOWN_ORGAN]
    seen = sorted(set(organs), key=lambda o: (order.index(o) if o in order else len(order), o))
    for organ in seen:
        counts = [counts_of(m) for m, o in zip(matches, organs, strict=True) if o == organ]
        by_organ.append({"organ": organ, **_row(counts)})
    return {
        "clinical_overall": overall,
        "clinical_by_category": by_category,
        "clinical_by_organ": by_organ,
    }


def _spacy_version() -> str:
    try:
        return metadata.version("spacy")
    except metadata.PackageNotFoundError:
        return "unknown"
