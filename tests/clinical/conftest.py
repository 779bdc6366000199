"""Shared fixtures: one extractor for the whole directory, the hand-annotated pairs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reg_eval.clinical.extract import FactExtractor

ANNOTATED_PAIRS = Path(__file__).resolve().parent / "data" / "annotated_pairs.jsonl"


@pytest.fixture(scope="session")
def extractor() -> FactExtractor:
    return FactExtractor()


@pytest.fixture(scope="session")
def annotated_pairs() -> list[dict[str, Any]]:
    lines = ANNOTATED_PAIRS.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]
