"""REG 2026 Metric A: pure maths over chain-of-thought steps and given similarities.

Per case, `A = 0.05*BPV + 0.30*EdgeF1 + 0.25*MESS + 0.40*FinalReport`, then the mean over all
ground-truth cases. No model is loaded here: MESS takes the sentence similarities and the
final report takes BLEU, ROUGE, KEY and EMB from the caller, so every formula can be tested
with plain numbers. `docs/reg2026.md` states the definition and where it comes from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reg_eval.metrics.bleu4 import bleu4
from reg_eval.metrics.emb_rescale import emb_rescale
from reg_eval.metrics.ranking import ranking
from reg_eval.metrics.rouge_lcs import rouge_lcs_f1
from reg_eval.metrics.tokenize import bleu_tokens, rouge_tokens
from reg_eval.reg2026.canonical import (
    canonical_next_question,
    canonical_text,
    is_final_report_question,
)
from reg_eval.reg2026.steps import Step

Edge = tuple[str, str]
"""(canonical question, canonical next question)."""

A_WEIGHTS: dict[str, float] = {"bpv": 0.05, "edge_f1": 0.30, "mess": 0.25, "final_report": 0.40}
OVERALL_WEIGHTS: dict[str, float] = {"A": 0.70, "B": 0.30}
"""How the challenge combines Metric A with Metric B (B is not computed here)."""


def clamp01(value: float) -> float:
    return max(0.0, min(1.0, float(value)))


# -- edges ----------------------------------------------------------------------------------


def step_edge(step: Step) -> Edge:
    return canonical_text(step.question), canonical_next_question(step.next_question)


def edge_list(steps: Sequence[Step]) -> list[Edge]:
    """Edges in step order, duplicates kept (for the ordered check and for reports)."""
    return [step_edge(step) for step in steps]


def edge_set(steps: Sequence[Step]) -> frozenset[Edge]:
    """The edges as a set: order and repetition do not count."""
    return frozenset(edge_list(steps))


def binary_path_validity(gt_edges: frozenset[Edge], pred_edges: frozenset[Edge]) -> float:
    """1 when the two edge sets are equal (two empty sets included), else 0."""
    return 1.0 if gt_edges == pred_edges else 0.0


@dataclass(frozen=True)
class EdgeScores:
    precision: float
    recall: float
    f1: float
    tp: int
    fp: int
    fn: int


def edge_scores(gt_edges: frozenset[Edge], pred_edges: frozenset[Edge]) -> EdgeScores:
    """Precision tp/|pred|, recall tp/|gt| (0 over an empty set), F1 0 when P+R = 0."""
    tp = len(gt_edges & pred_edges)
    precision = tp / len(pred_edges) if pred_edges else 0.0
    recall = tp / len(gt_edges) if gt_edges else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return EdgeScores(
        precision=precision,
        recall=recall,
        f1=f1,
        tp=tp,
        fp=len(pred_edges - gt_edges),
        fn=len(gt_edges - pred_edges),
    )


# -- MESS -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MessPair:
    """One unique non-final ground-truth edge: its first answer and the prediction's first
    answer on the same edge (None when the prediction lacks the edge, which scores 0)."""

    edge: Edge
    gt_answer: str
    pred_answer: str | None


def first_answers(steps: Sequence[Step]) -> dict[Edge, str]:
    """The first answer on each non-final edge, in first-seen order."""
    answers: dict[Edge, str] = {}
    for step in steps:
        if is_final_report_question(step.question):
            continue
        answers.setdefault(step_edge(step), step.answer)
    return answers


def mess_pairs(gt_steps: Sequence[Step], pred_steps: Sequence[Step]) -> list[MessPair]:
    predicted = first_answers(pred_steps)
    return [
        MessPair(edge, answer, predicted.get(edge))
        for edge, answer in first_answers(gt_steps).items()
    ]


def mess(similarities: Sequence[float | None]) -> float:
    """Mean of the clamped similarities, a missing edge (None) counting 0; 0 with no edge."""
    if not similarities:
        return 0.0
    values = [0.0 if sim is None else clamp01(sim) for sim in similarities]
    return sum(values) / len(values)


# -- final report ---------------------------------------------------------------------------


def final_report_text(steps: Sequence[Step]) -> str:
    """The answer of the first final-report step, or "" when the chain has none."""
    for step in steps:
        if is_final_report_question(step.question):
            return step.answer
    return ""


@dataclass(frozen=True)
class FinalReportScores:
    """The clamped 2026 components and their clamped weighted sum."""

    bleu: float
    rouge: float
    key: float
    emb: float
    score: float


def final_report_score(bleu: float, rouge: float, key: float, emb: float) -> FinalReportScores:
    """The REG 2025 formula with each component, and then the sum, clamped to [0, 1].

    `emb` is the already rescaled EMB (see `emb_2026`); BLEU is the 2025 per-occurrence
    count, which can exceed 1 before the clamp.
    """
    parts = [clamp01(value) for value in (bleu, rouge, key, emb)]
    total = clamp01(ranking(parts[0], parts[1], parts[2], parts[3]))
    return FinalReportScores(*parts, score=total)


def bleu_2026(reference: str, hypothesis: str) -> float:
    """The 2025 BLEU of two texts, clamped to [0, 1]."""
    return clamp01(bleu4(bleu_tokens(reference), bleu_tokens(hypothesis)))


def rouge_2026(reference: str, hypothesis: str) -> float:
    return clamp01(rouge_lcs_f1(rouge_tokens(reference), rouge_tokens(hypothesis)))


def emb_2026(cosine: float) -> float:
    """The 2025 rescale (jump at 0.5 kept), then the clamp: negative cosines become 0."""
    return clamp01(emb_rescale(float(cosine)))


# -- Metric A -------------------------------------------------------------------------------


def metric_a(bpv: float, edge_f1: float, mess_score: float, final_report: float) -> float:
    """0.05*BPV + 0.30*EdgeF1 + 0.25*MESS + 0.40*FinalReport, in that order."""
    return (
        A_WEIGHTS["bpv"] * bpv
        + A_WEIGHTS["edge_f1"] * edge_f1
        + A_WEIGHTS["mess"] * mess_score
        + A_WEIGHTS["final_report"] * final_report
    )


@dataclass(frozen=True)
class CasePlan:
    """Everything of one case that needs no model: edges, MESS pairs and the two reports."""

    id: str
    predicted: bool
    gt_edges: frozenset[Edge]
    pred_edges: frozenset[Edge]
    ordered_validity: float
    """1 when the edge lists match step for step (reported, not part of A)."""
    mess_pairs: tuple[MessPair, ...]
    gt_report: str
    pred_report: str

    @property
    def bpv(self) -> float:
        return binary_path_validity(self.gt_edges, self.pred_edges)

    @property
    def edges(self) -> EdgeScores:
        return edge_scores(self.gt_edges, self.pred_edges)


def plan_case(
    case_id: str, gt_steps: Sequence[Step], pred_steps: Sequence[Step] | None
) -> CasePlan:
    """A missing prediction (None) is scored as an empty chain."""
    predicted = pred_steps is not None
    pred = list(pred_steps) if pred_steps is not None else []
    return CasePlan(
        id=case_id,
        predicted=predicted,
        gt_edges=edge_set(gt_steps),
        pred_edges=edge_set(pred),
        ordered_validity=1.0 if edge_list(gt_steps) == edge_list(pred) else 0.0,
        mess_pairs=tuple(mess_pairs(gt_steps, pred)),
        gt_report=final_report_text(gt_steps),
        pred_report=final_report_text(pred),
    )
