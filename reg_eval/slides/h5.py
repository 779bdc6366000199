"""Patch features as TRIDENT writes them: `features` (N, D) and `coords` (N, 2) with attributes.

The file is built in memory and written with the project's atomic writer, so a reader (or
a resumed run) never sees half a file. Datasets carry no timestamps: equal features give
equal bytes.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from reg_eval.io.writers import atomic_write_bytes

EXTRACTION_ATTR = "extraction"  # JSON of the settings a resumed run must match


def _attr(value: Any) -> Any:
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else value


def feature_file_bytes(features: np.ndarray, coords: np.ndarray, *, name: str,
                       coords_attrs: dict[str, Any], file_attrs: dict[str, Any]) -> bytes:
    import h5py

    buffer = io.BytesIO()
    with h5py.File(buffer, "w", track_order=False) as handle:
        for key, value in file_attrs.items():
            handle.attrs[key] = _attr(value)
        feats = handle.create_dataset("features", data=features.astype(np.float32),
                                      track_times=False)
        feats.attrs["name"] = name
        coords_ds = handle.create_dataset("coords", data=coords.astype(np.int64),
                                          track_times=False)
        for key, value in {"name": name, **coords_attrs}.items():
            coords_ds.attrs[key] = _attr(value)
    return buffer.getvalue()


def write_feature_file(path: Path, features: np.ndarray, coords: np.ndarray, *, name: str,
                       coords_attrs: dict[str, Any], file_attrs: dict[str, Any]) -> Path:
    data = feature_file_bytes(features, coords, name=name, coords_attrs=coords_attrs,
                              file_attrs=file_attrs)
    return atomic_write_bytes(path, data, force=True)


def read_extraction_key(path: Path) -> dict[str, Any] | None:
    """The settings a finished feature file was written with (None when unreadable)."""
    import h5py

    try:
        with h5py.File(path, "r") as handle:
            raw = handle.attrs.get(EXTRACTION_ATTR)
            if raw is None or "features" not in handle or "coords" not in handle:
                return None
            text = raw.decode() if isinstance(raw, bytes) else str(raw)
            value = json.loads(text)
            return value if isinstance(value, dict) else None
    except (OSError, ValueError):
        return None
