"""Reading regions of a slide: OpenSlide where it can, tifffile where it cannot.

OpenSlide reads the pyramidal formats of scanners; it refuses striped TIFFs and some
Deflate-compressed ones, which occur in challenge data. `TiffReader` decodes the tiles or
strips that cover a region with tifffile instead, keeping recently decoded ones up to a
byte budget, so it never holds the whole slide.

Every reader is only given a file whose headers passed `tiff.read_tiff_info` (a regular
file, a directory chain that ends, declared sizes within `reg_eval.slides.bounds`), and
every region is checked against `--max-decoded-mb` before it is allocated.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import numpy as np

from reg_eval.errors import InvalidInputError, RegEvalError
from reg_eval.slides import bounds, tiff
from reg_eval.slides.bounds import SlideLimits

WHITE = 255
CACHE_BYTES = 64 * 1024 * 1024
"""Decoded tiles or strips `TiffReader` keeps (at least the last one, whatever its size)."""
BAND_BYTES = 32 * 1024 * 1024
"""Most RGB bytes of one band read for the thumbnail."""


class SlideReader:
    """Levels, resolution and RGB regions of one slide."""

    backend = ""

    def __init__(self, path: Path, limits: SlideLimits | None = None) -> None:
        self.path = Path(path)
        self.limits = limits or bounds.current_slide_limits()
        self.level_dimensions: list[tuple[int, int]] = []
        self.mpp: float | None = None

    @property
    def level_downsamples(self) -> list[float]:
        width0 = self.level_dimensions[0][0]
        return [width0 / w for w, _ in self.level_dimensions]

    def read_region(self, level: int, x: int, y: int, width: int, height: int) -> np.ndarray:
        """(height, width, 3) uint8 RGB at `level`; x, y in level-0 pixels, as OpenSlide.

        Pixels outside the slide are white. A region over `--max-decoded-mb` is refused
        before it is allocated.
        """
        self._check_region(level, width, height)
        try:
            return self._read_region(level, x, y, width, height)
        except RegEvalError:
            raise
        except Exception as exc:  # OpenSlideError and codec errors for broken tiles
            raise InvalidInputError(
                f"{self.path}: the region at x={x}, y={y} ({width} x {height} pixels, level "
                f"{level}) does not decode ({type(exc).__name__}: {exc})",
                hint="run `reg-eval slides check` on it; download the slide again") from None

    def _check_region(self, level: int, width: int, height: int) -> None:
        if width < 0 or height < 0:
            raise ValueError(f"a region of {width} x {height} pixels")
        bounds.check_decoded(width * height * 4, f"a region of {width} x {height} pixels "
                             f"at level {level}", self.path, self.limits)

    def _read_region(self, level: int, x: int, y: int, width: int, height: int) -> np.ndarray:
        raise NotImplementedError

    def thumbnail(self, max_side: int = 2048) -> tuple[np.ndarray, float]:
        """The smallest level, block-averaged further if needed; and its downsample from
        level 0. Read in bands, so a single-level slide never sits in memory whole."""
        level = len(self.level_dimensions) - 1
        width, height = self.level_dimensions[level]
        factor = max(1, int(np.ceil(max(width, height) / max_side)))
        scale = self.level_downsamples[level]
        rows_per_band = min(512, BAND_BYTES // max(1, 3 * width))
        band = factor * max(1, rows_per_band // factor)
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

    def __init__(self, path: Path, limits: SlideLimits | None = None) -> None:
        import openslide

        super().__init__(path, limits)
        self._slide = openslide.OpenSlide(str(path))
        self.level_dimensions = [tuple(map(int, d)) for d in self._slide.level_dimensions]
        mpp = self._slide.properties.get(openslide.PROPERTY_NAME_MPP_X)
        self.mpp = float(mpp) if mpp else None

    @property
    def level_downsamples(self) -> list[float]:
        return [float(d) for d in self._slide.level_downsamples]

    def _read_region(self, level: int, x: int, y: int, width: int, height: int) -> np.ndarray:
        rgba = np.asarray(self._slide.read_region((x, y), level, (width, height)))
        alpha = rgba[..., 3:4].astype(np.uint16)
        rgb = (rgba[..., :3].astype(np.uint16) * alpha + WHITE * (255 - alpha)) // 255
        return rgb.astype(np.uint8)

    def close(self) -> None:
        self._slide.close()


class TiffReader(SlideReader):
    """Tiles or strips decoded by tifffile; recently decoded ones are kept up to
    `cache_bytes` (and always the last one)."""

    backend = "tifffile"

    def __init__(self, path: Path, *, cache_bytes: int = CACHE_BYTES,
                 limits: SlideLimits | None = None,
                 info: tiff.TiffInfo | None = None) -> None:
        import tifffile

        super().__init__(path, limits)
        tiff.quiet_tifffile()
        self._info = info or tiff.read_tiff_info(path, inspect_jpeg=False, limits=self.limits)
        if not self._info.levels:
            raise InvalidInputError(f"{path}: no image data")
        self._handle = tifffile.TiffFile(path)
        self._levels = self._info.levels
        self.level_dimensions = [(p.width, p.height) for p in self._levels]
        self.mpp = self._info.mpp
        self._cache: OrderedDict[tuple[int, int], np.ndarray] = OrderedDict()
        self._cache_bytes = cache_bytes
        self._cached = 0

    def _segment_shape(self, level: int) -> tuple[int, int]:
        page = self._levels[level]
        return page.segment_height, page.segment_width

    def _segment(self, level: int, index: int) -> np.ndarray | None:
        key = (level, index)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        decoded = tiff.decode_segment(self._handle, self._levels[level], index, self.path,
                                      self.limits)
        if decoded is None:
            return None
        array = decoded
        array = array.reshape(array.shape[-3:]) if array.ndim > 3 else array
        if array.ndim == 2:
            array = array[..., None]
        if array.shape[-1] == 1:
            array = np.repeat(array, 3, axis=-1)
        array = array[..., :3]
        if array.dtype != np.uint8:
            array = np.clip(array, 0, 255).astype(np.uint8)
        self._cache[key] = array
        self._cached += array.nbytes
        while self._cached > self._cache_bytes and len(self._cache) > 1:
            _, dropped = self._cache.popitem(last=False)
            self._cached -= dropped.nbytes
        return array

    def _read_region(self, level: int, x: int, y: int, width: int, height: int) -> np.ndarray:
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
        """Closes the file and drops the decoded tiles or strips, so a reader that
        outlives its `with` block holds no decoded pixels."""
        self._handle.close()
        self._cache.clear()
        self._cached = 0


READERS = ("auto", "openslide", "tifffile")
"""The `backend` names `open_slide` takes (`--reader`)."""


def open_slide(path: Path, *, backend: str = "auto",
               limits: SlideLimits | None = None) -> SlideReader:
    """OpenSlide first (unless `backend="tifffile"`); tifffile when OpenSlide refuses.

    A TIFF's headers are read first (`tiff.read_tiff_info`): a file that is not regular,
    whose directory chain loops, or whose declared sizes pass the limits is refused here,
    with its reason, before any reader opens it.
    """
    path = Path(path)
    if backend not in READERS:
        raise ValueError(f"unknown backend {backend}")
    limits = limits or bounds.current_slide_limits()
    bounds.require_regular_file(path)
    info = tiff.read_slide_info(path, inspect_jpeg=False, limits=limits)
    errors: list[str] = []
    if backend in ("auto", "openslide"):
        try:
            reader: SlideReader = OpenSlideReader(path, limits)
        except Exception as exc:  # OpenSlide raises several types for a file it refuses
            errors.append(f"OpenSlide: {type(exc).__name__}: {exc}")
        else:
            if reader.mpp is None and info is not None:
                reader.mpp = info.mpp
            return reader
    if backend in ("auto", "tifffile"):
        if info is None:
            errors.append("tifffile: not a TIFF file")
        else:
            try:
                return TiffReader(path, limits=limits, info=info)
            except RegEvalError:
                raise
            except Exception as exc:  # tifffile raises several types for broken files
                errors.append(f"tifffile: {type(exc).__name__}: {exc}")
    raise InvalidInputError(f"{path}: not a slide that can be read ({'; '.join(errors)})",
                            hint="run `reg-eval slides check` on it to see why")
