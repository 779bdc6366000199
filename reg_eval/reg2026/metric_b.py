"""REG 2026 Metric B (visual grounding): which judgements each ROI and pair needs, and the
parts computed from the judge's verdicts. No model here: a plan names the prompts, a caller
has them judged, and `score_plan` turns verdicts into B1, B2, B3 and B.

The organisers' rules, which `docs/reg2026.md` spells out with their quirks:
- B1 over background originals: the background judge on (question, answer); CORRECT is 1.
- B2 over tissue originals with a perturbed partner: the similarity judge on the two
  answers; SAME is 1.
- B3 over tissue originals with a background partner: `(1 - same) * background_ok`, where an
  unparseable similarity verdict makes the first factor 0.
- A ROI whose answer is missing, or whose image or question differs from the mapping row,
  scores 0 and is listed (for a pair, if either side does). An unparseable verdict scores 0.
- Each part is the plain mean over its rows, 0 for an empty part; B = 0.3 B1 + 0.3 B2 + 0.4 B3.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from reg_eval.columns import ColumnLayout
from reg_eval.errors import InvalidInputError
from reg_eval.io.grounding import NO_PARTNER, RoiAnswer, RoiRow
from reg_eval.reg2026.canonical import canonical_text
from reg_eval.reg2026.grounding_prompts import (
    BACKGROUND_LABELS,
    SIMILARITY_LABELS,
    UNPARSEABLE,
    background_prompt,
    similarity_prompt,
)

WEIGHTS: dict[str, float] = {"B1": 0.3, "B2": 0.3, "B3": 0.4}
PARTS: tuple[str, ...] = ("B1", "B2", "B3")
COMPUTED = "reg2026-metric-b=0.3*b1_background+0.3*b2_sensitivity+0.4*b3_cross_region"
JUDGE_KINDS: tuple[str, ...] = ("similarity", "background")
"""The two judges, in the order a B3 row asks them."""
JUDGED_FIELDS: tuple[str, ...] = ("verdict", "votes", "content", "raw", "reasoning")
"""What a per-case row keeps of each judgement: the voted verdict, every vote, and the
chosen reply (its answer, its raw text and its reasoning)."""


def judged_column(kind: str, field: str) -> str:
    """The per-case column of one field of one judge's judgement ('similarity_verdict')."""
    return f"{kind}_{field}"


VERDICT_COLUMNS: dict[str, str] = {kind: judged_column(kind, "verdict") for kind in JUDGE_KINDS}
REASONING_COLUMNS: dict[str, str] = {
    kind: judged_column(kind, "reasoning") for kind in JUDGE_KINDS
}
LAYOUT = ColumnLayout(
    numeric=("score",),
    detail=tuple(judged_column(kind, f) for kind in JUDGE_KINDS for f in JUDGED_FIELDS),
)
"""Metric B's per-case rows: one score per part row, and what the judges said (shown, never
averaged)."""


@dataclass(frozen=True)
class Judgement:
    """One prompt for the judge, and which labels its verdict is read with."""

    kind: str
    """'background' or 'similarity'."""
    prompt: str

    @property
    def labels(self) -> tuple[str, str]:
        return BACKGROUND_LABELS if self.kind == "background" else SIMILARITY_LABELS


@dataclass(frozen=True)
class PlanItem:
    """One scored row of a part: a background ROI (B1) or a pair (B2, B3)."""

    part: str
    ids: tuple[str, ...]
    """B1: (roi,); B2: (original, perturbed); B3: (tissue, background)."""
    line: int
    """The mapping line of the row that defines the item."""
    gated: bool
    """True when every answer it needs is present and matches its mapping row."""
    reasons: tuple[str, ...]
    """Why it is gated out ('no answer for 000005', 'image differs for 000005', ...)."""
    answers: tuple[str, ...]
    """The answers as the judge sees them ('' for a missing one)."""
    judgements: tuple[Judgement, ...]
    """B1: (background,); B2: (similarity,); B3: (similarity, background); () when gated out."""
    pair_id: str = ""
    question_mismatch: bool = False
    """B3 only: tissue and background questions differ after canonicalisation (recorded, not
    scored, as the organisers do)."""


@dataclass(frozen=True)
class MetricBPlan:
    items: tuple[PlanItem, ...]

    def part(self, name: str) -> list[PlanItem]:
        return [item for item in self.items if item.part == name]

    def judgements(self) -> list[Judgement]:
        """Every distinct judgement, in first-needed order."""
        seen: dict[str, Judgement] = {}
        for item in self.items:
            for judgement in item.judgements:
                seen.setdefault(judgement.prompt, judgement)
        return list(seen.values())


def _gate(row: RoiRow, answer: RoiAnswer | None) -> list[str]:
    """Why `answer` does not count for `row` (empty when it counts)."""
    if answer is None:
        return [f"no answer for {row.anonymous_id}"]
    reasons = []
    if answer.image != row.image:
        reasons.append(f"image differs for {row.anonymous_id}")
    if answer.question != row.question:
        reasons.append(f"question differs for {row.anonymous_id}")
    return reasons


def _partner(by_id: Mapping[str, RoiRow], row: RoiRow, column: str) -> RoiRow:
    partner_id = row.fields.get(column, "")
    partner = by_id.get(partner_id)
    if partner is None:  # the organisers' scorer stops with a KeyError here
        raise InvalidInputError(
            f"mapping line {row.line}, id {row.anonymous_id}: {column} {partner_id!r} is no "
            "anonymous_id of the mapping",
            hint=f"point it at a mapped ROI or write {NO_PARTNER!r}; "
            "`reg-eval validate --kind grounding MAPPING` lists every such row",
        )
    return partner


def _tissue_pairs(
    rows: Sequence[RoiRow],
    by_id: Mapping[str, RoiRow],
    answers: Mapping[str, RoiAnswer],
    column: str,
) -> Iterator[tuple[RoiRow, str, RoiRow, list[str], tuple[str, str]]]:
    """Each original tissue row paired through `column` (B2: its perturbed twin, B3: a
    background ROI), in mapping order: the partner's id and row, why the pair does not count
    (empty when it counts), and the two answers' texts ("" for a missing answer)."""
    for row in rows:
        if row.label != "tissue" or row.variant != "original":
            continue
        partner_id: str = getattr(row, column)
        if partner_id == NO_PARTNER:
            continue
        partner = _partner(by_id, row, column)
        first = answers.get(row.anonymous_id)
        second = answers.get(partner_id)
        reasons = _gate(row, first) + _gate(partner, second)
        yield (row, partner_id, partner, reasons,
               (first.text if first else "", second.text if second else ""))


def plan_metric_b(rows: Sequence[RoiRow], answers: Mapping[str, RoiAnswer]) -> MetricBPlan:
    """The items of B1, B2 and B3 in mapping order, each gated and with its prompts.

    Raises InvalidInputError (located) for a pair id that no row has, where the organisers'
    scorer crashes.
    """
    by_id = {row.anonymous_id: row for row in rows}  # a repeated id keeps its last row
    items: list[PlanItem] = []
    for row in rows:
        if row.label == "background" and row.variant == "original":
            answer = answers.get(row.anonymous_id)
            reasons = _gate(row, answer)
            text = answer.text if answer is not None else ""
            judgements = () if reasons else (
                Judgement("background", background_prompt(row.question, text)),
            )
            items.append(PlanItem("B1", (row.anonymous_id,), row.line, not reasons,
                                  tuple(reasons), (text,), judgements, row.pair_id))
    for row, partner_id, _twin, reasons, texts in _tissue_pairs(
        rows, by_id, answers, "paired_anonymous_id"
    ):
        judgements = () if reasons else (
            Judgement("similarity", similarity_prompt(row.question, *texts)),
        )
        items.append(PlanItem("B2", (row.anonymous_id, partner_id), row.line,
                              not reasons, tuple(reasons), texts, judgements, row.pair_id))
    for row, partner_id, background, reasons, texts in _tissue_pairs(
        rows, by_id, answers, "b3_paired_anonymous_id"
    ):
        if not partner_id:
            reasons.append("empty b3_paired_anonymous_id")
        judgements = () if reasons else (
            Judgement("similarity", similarity_prompt(row.question, *texts)),
            Judgement("background", background_prompt(background.question, texts[1])),
        )
        mismatch = not reasons and (
            canonical_text(row.question) != canonical_text(background.question)
        )
        items.append(PlanItem("B3", (row.anonymous_id, partner_id), row.line,
                              not reasons, tuple(reasons), texts, judgements, row.pair_id,
                              mismatch))
    return MetricBPlan(tuple(items))


def zero_if_unparseable(verdict: float) -> float:
    """An unparseable verdict (-1) scores 0; CORRECT/SAME 1, INCORRECT/DIFFERENT 0."""
    return 0.0 if verdict == UNPARSEABLE else float(verdict)


def item_score(item: PlanItem, verdicts: Mapping[str, float]) -> float:
    """The item's score from the (voted) verdict of each of its prompts."""
    if not item.gated:
        return 0.0
    if item.part in ("B1", "B2"):
        return zero_if_unparseable(verdicts[item.judgements[0].prompt])
    same = verdicts[item.judgements[0].prompt]
    background_ok = zero_if_unparseable(verdicts[item.judgements[1].prompt])
    different = 0.0 if same == UNPARSEABLE else 1.0 - float(same)
    return different * background_ok


def part_mean(scores: Sequence[float]) -> float:
    """A part's score: the plain mean of its rows, 0 for a part without rows (as the
    organisers do; the row count is reported beside it)."""
    return sum(scores) / len(scores) if scores else 0.0


def combine(parts: Mapping[str, float]) -> float:
    """B = 0.3 B1 + 0.3 B2 + 0.4 B3."""
    return WEIGHTS["B1"] * parts["B1"] + WEIGHTS["B2"] * parts["B2"] + WEIGHTS["B3"] * parts["B3"]


def score_plan(plan: MetricBPlan, verdicts: Mapping[str, float]) -> dict[str, list[float]]:
    """Per-item scores of each part, in plan order."""
    return {
        name: [item_score(item, verdicts) for item in plan.part(name)] for name in PARTS
    }


def metric_b(scores: Mapping[str, Sequence[float]]) -> dict[str, float]:
    """B1, B2, B3 and B from per-item scores."""
    parts = {name: part_mean(scores[name]) for name in PARTS}
    return {**parts, "B": combine(parts)}


def overall(a: float, b: float) -> float:
    """The REG 2026 challenge score: 0.7 A + 0.3 B."""
    return 0.7 * a + 0.3 * b
