"""REG 2026 Metric A written literally from the spec page, one case at a time, plain loops.

The independent reference the tests hold `reg_eval.reg2026` against: no regular expressions
for the aliases, no sets of precomputed edges shared with the package, no batching.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

FINAL_Q = "what is the final pathology report"
END_VALUES = [
    "", "end", "stop", "finish", "finished", "none", "null", "no next question",
    "no further question",
]
ALIAS_PAIRS = [
    ("pridominant", "predominant"),
    ("dianoses", "diagnoses"),
    ("diagnosises", "diagnoses"),
    ("includes", "include"),
]


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _replace_whole_word(text: str, wrong: str, right: str) -> str:
    out = ""
    i = 0
    while i < len(text):
        before_ok = i == 0 or not _is_word_char(text[i - 1])
        end = i + len(wrong)
        after_ok = end >= len(text) or not _is_word_char(text[end])
        if text.startswith(wrong, i) and before_ok and after_ok:
            out += right
            i = end
        else:
            out += text[i]
            i += 1
    return out


def canon(value: Any) -> str:
    if value is None:
        return ""
    text = str(value).lower()
    text = " ".join(text.split())
    while text and (text[-1] in ".,;:!?" or text[-1].isspace()):
        text = text[:-1]
    for wrong, right in ALIAS_PAIRS:
        text = _replace_whole_word(text, wrong, right)
    return text


def canon_next(value: Any) -> str:
    text = canon(value)
    if text in END_VALUES:
        return "__END__"
    return text


def field(step: dict[str, Any], key: str) -> str:
    value = step.get(key)
    if not value:
        return ""
    return str(value)


def clamp(x: float) -> float:
    if x < 0:
        return 0.0
    if x > 1:
        return 1.0
    return float(x)


def edges_of(steps: list[dict[str, Any]]) -> set[tuple[str, str]]:
    result = set()
    for step in steps:
        result.add((canon(field(step, "question")), canon_next(field(step, "next_question"))))
    return result


def final_report_of(steps: list[dict[str, Any]]) -> str:
    for step in steps:
        if canon(field(step, "question")) == FINAL_Q:
            return field(step, "answer")
    return ""


def mess_literal(
    gt_steps: list[dict[str, Any]],
    pred_steps: list[dict[str, Any]],
    similarity: Callable[[str, str], float],
) -> float:
    seen: list[tuple[str, str]] = []
    sims: list[float] = []
    for step in gt_steps:
        question = canon(field(step, "question"))
        if question == FINAL_Q:
            continue
        edge = (question, canon_next(field(step, "next_question")))
        if edge in seen:
            continue
        seen.append(edge)
        pred_answer = None
        for pred in pred_steps:
            pred_q = canon(field(pred, "question"))
            if pred_q == FINAL_Q:
                continue
            if (pred_q, canon_next(field(pred, "next_question"))) == edge:
                pred_answer = field(pred, "answer")
                break
        if pred_answer is None:
            sims.append(0.0)
        else:
            sims.append(clamp(similarity(field(step, "answer"), pred_answer)))
    if not sims:
        return 0.0
    return sum(sims) / len(sims)


def final_report_literal(bleu: float, rouge: float, key: float, emb_cosine: float) -> float:
    """The 2025 formula on clamped components (EMB rescaled first), the sum clamped."""
    emb = (emb_cosine - 0.5) / 0.5 if emb_cosine > 0.5 else emb_cosine
    total = 0.15 * (clamp(rouge) + clamp(bleu)) + 0.4 * clamp(key) + 0.3 * clamp(emb)
    return clamp(total)


def case_literal(
    gt_steps: list[dict[str, Any]],
    pred_steps: list[dict[str, Any]] | None,
    similarity: Callable[[str, str], float],
    final_report: Callable[[str, str], float],
) -> dict[str, float]:
    pred = pred_steps if pred_steps is not None else []
    gt_edges = edges_of(gt_steps)
    pred_edges = edges_of(pred)
    bpv = 1.0 if gt_edges == pred_edges else 0.0
    tp = 0
    for edge in pred_edges:
        if edge in gt_edges:
            tp += 1
    precision = tp / len(pred_edges) if pred_edges else 0.0
    recall = tp / len(gt_edges) if gt_edges else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    mess = mess_literal(gt_steps, pred, similarity)
    report = final_report(final_report_of(gt_steps), final_report_of(pred))
    a = 0.05 * bpv + 0.30 * f1 + 0.25 * mess + 0.40 * report
    return {"A": a, "bpv": bpv, "edge_f1": f1, "mess": mess, "final_report": report}
