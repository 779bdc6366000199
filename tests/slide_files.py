"""Small slides written with tifffile, one per case the slide tools must tell apart.

Shared by tests/slides and tests/commands (the tests folder is on pytest's `pythonpath`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reg_eval.slides import synthetic

WIDTH, HEIGHT, TILE, MPP = 768, 512, 128, 0.5


@dataclass(frozen=True)
class SlideSet:
    folder: Path
    image: np.ndarray  # the pixels every JPEG slide was encoded from
    tissue: np.ndarray  # where the tissue is, at level 0
    good: Path  # YCbCr JPEG tiles, no JFIF marker, tag 262 = YCbCr
    wrong_tag: Path  # the same tiles, tag 262 = RGB
    rgb_jpeg: Path  # JPEG tiles really encoded as RGB (Adobe marker), tag 262 = RGB
    truncated: Path
    blank: Path  # empty glass
    striped: Path  # single level, strips, Deflate
    not_a_slide: Path


def build_slide_set(folder: Path) -> SlideSet:
    folder.mkdir(parents=True, exist_ok=True)
    slide = synthetic.tissue_image(WIDTH, HEIGHT, seed=7)
    blank = synthetic.tissue_image(WIDTH, HEIGHT, seed=8, blobs=0)
    common = {"mpp": MPP, "tile": TILE, "levels": 3}
    good = synthetic.write_jpeg_slide(folder / "PIT_01_00001_01.tiff", slide.image, **common)
    wrong = synthetic.write_jpeg_slide(folder / "PIT_01_00002_01.tiff", slide.image,
                                       wrong_tag=True, **common)
    rgb = synthetic.write_jpeg_slide(folder / "PIT_01_00003_01.tiff", slide.image,
                                     colour="rgb", **common)
    truncated = synthetic.write_jpeg_slide(folder / "PIT_01_00004_01.tiff", slide.image,
                                           **common)
    synthetic.truncate(truncated, 0.5)
    blank_path = synthetic.write_jpeg_slide(folder / "PIT_01_00005_01.tiff", blank.image,
                                            **common)
    striped = synthetic.write_striped_deflate(folder / "PIT_01_00006_01.tiff", slide.image,
                                              mpp=MPP)
    not_a_slide = folder / "notes.tiff"
    not_a_slide.write_text("this is a text file with a .tiff name\n")
    return SlideSet(folder, slide.image, slide.tissue, good, wrong, rgb, truncated,
                    blank_path, striped, not_a_slide)
