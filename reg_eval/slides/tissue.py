"""Tissue on a low-resolution image: saturation above an Otsu threshold.

Glass is bright and grey (low saturation); stained tissue is coloured. The threshold is
Otsu's on the saturation histogram, but never below `MIN_SATURATION`, so a slide of empty
glass (whose histogram Otsu would still split in two) has no tissue at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_SATURATION = 20  # of 255: glass, dust and scanner noise stay below it
DARK = 30  # value (max channel) below this is pen ink or a slide edge, not tissue


@dataclass(frozen=True)
class TissueMask:
    mask: np.ndarray  # (h, w) bool on the thumbnail
    downsample: float  # level-0 pixels per mask pixel
    threshold: float  # saturation threshold used (0..255)

    @property
    def fraction(self) -> float:
        return float(self.mask.mean()) if self.mask.size else 0.0


def saturation(rgb: np.ndarray) -> np.ndarray:
    """HSV saturation scaled to 0..255."""
    rgb = rgb.astype(np.float32)
    high, low = rgb.max(axis=-1), rgb.min(axis=-1)
    return np.where(high > 0, (high - low) / np.maximum(high, 1) * 255.0, 0.0)


def otsu_threshold(values: np.ndarray) -> float:
    """The threshold between two classes of 0..255 values that maximises their separation."""
    hist = np.bincount(np.clip(values, 0, 255).astype(np.int64).ravel(), minlength=256)
    hist = hist.astype(np.float64)
    total = hist.sum()
    if total == 0:
        return 0.0
    levels = np.arange(256, dtype=np.float64)
    weight_low = np.cumsum(hist)
    weight_high = total - weight_low
    mean_low = np.cumsum(hist * levels)
    mean_all = mean_low[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mean_all * weight_low - mean_low * total) ** 2 / (weight_low * weight_high)
    between[~np.isfinite(between)] = -1.0
    return float(np.argmax(between))


def detect_tissue(thumbnail: np.ndarray, downsample: float) -> TissueMask:
    """Tissue mask of an RGB thumbnail (median-filtered saturation, Otsu, opening)."""
    from scipy import ndimage

    sat = ndimage.median_filter(saturation(thumbnail), size=5)
    threshold = max(otsu_threshold(sat), float(MIN_SATURATION))
    mask = (sat > threshold) & (thumbnail.max(axis=-1) > DARK)
    mask = ndimage.binary_opening(mask, structure=np.ones((3, 3), dtype=bool))
    mask = ndimage.binary_fill_holes(mask)
    return TissueMask(mask, downsample, threshold)
