"""JPEG marker reading against streams whose colour space is known by construction."""

from __future__ import annotations

import imagecodecs
import numpy as np
import pytest

from reg_eval.slides import jpeg

PINK = np.zeros((32, 32, 3), dtype=np.uint8)
PINK[...] = (224, 130, 190)


def _segment(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + (len(body) + 2).to_bytes(2, "big") + body


def _sof(ids: tuple[int, int, int], sampling: tuple[int, int, int] = (0x11, 0x11, 0x11)) -> bytes:
    body = bytes([8, 0, 32, 0, 32, 3])
    for cid, samp in zip(ids, sampling, strict=True):
        body += bytes([cid, samp, 0])
    return _segment(0xC0, body)


def _stream(*segments: bytes) -> bytes:
    return b"\xff\xd8" + b"".join(segments) + _segment(0xDA, bytes([0])) + b"\xff\xd9"


ADOBE_RGB = _segment(0xEE, b"Adobe" + bytes([0, 100, 0, 0, 0, 0, 0]))
ADOBE_YCC = _segment(0xEE, b"Adobe" + bytes([0, 100, 0, 0, 0, 0, 1]))
JFIF = _segment(0xE0, b"JFIF\x00" + bytes([1, 1, 0, 0, 1, 0, 1, 0, 0]))


@pytest.mark.parametrize(("stream", "space"), [
    (_stream(_sof((1, 2, 3))), jpeg.YCBCR),
    (_stream(_sof((82, 71, 66))), jpeg.RGB),
    (_stream(ADOBE_RGB, _sof((1, 2, 3))), jpeg.RGB),  # the Adobe flag beats the ids
    (_stream(ADOBE_YCC, _sof((82, 71, 66))), jpeg.YCBCR),
    (_stream(JFIF, _sof((82, 71, 66))), jpeg.YCBCR),
    (_stream(_sof((0, 1, 2), (0x22, 0x11, 0x11))), jpeg.YCBCR),  # subsampled chroma
    (_stream(_sof((0, 1, 2))), None),  # nothing decides
])
def test_header_verdicts(stream: bytes, space: str | None) -> None:
    assert jpeg.colour_space(jpeg.parse_header(stream)).space == space


def test_streams_written_by_libjpeg() -> None:
    ycc = imagecodecs.jpeg8_encode(PINK, level=90, colorspace="RGB", outcolorspace="YCbCr")
    rgb = imagecodecs.jpeg8_encode(PINK, level=90, colorspace="RGB", outcolorspace="RGB")
    header = jpeg.parse_header(bytes(ycc))
    assert header.jfif and header.component_ids == (1, 2, 3)
    assert jpeg.colour_space(header).space == jpeg.YCBCR
    header = jpeg.parse_header(bytes(rgb))
    assert header.adobe_transform == 0 and header.component_ids == (82, 71, 66)
    assert jpeg.colour_space(header).space == jpeg.RGB


def test_tables_stream_then_tile() -> None:
    tables = b"\xff\xd8" + _segment(0xDB, bytes(65)) + b"\xff\xd9"
    header = jpeg.parse_header(tables, _stream(_sof((1, 2, 3))))
    assert header.component_ids == (1, 2, 3) and 0xDB in header.segments


@pytest.mark.parametrize("bad", [b"", b"GIF89a", b"\xff\xd8\xff\xc0\x00\x40\x08", b"\xff\xd8"])
def test_broken_streams(bad: bytes) -> None:
    with pytest.raises(jpeg.JpegStreamError):
        jpeg.parse_header(bad)


def test_pixel_guess() -> None:
    ycc = np.zeros((8, 8, 3), dtype=np.uint8)
    ycc[...] = (170, 140, 150)  # Y, Cb, Cr of a pink pixel
    assert jpeg.guess_from_pixels(ycc).space == jpeg.YCBCR
    assert jpeg.guess_from_pixels(np.full((8, 8, 3), 250, dtype=np.uint8)).space == jpeg.RGB
    assert jpeg.guess_from_pixels(PINK).space == jpeg.RGB
