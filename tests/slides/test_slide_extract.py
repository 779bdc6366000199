"""`extract_features` on the small slide set: tissue-only coordinates, TRIDENT layout,
resume, shards, determinism, and the refusals."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest

from reg_eval.errors import UsageError
from reg_eval.slides.extract import (
    ExtractOptions,
    assign_slides,
    extract_features,
    parse_shard,
)
from slide_files import MPP, SlideSet

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY_WIDTH = 64  # the built-in encoder's feature width
PATCH = 64


def _options(**kwargs: object) -> ExtractOptions:
    base: dict[str, object] = {"encoder": "tiny", "patch_size": PATCH, "mpp": MPP,
                               "batch_size": 16, "num_workers": 0, "device": "cpu"}
    base.update(kwargs)
    return ExtractOptions(**base)  # type: ignore[arg-type]


def _read(path: Path) -> tuple[np.ndarray, np.ndarray, dict, dict]:
    with h5py.File(path, "r") as handle:
        return (handle["features"][()], handle["coords"][()], dict(handle["coords"].attrs),
                dict(handle.attrs))


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory, slide_set: SlideSet) -> Path:
    out = tmp_path_factory.mktemp("extract") / "features"
    result = extract_features([slide_set.good, slide_set.striped, slide_set.blank,
                               slide_set.rgb_jpeg], out, _options())
    assert [o.status for o in result.outcomes] == ["done", "done", "empty", "done"]
    return out


def test_trident_layout_on_tissue(extracted: Path, slide_set: SlideSet) -> None:
    features, coords, attrs, file_attrs = _read(extracted / "PIT_01_00001_01.h5")
    assert features.dtype == np.float32 and features.shape == (len(coords), TINY_WIDTH)
    assert coords.dtype == np.int64 and coords.shape[1] == 2 and len(coords) > 10
    assert np.isfinite(features).all()
    assert attrs["patch_size"] == PATCH and attrs["patch_size_level0"] == PATCH
    assert attrs["patch_level"] == 0 and attrs["mpp"] == MPP
    assert attrs["level0_magnification"] == 20.0 and attrs["target_magnification"] == 20.0
    assert file_attrs["encoder"] == "tiny"
    # every patch lies on tissue: most of its footprint is tissue in the ground truth
    for x, y in coords:
        assert slide_set.tissue[y:y + PATCH, x:x + PATCH].mean() >= 0.4, (x, y)
    # and most tissue is covered: patches whose footprint is all tissue are all kept
    kept = {(int(x), int(y)) for x, y in coords}
    height, width = slide_set.tissue.shape
    for y in range(0, height - PATCH + 1, PATCH):
        for x in range(0, width - PATCH + 1, PATCH):
            if slide_set.tissue[y:y + PATCH, x:x + PATCH].all():
                assert (x, y) in kept


def test_striped_deflate_read_with_tifffile(extracted: Path) -> None:
    jpeg_features, jpeg_coords, _, _ = _read(extracted / "PIT_01_00001_01.h5")
    features, coords, _, file_attrs = _read(extracted / "PIT_01_00006_01.h5")
    assert file_attrs["reader"] == "tifffile"
    np.testing.assert_array_equal(coords, jpeg_coords)  # same pixels up to JPEG loss
    assert np.abs(features - jpeg_features).max() < 0.1 * np.abs(jpeg_features).max()


def test_no_tissue_gives_an_empty_file(extracted: Path) -> None:
    features, coords, _, _ = _read(extracted / "PIT_01_00005_01.h5")
    assert features.shape == (0, TINY_WIDTH) and coords.shape == (0, 2)
    manifest = json.loads((extracted / "manifest.json").read_text())
    row = next(r for r in manifest["slides"] if r["id"] == "PIT_01_00005_01")
    assert row["status"] == "empty" and "no tissue" in row["message"]
    assert manifest["counts"] == {"done": 3, "empty": 1}
    assert "encoder:tiny" in manifest["signatures"][0]


def test_resume_and_determinism(tmp_path: Path, extracted: Path, slide_set: SlideSet) -> None:
    out = tmp_path / "features"
    shutil.copytree(extracted, out)
    before = {p.name: p.read_bytes() for p in out.glob("*.h5")}
    (out / "PIT_01_00006_01.h5").unlink()
    result = extract_features([slide_set.good, slide_set.striped, slide_set.blank,
                               slide_set.rgb_jpeg], out, _options())
    # outcomes come in sorted id order: 00001, 00003, 00005, 00006
    assert [o.status for o in result.outcomes] == ["existing", "existing", "existing", "done"]
    after = {p.name: p.read_bytes() for p in out.glob("*.h5")}
    assert after == before  # byte-identical, the redone slide included
    with pytest.raises(UsageError, match="other settings"):
        extract_features([slide_set.good], out, _options(patch_size=128))


def test_batch_size_does_not_change_features(tmp_path: Path, extracted: Path,
                                             slide_set: SlideSet) -> None:
    extract_features([slide_set.good], tmp_path / "one", _options(batch_size=1))
    single, _, _, _ = _read(tmp_path / "one" / "PIT_01_00001_01.h5")
    batched, _, _, _ = _read(extracted / "PIT_01_00001_01.h5")
    np.testing.assert_allclose(single, batched, rtol=1e-5, atol=1e-6)


def test_data_loader_workers(tmp_path: Path, extracted: Path, slide_set: SlideSet) -> None:
    extract_features([slide_set.good], tmp_path / "w", _options(num_workers=2))
    assert (tmp_path / "w" / "PIT_01_00001_01.h5").read_bytes() == (
        extracted / "PIT_01_00001_01.h5").read_bytes()


def test_bad_slides_fail_alone(tmp_path: Path, slide_set: SlideSet) -> None:
    result = extract_features([slide_set.not_a_slide, slide_set.truncated,
                               slide_set.wrong_tag], tmp_path / "f", _options())
    by_id = {o.id: o for o in result.outcomes}
    assert {o.status for o in result.outcomes} == {"failed"}
    assert "not a slide" in by_id["notes"].message
    assert "truncated" in by_id["PIT_01_00004_01"].message
    assert "slides fix" in by_id["PIT_01_00002_01"].message
    assert not list((tmp_path / "f").glob("*.h5"))


def test_output_folder_with_other_files(tmp_path: Path, slide_set: SlideSet) -> None:
    out = tmp_path / "busy"
    out.mkdir()
    (out / "thesis.docx").write_text("mine")
    with pytest.raises(UsageError, match=r"thesis\.docx"):
        extract_features([slide_set.good], out, _options())


@pytest.mark.parametrize(("device", "dtype", "message"), [
    ("cuda:abc", "float32", "unknown device 'cuda:abc'"),
    ("gpu", "float32", "unknown device 'gpu'"),
    ("cpu", "float64", "unknown dtype 'float64'"),
])
def test_bad_device_or_dtype_is_refused_before_any_work(
        tmp_path: Path, slide_set: SlideSet, device: str, dtype: str, message: str) -> None:
    out = tmp_path / "never"
    with pytest.raises(UsageError, match=message) as refused:
        extract_features([slide_set.good], out, _options(device=device, dtype=dtype))
    assert refused.value.exit_code == 2 and refused.value.hint
    assert not out.exists()


def test_cuda_index_beyond_the_visible_gpus_is_refused(
        tmp_path: Path, slide_set: SlideSet, monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    out = tmp_path / "never"
    with pytest.raises(UsageError, match=r"--device cuda:2: only 2 CUDA device"):
        extract_features([slide_set.good], out, _options(device="cuda:2"))
    assert not out.exists()


def test_device_and_dtype_names_are_normalised() -> None:
    checked = _options(device=" CUDA:1 ", dtype="BFloat16").check()
    assert (checked.device, checked.dtype) == ("cuda:1", "bfloat16")


def test_shards_partition_the_slides() -> None:
    stems = [f"S{i:02d}" for i in range(10)]
    assert assign_slides(stems, 0, 3) == ["S00", "S03", "S06", "S09"]
    assert assign_slides(stems, 1, 3) == ["S01", "S04", "S07"]
    assert assign_slides(stems, 1, 3, 0, 2) == ["S01", "S07"]
    assert assign_slides(stems, 1, 3, 1, 2) == ["S04"]
    seen = [s for shard in range(3) for proc in range(2)
            for s in assign_slides(list(reversed(stems)), shard, 3, proc, 2)]
    assert sorted(seen) == stems  # every slide exactly once, whatever the input order
    assert parse_shard("2/4") == (2, 4) and parse_shard(None) == (0, 1)
    for bad in ("4/4", "x", "1/0", "-1/3"):
        with pytest.raises(UsageError):
            parse_shard(bad)


def test_shards_share_one_folder(tmp_path: Path, slide_set: SlideSet) -> None:
    slides = [slide_set.good, slide_set.blank, slide_set.rgb_jpeg]
    out = tmp_path / "sharded"
    first = extract_features(slides, out, _options(shard_index=0, n_shards=2))
    second = extract_features(slides, out, _options(shard_index=1, n_shards=2))
    assert [o.id for o in first.outcomes] == ["PIT_01_00001_01", "PIT_01_00005_01"]
    assert [o.id for o in second.outcomes] == ["PIT_01_00003_01"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert [r["id"] for r in manifest["slides"]] == [
        "PIT_01_00001_01", "PIT_01_00003_01", "PIT_01_00005_01"]
    assert len(manifest["parts"]) == 2


@pytest.mark.parametrize("reader", ["openslide", "tifffile"])
def test_a_tile_that_does_not_decode(tmp_path: Path, slide_set: SlideSet, reader: str) -> None:
    """Headers, the first tile and the small levels fine, the other level-0 tiles zeroed:
    that slide fails, naming the patch; the other slide is done."""
    import tifffile

    broken = tmp_path / "PIT_01_00009_01.tiff"
    shutil.copyfile(slide_set.good, broken)
    with tifffile.TiffFile(broken) as handle:
        page = handle.pages[0]
        spans = list(zip(page.dataoffsets, page.databytecounts, strict=True))
    data = bytearray(broken.read_bytes())
    _first, *rest = spans  # the first tile stays readable, so the headers pass
    for offset, count in rest:
        data[offset:offset + count] = bytes(count)  # not a JPEG stream any more
    broken.write_bytes(bytes(data))
    result = extract_features([broken, slide_set.rgb_jpeg], tmp_path / "out",
                              _options(backend=reader))
    by_id = {o.id: o for o in result.outcomes}
    assert by_id["PIT_01_00003_01"].status == "done"
    assert by_id["PIT_01_00009_01"].status == "failed"
    assert "cannot read the patch at x=" in by_id["PIT_01_00009_01"].message
