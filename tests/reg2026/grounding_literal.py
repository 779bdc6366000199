# ruff: noqa: E501, UP006, UP035, UP045, RUF059 -- kept as the organisers wrote it
"""A plain, literal transcription of the REG 2026 organisers' Metric B scorer, for parity tests.

Written line by line from their `evaluate_metrics.py` (template commit 111be32: the loaders,
`parse_judge_label`, `VisualGroundingEvaluator.judge_background / judge_similarity / vote`,
`compute_b1/b2/b3_*_from_answers`, `canonicalize_text`) with the printing and timing left out.
It shares no code with reg_eval. `judge_model(prompt)` returns (content, reasoning).
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple


def normalize_whitespace(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def strip_trailing_punctuation(text: str) -> str:
    return re.sub(r"[\s\.\,\;\:\!\?]+$", "", text).strip()


KNOWN_ALIASES = {
    "pridominant": "predominant",
    "dianoses": "diagnoses",
    "diagnosises": "diagnoses",
    "includes": "include",
}


def canonicalize_text(text: Optional[str]) -> str:
    if text is None:
        return ""
    text = str(text)
    text = text.lower()
    text = normalize_whitespace(text)
    text = strip_trailing_punctuation(text)
    for src, dst in KNOWN_ALIASES.items():
        text = re.sub(rf"\b{re.escape(src)}\b", dst, text)
    return text


def parse_judge_label(raw_text: str, allowed: List[str]) -> str:
    if raw_text is None:
        return allowed[-1]
    allowed_pattern = "|".join(re.escape(x) for x in allowed)
    match = re.search(rf"<answer>\s*({allowed_pattern})\s*</answer>", raw_text, flags=re.IGNORECASE)
    if match:
        return match.group(1).upper()
    return -1


class VisualGroundingEvaluator:
    def __init__(self, judge_model: Callable[[str], Tuple[str, str]]):
        self.judge_model = judge_model

    def judge_background(self, question: str, answer: str) -> float:
        prompt = f"""
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
        result, reasoning = self.judge_model(prompt)
        label = parse_judge_label(result, allowed=["CORRECT", "INCORRECT"])
        if label == "CORRECT":
            return 1.0
        elif label == "INCORRECT":
            return 0.0
        else:
            return -1

    def judge_similarity(self, question: str, answer_a: str, answer_b: str) -> float:
        prompt = f"""
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
        result, reasoning = self.judge_model(prompt)
        label = parse_judge_label(result, allowed=["SAME", "DIFFERENT"])
        if label == "SAME":
            return 1.0
        elif label == "DIFFERENT":
            return 0.0
        else:
            return -1

    def vote(self, func: Callable[[], float], voting: int) -> float:
        voting = max(1, int(voting))
        results = [func() for _ in range(voting)]
        return max(set(results), key=results.count)


def load_visual_answer_json(path: Path) -> Dict[str, Dict[str, Any]]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError(f"Visual answer JSON must be a list: {path}")
    answers_by_id: Dict[str, Dict[str, Any]] = {}
    for idx, item in enumerate(data):
        if not isinstance(item, dict):
            raise ValueError(f"Visual answer item {idx} is not a dict.")
        for key in ["id", "question", "answer"]:
            if key not in item:
                raise ValueError(f"Visual answer item {idx} missing key: {key}")
        roi_id = str(item["id"])
        if roi_id in answers_by_id:
            raise ValueError(f"Duplicate visual ROI id found: {roi_id}")
        answers_by_id[roi_id] = item
    return answers_by_id


_ROIS_MAPPING_REQUIRED_COLS = {
    "anonymous_id", "image", "variant", "paired_anonymous_id", "b3_paired_anonymous_id",
    "label", "question",
}


def load_rois_mapping_txt(path: Path) -> List[Dict[str, str]]:
    rows: List[Dict[str, str]] = []
    with Path(path).open("r", encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f, delimiter="\t")
        if reader.fieldnames is None:
            raise ValueError(f"Mapping txt has no header: {path}")
        missing_cols = _ROIS_MAPPING_REQUIRED_COLS - set(reader.fieldnames)
        if missing_cols:
            raise ValueError(f"Mapping txt missing columns: {sorted(missing_cols)}")
        for row in reader:
            clean_row = {k: (v.strip() if isinstance(v, str) else v) for k, v in row.items()}
            rows.append(clean_row)
    return rows


def load_rois_mapping_txt_as_dict(path: Path) -> Dict[str, Dict[str, str]]:
    rows: Dict[str, Dict[str, str]] = {}
    for clean_row in load_rois_mapping_txt(path):
        rows[clean_row["anonymous_id"]] = clean_row
    return rows


def score_or_zero(score: float) -> float:
    if score == -1:
        return 0.0
    return float(score)


def score_or_zero_b3(score: float) -> float:
    if score == -1:
        return 0.0
    b3_score = 1.0 - float(score)
    return b3_score


def compute_b1_background_from_answers(evaluator, answers_by_id, mapping_rows, voting=1):
    scores = []
    used_ids = []
    missing_ids = []
    for row in mapping_rows:
        if row.get("label") != "background":
            continue
        if row.get("variant") != "original":
            continue
        id = row["anonymous_id"]
        id_image = row["image"]
        id_question = row["question"]
        item = answers_by_id.get(id)
        if item:
            image_pred = item["image"]
            question_pred = item["question"]
        if item is None or (id_image != image_pred) or (id_question != question_pred):
            missing_ids.append(id)
            scores.append(0.0)
            continue
        question = str(id_question).strip()
        answer = str(item.get("answer", "") or "").strip()
        score = evaluator.vote(
            lambda question=question, answer=answer: evaluator.judge_background(question, answer),
            voting,
        )
        b1_score = score_or_zero(score)
        scores.append(b1_score)
        used_ids.append(id)
    return (sum(scores) / len(scores) if scores else 0.0,
            {"num_used_background_original": len(used_ids),
             "missing_background_original_ids": missing_ids, "scores": scores})


def compute_b2_sensitivity_from_answers(evaluator, answers_by_id, mapping_rows,
                                        mapping_rows_dict, voting=1):
    scores = []
    used_pairs = []
    missing_pairs = []
    for row in mapping_rows:
        if row.get("label") != "tissue":
            continue
        if row.get("variant") != "original":
            continue
        if row.get("paired_anonymous_id") == "none":
            continue
        original_id = row["anonymous_id"]
        perturbed_id = row["paired_anonymous_id"]
        original_image = row["image"]
        original_question = row["question"]
        perturbed_image = mapping_rows_dict[perturbed_id]["image"]
        perturbed_question = mapping_rows_dict[perturbed_id]["question"]
        original_item = answers_by_id.get(original_id)
        perturbed_item = answers_by_id.get(perturbed_id)
        if original_item:
            original_image_pred = original_item["image"]
            original_question_pred = original_item["question"]
        if perturbed_item:
            perturbed_image_pred = perturbed_item["image"]
            perturbed_question_pred = perturbed_item["question"]
        if original_item is None or perturbed_item is None or (original_image != original_image_pred) or (perturbed_image != perturbed_image_pred) or (original_question != original_question_pred) or (perturbed_question != perturbed_question_pred):
            missing_pairs.append({"original_id": original_id, "perturbed_id": perturbed_id})
            scores.append(0.0)
            continue
        question = str(original_question).strip()
        original_answer = str(original_item.get("answer", "") or "").strip()
        perturbed_answer = str(perturbed_item.get("answer", "") or "").strip()
        sim = evaluator.vote(
            lambda question=question, original_answer=original_answer,
            perturbed_answer=perturbed_answer: evaluator.judge_similarity(
                question, original_answer, perturbed_answer),
            voting,
        )
        b2_score = score_or_zero(sim)
        scores.append(b2_score)
        used_pairs.append({"original_id": original_id, "perturbed_id": perturbed_id})
    return (sum(scores) / len(scores) if scores else 0.0,
            {"used_pairs": used_pairs, "missing_pairs": missing_pairs, "scores": scores})


def compute_b3_cross_region_from_answers(evaluator, answers_by_id, mapping_rows,
                                         mapping_rows_dict, voting=1):
    scores = []
    used_pairs = []
    missing_pairs = []
    question_mismatch_pairs = []
    row_by_id = {row["anonymous_id"]: row for row in mapping_rows if row.get("anonymous_id")}
    for row in mapping_rows:
        if row.get("label") != "tissue":
            continue
        if row.get("variant") != "original":
            continue
        if row.get("b3_paired_anonymous_id") == "none":
            continue
        tissue_id = row["anonymous_id"]
        tissue_image = row["image"]
        tissue_question = row["question"]
        background_id = row["b3_paired_anonymous_id"]
        background_image = mapping_rows_dict[background_id]["image"]
        background_question = mapping_rows_dict[background_id]["question"]
        tissue_item = answers_by_id.get(tissue_id)
        background_item = answers_by_id.get(background_id)
        background_row = row_by_id.get(background_id)
        if tissue_item:
            tissue_image_pred = tissue_item["image"]
            tissue_question_pred = tissue_item["question"]
        if background_item:
            background_image_pred = background_item["image"]
            background_question_pred = background_item["question"]
        if tissue_item is None or background_item is None or background_row is None or (tissue_image != tissue_image_pred) or (background_image != background_image_pred) or (tissue_question != tissue_question_pred) or (background_question != background_question_pred):
            missing_pairs.append({"tissue_id": tissue_id, "background_id": background_id})
            scores.append(0.0)
            continue
        tissue_question = str(tissue_question).strip()
        background_question = str(background_question).strip()
        if canonicalize_text(tissue_question) != canonicalize_text(background_question):
            question_mismatch_pairs.append({"tissue_id": tissue_id,
                                            "background_id": background_id})
        tissue_answer = str(tissue_item.get("answer", "") or "").strip()
        background_answer = str(background_item.get("answer", "") or "").strip()
        sim = evaluator.vote(
            lambda tissue_question=tissue_question, tissue_answer=tissue_answer,
            background_answer=background_answer: evaluator.judge_similarity(
                tissue_question, tissue_answer, background_answer),
            voting,
        )
        background_correct = evaluator.vote(
            lambda background_question=background_question,
            background_answer=background_answer: evaluator.judge_background(
                background_question, background_answer),
            voting,
        )
        similarity_score = score_or_zero_b3(sim)
        background_score = score_or_zero(background_correct)
        b3_score = similarity_score * background_score
        scores.append(b3_score)
        used_pairs.append({"tissue_id": tissue_id, "background_id": background_id})
    return (sum(scores) / len(scores) if scores else 0.0,
            {"used_pairs": used_pairs, "missing_pairs": missing_pairs,
             "question_mismatch_pairs": question_mismatch_pairs, "scores": scores})


def run_visual(answers_path: Path, mapping_path: Path, judge_model, w1=0.3, w2=0.3, w3=0.4,
               voting=1) -> Dict[str, Any]:
    answers_by_id = load_visual_answer_json(answers_path)
    mapping_rows = load_rois_mapping_txt(mapping_path)
    mapping_rows_dict = load_rois_mapping_txt_as_dict(mapping_path)
    evaluator = VisualGroundingEvaluator(judge_model=judge_model)
    b1, d1 = compute_b1_background_from_answers(evaluator, answers_by_id, mapping_rows, voting)
    b2, d2 = compute_b2_sensitivity_from_answers(evaluator, answers_by_id, mapping_rows,
                                                 mapping_rows_dict, voting)
    b3, d3 = compute_b3_cross_region_from_answers(evaluator, answers_by_id, mapping_rows,
                                                  mapping_rows_dict, voting)
    final_score = w1 * b1 + w2 * b2 + w3 * b3
    return {"B1": b1, "B2": b2, "B3": b3, "B": final_score,
            "details": {"B1": d1, "B2": d2, "B3": d3}}
