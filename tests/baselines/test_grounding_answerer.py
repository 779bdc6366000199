"""The measuring reference answerer for Metric B: worked measurements and a probe folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reg_eval.io.grounding import read_mapping
from reg_eval_baselines.grounding_answerer import (
    NO_TISSUE_ANSWER,
    answer,
    answer_folder,
    measure,
)
from slide_files import build_slide_set


def test_measurements_of_a_half_stained_region() -> None:
    """Half glass (255, 255, 255), half (200, 100, 150): saturation 127.5 > 20 there."""
    rgb = np.zeros((4, 4, 3), dtype=np.uint8)
    rgb[:2] = (255, 255, 255)
    rgb[2:] = (200, 100, 150)
    m = measure(rgb)
    assert m.tissue_share == pytest.approx(0.5)
    assert m.pink_share == pytest.approx(1.0)  # red 200 > blue 150
    assert m.grey_sd == pytest.approx(52.5)  # grey 255 and 150, half each
    assert answer(m).startswith("Tissue is visible over most of the region, mainly eosin-pink")
    assert "heterogeneous" in answer(m)
    assert answer(measure(np.full((8, 8, 3), 240, dtype=np.uint8))) == NO_TISSUE_ANSWER


def test_probe_answers_tell_tissue_from_background_and_survive_perturbation(
    tmp_path: Path,
) -> None:
    from reg_eval.slides.probes import ProbeSettings, write_probes

    slides = build_slide_set(tmp_path / "slides")
    write_probes([slides.good], tmp_path / "probes",
                 ProbeSettings(n_tissue=3, n_background=2, magnification="20x",
                               patch_size=64, seed=1))
    answers = {a["id"]: a for a in answer_folder(tmp_path / "probes")}
    mapping = read_mapping(tmp_path / "probes" / "rois_mapping.txt")
    for row in mapping.rows:
        got = answers[row.anonymous_id]
        assert (got["image"], got["question"]) == (row.image, row.question)
        assert (got["answer"] == NO_TISSUE_ANSWER) == (row.label == "background")
        if row.label == "tissue":
            assert got["answer"] == answers[row.paired_anonymous_id]["answer"]
