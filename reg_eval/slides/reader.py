"""Reading regions of a slide: OpenSlide where it can, tifffile where it cannot.

OpenSlide reads the pyramidal formats of scanners; it refuses striped TIFFs and some
Deflate-compressed ones, which occur in challenge data. `TiffReader` decodes the tiles or
strips that cover a region with tifffile instead, keeping recently decoded ones.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import numpy as np

from reg_eval.errors import InvalidInputError
from reg_eval.slides import tiff

WHITE = 255


class SlideReader:
    """Levels, resolution and RGB regions of one slide."""

    backend = ""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.level_dimensions: list[tuple[int, int]] = []
        self.mpp: float | None = None

    @property
    def level_downsamples(self) -> list[float]:
        width0 = self.level_dimensions[0][0]
        return [width0 / w for w, _ in self.level_dimensions]

    def read_region(self, level: int, x: int, y: int, width: int, height: int) -> np.ndarray:
        """(height, width, 3) uint8 RGB at `level`; x, y in level-0 pixels, as OpenSlide.

        Pixels outside the slide are white.
        """
        raise NotImplementedError

    def thumbnail(self, max_side: int = 2048) -> tuple[np.ndarray, float]:
        """The smallest level, block-averaged further if needed; and its downsample from
        level 0. Read in bands, so a single-level slide never sits in memory whole."""
        level = len(self.level_dimensions) - 1
        width, height = self.level_dimensions[level]
        factor = max(1, int(np.ceil(max(width, height) / max_side)))
        scale = self.level_downsamples[level]
        band = factor * max(1, 512 // factor)
        usable_h, usable_w = height // factor * factor, width // factor * factor
        rows = []
        for top in range(0, usable_h, band):
            rows_here = min(band, usable_h - top)
            region = self.read_region(level, 0, round(top * scale), usable_w, rows_here)
            blocks = region.reshape(rows_here // factor, factor, usable_w // factor, factor, 3)
            rows.append(blocks.mean(axis=(1, 3)).round().astype(np.uint8))
        return np.concatenate(rows, axis=0), scale * factor

    def close(self) -> None:
        pass

    def __enter__(self) -> SlideReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class OpenSlideReader(SlideReader):
    backend = "openslide"

    def __init__(self, path: Path) -> None:
        import openslide

        super().__init__(path)
        self._slide = openslide.OpenSlide(str(path))
        self.level_dimensions = [tuple(map(int, d)) for d in self._slide.level_dimensions]
        mpp = self._slide.properties.get(openslide.PROPERTY_NAME_MPP_X)
        self.mpp = float(mpp) if mpp else None

    @property
    def level_downsamples(self) -> list[float]:
        return [float(d) for d in self._slide.level_downsamples]

    def read_region(self, level: int, x: int, y: int, width: int, height: int) -> np.ndarray:
        rgba = np.asarray(self._slide.read_region((x, y), level, (width, height)))
        alpha = rgba[..., 3:4].astype(np.uint16)
        rgb = (rgba[..., :3].astype(np.uint16) * alpha + WHITE * (255 - alpha)) // 255
        return rgb.astype(np.uint8)

    def close(self) -> None:
        self._slide.close()


class TiffReader(SlideReader):
    """Tiles or strips decoded by tifffile; the last `cache_size` decoded ones are kept."""

    backend = "tifffile"

    def __init__(self, path: Path, *, cache_size: int = 64) -> None:
        import tifffile

        super().__init__(path)
        tiff.quiet_tifffile()
        self._info = tiff.read_tiff_info(path, inspect_jpeg=False)
        if not self._info.levels:
            raise InvalidInputError(f"{path}: no image data")
        self._handle = tifffile.TiffFile(path)
        self._levels = self._info.levels
        self.level_dimensions = [(p.width, p.height) for p in self._levels]
        self.mpp = self._info.mpp
        self._cache: OrderedDict[tuple[int, int], np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    def _segment_shape(self, level: int) -> tuple[int, int]:
        page = self._handle.pages[self._levels[level].index]
        if page.is_tiled:
            return int(page.tilelength), int(page.tilewidth)
        return int(page.rowsperstrip or page.imagelength), int(page.imagewidth)

    def _segment(self, level: int, index: int) -> np.ndarray | None:
        key = (level, index)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        page = self._handle.pages[self._levels[level].index]
        count = int(page.databytecounts[index])
        if not count:
            return None
        fh = self._handle.filehandle
        fh.seek(int(page.dataoffsets[index]))
        data = fh.read(count)
        decoded, _, _ = page.decode(data, index, jpegtables=page.jpegtables)
        array = np.asarray(decoded)
        array = array.reshape(array.shape[-3:]) if array.ndim > 3 else array
        if array.ndim == 2:
            array = array[..., None]
        if array.shape[-1] == 1:
            array = np.repeat(array, 3, axis=-1)
        array = array[..., :3]
        if array.dtype != np.uint8:
            array = np.clip(array, 0, 255).astype(np.uint8)
        self._cache[key] = array
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return array

    def read_region(self, level: int, x: int, y: int, width: int, height: int) -> np.ndarray:
        scale = self.level_downsamples[level]
        left, top = int(x // scale), int(y // scale)
        level_width, level_height = self.level_dimensions[level]
        out = np.full((height, width, 3), WHITE, dtype=np.uint8)
        seg_h, seg_w = self._segment_shape(level)
        across = (level_width + seg_w - 1) // seg_w
        row0, row1 = max(0, top) // seg_h, (min(level_height, top + height) - 1) // seg_h
        col0, col1 = max(0, left) // seg_w, (min(level_width, left + width) - 1) // seg_w
        for row in range(row0, row1 + 1):
            for col in range(col0, col1 + 1):
                segment = self._segment(level, row * across + col)
                if segment is None:
                    continue
                sy, sx = row * seg_h, col * seg_w
                sh = min(segment.shape[0], level_height - sy)
                sw = min(segment.shape[1], level_width - sx)
                y0, y1 = max(top, sy), min(top + height, sy + sh)
                x0, x1 = max(left, sx), min(left + width, sx + sw)
                if y0 >= y1 or x0 >= x1:
                    continue
                out[y0 - top:y1 - top, x0 - left:x1 - left] = segment[
                    y0 - sy:y1 - sy, x0 - sx:x1 - sx]
        return out

    def close(self) -> None:
        self._handle.close()


def open_slide(path: Path, *, backend: str = "auto") -> SlideReader:
    """OpenSlide first (unless `backend="tifffile"`); tifffile when OpenSlide refuses."""
    path = Path(path)
    if backend not in ("auto", "openslide", "tifffile"):
        raise ValueError(f"unknown backend {backend}")
    errors: list[str] = []
    if backend in ("auto", "openslide"):
        try:
            reader: SlideReader = OpenSlideReader(path)
        except Exception as exc:  # OpenSlide raises several types for a file it refuses
            errors.append(f"OpenSlide: {type(exc).__name__}: {exc}")
        else:
            if reader.mpp is None:
                reader.mpp = _tiff_mpp(path)
            return reader
    if backend in ("auto", "tifffile"):
        try:
            return TiffReader(path)
        except Exception as exc:  # tifffile raises several types for broken files
            errors.append(f"tifffile: {type(exc).__name__}: {exc}")
    raise InvalidInputError(f"{path}: not a slide that can be read ({'; '.join(errors)})",
                            hint="run `reg-eval slides check` on it to see why")


def _tiff_mpp(path: Path) -> float | None:
    try:
        return tiff.read_tiff_info(path, inspect_jpeg=False).mpp
    except Exception:  # not a TIFF: OpenSlide knew no resolution either
        return None
