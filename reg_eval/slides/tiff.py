"""TIFF headers of a slide: pyramid levels, resolution, compression, tag 262, tile bytes.

Everything here reads the IFDs and at most one tile per level, so a folder of thousands of
slides is inspected in seconds. tifffile parses the headers; the JPEG markers of a tile
are read by `reg_eval.slides.jpeg`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from reg_eval.slides import jpeg

TAG_PHOTOMETRIC = 262
TAG_JPEGTABLES = 347
PHOTOMETRIC_RGB = 2
PHOTOMETRIC_YCBCR = 6
COMPRESSION_JPEG = 7
COMPRESSION_OLD_JPEG = 6
PHOTOMETRIC_NAMES = {0: "MINISWHITE", 1: "MINISBLACK", 2: "RGB", 3: "PALETTE", 5: "SEPARATED",
                     6: "YCBCR", 8: "CIELAB"}
RIGHT_TAG = {jpeg.RGB: PHOTOMETRIC_RGB, jpeg.YCBCR: PHOTOMETRIC_YCBCR}
SLIDE_SUFFIXES = (".tif", ".tiff", ".svs", ".btf")
_APERIO_MPP = re.compile(r"\bMPP\s*=\s*([0-9.]+)")
_APERIO_MAG = re.compile(r"\bAppMag\s*=\s*([0-9.]+)")


class NotATiffError(ValueError):
    """The file is not a TIFF (or BigTIFF) at all."""


@dataclass
class PageInfo:
    """One IFD that holds image data: a pyramid level, a label, a thumbnail."""

    index: int  # position among the file's pages
    width: int
    height: int
    tiled: bool
    tile_width: int
    tile_height: int
    compression: int
    compression_name: str
    photometric: int
    samples: int
    n_segments: int
    empty_segments: int
    data_end: int  # the largest offset + byte count of its tiles or strips
    tag_offset: int | None  # file offset of the tag 262 value field
    jpeg_space: str | None = None  # colour space of the JPEG stream (jpeg.RGB / YCBCR)
    jpeg_evidence: str = ""
    jpeg_error: str | None = None  # the first tile is not a JPEG stream that can be read

    @property
    def photometric_name(self) -> str:
        return PHOTOMETRIC_NAMES.get(self.photometric, str(self.photometric))

    @property
    def right_photometric(self) -> int | None:
        """The tag 262 value the tile data calls for, when the stream decides it."""
        return RIGHT_TAG.get(self.jpeg_space) if self.jpeg_space else None

    @property
    def photometric_wrong(self) -> bool:
        right = self.right_photometric
        return right is not None and right != self.photometric


@dataclass
class TiffInfo:
    """Headers of a slide file, with its pyramid levels (largest first)."""

    path: Path
    file_size: int
    byteorder: str
    bigtiff: bool
    pages: list[PageInfo]
    levels: list[PageInfo]
    mpp: float | None
    mpp_source: str | None
    magnification: float | None
    description: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def base(self) -> PageInfo:
        return self.levels[0]


def _mpp_from_tags(page: Any) -> tuple[float | None, str | None]:
    """Microns per pixel from X/YResolution with a centimetre or inch unit."""
    tags = page.tags
    if 282 not in tags or 296 not in tags:
        return None, None
    unit = int(tags[296].value)
    value = tags[282].value
    numerator, denominator = value if isinstance(value, tuple) else (value, 1)
    if not numerator or not denominator:
        return None, None
    pixels_per_unit = numerator / denominator
    microns = {2: 25_400.0, 3: 10_000.0}.get(unit)
    if microns is None or pixels_per_unit <= 1:
        return None, None
    return microns / pixels_per_unit, "XResolution tag"


def _description(page: Any) -> str:
    tag = page.tags.get(270)
    if tag is None:
        return ""
    value = tag.value
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _page_info(index: int, page: Any) -> PageInfo:
    offsets = tuple(page.dataoffsets)
    counts = tuple(page.databytecounts)
    ends = [o + c for o, c in zip(offsets, counts, strict=False) if c]
    photometric_tag = page.tags.get(TAG_PHOTOMETRIC)
    tag_offset = None
    if photometric_tag is not None and photometric_tag.count == 1:
        tag_offset = int(photometric_tag.valueoffset)
    compression = int(page.compression)
    try:
        import tifffile

        compression_name = tifffile.COMPRESSION(compression).name
    except ValueError:
        compression_name = str(compression)
    return PageInfo(
        index=index, width=int(page.imagewidth), height=int(page.imagelength),
        tiled=bool(page.is_tiled), tile_width=int(page.tilewidth or 0),
        tile_height=int(page.tilelength or 0), compression=compression,
        compression_name=compression_name,
        photometric=int(photometric_tag.value) if photometric_tag is not None else -1,
        samples=int(page.samplesperpixel), n_segments=len(offsets),
        empty_segments=sum(1 for c in counts if not c), data_end=max(ends, default=0),
        tag_offset=tag_offset,
    )


def _pyramid(pages: list[PageInfo]) -> list[PageInfo]:
    """Pages that are levels of the base image: same aspect, strictly smaller, in order.

    Labels, macro photos and thumbnails are left out: they have another aspect, are stored
    in strips after tiled levels, or are not smaller than the level before them.
    """
    if not pages:
        return []
    base = pages[0]
    levels = [base]
    for page in pages[1:]:
        last = levels[-1]
        if page.width >= last.width or page.height >= last.height:
            continue
        if base.tiled and not page.tiled:
            continue
        ratio = (base.width / base.height) / (page.width / page.height)
        if abs(ratio - 1.0) > 0.05:
            continue
        levels.append(page)
    return levels


def read_segment(handle: Any, page: PageInfo, index: int) -> bytes:
    """The stored bytes of one tile or strip (no decoding)."""
    tiff_page = handle.pages[page.index]
    offset = int(tiff_page.dataoffsets[index])
    count = int(tiff_page.databytecounts[index])
    handle.filehandle.seek(offset)
    return bytes(handle.filehandle.read(count))


def first_segment_index(handle: Any, page: PageInfo) -> int | None:
    counts = handle.pages[page.index].databytecounts
    for index, count in enumerate(counts):
        if count:
            return index
    return None


def inspect_jpeg_page(handle: Any, page: PageInfo) -> None:
    """Fill `jpeg_space` from the markers of the first tile (decoding it if needed)."""
    if page.compression != COMPRESSION_JPEG or page.samples < 3:
        return
    index = first_segment_index(handle, page)
    if index is None:
        return
    tiff_page = handle.pages[page.index]
    tables = tiff_page.jpegtables
    data = read_segment(handle, page, index)
    try:
        header = jpeg.parse_header(bytes(tables) if tables else None, data)
    except jpeg.JpegStreamError as exc:
        page.jpeg_error = f"tile {index}: {exc}"
        return
    verdict = jpeg.colour_space(header)
    if verdict.space is None and header.n_components == 3:
        import imagecodecs

        try:
            raw = imagecodecs.jpeg8_decode(data, tables=bytes(tables) if tables else None,
                                           colorspace="RGB", outcolorspace="RGB")
        except Exception as exc:  # codec errors
            page.jpeg_error = f"tile {index}: {type(exc).__name__}: {exc}"
            return
        verdict = jpeg.guess_from_pixels(np.asarray(raw))
    page.jpeg_space = verdict.space
    page.jpeg_evidence = verdict.evidence


def quiet_tifffile() -> None:
    """tifffile logs broken IFDs as warnings; the check reports them itself."""
    logging.getLogger("tifffile").setLevel(logging.CRITICAL)


def read_tiff_info(path: Path, *, inspect_jpeg: bool = True) -> TiffInfo:
    """Headers of every page; raises NotATiffError, or tifffile's errors for broken IFDs."""
    import tifffile

    quiet_tifffile()

    path = Path(path)
    with path.open("rb") as raw:
        magic = raw.read(4)
    if magic[:2] not in (b"II", b"MM") or int.from_bytes(
        magic[2:4], "little" if magic[:2] == b"II" else "big"
    ) not in (42, 43):
        raise NotATiffError(f"{path} does not start with a TIFF header (II*/MM*)")
    with tifffile.TiffFile(path) as handle:
        pages = [_page_info(i, p) for i, p in enumerate(handle.pages)
                 if getattr(p, "shape", None)]
        info = TiffInfo(
            path=path, file_size=path.stat().st_size, byteorder=handle.byteorder,
            bigtiff=bool(handle.is_bigtiff), pages=pages, levels=_pyramid(pages),
            mpp=None, mpp_source=None, magnification=None,
        )
        if not pages:
            return info
        base_page = handle.pages[info.levels[0].index]
        info.description = _description(base_page)
        mpp_match = _APERIO_MPP.search(info.description)
        if mpp_match:
            info.mpp, info.mpp_source = float(mpp_match.group(1)), "ImageDescription MPP"
        else:
            info.mpp, info.mpp_source = _mpp_from_tags(base_page)
        mag_match = _APERIO_MAG.search(info.description)
        if mag_match:
            info.magnification = float(mag_match.group(1))
        if inspect_jpeg:
            for page in pages:
                inspect_jpeg_page(handle, page)
    return info


def slide_id(path: Path) -> str:
    """The id a slide goes by: its file name (`PIT_01_00002_01.tiff`)."""
    return Path(path).name


def slide_stem(name: str) -> str:
    """`PIT_01_00002_01.tiff` -> `PIT_01_00002_01`; other suffixes are kept."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    lower = base.lower()
    for suffix in (".tiff", ".tif", ".svs"):
        if lower.endswith(suffix):
            return base[: -len(suffix)]
    return base


def find_slides(paths: list[Path]) -> list[Path]:
    """Files as given; folders walked for TIFF-like files; sorted, without duplicates."""
    found: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in SLIDE_SUFFIXES:
                    found.setdefault(child, None)
        else:
            found.setdefault(path, None)
    return list(found)
