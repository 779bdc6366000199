"""Fitted state on disk: JSON and NumPy archives that are byte-identical for equal inputs."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.io.writers import atomic_write_bytes, write_json

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # np.savez stamps the current time; this does not


def write_state_json(path: Path, payload: Any) -> Path:
    return write_json(path, payload, force=True)


def read_state_json(path: Path) -> Any:
    """A JSON file of a run directory; whatever it holds, a damaged one is a located error."""
    from reg_eval.io.jsondoc import load_json_document

    if not path.exists():
        raise UsageError(
            f"{path} is missing: the run directory is incomplete",
            hint="train it again with reg-eval baseline train ... --force",
        )
    try:
        return load_json_document(path, "run file")
    except InvalidInputError as exc:
        raise InvalidInputError(f"cannot read {exc.message}",
                                hint="train the run again with --force") from None


def write_arrays(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    """An `.npz` that `np.load` reads, with fixed timestamps so equal arrays give equal bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(arrays):
            info = zipfile.ZipInfo(f"{name}.npy", date_time=FIXED_ZIP_TIME)
            info.external_attr = 0o644 << 16
            with archive.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.ascontiguousarray(arrays[name]),
                                          allow_pickle=False)
    return atomic_write_bytes(path, buffer.getvalue(), force=True)


def read_arrays(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        raise UsageError(
            f"{path} is missing: the run directory is incomplete",
            hint="train it again with reg-eval baseline train ... --force",
        ) from None
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise InvalidInputError(f"cannot read {path}: {exc}",
                                hint="train the run again with --force") from None
