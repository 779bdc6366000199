"""The limits every slide reader keeps: the directory walk, decoded sizes, the tile cache,
the sample `slides check` decodes, and the source identity a resumed extraction checks."""

from __future__ import annotations

import hashlib
from pathlib import Path

import hostile_slides as hs
import numpy as np
import pytest

from reg_eval.io.limits import LimitExceeded
from reg_eval.slides import bounds, jpeg, resume, synthetic, tiff
from reg_eval.slides.bounds import SlideLimits, SlideStructureError
from reg_eval.slides.check import sample_indices
from reg_eval.slides.reader import TiffReader


def test_walk_follows_the_chain_as_written(tmp_path: Path) -> None:
    slide = hs.small_slide(tmp_path / "S.tiff", levels=3)
    assert tiff.walk_ifds(slide) == hs.ifd_layout(slide)[2]
    assert len(tiff.walk_ifds(slide)) == 3


@pytest.mark.parametrize(("length", "bigtiff", "words"), [
    (1, False, "directory 0 points back to directory 0"),
    (3, False, "directory 2 points back to directory 0"),
    (1, True, "directory 0 points back to directory 0"),
])
def test_walk_refuses_loops(tmp_path: Path, length: int, bigtiff: bool, words: str) -> None:
    slide = hs.make_ifd_loop(hs.small_slide(tmp_path / "S.tiff", levels=3, bigtiff=bigtiff),
                             length)
    with pytest.raises(SlideStructureError, match=words):
        tiff.walk_ifds(slide)


def test_walk_stops_at_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    slide = hs.small_slide(tmp_path / "S.tiff", levels=3)
    monkeypatch.setattr(bounds, "MAX_IFDS", 2)
    with pytest.raises(SlideStructureError, match="more than 2 image directories"):
        tiff.walk_ifds(slide)


def test_sample_spreads_over_the_stored_tiles() -> None:
    assert sample_indices(list(range(100)), 5) == [0, 25, 50, 74, 99]
    assert sample_indices([3, 8], 5) == [3, 8]
    assert sample_indices([3, 8, 9], 1) == [3]


def test_the_strip_cache_keeps_a_byte_budget(tmp_path: Path) -> None:
    strips = [hs.deflate_rows(2_000, 16, 200) for _ in range(64)]  # 96,000 bytes each
    slide = hs.raw_tiff(tmp_path / "S.tiff", 2_000, 1_024, strips, rows_per_strip=16)
    with TiffReader(slide, cache_bytes=500_000) as reader:
        region = reader.read_region(0, 0, 0, 2_000, 1_024)
        assert reader._cached <= 500_000 and len(reader._cache) == 5
    assert region.shape == (1_024, 2_000, 3) and np.all(region == 200)


def test_a_closed_reader_holds_no_decoded_strips(tmp_path: Path) -> None:
    strips = [hs.deflate_rows(2_000, 16, 200) for _ in range(4)]  # 96,000 bytes each
    slide = hs.raw_tiff(tmp_path / "S.tiff", 2_000, 64, strips, rows_per_strip=16)
    with TiffReader(slide) as reader:
        reader.read_region(0, 0, 0, 2_000, 64)
        assert reader._cached == 4 * 96_000
    assert reader._cached == 0 and not reader._cache
    assert reader.level_dimensions == [(2_000, 64)]  # what extract copies out stays


def test_the_deflate_check_counts_without_holding_the_strip(tmp_path: Path) -> None:
    import tracemalloc

    # one 4000 x 2000 strip (24 MB decoded) of honest Deflate data: the check must not
    # hold its own 24 MB copy beside the one the codec builds
    slide = hs.raw_tiff(tmp_path / "S.tiff", 4_000, 2_000, [hs.deflate_rows(4_000, 2_000, 90)])
    info = tiff.read_tiff_info(slide, inspect_jpeg=False)
    import tifffile

    with tifffile.TiffFile(slide) as handle:
        tracemalloc.start()
        decoded = tiff.decode_segment(handle, info.levels[0], 0, slide, SlideLimits())
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert decoded is not None and decoded.size == 24_000_000 and int(decoded.max()) == 90
    assert peak < 36_000_000, f"{peak:,} bytes traced while decoding a 24 MB strip"


def test_the_deflate_check_counts_what_a_strip_unpacks_to() -> None:
    data = hs.deflate_rows(1_000, 10, 7)  # 30,000 bytes
    assert tiff._inflated_size(data, 100_000) == 30_000
    assert tiff._inflated_size(data, 30_001) == 30_000
    assert tiff._inflated_size(data, 29_999) == 29_999  # stops at the limit asked
    assert tiff._inflated_size(data * 2, 100_000) == 30_000  # bytes after the stream end
    assert tiff._inflated_size(b"not zlib", 100) == 0
    big = hs.deflate_rows(1_000, 1_000, 7)  # 3,000,000 bytes: several 1 MB pieces
    assert tiff._inflated_size(big, 5_000_000) == 3_000_000


def test_a_region_over_the_limit_is_refused_before_it_is_allocated(tmp_path: Path) -> None:
    slide = hs.small_slide(tmp_path / "S.tiff")
    with TiffReader(slide, limits=SlideLimits(max_decoded_mb=1)) as reader:
        with pytest.raises(LimitExceeded, match=r"--max-decoded-mb"):
            reader.read_region(0, 0, 0, 1_000, 1_000)
        assert reader.read_region(0, 0, 0, 256, 256).shape == (256, 256, 3)


def test_the_jpeg_header_gives_the_frame_size(tmp_path: Path) -> None:
    slide = hs.enlarge_jpeg_frame(hs.small_slide(tmp_path / "S.tiff"), 0, 3_000, 2_000)
    spans = hs.tile_spans(slide)  # tiles carry their own tables here
    data = slide.read_bytes()
    first = jpeg.parse_header(data[spans[0][0]:sum(spans[0])])
    second = jpeg.parse_header(data[spans[1][0]:sum(spans[1])])
    assert (first.width, first.height) == (3_000, 2_000)
    assert (second.width, second.height) == (128, 128)


def test_source_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    slide = hs.small_slide(tmp_path / "S.tiff")
    whole = resume.source_identity(slide)
    assert whole["sha256"] == hashlib.sha256(slide.read_bytes()).hexdigest()
    assert whole["bytes"] == slide.stat().st_size
    monkeypatch.setattr(resume, "FULL_HASH_BYTES", 1_000)
    monkeypatch.setattr(resume, "EDGE_BYTES", 100)
    sampled = resume.source_identity(slide)
    assert sampled["hashed"].startswith("header") and sampled["sha256"] != whole["sha256"]
    synthetic.set_photometric(slide, 2)  # what `slides fix --in-place` changes, in an IFD
    assert resume.source_identity(slide)["sha256"] != sampled["sha256"]
