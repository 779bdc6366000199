"""Fixtures for the REG 2026 tests: the hand-written chains on disk and a tiny local BERT."""

from __future__ import annotations

from pathlib import Path

import pytest
from cot_fixtures import (
    PRED_BREAST,
    PRED_EXTRA,
    PRED_LUNG_NO_REPORT,
    build_tiny_bert,
    ground_truth_cases,
    write_json,
)


@pytest.fixture
def cot_files(tmp_path: Path) -> dict[str, Path]:
    """Ground truth, a per-case submission folder (both layouts), and the same as one file."""
    gt = write_json(tmp_path / "gt.json", ground_truth_cases())
    folder = tmp_path / "submission"
    write_json(folder / "PIT_01_00001_01.json", PRED_BREAST)
    write_json(folder / "PIT_02_00002_01.Tiff" / "chain-of-thought.json",
               {"workflow_steps": PRED_LUNG_NO_REPORT})
    write_json(folder / "PIT_09_99999_01.tiff.json", PRED_EXTRA)
    single = write_json(tmp_path / "predictions.json", [
        {"id": "PIT_01_00001_01.svs", "chain-of-thought": PRED_BREAST},
        {"id": "PIT_02_00002_01", "steps": PRED_LUNG_NO_REPORT},
        {"id": "PIT_09_99999_01.tiff", "reasoning_steps": PRED_EXTRA},
    ])
    return {"gt": gt, "folder": folder, "single": single, "root": tmp_path}


@pytest.fixture(scope="session")
def cot_bert_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_bert(tmp_path_factory.mktemp("cot-bert"))
