"""Which patches to read: a grid over level 0, kept where the tissue mask covers enough.

Coordinates are level-0 pixels of the patch's top-left corner (TRIDENT and CLAM habit);
`patch_size_level0` is the patch's side at level 0, so that reading it at the chosen level
and resizing gives the requested microns per pixel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reg_eval.errors import InvalidInputError
from reg_eval.slides.tissue import TissueMask

MPP_TOLERANCE = 0.1  # a slide at 0.25 may serve 0.24 without upsampling worth the name


@dataclass(frozen=True)
class Geometry:
    """How patches of `patch_size` pixels at `target_mpp` are read from one slide."""

    patch_size: int  # side of the patch given to the encoder
    target_mpp: float
    slide_mpp: float
    level: int  # the level read from
    level_downsample: float
    patch_size_level0: int  # side of the patch at level 0
    read_size: int  # side read at `level`, resized to `patch_size`


def choose_geometry(patch_size: int, target_mpp: float, slide_mpp: float,
                    level_downsamples: list[float], *, where: str = "") -> Geometry:
    """The coarsest level that is still at least as fine as the target resolution."""
    wanted = target_mpp / slide_mpp
    if wanted < 1.0 - MPP_TOLERANCE:
        raise InvalidInputError(
            f"{where}: the slide's finest resolution is {slide_mpp:.4g} µm/px; "
            f"--mpp {target_mpp:g} would need upsampling",
            hint=f"pass --mpp {slide_mpp:.4g} or coarser",
        )
    level = max((i for i, d in enumerate(level_downsamples) if d <= wanted * 1.001),
                key=lambda i: level_downsamples[i], default=0)
    size0 = round(patch_size * wanted)
    read = max(1, round(size0 / level_downsamples[level]))
    return Geometry(patch_size, target_mpp, slide_mpp, level, level_downsamples[level],
                    size0, read)


def tile_coords(level0_size: tuple[int, int], tissue: TissueMask, patch_size_level0: int,
                *, min_tissue: float = 0.5) -> np.ndarray:
    """(N, 2) int64 x, y of whole patches on the grid whose tissue share is >= min_tissue.

    The share is the mean of the mask over the patch's footprint, computed with a summed
    area table; order is row by row, left to right.
    """
    width, height = level0_size
    across, down = width // patch_size_level0, height // patch_size_level0
    if across == 0 or down == 0 or not tissue.mask.any():
        return np.zeros((0, 2), dtype=np.int64)
    mask = tissue.mask.astype(np.float64)
    table = np.zeros((mask.shape[0] + 1, mask.shape[1] + 1))
    table[1:, 1:] = mask.cumsum(axis=0).cumsum(axis=1)
    xs = np.arange(across) * patch_size_level0
    ys = np.arange(down) * patch_size_level0

    def cells(starts: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
        lo = np.clip(np.floor(starts / tissue.downsample).astype(np.int64), 0, limit)
        hi = np.clip(np.ceil((starts + patch_size_level0) / tissue.downsample).astype(np.int64),
                     0, limit)
        return lo, np.maximum(hi, lo + 1).clip(max=limit)

    x0, x1 = cells(xs, mask.shape[1])
    y0, y1 = cells(ys, mask.shape[0])
    area = (y1 - y0)[:, None] * (x1 - x0)[None, :]
    covered = (table[y1][:, x1] - table[y0][:, x1] - table[y1][:, x0] + table[y0][:, x0])
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(area > 0, covered / np.maximum(area, 1), 0.0)
    rows, cols = np.nonzero(share >= min_tissue)
    return np.stack([xs[cols], ys[rows]], axis=1).astype(np.int64)
