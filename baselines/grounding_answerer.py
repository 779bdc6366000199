"""`measured`: a reference answerer for REG 2026 Metric B that says only what it can measure.

For each ROI of a probe folder (or any folder with a `rois_mapping.txt` and its images) it
measures the share of coloured pixels (stained tissue; glass is bright and grey), the stain
balance (eosin pink against haematoxylin purple) and the texture (spread of grey levels), and
answers in coarse words. It never guesses a diagnosis, so it sets the floor a vision-language
model should beat: it rejects background, keeps its answer when the ROI is rotated or lightly
brightened, and answers tissue and background differently.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reg_eval.errors import UsageError
from reg_eval.io.grounding import read_mapping, require_valid

COLOURED_SATURATION = 20
"""HSV saturation (of 255) above which a pixel counts as stained."""
TISSUE_SHARE = 0.05
"""Below this share of stained pixels a ROI is called background."""
NO_TISSUE_ANSWER = "No tissue is visible; the region is background only, so nothing can be " \
    "assessed."


@dataclass(frozen=True)
class Measurement:
    tissue_share: float
    pink_share: float
    grey_sd: float


def measure(rgb: np.ndarray) -> Measurement:
    """Stained share, the pink (eosin) share of stained pixels, and the grey-level spread."""
    pixels = rgb.reshape(-1, 3).astype(np.float64)
    high, low = pixels.max(axis=1), pixels.min(axis=1)
    saturation = np.where(high > 0, (high - low) / np.maximum(high, 1.0) * 255.0, 0.0)
    stained = saturation > COLOURED_SATURATION
    share = float(stained.mean()) if stained.size else 0.0
    if stained.any():
        red, blue = pixels[stained, 0], pixels[stained, 2]
        pink = float((red > blue).mean())
    else:
        pink = 0.0
    grey = pixels.mean(axis=1)
    return Measurement(share, pink, float(grey.std()))


def answer(measurement: Measurement) -> str:
    """Coarse words for a measurement (coarse, so that a mild perturbation keeps them)."""
    if measurement.tissue_share < TISSUE_SHARE:
        return NO_TISSUE_ANSWER
    amount = "most of" if measurement.tissue_share >= 0.5 else "part of"
    if measurement.pink_share >= 0.6:
        stain = "mainly eosin-pink"
    elif measurement.pink_share <= 0.4:
        stain = "mainly haematoxylin-purple"
    else:
        stain = "mixed pink and purple"
    texture = "heterogeneous" if measurement.grey_sd >= 25 else "fairly uniform"
    return (f"Tissue is visible over {amount} the region, {stain} staining, with a {texture} "
            "texture. No diagnosis can be made from this region alone.")


def answer_folder(folder: Path) -> list[dict[str, str]]:
    """One answer per mapping row of `folder`: id, image and question from the mapping."""
    from PIL import Image

    folder = Path(folder)
    mapping = read_mapping(folder / "rois_mapping.txt")
    require_valid(mapping, "ROI mapping")
    answers = []
    for row in mapping.rows:
        candidates = [folder / row.fields.get("image_path", ""), folder / "rois" / row.image,
                      folder / row.image]
        path = next((p for p in candidates if p.is_file()), None)
        if path is None:
            raise UsageError(f"{folder}: no image for ROI {row.anonymous_id} ({row.image})",
                             hint="keep the ROI images beside rois_mapping.txt or in rois/")
        with Image.open(path) as image:
            rgb = np.asarray(image.convert("RGB"))
        answers.append({"id": row.anonymous_id, "image": row.image, "question": row.question,
                        "answer": answer(measure(rgb))})
    return answers
