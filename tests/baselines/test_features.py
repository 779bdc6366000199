from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.io.feature_h5 import read_h5_metadata, write_feature_file
from reg_eval_baselines.features import (
    mean_pool_file,
    pool_slides,
    read_manifest,
    resolve_feature_paths,
    slide_stem,
)

SLIDE = "PIT_01_00002_01.tiff"


def loop_mean(rows: np.ndarray) -> list[float]:
    """Reference: column means with a plain Python loop over float rows."""
    sums = [0.0] * len(rows[0])
    for row in rows.tolist():
        for j, value in enumerate(row):
            sums[j] += float(value)
    return [s / len(rows) for s in sums]


def test_slide_stem() -> None:
    assert slide_stem("PIT_01_00002_01.tiff") == "PIT_01_00002_01"
    assert slide_stem("PIT_01_00002_01") == "PIT_01_00002_01"
    assert slide_stem("some/dir/PIT_02_00003_01.tiff") == "PIT_02_00003_01"


@pytest.mark.parametrize("chunk_rows", [None, 1, 3, 100])
def test_clam_mean_matches_loop(tmp_path: Path, clam_h5, rng, chunk_rows) -> None:
    features = rng.normal(size=(11, 5)).astype(np.float32)
    path = clam_h5(tmp_path / "PIT_01_00002_01.h5", features)
    pooled, n = mean_pool_file(SLIDE, path, chunk_rows=chunk_rows)
    assert n == 11
    assert pooled.dtype == np.float64
    np.testing.assert_allclose(pooled, loop_mean(features), rtol=0, atol=1e-12)


def test_accumulates_in_float64(tmp_path: Path, clam_h5) -> None:
    # In float32, 1e8 + 1 == 1e8: a float32 running sum would give 0, the true mean is 16/18.
    column = [1e8] + [1.0] * 16 + [-1e8]
    features = np.array(column, dtype=np.float32)[:, None]
    path = clam_h5(tmp_path / "a.h5", features)
    pooled, _ = mean_pool_file("a", path, chunk_rows=4)
    assert pooled[0] == pytest.approx(16 / 18, abs=1e-12)


def test_streams_in_slices(tmp_path: Path, clam_h5, rng, monkeypatch) -> None:
    features = rng.normal(size=(10, 3)).astype(np.float32)
    path = clam_h5(tmp_path / "a.h5", features)
    reads: list[object] = []
    original = h5py.Dataset.__getitem__

    def spy(self, key):
        reads.append(key)
        return original(self, key)

    monkeypatch.setattr(h5py.Dataset, "__getitem__", spy)
    mean_pool_file("a", path, chunk_rows=4)
    assert reads == [slice(0, 4), slice(4, 8), slice(8, 10)]


def test_trident_patch_and_metadata(tmp_path: Path, trident_h5, rng) -> None:
    features = rng.normal(size=(7, 4)).astype(np.float16)
    path = trident_h5(tmp_path / "PIT_01_00002_01.h5", features)
    pooled, n = mean_pool_file(SLIDE, path)
    assert n == 7
    np.testing.assert_allclose(pooled, loop_mean(features.astype(np.float64)), atol=1e-12)
    meta = read_h5_metadata(path)
    assert meta["file"]["metadata"] == {"encoder": "conch_v15", "mpp": 0.5}
    assert meta["file"]["encoder"] == "conch_v15"
    assert meta["coords"]["patch_size"] == 512
    assert meta["features"]["name"] == "PIT_01_00002_01"


def test_reads_what_extraction_writes(tmp_path: Path) -> None:
    features = np.array([[1.0, 2.0], [3.0, -4.0], [0.5, 0.0]], dtype=np.float32)
    coords = np.array([[0, 0], [256, 0], [0, 256]])
    write_feature_file(tmp_path / "PIT_01_00002_01.h5", features, coords,
                       name="PIT_01_00002_01", coords_attrs={"patch_size": 256},
                       file_attrs={"encoder": "tiny"})
    pooled = pool_slides([SLIDE], features_dir=tmp_path)
    assert pooled.ids == [SLIDE] and pooled.n_patches == [3]
    assert pooled.matrix.tolist() == [[1.5, -2.0 / 3.0]]


def test_coords_rows_must_match(tmp_path: Path) -> None:
    path = tmp_path / "a.h5"
    with h5py.File(path, "w") as handle:
        handle.create_dataset("features", data=np.ones((3, 2), dtype=np.float32))
        handle.create_dataset("coords", data=np.zeros((2, 2), dtype=np.int64))
    expected = r"slide a\.tiff \(.*a\.h5\): 'coords' has 2 rows but 'features' has 3"
    with pytest.raises(InvalidInputError, match=expected):
        mean_pool_file("a.tiff", path)


def test_trident_slide_vector(tmp_path: Path, trident_h5) -> None:
    vector = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    path = trident_h5(tmp_path / "s.h5", vector, slide_level=True)
    pooled, n = mean_pool_file("s", path)
    assert n == 1
    assert pooled.tolist() == [0.5, -1.0, 2.0]


def test_leading_batch_axis(tmp_path: Path, rng) -> None:
    features = rng.normal(size=(1, 6, 3))
    path = tmp_path / "b.h5"
    with h5py.File(path, "w") as handle:
        handle.create_dataset("features", data=features)
    pooled, n = mean_pool_file("b", path, chunk_rows=4)
    assert n == 6
    np.testing.assert_allclose(pooled, loop_mean(features[0]), atol=1e-12)


@pytest.mark.parametrize("form", ["bag", "vector", "dict", "bf16"])
def test_torch_files(tmp_path: Path, rng, form: str) -> None:
    features = rng.normal(size=(5, 4)).astype(np.float32)
    tensor = torch.from_numpy(features)
    if form == "bag":
        obj, expected = tensor, loop_mean(features)
    elif form == "vector":
        obj, expected = tensor[0], features[0].astype(np.float64).tolist()
    elif form == "dict":
        obj, expected = {"features": tensor, "coords": torch.zeros(5, 2)}, loop_mean(features)
    else:
        obj = tensor.to(torch.bfloat16)
        expected = loop_mean(obj.to(torch.float64).numpy())
    path = tmp_path / "t.pt"
    torch.save(obj, path)
    pooled, _ = mean_pool_file("t", path, chunk_rows=2)
    np.testing.assert_allclose(pooled, expected, atol=1e-12)


def test_map_by_stem_and_manifest(tmp_path: Path, clam_h5) -> None:
    feats = tmp_path / "feats"
    feats.mkdir()
    clam_h5(feats / "PIT_01_00002_01.h5", np.ones((2, 3), dtype=np.float32))
    other = tmp_path / "elsewhere"
    other.mkdir()
    clam_h5(other / "slide-b.h5", np.full((2, 3), 2.0, dtype=np.float32))
    manifest = tmp_path / "m.csv"
    manifest.write_text("id,path\nPIT_01_00003_01.tiff,elsewhere/slide-b.h5\n")
    assert read_manifest(manifest) == {"PIT_01_00003_01.tiff": other / "slide-b.h5"}
    ids = ["PIT_01_00002_01.tiff", "PIT_01_00003_01.tiff", "PIT_01_00004_01.tiff"]
    paths = resolve_feature_paths(ids, feats, manifest)
    assert paths == {
        ids[0]: feats / "PIT_01_00002_01.h5",
        ids[1]: other / "slide-b.h5",
        ids[2]: None,
    }
    pooled = pool_slides(ids[:2], features_dir=feats, manifest=manifest)
    assert pooled.ids == ids[:2]
    assert pooled.matrix.tolist() == [[1.0] * 3, [2.0] * 3]


def test_ambiguous_stem(tmp_path: Path, clam_h5) -> None:
    clam_h5(tmp_path / "a.h5", np.ones((2, 3), dtype=np.float32))
    torch.save(torch.ones(2, 3), tmp_path / "a.pt")
    with pytest.raises(UsageError, match="several feature files"):
        resolve_feature_paths(["a.tiff"], tmp_path)


def test_bad_manifest_header(tmp_path: Path) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_text("slide,file\na,b\n")
    with pytest.raises(InvalidInputError, match="expected id and path"):
        read_manifest(manifest)


def test_wrong_dimension(tmp_path: Path, clam_h5) -> None:
    clam_h5(tmp_path / "a.h5", np.ones((2, 3), dtype=np.float32))
    clam_h5(tmp_path / "b.h5", np.ones((2, 4), dtype=np.float32))
    with pytest.raises(InvalidInputError) as info:
        pool_slides(["a.tiff", "b.tiff"], features_dir=tmp_path)
    message = str(info.value)
    assert "slide b.tiff" in message and "b.h5" in message
    assert "dimension 4, expected 3" in message


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_names_row(tmp_path: Path, clam_h5, bad: float) -> None:
    features = np.zeros((10, 3), dtype=np.float32)
    features[7, 2] = bad
    path = clam_h5(tmp_path / "a.h5", features)
    with pytest.raises(InvalidInputError, match=r"slide a\.tiff .*a\.h5.*row 7 .*column 2"):
        mean_pool_file("a.tiff", path, chunk_rows=3)


def test_empty_bag(tmp_path: Path, clam_h5) -> None:
    path = clam_h5(tmp_path / "a.h5", np.zeros((0, 3), dtype=np.float32))
    with pytest.raises(InvalidInputError, match=r"slide a\.tiff .*empty bag"):
        mean_pool_file("a.tiff", path)


def test_missing_and_corrupt_files(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"slide x\.tiff: no feature file x"):
        pool_slides(["x.tiff"], features_dir=tmp_path)
    with pytest.raises(UsageError, match="is missing"):
        mean_pool_file("x.tiff", tmp_path / "x.h5")
    (tmp_path / "c.h5").write_bytes(b"not an hdf5 file")
    with pytest.raises(UsageError, match=r"slide c\.tiff: cannot read h5 file"):
        mean_pool_file("c.tiff", tmp_path / "c.h5")
    with h5py.File(tmp_path / "d.h5", "w") as handle:
        handle.create_dataset("feats", data=np.ones((2, 2)))
    with pytest.raises(InvalidInputError, match="no 'features' dataset"):
        mean_pool_file("d.tiff", tmp_path / "d.h5")


def test_skip_bad_lists_reasons(tmp_path: Path, clam_h5) -> None:
    clam_h5(tmp_path / "a.h5", np.ones((2, 3), dtype=np.float32))
    clam_h5(tmp_path / "b.h5", np.zeros((0, 3), dtype=np.float32))
    nan = np.ones((2, 3), dtype=np.float32)
    nan[1, 0] = np.nan
    clam_h5(tmp_path / "c.h5", nan)
    clam_h5(tmp_path / "d.h5", np.ones((2, 5), dtype=np.float32))
    clam_h5(tmp_path / "e.h5", np.full((2, 3), 3.0, dtype=np.float32))
    ids = ["a.tiff", "b.tiff", "c.tiff", "d.tiff", "missing.tiff", "e.tiff"]
    pooled = pool_slides(ids, features_dir=tmp_path, skip_bad=True)
    assert pooled.ids == ["a.tiff", "e.tiff"]
    assert pooled.matrix.tolist() == [[1.0] * 3, [3.0] * 3]
    assert pooled.n_patches == [2, 2]
    reasons = {s.slide_id: s.reason for s in pooled.skipped}
    assert list(reasons) == ["b.tiff", "c.tiff", "d.tiff", "missing.tiff"]
    assert "empty bag" in reasons["b.tiff"]
    assert "row 1" in reasons["c.tiff"]
    assert "dimension 5, expected 3" in reasons["d.tiff"]
    assert "no feature file" in reasons["missing.tiff"]


def test_expected_dim_given(tmp_path: Path, clam_h5) -> None:
    clam_h5(tmp_path / "a.h5", np.ones((2, 3), dtype=np.float32))
    with pytest.raises(InvalidInputError, match="expected 8 \\(training features\\)"):
        pool_slides(
            ["a.tiff"], features_dir=tmp_path, expected_dim=8, dim_source="training features"
        )
