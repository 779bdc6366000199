"""What colour space a JPEG tile was really encoded in, read from its markers.

TIFF tag 262 (PhotometricInterpretation) says how JPEG tiles should be decoded, but a
decoder that believes a wrong tag shows wrong colours. The stream itself says more: an
Adobe APP14 segment carries a transform flag (0: no transform, RGB; 1: YCbCr), a JFIF APP0
segment implies YCbCr, and libjpeg names components 'R','G','B' when it writes RGB and
1, 2, 3 when it writes YCbCr. Chroma subsampling only makes sense for YCbCr. When none of
these decides, one tile is decoded without a colour transform and its channels are looked
at (`guess_from_pixels`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SOI = 0xD8
EOI = 0xD9
SOS = 0xDA
APP0 = 0xE0
APP14 = 0xEE
# Start-of-frame markers: baseline, extended, progressive, lossless (and arithmetic forms).
SOF_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD,
                         0xCE, 0xCF})
# Markers without a length field.
STANDALONE = frozenset({0x01, *range(0xD0, 0xD8), SOI, EOI})

RGB = "rgb"
YCBCR = "ycbcr"


class JpegStreamError(ValueError):
    """The bytes are not a JPEG stream this module can walk."""


@dataclass
class JpegHeader:
    """The colour-relevant facts of a JPEG stream (tables and tile data together)."""

    jfif: bool = False
    adobe_transform: int | None = None
    component_ids: tuple[int, ...] = ()
    sampling: tuple[tuple[int, int], ...] = ()
    sof_marker: int | None = None
    width: int = 0  # of the frame, as the start-of-frame segment declares it
    height: int = 0
    segments: list[int] = field(default_factory=list)

    @property
    def n_components(self) -> int:
        return len(self.component_ids)


def parse_header(*streams: bytes | None) -> JpegHeader:
    """Walk the marker segments up to the first scan of each stream.

    TIFF JPEG tiles often keep their quantisation and Huffman tables in tag 347
    (JPEGTables), an abbreviated stream of its own; pass it first, then the tile.
    """
    header = JpegHeader()
    for stream in streams:
        if stream:
            _walk(stream, header)
    if header.sof_marker is None:
        raise JpegStreamError("no start-of-frame marker before the first scan")
    return header


def _walk(data: bytes, header: JpegHeader) -> None:
    if len(data) < 4 or data[0] != 0xFF or data[1] != SOI:
        raise JpegStreamError("does not start with the JPEG start-of-image marker")
    pos = 2
    size = len(data)
    while pos < size:
        if data[pos] != 0xFF:
            raise JpegStreamError(f"expected a marker at byte {pos}")
        while pos < size and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= size:
            break
        marker = data[pos]
        pos += 1
        header.segments.append(marker)
        if marker in STANDALONE:
            if marker == EOI:
                return
            continue
        if pos + 2 > size:
            raise JpegStreamError("stream ends inside a marker segment")
        length = int.from_bytes(data[pos:pos + 2], "big")
        body = data[pos + 2:pos + length]
        if length < 2 or len(body) != length - 2:
            raise JpegStreamError(f"marker 0x{marker:02X} is cut short")
        if marker == APP0 and body.startswith(b"JFIF\x00"):
            header.jfif = True
        elif marker == APP14 and body.startswith(b"Adobe") and len(body) >= 12:
            header.adobe_transform = body[11]
        elif marker in SOF_MARKERS:
            if len(body) < 6:
                raise JpegStreamError("start-of-frame segment is cut short")
            n = body[5]
            if len(body) < 6 + 3 * n:
                raise JpegStreamError("start-of-frame segment is cut short")
            header.sof_marker = marker
            header.height = int.from_bytes(body[1:3], "big")
            header.width = int.from_bytes(body[3:5], "big")
            header.component_ids = tuple(body[6 + 3 * i] for i in range(n))
            header.sampling = tuple(
                (body[7 + 3 * i] >> 4, body[7 + 3 * i] & 0x0F) for i in range(n)
            )
        elif marker == SOS:
            return
        pos += length


@dataclass(frozen=True)
class ColourVerdict:
    """The colour space a three-component stream was encoded in, and the evidence."""

    space: str | None  # RGB, YCBCR, or None when the header does not decide
    evidence: str


def colour_space(header: JpegHeader) -> ColourVerdict:
    """Decide from the header alone, strongest evidence first (as libjpeg does)."""
    if header.n_components != 3:
        return ColourVerdict(None, f"{header.n_components} components")
    if header.adobe_transform is not None:
        if header.adobe_transform == 0:
            return ColourVerdict(RGB, "Adobe APP14 marker with transform 0 (no transform)")
        if header.adobe_transform == 1:
            return ColourVerdict(YCBCR, "Adobe APP14 marker with transform 1 (YCbCr)")
    if header.jfif:
        return ColourVerdict(YCBCR, "JFIF APP0 marker (JFIF streams are YCbCr)")
    ids = header.component_ids
    if ids == (ord("R"), ord("G"), ord("B")):
        return ColourVerdict(RGB, "component ids 'R','G','B'")
    if ids == (1, 2, 3):
        return ColourVerdict(YCBCR, "component ids 1,2,3")
    if len(set(header.sampling)) > 1:
        return ColourVerdict(YCBCR, f"chroma subsampling {list(header.sampling)}")
    return ColourVerdict(None, f"component ids {list(ids)} and no colour marker")


def guess_from_pixels(raw: np.ndarray) -> ColourVerdict:
    """Channels decoded without a colour transform: are they plausible as YCbCr?

    Read as YCbCr, real YCbCr data turns into colours inside the RGB cube, while RGB data
    (white glass: 242, 240, 244; pink stroma: 224, 130, 190) lands far outside it.
    """
    pixels = raw.reshape(-1, raw.shape[-1])[:, :3].astype(np.float64)
    y, cb, cr = pixels[:, 0], pixels[:, 1] - 128.0, pixels[:, 2] - 128.0
    as_rgb = np.stack([y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr, y + 1.772 * cb],
                      axis=1)
    outside = float(((as_rgb < -16) | (as_rgb > 271)).any(axis=1).mean())
    if outside > 0.05:
        return ColourVerdict(RGB, f"decoded tile: {outside:.0%} of pixels leave the RGB "
                                  "cube when read as YCbCr")
    return ColourVerdict(YCBCR, f"decoded tile: {1 - outside:.0%} of pixels are valid "
                                "colours when read as YCbCr")
