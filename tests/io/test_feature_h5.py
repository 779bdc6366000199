"""The TRIDENT-layout feature file: bytes, attributes, and the structure checks."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.io.feature_h5 import (
    EXTRACTION_ATTR,
    feature_file_bytes,
    open_h5_bag,
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
