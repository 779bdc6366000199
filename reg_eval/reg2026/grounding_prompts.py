# ruff: noqa: E501 -- the judge prompts are kept byte for byte, long lines included
"""The REG 2026 Metric B judge prompts, the reading of the judge's verdict, and voting.

The organisers' scorer asks its judge two fixed questions: is an answer appropriate for a
background-only region (CORRECT / INCORRECT), and are two answers clinically the same (SAME /
DIFFERENT). The judge's reading of a prompt changes with every byte, so the two templates
below are the organisers' text byte for byte: the background prompt keeps the eight spaces of
indentation it has in their source (and ends with a line of eight spaces), the similarity
prompt starts at column 0, and both begin with a newline.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from hashlib import sha256
from typing import Final

BACKGROUND_TEMPLATE: Final[str] = """
        You are a pathology expert.

        The following image region is from a whole slide image, but it contains NO tissue, background only.

        Question:
        {question}

        Model Answer:
        {answer}

        Task:
        Determine whether the model answer is appropriate for a background-only image region.

        Judgment rules:
        - If the answer claims any diagnostic, morphological, grading, tumor-related, cell-related, tissue-specific, or pathology-specific information, the judgment is INCORRECT.
        - If the answer states that no reliable information can be determined because the region contains no tissue or only background, the judgment is CORRECT.
        - If the answer says background, no tissue, not assessable, not evaluable, or uncertain due to absence of tissue, the judgment is CORRECT.
        - If the answer gives a diagnosis or describes tissue morphology despite the region being background only, the judgment is INCORRECT.

        You may reason internally if needed.

        Final output requirement:
        At the end, output exactly one final judgment using this format:

        <answer>CORRECT</answer>

        or

        <answer>INCORRECT</answer>

        Do not output anything more after your answer.
        """
"""Formatted with `question` and `answer` (the mapping's question, the stripped answer)."""

SIMILARITY_TEMPLATE: Final[str] = """
You are a pathology expert.

Question:
{question}

Answer A:
{answer_a}

Answer B:
{answer_b}

Task:
Determine whether the two answers are semantically equivalent in a clinical sense.

Judgment rules:
- If both answers express the same diagnosis, grade, morphology, visual content, or clinical meaning, the judgment is SAME.
- If they differ in any clinically meaningful way, the judgment is DIFFERENT.
- Be strict about clinically meaningful differences, including diagnosis, tumor type, benign/malignant status, grade, cell type, morphology, tissue structure, staining pattern, uncertainty level, and clinical implication.
- Ignore only minor wording differences that do not change the clinical meaning.
- If one answer is more specific than the other and the added specificity changes or narrows the clinical meaning, the judgment is DIFFERENT.
- If one answer makes a confident claim while the other says the finding is uncertain, not assessable, or cannot be determined, the judgment is DIFFERENT.

You may reason internally if needed.

Final output requirement:
At the end, output exactly one final judgment using this format:

<answer>SAME</answer>

or

<answer>DIFFERENT</answer>

Do not repeat the answer.
Do not output anything after the closing </answer> tag.
"""
"""Formatted with `question`, `answer_a` and `answer_b`."""

BACKGROUND_LABELS: Final[tuple[str, str]] = ("CORRECT", "INCORRECT")
SIMILARITY_LABELS: Final[tuple[str, str]] = ("SAME", "DIFFERENT")

POSITIVE: Final[float] = 1.0
"""CORRECT or SAME."""
NEGATIVE: Final[float] = 0.0
"""INCORRECT or DIFFERENT."""
UNPARSEABLE: Final[float] = -1.0
"""No `<answer>LABEL</answer>` in the judge's content; every part scores it as 0."""

TIE_ORDER: Final[tuple[float, ...]] = (NEGATIVE, POSITIVE, UNPARSEABLE)
"""Which verdict wins a tie between equally frequent votes. The organisers take the most
frequent value with `max(set(votes), key=votes.count)`: the first maximum in the iteration
order of a Python set of {1.0, 0.0, -1}, which is 0.0, then 1.0, then -1 (set slots follow the
hashes 0, 1 and -2)."""

VERDICT_NAMES: Final[dict[float, str]] = {
    POSITIVE: "positive",
    NEGATIVE: "negative",
    UNPARSEABLE: "unparseable",
}


def background_prompt(question: str, answer: str) -> str:
    """The background judge's prompt: is `answer` right for a region with no tissue?"""
    return BACKGROUND_TEMPLATE.format(question=question, answer=answer)


def similarity_prompt(question: str, answer_a: str, answer_b: str) -> str:
    """The similarity judge's prompt: do the two answers mean the same clinically?"""
    return SIMILARITY_TEMPLATE.format(question=question, answer_a=answer_a, answer_b=answer_b)


def prompts_hash() -> str:
    """sha256 of the two templates (background, a NUL byte, similarity): enters signatures."""
    data = BACKGROUND_TEMPLATE.encode("utf-8") + b"\0" + SIMILARITY_TEMPLATE.encode("utf-8")
    return sha256(data).hexdigest()


def _label_pattern(labels: Sequence[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(label) for label in labels)
    return re.compile(rf"<answer>\s*({alternatives})\s*</answer>", flags=re.IGNORECASE)


_PATTERNS: dict[tuple[str, ...], re.Pattern[str]] = {
    tuple(labels): _label_pattern(labels) for labels in (BACKGROUND_LABELS, SIMILARITY_LABELS)
}


def parse_label(content: str | None, labels: Sequence[str]) -> str | None:
    """The first `<answer>LABEL</answer>` in `content` (any letter case), upper-cased.

    None when there is no such tag. A content of None (no reply text at all) reads as the last
    label, INCORRECT or DIFFERENT, as the organisers' parser does.
    """
    if content is None:
        return labels[-1]
    key = tuple(labels)
    pattern = _PATTERNS.get(key) or _label_pattern(key)
    match = pattern.search(content)
    return match.group(1).upper() if match else None


def verdict_value(content: str | None, labels: Sequence[str]) -> float:
    """1.0 for the first label (CORRECT, SAME), 0.0 for the second, -1 when unparseable."""
    label = parse_label(content, labels)
    if label == labels[0]:
        return POSITIVE
    if label == labels[1]:
        return NEGATIVE
    return UNPARSEABLE


def vote(verdicts: Sequence[float]) -> float:
    """The most frequent verdict; ties go to the first of `TIE_ORDER` among the tied."""
    if not verdicts:
        raise ValueError("vote needs at least one verdict")
    counts = {value: 0 for value in TIE_ORDER}
    for value in verdicts:
        if value not in counts:
            raise ValueError(f"not a verdict value: {value!r}")
        counts[value] += 1
    best = max(counts.values())
    return next(value for value in TIE_ORDER if counts[value] == best)


def agreement(verdicts: Sequence[float]) -> float:
    """Share of the votes that agree with the voted verdict (1.0 when all agree)."""
    return sum(v == vote(verdicts) for v in verdicts) / len(verdicts)
