"""Metric B probes from slides: valid mapping, consistent pairings, perturbations, inputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reg_eval.errors import UsageError
from reg_eval.io.grounding import read_mapping
from reg_eval.slides.probes import (
    BRIGHTNESS_RANGE,
    QUESTION_NAME,
    THUMBNAIL_NAME,
    ProbeSettings,
    write_probes,
)
from slide_files import SlideSet

SETTINGS = ProbeSettings(n_tissue=3, n_background=2, magnification="20x", patch_size=64,
                         seed=3)


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_probes_hold_a_valid_mapping_with_consistent_pairs(
    slide_set: SlideSet, tmp_path: Path
) -> None:
    out = tmp_path / "probes"
    summary = write_probes([slide_set.good, slide_set.striped], out, SETTINGS)
    mapping = read_mapping(out / "rois_mapping.txt")
    assert mapping.findings == []
    rows = mapping.by_id
    assert summary["n_tissue"] == 6 and summary["n_background"] == 4
    assert len(rows) == 6 * 2 + 4 == summary["n_rois"]
    assert [r.anonymous_id for r in mapping.rows] == [f"{i:06d}" for i in range(16)]
    for row in mapping.rows:
        assert (out / "rois" / row.image).is_file()
        assert row.fields["magnification"] == "20x" and row.question == SETTINGS.question
        if row.label == "tissue":
            partner = rows[row.paired_anonymous_id]
            assert partner.paired_anonymous_id == row.anonymous_id
            assert {row.variant, partner.variant} == {"original", "perturbed"}
            assert (partner.fields["x"], partner.fields["slide_id"]) == \
                (row.fields["x"], row.fields["slide_id"])
            if row.variant == "original":
                background = rows[row.b3_paired_anonymous_id]
                assert (background.label, background.variant) == ("background", "original")
                assert background.fields["slide_id"] == row.fields["slide_id"]
            else:
                assert row.b3_paired_anonymous_id == "none"
        else:
            assert row.paired_anonymous_id == "none"
        case = out / "input" / row.anonymous_id
        assert json.loads((case / QUESTION_NAME).read_text(encoding="utf-8")) == row.question
        slugs = [s["socket"]["slug"] for s in json.loads(
            (case / "inputs.json").read_text(encoding="utf-8"))]
        assert sorted(slugs) == ["histopathology-region-of-interest-thumbnail",
                                 "visual-context-question"]
        assert (case / THUMBNAIL_NAME).read_bytes() == (out / "rois" / row.image).read_bytes()


def test_a_perturbed_roi_is_its_original_turned_and_lightly_brightened(
    slide_set: SlideSet, tmp_path: Path
) -> None:
    out = tmp_path / "probes"
    write_probes([slide_set.good], out, SETTINGS)
    mapping = read_mapping(out / "rois_mapping.txt")
    for row in mapping.rows:
        if row.label != "tissue" or row.variant != "original":
            continue
        original = np.asarray(Image.open(out / "rois" / row.image), dtype=np.float64)
        partner = mapping.by_id[row.paired_anonymous_id]
        perturbed = np.asarray(Image.open(out / "rois" / partner.image), dtype=np.float64)
        errors = []
        for turns in (1, 2, 3):
            turned = np.rot90(original, k=turns)
            factor = float((perturbed * turned).sum() / (turned * turned).sum())
            errors.append((np.abs(turned * factor - perturbed).mean(), factor))
        error, factor = min(errors)
        assert error < 6.0  # JPEG rounding only
        assert BRIGHTNESS_RANGE[0] - 0.02 <= factor <= BRIGHTNESS_RANGE[1] + 0.02


def test_probes_are_deterministic_and_refuse_to_overwrite(
    slide_set: SlideSet, tmp_path: Path
) -> None:
    write_probes([slide_set.good], tmp_path / "a", SETTINGS)
    write_probes([slide_set.good], tmp_path / "b", SETTINGS)
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    with pytest.raises(UsageError):
        write_probes([slide_set.good], tmp_path / "a", SETTINGS)
    with pytest.raises(UsageError, match="magnification"):
        write_probes([slide_set.good], tmp_path / "c",
                     ProbeSettings(magnification="twenty"))


def test_the_probes_command_reads_slides_within_the_slide_limits(
    slide_set: SlideSet, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from reg_eval.cli import app

    args = ["grounding", "probes", str(slide_set.good), "--n-tissue", "1", "--n-background",
            "1", "--magnification", "20x", "--patch-size", "64"]
    done = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "ok")])
    assert done.exit_code == 0, done.output
    refused = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "no"),
                                       "--max-pixels-per-byte", "1"])
    assert refused.exit_code == 1, refused.output
    assert "--max-pixels-per-byte" in refused.output
    assert not (tmp_path / "no").exists()
    missing = CliRunner().invoke(app, [*args[:2], str(tmp_path / "absent.tiff"), "--out",
                                       str(tmp_path / "m")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
