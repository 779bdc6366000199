"""Hand-written REG 2026 chains of thought and a tiny local BERT, shared by the tests.

The chains cover the spec's corner cases: question aliases (pridominant, dianoses, includes),
every way of ending a chain, duplicate edges, a missing final report, a missing case, an extra
case, and ids with `.svs`/`.tiff` suffixes in any letter case.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import tiny_models

FINAL = "What is the final pathology report?"

GT_BREAST: list[dict[str, Any]] = [
    {"question": "What is the organ?", "answer": "Breast",
     "next_question": "Is there any abnormality present?"},
    {"question": "Is there any abnormality present?", "answer": "Yes, there is an abnormality.",
     "next_question": "What is the histologic type of neoplasm?"},
    {"question": "Is there any abnormality present?", "answer": "Yes, again.",
     "next_question": "What is the histologic type of neoplasm?"},
    {"question": "What is the histologic type of neoplasm?",
     "answer": "Invasive carcinoma of no special type",
     "next_question": "What is the number of diagnoses to includes?"},
    {"question": "What is the number of diagnoses to includes?", "answer": "1",
     "next_question": FINAL},
    {"question": FINAL,
     "answer": "Breast, core needle biopsy;\\n  Invasive carcinoma of no special type, grade II",
     "next_question": ""},
]
PRED_BREAST: list[dict[str, Any]] = [
    {"question": "  what IS the   organ ?", "answer": "Breast",
     "next_question": "Is there any abnormality present"},
    {"question": "What is the organ?", "answer": "Lung",
     "next_question": "Is there any abnormality present?"},
    {"question": "Is there any abnormality present?", "answer": "Yes, there is an abnormality",
     "next_question": "What is the histologic type of neoplasm?"},
    {"question": "What is the histologic type of neoplasm?",
     "answer": "Invasive lobular carcinoma",
     "next_question": "What is the number of dianoses to include?"},
    {"question": "What is the number of Dianoses to include", "answer": "1",
     "next_question": "What is the final pathology report"},
    {"question": "what is the final pathology report.",
     "answer": "Breast, core needle biopsy;\\n  Invasive lobular carcinoma, grade II",
     "next_question": "No further question."},
]
GT_LUNG: list[dict[str, Any]] = [
    {"question": "What is the organ?", "answer": "Lung",
     "next_question": "What is the pridominant pattern?"},
    {"question": "What is the predominant pattern?", "answer": "Acinar",
     "next_question": FINAL},
    {"question": FINAL, "answer": "Lung, biopsy;\\n  Adenocarcinoma, acinar predominant",
     "next_question": "END"},
]
PRED_LUNG_NO_REPORT: list[dict[str, Any]] = [
    {"question": "What is the organ?", "answer": "Lung",
     "next_question": "What is the predominant pattern?"},
    {"question": "What is the pridominant pattern", "answer": "Solid", "next_question": "stop"},
]
GT_PROSTATE: list[dict[str, Any]] = [
    {"question": "What is the organ?", "answer": "Prostate", "next_question": FINAL},
    {"question": FINAL, "answer": "Prostate, biopsy;\\n  No tumor present",
     "next_question": None},
]
PRED_EXTRA: list[dict[str, Any]] = [
    {"question": "What is the organ?", "answer": "Colon", "next_question": "none"},
]

GT_IDS = ("PIT_01_00001_01.tiff", "PIT_02_00002_01.TIFF", "PIT_03_00003_01.svs")
"""Breast, lung, prostate; the prostate case has no prediction."""


def ground_truth_cases() -> list[dict[str, Any]]:
    return [
        {"id": GT_IDS[0], "chain-of-thought": GT_BREAST, "organ": "Breast"},
        {"id": GT_IDS[1], "chain-of-thought": GT_LUNG},
        {"id": GT_IDS[2], "chain_of_thought": GT_PROSTATE},
    ]


def write_json(path: Path, value: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2), encoding="utf-8")
    return path


def build_tiny_bert(folder: Path, *, seed: int = 0) -> Path:
    """The shared tiny BERT, its vocabulary trained on these chains' answers."""
    corpus = [step["answer"] for chain in (GT_BREAST, PRED_BREAST, GT_LUNG) for step in chain]
    corpus += ["prostate biopsy no tumor present solid acinar lung colon 0 1 2 3 ; , . \\ n"]
    return tiny_models.build_tiny_bert(folder, seed=seed, corpus=corpus, vocab_size=160)
