"""Finding the slides a command was given, and reading a slide's TIFF structure for a reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.io.limits import LimitExceeded
from reg_eval.slides import tiff
from reg_eval.slides.bounds import SlideLimits
from slide_files import SlideSet


def test_existing_slides_walks_folders_and_keeps_files_as_given(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / "deep").mkdir(parents=True)
    for name in ("b.svs", "deep/a.TIFF", "notes.txt", "c.btf"):
        (folder / name).write_bytes(b"x")
    given = tmp_path / "odd-name.dat"
    given.write_bytes(b"x")
    assert tiff.existing_slides([folder, given]) == [
        folder / "b.svs", folder / "c.btf", folder / "deep" / "a.TIFF", given]


def test_existing_slides_refuses_missing_paths_and_empty_folders(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"nope\.tiff does not exist") as missing:
        tiff.existing_slides([tmp_path / "nope.tiff"])
    assert missing.value.exit_code == 2
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(UsageError, match="no slides found in") as empty:
        tiff.existing_slides([tmp_path])
    assert empty.value.hint == "folders are searched for .tif, .tiff, .svs, .btf files"


def test_existing_slides_names_a_path_that_cannot_be_looked_up(tmp_path: Path) -> None:
    too_long = tmp_path / ("x" * 300 + ".tiff")  # over the 255 bytes a file name may have
    with pytest.raises(UsageError, match=r"x{300}\.tiff: cannot be looked up \(File name "
                       r"too long\)") as caught:
        tiff.existing_slides([too_long])
    assert caught.value.exit_code == 2


def test_read_slide_info(slide_set: SlideSet, monkeypatch: pytest.MonkeyPatch) -> None:
    info = tiff.read_slide_info(slide_set.good)
    assert info is not None and info.levels
    assert tiff.read_slide_info(slide_set.not_a_slide) is None  # OpenSlide may still try
    with pytest.raises(LimitExceeded):  # the limits' own errors pass through
        tiff.read_slide_info(slide_set.good, limits=SlideLimits(max_pixels_per_byte=1))

    def broken(path: Path, **_: object) -> None:
        raise ValueError("invalid IFD entry count")

    monkeypatch.setattr(tiff, "read_tiff_info", broken)
    with pytest.raises(InvalidInputError) as refused:
        tiff.read_slide_info(slide_set.good)
    assert str(refused.value).startswith(
        f"{slide_set.good}: the TIFF structure cannot be read (ValueError: invalid IFD entry "
        "count)")
    assert refused.value.exit_code == 1 and "slides check" in refused.value.hint
