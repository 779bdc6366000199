"""TIFF headers of a slide: pyramid levels, resolution, compression, tag 262, tile bytes.

Everything here reads the IFDs and at most one tile per level, so a folder of thousands of
slides is inspected in seconds. tifffile parses the headers; the JPEG markers of a tile
are read by `reg_eval.slides.jpeg`.

tifffile follows the chain of directories (IFDs) without remembering where it has been, so
a next-IFD offset pointing back makes it loop for ever. `walk_ifds` follows the chain first,
with a set of visited offsets and at most `bounds.MAX_IFDS` directories, and every reader
(tifffile's and OpenSlide's) is only given a file whose chain ends; the declared sizes are
checked against `reg_eval.slides.bounds` before anything is decoded.
"""

from __future__ import annotations

import logging
import math
import os
import re
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from reg_eval.errors import InvalidInputError, RegEvalError, UsageError
from reg_eval.slides import bounds, jpeg
from reg_eval.slides.bounds import SlideLimits, SlideStructureError

TAG_PHOTOMETRIC = 262
TAG_JPEGTABLES = 347
PHOTOMETRIC_RGB = 2
PHOTOMETRIC_YCBCR = 6
COMPRESSION_JPEG = 7
COMPRESSION_OLD_JPEG = 6
COMPRESSION_DEFLATE = (8, 32946)
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
    segment_width: int = 0  # pixels of one tile, or of one strip
    segment_height: int = 0
    bits: int = 8  # per sample

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

    @property
    def segment_bytes(self) -> int:
        """Decoded bytes of one tile or strip."""
        return self.segment_width * self.segment_height * self.samples * -(-self.bits // 8)

    @property
    def kind(self) -> str:
        return "tile" if self.tiled else "strip"


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


def _page_info(index: int, page: Any, where: Path) -> PageInfo:
    width, height = int(page.imagewidth), int(page.imagelength)
    if width < 1 or height < 1:
        raise SlideStructureError(
            f"{where}: page {index} declares an image of {width} x {height} pixels "
            "(ImageWidth and ImageLength must be at least 1)",
            hint="the file's headers are broken; download the slide again")
    offsets = tuple(page.dataoffsets)
    counts = tuple(page.databytecounts)
    tiled = bool(page.is_tiled)
    samples = int(page.samplesperpixel)
    planes = samples if int(page.planarconfig) == 2 else 1
    if tiled:
        seg_w, seg_h = int(page.tilewidth or 0), int(page.tilelength or 0)
        if seg_w < 1 or seg_h < 1:
            raise SlideStructureError(f"{where}: page {index} is tiled with tiles of "
                                      f"{seg_w} x {seg_h} pixels",
                                      hint="the file's headers are broken")
        needed = math.ceil(width / seg_w) * math.ceil(height / seg_h) * planes
    else:
        seg_w, seg_h = width, min(int(page.rowsperstrip or height), height)
        needed = math.ceil(height / max(seg_h, 1)) * planes
    kind = "tile" if tiled else "strip"
    if len(offsets) < needed or len(counts) < needed:
        raise SlideStructureError(
            f"{where}: page {index} ({width} x {height}) needs {needed} {kind}s but its "
            f"directory holds {len(offsets)} {kind} offsets and {len(counts)} byte counts",
            hint="the file's headers are broken or cut; download the slide again")
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
    bits = page.bitspersample
    return PageInfo(
        index=index, width=width, height=height,
        tiled=tiled, tile_width=seg_w if tiled else 0,
        tile_height=seg_h if tiled else 0, compression=compression,
        compression_name=compression_name,
        photometric=int(photometric_tag.value) if photometric_tag is not None else -1,
        samples=samples, n_segments=len(offsets),
        empty_segments=sum(1 for c in counts if not c), data_end=max(ends, default=0),
        tag_offset=tag_offset, segment_width=seg_w, segment_height=seg_h,
        bits=int(max(bits) if isinstance(bits, tuple) else bits or 8),
    )


def _check_bounds(page: PageInfo, file_size: int, where: Path, limits: SlideLimits) -> None:
    """A page whose declared size its file cannot hold, or whose one tile or strip alone
    decodes past `--max-decoded-mb`, is refused before anything is decoded."""
    bounds.check_declared_pixels(page.width * page.height, file_size,
                                 f"page {page.index} ({page.width} x {page.height})", where,
                                 limits)
    bounds.check_decoded(page.segment_bytes,
                         f"one {page.kind} of page {page.index} ({page.segment_width} x "
                         f"{page.segment_height} pixels, {page.samples} samples)", where,
                         limits)


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


def _jpeg_frame_error(page: PageInfo, header: jpeg.JpegHeader) -> str | None:
    """A JPEG frame larger than the tile it is stored in would decode past the tile."""
    if header.width > page.segment_width or header.height > page.segment_height:
        return (f"its JPEG frame declares {header.width} x {header.height} pixels, more "
                f"than the page's {page.segment_width} x {page.segment_height} {page.kind}s")
    return None


INFLATE_PIECE = 1024 * 1024
"""Bytes of Deflate output counted at a time (and dropped) by `_inflated_size`."""


def _inflated_size(data: bytes, stop: int) -> int:
    """Bytes `data` inflates to, counted up to `stop` in 1 MB pieces that are dropped, so
    the bomb check never holds the decoded strip beside the codec's own copy. 0 when it is
    not a zlib stream this check reads: the codec then says why."""
    inflater = zlib.decompressobj()
    total = 0
    pending = data
    try:
        while total < stop:
            piece = inflater.decompress(pending, min(INFLATE_PIECE, stop - total))
            total += len(piece)
            pending = inflater.unconsumed_tail
            if not piece and not pending:
                break
    except zlib.error:
        return 0
    return total


def decode_segment(handle: Any, page: PageInfo, index: int, where: Path,
                   limits: SlideLimits | None = None) -> np.ndarray | None:
    """Decode one stored tile or strip within the limits; None for an empty one.

    Whatever stops it (a frame larger than the tile, Deflate data that unpacks to more than
    the strip, a codec error) is an `InvalidInputError` naming the slide, page and tile.
    """
    tiff_page = handle.pages[page.index]
    if not int(tiff_page.databytecounts[index]):
        return None
    what = f"page {page.index}, {page.kind} {index}"
    bounds.check_decoded(page.segment_bytes, f"{what} ({page.segment_width} x "
                         f"{page.segment_height} pixels)", where, limits)
    data = read_segment(handle, page, index)
    tables = tiff_page.jpegtables
    if page.compression == COMPRESSION_JPEG:
        try:
            header = jpeg.parse_header(bytes(tables) if tables else None, data)
        except jpeg.JpegStreamError as exc:
            raise InvalidInputError(f"{where}: {what} is not JPEG data that can be read "
                                    f"({exc})", hint="download the slide again") from None
        problem = _jpeg_frame_error(page, header)
        if problem:
            raise InvalidInputError(f"{where}: {what}: {problem}",
                                    hint="download the slide again")
    elif (page.compression in COMPRESSION_DEFLATE
          and _inflated_size(data, page.segment_bytes + 1) > page.segment_bytes):
        raise InvalidInputError(f"{where}: {what}: its Deflate data unpacks to more than "
                                f"the {page.segment_bytes:,} bytes the {page.kind} holds",
                                hint="download the slide again")
    try:
        decoded, _, _ = tiff_page.decode(data, index, jpegtables=tables)
    except Exception as exc:  # codecs raise many kinds (and MemoryError) on broken data
        raise InvalidInputError(f"{where}: {what} does not decode ({type(exc).__name__}: "
                                f"{exc})", hint="download the slide again") from None
    if decoded is None:
        raise InvalidInputError(f"{where}: {what} does not decode",
                                hint="download the slide again")
    return np.asarray(decoded)


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
    frame_error = _jpeg_frame_error(page, header)
    if frame_error:
        page.jpeg_error = f"tile {index}: {frame_error}"
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


def _header(raw: Any, path: Path) -> tuple[str, bool, int]:
    """(struct byte order, bigtiff, first IFD offset); NotATiffError when it is no TIFF."""
    head = raw.read(16)
    if head[:2] not in (b"II", b"MM"):
        raise NotATiffError(f"{path} does not start with a TIFF header (II*/MM*)")
    order = "<" if head[:2] == b"II" else ">"
    version = struct.unpack(order + "H", head[2:4])[0] if len(head) >= 4 else 0
    if version == 42 and len(head) >= 8:
        return order, False, struct.unpack(order + "I", head[4:8])[0]
    if version == 43 and len(head) >= 16:
        return order, True, struct.unpack(order + "Q", head[8:16])[0]
    raise NotATiffError(f"{path} does not start with a TIFF header (II*/MM*)")


def walk_ifds(path: Path) -> list[int]:
    """File offsets of the directories in chain order: followed with a set of visited
    offsets, at most `bounds.MAX_IFDS` of them, each inside the file.

    Raises NotATiffError, or SlideStructureError for a loop, too many directories, or a
    first directory past the end of the file (a later one ends the chain there, as in a
    truncated file, whose tiles `slides check` then finds missing).
    """
    path = Path(path)
    with path.open("rb") as raw:
        size = os.fstat(raw.fileno()).st_size
        order, bigtiff, offset = _header(raw, path)
        count_format, entry_size, next_format = ("Q", 20, "Q") if bigtiff else ("H", 12, "I")
        count_size, next_size = struct.calcsize(count_format), struct.calcsize(next_format)
        visited: dict[int, int] = {}
        while offset:
            index = len(visited)
            if offset in visited:
                raise SlideStructureError(
                    f"{path}: the chain of image directories loops: directory {index - 1} "
                    f"points back to directory {visited[offset]} (byte {offset}), so a "
                    "reader would never reach the end",
                    hint="the file is broken; download the slide again")
            if index >= bounds.MAX_IFDS:
                raise SlideStructureError(
                    f"{path}: more than {bounds.MAX_IFDS} image directories (a slide has a "
                    "few: its levels, a label and a macro image)",
                    hint="the file is broken or is not a slide")
            where = f"{path}: image directory {index} at byte {offset}"
            inside = offset >= 8 and offset + count_size <= size
            if not inside and index:
                break  # a truncated file: tifffile also stops here; check says "truncated"
            if not inside:
                raise SlideStructureError(f"{where} lies outside the file ({size} bytes); "
                                          "the file may be truncated",
                                          hint="download the slide again")
            raw.seek(offset)
            count = struct.unpack(order + count_format, raw.read(count_size))[0]
            end = offset + count_size + count * entry_size + next_size
            if end > size and index:
                break
            if end > size:
                raise SlideStructureError(f"{where} has {count} entries and would end at "
                                          f"byte {end}, past the end of the file ({size} "
                                          "bytes); the file may be truncated",
                                          hint="download the slide again")
            visited[offset] = index
            raw.seek(end - next_size)
            offset = struct.unpack(order + next_format, raw.read(next_size))[0]
    return list(visited)


def read_tiff_info(path: Path, *, inspect_jpeg: bool = True,
                   limits: SlideLimits | None = None) -> TiffInfo:
    """Headers of every page, within the slide limits.

    Raises NotATiffError; SlideStructureError for a directory loop, a page of zero size or
    missing tile offsets; LimitExceeded for a page over `--max-decoded-mb` or
    `--max-pixels-per-byte`; InvalidInputError for anything but a regular file; tifffile's
    errors for other broken IFDs.
    """
    import tifffile

    quiet_tifffile()
    limits = limits or bounds.current_slide_limits()
    path = Path(path)
    bounds.require_regular_file(path)
    walk_ifds(path)
    with tifffile.TiffFile(path) as handle:
        file_size = path.stat().st_size
        pages = [_page_info(i, p, path) for i, p in enumerate(handle.pages)
                 if getattr(p, "shape", None)]
        for page in pages:
            _check_bounds(page, file_size, path, limits)
        info = TiffInfo(
            path=path, file_size=file_size, byteorder=handle.byteorder,
            bigtiff=bool(handle.is_bigtiff), pages=pages, levels=_pyramid(pages),
            mpp=None, mpp_source=None, magnification=None,
        )
        if not pages:
            return info
        base_page = handle.pages[info.levels[0].index]
        info.description = _description(base_page)
        mpp_match = _APERIO_MPP.search(info.description)
        mpp = _mpp_value(mpp_match.group(1), info.notes) if mpp_match else None
        if mpp is not None:
            info.mpp, info.mpp_source = mpp, "ImageDescription MPP"
        else:
            info.mpp, info.mpp_source = _mpp_from_tags(base_page)
        mag_match = _APERIO_MAG.search(info.description)
        if mag_match:
            try:
                info.magnification = float(mag_match.group(1))
            except ValueError:
                info.notes.append(f"AppMag = {mag_match.group(1)} is not a number")
        if inspect_jpeg:
            for page in pages:
                inspect_jpeg_page(handle, page)
    return info


def _mpp_value(text: str, notes: list[str]) -> float | None:
    """The number after `MPP =`; one that is not a positive number is noted and unused."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not math.isfinite(value) or value <= 0:
        notes.append(f"the ImageDescription says MPP = {text}, which is not a positive number "
                     "of microns per pixel")
        return None
    return value


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
    """Files as given; folders walked for TIFF-like names; sorted, without duplicates.

    A FIFO, device or socket with a slide's name is listed too (never opened), so the
    commands name it and refuse it instead of passing over it in silence.
    """
    found: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if not child.is_dir() and child.suffix.lower() in SLIDE_SUFFIXES:
                    found.setdefault(child, None)
        else:
            found.setdefault(path, None)
    return list(found)


def read_slide_info(path: Path, *, inspect_jpeg: bool = True,
                    limits: SlideLimits | None = None) -> TiffInfo | None:
    """`read_tiff_info` for a reader about to open the slide: None when the file is not a
    TIFF (OpenSlide may still read it); a TIFF whose structure cannot be read is an
    InvalidInputError naming the file, and the limits' own errors pass through."""
    try:
        return read_tiff_info(path, inspect_jpeg=inspect_jpeg, limits=limits)
    except NotATiffError:
        return None
    except RegEvalError:
        raise
    except Exception as exc:  # tifffile raises many kinds for broken headers
        raise InvalidInputError(f"{path}: the TIFF structure cannot be read "
                                f"({type(exc).__name__}: {exc})",
                                hint="run `reg-eval slides check` on it") from None


def _exists(path: Path) -> bool:
    """`path.exists()`, with the errors it raises (a name too long for the file system, a
    folder that cannot be searched) a usage error naming the path and why."""
    try:
        return path.exists()
    except OSError as exc:
        raise UsageError(f"{path}: cannot be looked up ({exc.strerror or exc})",
                         hint="check the path") from None


def existing_slides(paths: Sequence[Path]) -> list[Path]:
    """`find_slides` over a command's arguments: a path that does not exist, or arguments
    that hold no slide at all, is a usage error (nothing would be checked or extracted)."""
    paths = [Path(p) for p in paths]
    try:
        missing = [p for p in paths if not _exists(p)]
        if missing:
            raise UsageError(f"{missing[0]} does not exist",
                             hint="pass slide files or folders that hold them")
        slides = find_slides(paths)
    except OSError as exc:  # a folder walked that vanished or cannot be listed
        raise UsageError(f"{exc.filename or ', '.join(map(str, paths))}: cannot be read "
                         f"({exc.strerror or exc})", hint="check the path") from None
    if not slides:
        raise UsageError(f"no slides found in {', '.join(map(str, paths))}",
                         hint=f"folders are searched for {', '.join(SLIDE_SUFFIXES)} files")
    return slides
