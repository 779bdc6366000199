"""Writers for feature files in the formats teams bring (CLAM, TRIDENT, torch)."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest


def write_clam_h5(path: Path, features: np.ndarray) -> Path:
    """CLAM layout: `features` (N, D) and `coords` (N, 2), no metadata."""
    with h5py.File(path, "w") as handle:
        handle.create_dataset("features", data=features)
        handle.create_dataset("coords", data=np.zeros((features.shape[0], 2), dtype=np.int64))
    return path


def write_trident_h5(path: Path, features: np.ndarray, *, slide_level: bool = False) -> Path:
    """TRIDENT layout: attributes on datasets and JSON strings as metadata."""
    with h5py.File(path, "w") as handle:
        handle.attrs["encoder"] = "conch_v15"
        handle.attrs["metadata"] = json.dumps({"encoder": "conch_v15", "mpp": 0.5})
        dataset = handle.create_dataset("features", data=features)
        dataset.attrs["name"] = path.stem
        if not slide_level:
            coords = handle.create_dataset(
                "coords", data=np.arange(features.shape[0] * 2, dtype=np.int64).reshape(-1, 2)
            )
            coords.attrs["patch_size"] = 512
            coords.attrs["level0_magnification"] = 40
    return path


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture
def clam_h5():
    return write_clam_h5


@pytest.fixture
def trident_h5():
    return write_trident_h5
