"""`fix_slide`: only the tag changes, the source stays, the colours come out right."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest
import tifffile

from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.slides.check import check_slide
from reg_eval.slides.fix import fix_slide
from slide_files import SlideSet


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_fixed_copy(tmp_path: Path, slide_set: SlideSet) -> None:
    before = _sha(slide_set.wrong_tag)
    result = fix_slide(slide_set.wrong_tag, out_dir=tmp_path / "fixed")
    assert _sha(slide_set.wrong_tag) == before  # the source is untouched
    target = tmp_path / "fixed" / slide_set.wrong_tag.name
    assert result.status == "fixed" and result.target == target
    source_bytes, fixed_bytes = slide_set.wrong_tag.read_bytes(), target.read_bytes()
    assert len(source_bytes) == len(fixed_bytes)
    differing = [i for i, (a, b) in enumerate(zip(source_bytes, fixed_bytes, strict=True))
                 if a != b]
    with tifffile.TiffFile(target) as handle:
        value_fields = {int(p.tags[262].valueoffset) for p in handle.pages}
        assert [p.photometric for p in handle.pages] == [6, 6, 6]
        decoded = handle.pages[0].asarray()
    # one byte per page: the low byte of a little-endian SHORT, 2 -> 6
    assert sorted(differing) == sorted(value_fields)
    assert all(source_bytes[i] == 2 and fixed_bytes[i] == 6 for i in differing)
    assert np.abs(decoded.astype(int) - slide_set.image).mean() < 8  # right colours now
    assert not check_slide(target).problems
    assert list((tmp_path / "fixed").iterdir()) == [target]  # no temporary file left


def test_refusals(tmp_path: Path, slide_set: SlideSet) -> None:
    out = tmp_path / "fixed"
    fix_slide(slide_set.wrong_tag, out_dir=out)
    with pytest.raises(UsageError, match="already exists"):
        fix_slide(slide_set.wrong_tag, out_dir=out)
    assert fix_slide(slide_set.wrong_tag, out_dir=out, force=True).status == "fixed"
    with pytest.raises(UsageError, match="folder of"):
        fix_slide(slide_set.wrong_tag, out_dir=slide_set.folder)
    with pytest.raises(InvalidInputError, match="unreadable"):
        fix_slide(slide_set.truncated, out_dir=out)
    with pytest.raises(UsageError, match="either"):
        fix_slide(slide_set.wrong_tag)
    assert fix_slide(slide_set.good, out_dir=out).status == "nothing-to-fix"
    assert not (out / slide_set.good.name).exists()


def test_in_place(tmp_path: Path, slide_set: SlideSet) -> None:
    work = tmp_path / "slide.tiff"
    shutil.copyfile(slide_set.wrong_tag, work)
    inode = work.stat().st_ino
    result = fix_slide(work, in_place=True)
    assert result.status == "fixed" and result.target == work
    assert work.stat().st_ino != inode  # a new file renamed over the old one
    assert not check_slide(work).problems
    assert sorted(p.name for p in tmp_path.iterdir()) == ["slide.tiff"]


@pytest.mark.parametrize(("byteorder", "bigtiff"), [(">", False), ("<", True), (">", True)])
def test_other_layouts(tmp_path: Path, slide_set: SlideSet, byteorder: str,
                       bigtiff: bool) -> None:
    """Big-endian files and BigTIFF keep the value in other places of the IFD entry."""
    path = tmp_path / "slide.tiff"
    tifffile.imwrite(path, slide_set.image, tile=(128, 128), compression="jpeg",
                     photometric="rgb", byteorder=byteorder, bigtiff=bigtiff)
    with tifffile.TiffFile(path, mode="r+b") as handle:
        handle.pages[0].tags[262].overwrite(2)
    assert {f.code for f in check_slide(path).problems} == {"photometric-mismatch"}
    result = fix_slide(path, out_dir=tmp_path / "fixed")
    assert len(result.changed_offsets) == 1
    with tifffile.TiffFile(result.target) as handle:
        assert handle.pages[0].photometric == 6
        assert handle.byteorder == byteorder and handle.is_bigtiff == bigtiff
    assert not check_slide(result.target).problems
