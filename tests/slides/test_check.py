"""`check_slide` flags exactly the broken slides, and finds the colour defect in the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tifffile

from reg_eval.slides.check import check_slide, summary
from reg_eval.slides.lists import read_slide_list
from slide_files import HEIGHT, MPP, WIDTH, SlideSet


def _codes(path: Path, **kwargs: object) -> set[str]:
    return {f.code for f in check_slide(path, **kwargs).problems}  # type: ignore[arg-type]


def test_only_the_broken_slides_have_problems(slide_set: SlideSet) -> None:
    assert _codes(slide_set.good) == set()
    assert _codes(slide_set.rgb_jpeg) == set()  # truly RGB JPEG data is not a defect
    assert _codes(slide_set.blank) == set()
    assert _codes(slide_set.striped) == set()
    assert _codes(slide_set.wrong_tag) == {"photometric-mismatch"}
    assert _codes(slide_set.truncated) == {"truncated"}
    assert _codes(slide_set.not_a_slide) == {"not-a-tiff"}


def test_facts_of_a_good_slide(slide_set: SlideSet) -> None:
    row = check_slide(slide_set.good).to_dict()
    assert row["readable"] and row["id"] == "PIT_01_00001_01.tiff"
    assert [(lv["width"], lv["height"]) for lv in row["levels"]] == [
        (WIDTH, HEIGHT), (WIDTH // 2, HEIGHT // 2), (WIDTH // 4, HEIGHT // 4)]
    assert row["mpp"] == MPP and row["compression"] == "JPEG"
    assert row["photometric"] == "YCBCR" and row["jpeg_colour"] == "ycbcr"


def test_wrong_tag_is_found_from_the_tiles(slide_set: SlideSet) -> None:
    """The tag says RGB; decoded that way (tifffile follows the tag) the colours are wrong."""
    with tifffile.TiffFile(slide_set.wrong_tag) as handle:
        assert handle.pages[0].photometric == 2
        decoded = handle.pages[0].asarray()
    assert np.abs(decoded.astype(int) - slide_set.image).mean() > 30
    row = check_slide(slide_set.wrong_tag).to_dict()
    assert row["photometric"] == "RGB" and row["photometric_expected"] == "YCBCR"
    assert row["pages_with_wrong_tag"] == [0, 1, 2]
    assert row["readable"]


def test_jfif_marker_does_not_hide_the_defect(tmp_path: Path, slide_set: SlideSet) -> None:
    """tifffile decodes a JFIF stream as YCbCr whatever the tag says; libtiff-based readers
    follow the tag. The verdict follows the data, so the slide is flagged either way."""
    path = tmp_path / "jfif.tiff"
    tifffile.imwrite(path, slide_set.image, tile=(128, 128), compression="jpeg",
                     photometric="rgb")  # tifffile writes YCbCr tiles with a JFIF marker
    with tifffile.TiffFile(path, mode="r+b") as handle:
        handle.pages[0].tags[262].overwrite(2)
    assert np.abs(tifffile.imread(path).astype(int) - slide_set.image).mean() < 8
    assert _codes(path) == {"photometric-mismatch"}


def test_lists(tmp_path: Path, slide_set: SlideSet) -> None:
    (tmp_path / "corrupted_id.csv").write_text("id_list\nPIT_01_00001_01\n")
    (tmp_path / "revised_list.csv").write_text("file_path\nPIT_01_00003_01.tiff\n")
    exclude = read_slide_list(tmp_path / "corrupted_id.csv")
    revised = read_slide_list(tmp_path / "revised_list.csv")
    good = check_slide(slide_set.good, exclude=exclude, revised=revised)
    assert good.excluded and {f.code for f in good.problems} == {"excluded"}
    rgb = check_slide(slide_set.rgb_jpeg, exclude=exclude, revised=revised)
    assert rgb.revised and not rgb.problems
    assert {f.code for f in rgb.warnings} == {"revised-already-consistent"}


def test_no_tiles_and_summary(tmp_path: Path, slide_set: SlideSet) -> None:
    empty = tmp_path / "empty.tiff"
    empty.write_bytes(b"II*\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00")
    assert _codes(empty) & {"no-tiles", "unreadable"}
    results = [check_slide(p) for p in (slide_set.good, slide_set.wrong_tag,
                                        slide_set.truncated, slide_set.striped)]
    totals = summary(results)
    assert totals["with_problems"] == 2 and totals["fixable"] == 1
    assert totals["unreadable"] == 1 and totals["by_code"]["striped"] == 1


def test_first_tile_not_jpeg(tmp_path: Path, slide_set: SlideSet) -> None:
    broken = tmp_path / "broken.tiff"
    data = bytearray(slide_set.good.read_bytes())
    with tifffile.TiffFile(slide_set.good) as handle:
        offset, count = handle.pages[0].dataoffsets[0], handle.pages[0].databytecounts[0]
    data[offset:offset + count] = bytes(count)
    broken.write_bytes(bytes(data))
    result = check_slide(broken)
    assert {f.code for f in result.problems} == {"decoder-error"} and not result.readable
