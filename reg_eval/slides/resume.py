"""When a feature file already in `--out` may stand for a slide: same source, whole file.

A resumed `features extract` skips a slide only when its `<id>.h5` was written from the same
source file and is complete. The id alone is not enough: `a/S.tiff` and a different
`b/S.tiff` share it, and a slide fixed in place or downloaded again keeps its name.

The source's identity is its size and a sha256: of the whole file up to `FULL_HASH_BYTES`;
above that, of every image directory (where `slides fix` changes tag 262), the first and
last MiB and `SAMPLE_CHUNKS` chunks spread over the tile data. It is written into the
feature file (attribute `source`) with the patch count, so a file whose datasets were
emptied or never filled does not pass for a finished one. The modification time is not
used: copying a slide elsewhere changes it, and equal inputs must give byte-identical files.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from reg_eval.errors import RegEvalError
from reg_eval.slides import tiff

SOURCE_ATTR = "source"
FULL_HASH_BYTES = 64 * 1024 * 1024
EDGE_BYTES = 1024 * 1024
SAMPLE_CHUNKS = 32
CHUNK_BYTES = 64 * 1024
COORDS_ATTRS = ("patch_size", "patch_size_level0", "level0_width", "level0_height", "mpp",
                "level0_mpp", "patch_level")


def source_identity(path: Path) -> dict[str, Any]:
    """{"bytes", "sha256", "hashed"}: "hashed" says whether the whole file or a sample."""
    path = Path(path)
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size <= FULL_HASH_BYTES:
            while chunk := handle.read(8 * 1024 * 1024):
                digest.update(chunk)
            return {"bytes": size, "sha256": digest.hexdigest(), "hashed": "whole file"}
        spans = [(0, EDGE_BYTES), (size - EDGE_BYTES, EDGE_BYTES)]
        step = (size - 2 * EDGE_BYTES) // (SAMPLE_CHUNKS + 1)
        spans += [(EDGE_BYTES + step * (i + 1), CHUNK_BYTES) for i in range(SAMPLE_CHUNKS)]
        # not a TIFF, or a broken chain: the sample above still tells files apart
        with contextlib.suppress(RegEvalError, ValueError, OSError):
            spans += [(offset, 4096) for offset in tiff.walk_ifds(path)]
        for offset, length in spans:
            handle.seek(offset)
            digest.update(offset.to_bytes(8, "little"))
            digest.update(handle.read(length))
    return {"bytes": size, "sha256": digest.hexdigest(),
            "hashed": f"header, directories and {SAMPLE_CHUNKS} chunks"}


def feature_file_state(path: Path, identity: dict[str, Any], dim: int) -> str | None:
    """None when the file is complete and was written from the source with `identity`;
    else the reason it cannot stand for the slide."""
    import h5py

    try:
        with h5py.File(path, "r") as handle:
            raw = handle.attrs.get(SOURCE_ATTR)
            if raw is None:
                return "it does not record which source file it was extracted from"
            recorded = json.loads(raw.decode() if isinstance(raw, bytes) else str(raw))
            if not isinstance(recorded, dict):
                return "its source record is not readable"
            if (recorded.get("bytes"), recorded.get("sha256")) != (identity["bytes"],
                                                                   identity["sha256"]):
                return (f"it was extracted from another file ({recorded.get('bytes')} bytes, "
                        f"sha256 {str(recorded.get('sha256'))[:12]}…; the slide now has "
                        f"{identity['bytes']} bytes, sha256 {identity['sha256'][:12]}…)")
            return _datasets_problem(handle, recorded.get("patches"), dim)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"it cannot be read ({type(exc).__name__}: {exc})"


def _datasets_problem(handle: Any, patches: Any, dim: int) -> str | None:
    if "features" not in handle or "coords" not in handle:
        return "it lacks the features or coords dataset"
    features, coords = handle["features"], handle["coords"]
    if features.ndim != 2 or features.shape[1] != dim:
        return f"its features have shape {features.shape}, not (N, {dim})"
    if coords.ndim != 2 or coords.shape[1] != 2 or coords.shape[0] != features.shape[0]:
        return f"its coords have shape {coords.shape} for {features.shape[0]} feature rows"
    if not isinstance(patches, int) or patches != features.shape[0]:
        return f"it holds {features.shape[0]} patches but recorded {patches}"
    if patches and (features.id.get_storage_size() == 0 or coords.id.get_storage_size() == 0):
        return "its datasets were never written"
    missing = [name for name in COORDS_ATTRS if name not in coords.attrs]
    if missing:
        return f"its coords lack the attributes {', '.join(missing)}"
    return None


def source_attr(identity: dict[str, Any], patches: int) -> str:
    """The `source` attribute written into a feature file."""
    return json.dumps({**identity, "patches": int(patches)}, sort_keys=True)
