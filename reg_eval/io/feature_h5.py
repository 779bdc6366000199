"""Patch-feature HDF5 files in TRIDENT's layout: writing, reading and checking them.

One file per slide: a `features` dataset (N, D) of patch features (or (D,) for a slide
vector, or (1, N, D) with a batch axis, as some tools write), an optional `coords` (N, 2) of
level-0 pixel positions, and attributes, where dicts and lists are stored as JSON strings.
`features extract` and the synthetic benchmark write these files and the baselines read
them; all go through this module so that what one writes the others accept. Files are built
in memory and written with the atomic writer, and datasets carry no timestamps: equal
features give equal bytes.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.io.writers import atomic_write_bytes

H5_SUFFIXES = (".h5", ".hdf5")
FEATURES = "features"
COORDS = "coords"
EXTRACTION_ATTR = "extraction"
"""File attribute: JSON of the settings a resumed `features extract` must match."""
SOURCE_ATTR = "source"
"""File attribute: JSON of the slide file the features came from and the patch count."""
EXTRACTED_COORDS_ATTRS = ("patch_size", "patch_size_level0", "level0_width", "level0_height",
                          "mpp", "level0_mpp", "patch_level")
"""`coords` attributes every file `features extract` writes carries."""


@dataclass(frozen=True)
class ExtractedState:
    """What a feature file `features extract` wrote says about itself.

    `source` is its `source` record (None when absent or unreadable); `problem` says why the
    file is not a complete extraction (unreadable, no source record, datasets missing,
    misshapen, never written or disagreeing with the recorded patch count), None when it is.
    """

    source: dict[str, Any] | None
    problem: str | None


@dataclass(frozen=True)
class FeatureBag:
    """Rows of one slide's features, readable in slices without loading them all."""

    n_rows: int
    dim: int
    read_rows: Callable[[int, int], np.ndarray]
    n_coords: int | None


# --- writing -----------------------------------------------------------------------------

def _attr(value: Any) -> Any:
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else value


def feature_file_bytes(features: np.ndarray, coords: np.ndarray, *, name: str,
                       coords_attrs: dict[str, Any], file_attrs: dict[str, Any],
                       features_attrs: dict[str, Any] | None = None) -> bytes:
    """The file's bytes: float32 `features`, int64 `coords`, both named after the slide
    (attribute `name`) and carrying `features_attrs` and `coords_attrs`."""
    import h5py

    if features.ndim != 2 or coords.shape != (features.shape[0], 2):
        raise ValueError(f"features {features.shape} and coords {coords.shape} do not match "
                         "(expected (N, D) and (N, 2))")
    buffer = io.BytesIO()
    with h5py.File(buffer, "w", track_order=False) as handle:
        for key, value in file_attrs.items():
            handle.attrs[key] = _attr(value)
        feats = handle.create_dataset(FEATURES, data=features.astype(np.float32),
                                      track_times=False)
        for key, value in {"name": name, **(features_attrs or {})}.items():
            feats.attrs[key] = _attr(value)
        coords_ds = handle.create_dataset(COORDS, data=coords.astype(np.int64),
                                          track_times=False)
        for key, value in {"name": name, **coords_attrs}.items():
            coords_ds.attrs[key] = _attr(value)
    return buffer.getvalue()


def write_feature_file(path: Path, features: np.ndarray, coords: np.ndarray, *, name: str,
                       coords_attrs: dict[str, Any], file_attrs: dict[str, Any],
                       features_attrs: dict[str, Any] | None = None) -> Path:
    """Write (or replace) one slide's file atomically: a reader never sees half a file."""
    data = feature_file_bytes(features, coords, name=name, coords_attrs=coords_attrs,
                              file_attrs=file_attrs, features_attrs=features_attrs)
    return atomic_write_bytes(path, data, force=True)


# --- reading -----------------------------------------------------------------------------

def decode_attr(value: Any) -> Any:
    """An h5 attribute as plain Python; JSON strings (TRIDENT metadata) decoded."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, np.ndarray):
        return [decode_attr(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def read_h5_metadata(path: Path) -> dict[str, dict[str, Any]]:
    """Attributes of the file, `features` and `coords`, keyed "file", "features", "coords"."""
    import h5py

    try:
        with h5py.File(path, "r") as handle:
            found: dict[str, dict[str, Any]] = {
                "file": {k: decode_attr(v) for k, v in handle.attrs.items()}
            }
            for name in (FEATURES, COORDS):
                if name in handle:
                    found[name] = {k: decode_attr(v) for k, v in handle[name].attrs.items()}
            return found
    except OSError as exc:
        raise UsageError(f"cannot read h5 file {path}: {exc}") from None


def read_extraction_key(path: Path) -> dict[str, Any] | None:
    """The settings a finished feature file was written with (None when unreadable)."""
    import h5py

    try:
        with h5py.File(path, "r") as handle:
            raw = handle.attrs.get(EXTRACTION_ATTR)
            if raw is None or FEATURES not in handle or COORDS not in handle:
                return None
            value = decode_attr(raw)
            return value if isinstance(value, dict) else None
    except (OSError, ValueError):
        return None


def read_extracted_state(path: Path, dim: int) -> ExtractedState:
    """The source record of an extracted file and whether its datasets are whole: `features`
    (N, `dim`), `coords` (N, 2) with the extraction's attributes, N the recorded count."""
    import h5py

    try:
        with h5py.File(path, "r") as handle:
            raw = handle.attrs.get(SOURCE_ATTR)
            if raw is None:
                return ExtractedState(
                    None, "it does not record which source file it was extracted from")
            recorded = json.loads(raw.decode() if isinstance(raw, bytes) else str(raw))
            if not isinstance(recorded, dict):
                return ExtractedState(None, "its source record is not readable")
            return ExtractedState(recorded,
                                  _datasets_problem(handle, recorded.get("patches"), dim))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return ExtractedState(None, f"it cannot be read ({type(exc).__name__}: {exc})")


def _datasets_problem(handle: Any, patches: object, dim: int) -> str | None:
    if FEATURES not in handle or COORDS not in handle:
        return f"it lacks the {FEATURES} or {COORDS} dataset"
    features, coords = handle[FEATURES], handle[COORDS]
    if features.ndim != 2 or features.shape[1] != dim:
        return f"its features have shape {features.shape}, not (N, {dim})"
    if coords.ndim != 2 or coords.shape[1] != 2 or coords.shape[0] != features.shape[0]:
        return f"its coords have shape {coords.shape} for {features.shape[0]} feature rows"
    if not isinstance(patches, int) or patches != features.shape[0]:
        return f"it holds {features.shape[0]} patches but recorded {patches}"
    if patches and (features.id.get_storage_size() == 0 or coords.id.get_storage_size() == 0):
        return "its datasets were never written"
    missing = [name for name in EXTRACTED_COORDS_ATTRS if name not in coords.attrs]
    if missing:
        return f"its coords lack the attributes {', '.join(missing)}"
    return None


# --- checking ----------------------------------------------------------------------------

def bag_geometry(label: str, path: Path, shape: tuple[int, ...]) -> tuple[int, int, bool]:
    """(rows, dim, leading batch axis of 1) for the accepted shapes (N, D), (D,), (1, N, D)."""
    if len(shape) == 1:
        return 1, shape[0], False
    if len(shape) == 2:
        return shape[0], shape[1], False
    if len(shape) == 3 and shape[0] == 1:
        return shape[1], shape[2], True
    raise InvalidInputError(
        f"{label} ({path}): features have shape {shape}; expected (N, D) patch "
        "features or a (D,) slide vector",
        hint="store patch features as a 2-D array, one row per patch",
    )


@contextmanager
def open_h5_bag(path: Path, *, label: str) -> Iterator[FeatureBag]:
    """Open a feature file and check its structure; `label` (e.g. "slide X") starts errors.

    Checked: the file opens, `features` is a numeric dataset of an accepted shape, and
    `coords`, when present, has one row per feature row.
    """
    import h5py

    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        raise UsageError(
            f"{label}: cannot read h5 file {path}: {exc}",
            hint="the file may be truncated; extract its features again",
        ) from None
    with handle:
        dataset = handle.get(FEATURES)
        if not isinstance(dataset, h5py.Dataset):
            raise InvalidInputError(
                f"{label} ({path}): no '{FEATURES}' dataset; found {sorted(handle)}",
                hint="CLAM and TRIDENT files store patch features under 'features'",
            )
        if dataset.dtype.kind not in "fiu":
            raise InvalidInputError(
                f"{label} ({path}): '{FEATURES}' has dtype {dataset.dtype}, not numeric",
                hint="store features as float16/float32/float64",
            )
        rows, dim, batched = bag_geometry(label, path, tuple(dataset.shape))
        n_coords = None
        coords = handle.get(COORDS)
        if isinstance(coords, h5py.Dataset):
            n_coords = int(coords.shape[1] if coords.ndim == 3 else coords.shape[0])
            if n_coords != rows:
                raise InvalidInputError(
                    f"{label} ({path}): '{COORDS}' has {n_coords} rows but "
                    f"'{FEATURES}' has {rows}",
                    hint="the file is inconsistent; extract its features again",
                )

        def read_rows(start: int, stop: int) -> np.ndarray:
            if dataset.ndim == 1:
                return np.asarray(dataset[()], dtype=np.float64)[None, :]
            chunk = dataset[0, start:stop] if batched else dataset[start:stop]
            return np.asarray(chunk, dtype=np.float64)

        yield FeatureBag(rows, dim, read_rows, n_coords)
