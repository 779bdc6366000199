"""The TRIDENT-layout feature file: bytes, attributes, and the structure checks."""

from __future__ import annotations

import re
from pathlib import Path

import h5py
import numpy as np
import pytest

from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.io.feature_h5 import (
    EXTRACTION_ATTR,
    SOURCE_ATTR,
    feature_file_bytes,
    open_h5_bag,
    read_extracted_state,
    read_extraction_key,
    read_h5_metadata,
    write_feature_file,
)

FEATURES = np.array([[0.25, -1.0, 3.0], [2.0, 0.0, -0.5]], dtype=np.float64)
COORDS = np.array([[0, 512], [512, 512]], dtype=np.int32)


def _write(path: Path) -> Path:
    return write_feature_file(
        path, FEATURES, COORDS, name="S1", coords_attrs={"patch_size": 256, "mpp": 0.5},
        file_attrs={"encoder": "tiny", EXTRACTION_ATTR: {"mpp": 0.5, "encoder": {"dim": 3}}},
    )


def test_layout_and_types(tmp_path: Path) -> None:
    path = _write(tmp_path / "S1.h5")
    with h5py.File(path, "r") as handle:
        assert sorted(handle) == ["coords", "features"]
        assert handle["features"].dtype == np.float32 and handle["features"].shape == (2, 3)
        assert handle["coords"].dtype == np.int64
        assert handle["coords"][()].tolist() == [[0, 512], [512, 512]]
        assert handle["features"].attrs["name"] == "S1"
        # dicts are stored as JSON text with sorted keys
        assert handle.attrs[EXTRACTION_ATTR] == '{"encoder": {"dim": 3}, "mpp": 0.5}'


def test_features_attributes(tmp_path: Path) -> None:
    path = write_feature_file(tmp_path / "S1.h5", FEATURES, COORDS, name="S1",
                              coords_attrs={}, file_attrs={},
                              features_attrs={"encoder": "tiny", "pooling": ["cls", "mean"]})
    with h5py.File(path, "r") as handle:
        assert dict(handle["features"].attrs) == {"name": "S1", "encoder": "tiny",
                                                  "pooling": '["cls", "mean"]'}


def test_equal_inputs_equal_bytes() -> None:
    first = feature_file_bytes(FEATURES, COORDS, name="S1", coords_attrs={}, file_attrs={})
    second = feature_file_bytes(FEATURES.copy(), COORDS.copy(), name="S1", coords_attrs={},
                                file_attrs={})
    assert first == second
    other = feature_file_bytes(FEATURES + 1, COORDS, name="S1", coords_attrs={}, file_attrs={})
    assert other != first


def test_writer_refuses_mismatched_arrays() -> None:
    with pytest.raises(ValueError, match="do not match"):
        feature_file_bytes(FEATURES, COORDS[:1], name="S1", coords_attrs={}, file_attrs={})


def test_metadata_and_extraction_key(tmp_path: Path) -> None:
    path = _write(tmp_path / "S1.h5")
    meta = read_h5_metadata(path)
    assert meta["file"]["encoder"] == "tiny"
    assert meta["file"][EXTRACTION_ATTR] == {"mpp": 0.5, "encoder": {"dim": 3}}
    assert meta["coords"] == {"name": "S1", "patch_size": 256, "mpp": 0.5}
    assert read_extraction_key(path) == {"mpp": 0.5, "encoder": {"dim": 3}}
    (tmp_path / "junk.h5").write_bytes(b"\x89HDF half a file")
    assert read_extraction_key(tmp_path / "junk.h5") is None
    with pytest.raises(UsageError, match="cannot read h5 file"):
        read_h5_metadata(tmp_path / "junk.h5")


EXTRACTED_COORDS = {"patch_size": 256, "patch_size_level0": 512, "level0_width": 2048,
                    "level0_height": 1024, "mpp": 0.5, "level0_mpp": 0.25, "patch_level": 0}
SOURCE = {"bytes": 1234, "sha256": "ab" * 32, "hashed": "whole file"}


def _extracted(path: Path, *, patches: object = 2, coords_attrs: dict | None = None,
               features: np.ndarray = FEATURES, coords: np.ndarray = COORDS) -> Path:
    file_attrs: dict = {"encoder": "tiny"}
    if patches is not None:
        file_attrs[SOURCE_ATTR] = {**SOURCE, "patches": patches}
    return write_feature_file(path, features, coords, name="S1",
                              coords_attrs=EXTRACTED_COORDS if coords_attrs is None
                              else coords_attrs, file_attrs=file_attrs)


def test_a_complete_extracted_file(tmp_path: Path) -> None:
    state = read_extracted_state(_extracted(tmp_path / "S1.h5"), dim=3)
    assert state.problem is None
    assert state.source == {"bytes": 1234, "sha256": "ab" * 32, "hashed": "whole file",
                            "patches": 2}


@pytest.mark.parametrize(("kwargs", "dim", "source_kept", "problem"), [
    ({"patches": None}, 3, False, "does not record which source file"),
    ({}, 4, True, r"features have shape \(2, 3\), not \(N, 4\)"),
    ({"patches": 5}, 3, True, "holds 2 patches but recorded 5"),
    ({"patches": "2"}, 3, True, "holds 2 patches but recorded 2"),
    ({"coords_attrs": {"patch_size": 256}}, 3, True,
     "coords lack the attributes patch_size_level0, level0_width, level0_height, mpp, "
     "level0_mpp, patch_level"),
])
def test_an_incomplete_extracted_file(tmp_path: Path, kwargs: dict, dim: int,
                                      source_kept: bool, problem: str) -> None:
    state = read_extracted_state(_extracted(tmp_path / "S1.h5", **kwargs), dim=dim)
    assert (state.source is not None) == source_kept
    assert state.problem is not None
    assert re.search(problem, state.problem), state.problem


def test_extracted_state_of_damaged_files(tmp_path: Path) -> None:
    emptied = _extracted(tmp_path / "S1.h5")
    with h5py.File(emptied, "a") as handle:
        del handle["coords"]
    assert read_extracted_state(emptied, dim=3).problem == (
        "it lacks the features or coords dataset")
    unwritten = tmp_path / "S2.h5"
    with h5py.File(unwritten, "w") as handle:
        handle.attrs[SOURCE_ATTR] = '{"patches": 2}'
        handle.create_dataset("features", shape=(2, 3), dtype="f4")
        coords = handle.create_dataset("coords", shape=(2, 2), dtype="i8")
        for key, value in EXTRACTED_COORDS.items():
            coords.attrs[key] = value
    assert read_extracted_state(unwritten, dim=3).problem == "its datasets were never written"
    notes = tmp_path / "S3.h5"
    with h5py.File(notes, "w") as handle:
        handle.attrs[SOURCE_ATTR] = "[1, 2]"
    not_a_record = read_extracted_state(notes, dim=3)
    assert not_a_record.source is None
    assert not_a_record.problem == "its source record is not readable"
    (tmp_path / "junk.h5").write_bytes(b"\x89HDF half a file")
    junk = read_extracted_state(tmp_path / "junk.h5", dim=3)
    assert junk.source is None and junk.problem.startswith("it cannot be read (OSError")


def test_bag_reads_rows_back(tmp_path: Path) -> None:
    path = _write(tmp_path / "S1.h5")
    with open_h5_bag(path, label="slide S1") as bag:
        assert (bag.n_rows, bag.dim, bag.n_coords) == (2, 3, 2)
        assert bag.read_rows(1, 2).tolist() == [[2.0, 0.0, -0.5]]
        assert bag.read_rows(0, 2).dtype == np.float64


def _h5(path: Path, **datasets: np.ndarray) -> Path:
    with h5py.File(path, "w") as handle:
        for name, data in datasets.items():
            handle.create_dataset(name, data=data)
    return path


@pytest.mark.parametrize(("datasets", "message"), [
    ({"feats": np.ones((2, 2))},
     r"slide X \(.*bad\.h5\): no 'features' dataset; found \['feats'\]"),
    ({"features": np.array([b"a", b"b"])}, r"'features' has dtype \|S1, not numeric"),
    ({"features": np.ones((2, 3, 4))}, r"features have shape \(2, 3, 4\)"),
    ({"features": np.ones((3, 2)), "coords": np.zeros((4, 2))},
     r"'coords' has 4 rows but 'features' has 3"),
])
def test_structure_errors_name_file_and_fix(tmp_path: Path, datasets: dict[str, np.ndarray],
                                            message: str) -> None:
    path = _h5(tmp_path / "bad.h5", **datasets)
    with pytest.raises(InvalidInputError, match=message) as caught, \
            open_h5_bag(path, label="slide X"):
        pass
    assert caught.value.hint


def test_batch_axis_and_slide_vector(tmp_path: Path) -> None:
    batched = _h5(tmp_path / "b.h5", features=np.arange(6.0).reshape(1, 3, 2),
                  coords=np.zeros((1, 3, 2)))
    with open_h5_bag(batched, label="slide B") as bag:
        assert (bag.n_rows, bag.dim, bag.n_coords) == (3, 2, 3)
        assert bag.read_rows(1, 3).tolist() == [[2.0, 3.0], [4.0, 5.0]]
    vector = _h5(tmp_path / "v.h5", features=np.array([1.0, 2.0]))
    with open_h5_bag(vector, label="slide V") as bag:
        assert (bag.n_rows, bag.dim) == (1, 2)
        assert bag.read_rows(0, 1).tolist() == [[1.0, 2.0]]
