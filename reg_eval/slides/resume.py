"""When a feature file already in `--out` may stand for a slide: same source, whole file.

A resumed `features extract` skips a slide only when its `<id>.h5` was written from the same
source file and is complete. The id alone is not enough: `a/S.tiff` and a different
`b/S.tiff` share it, and a slide fixed in place or downloaded again keeps its name.

The source's identity is its size and a sha256: of the whole file up to `FULL_HASH_BYTES`;
above that, of every image directory (where `slides fix` changes tag 262), the first and
last MiB and `SAMPLE_CHUNKS` chunks spread over the tile data. It is written into the
feature file (attribute `source`) with the patch count, so a file whose datasets were
emptied or never filled does not pass for a finished one; `reg_eval.io.feature_h5` reads
that record and checks the datasets. The modification time is not used: copying a slide
elsewhere changes it, and equal inputs must give byte-identical files.
"""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path
from typing import Any

from reg_eval.errors import RegEvalError
from reg_eval.io.feature_h5 import read_extracted_state
from reg_eval.models.hashing import sha256_file
from reg_eval.slides import tiff

FULL_HASH_BYTES = 64 * 1024 * 1024
EDGE_BYTES = 1024 * 1024
SAMPLE_CHUNKS = 32
CHUNK_BYTES = 64 * 1024


def source_identity(path: Path) -> dict[str, Any]:
    """{"bytes", "sha256", "hashed"}: "hashed" says whether the whole file or a sample."""
    path = Path(path)
    size = path.stat().st_size
    if size <= FULL_HASH_BYTES:
        return {"bytes": size, "sha256": sha256_file(path), "hashed": "whole file"}
    digest = hashlib.sha256()
    with path.open("rb") as handle:
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
    else the reason it cannot stand for the slide (another source before a damaged file)."""
    state = read_extracted_state(path, dim)
    recorded = state.source
    if recorded is None:
        return state.problem
    if (recorded.get("bytes"), recorded.get("sha256")) != (identity["bytes"],
                                                           identity["sha256"]):
        return (f"it was extracted from another file ({recorded.get('bytes')} bytes, "
                f"sha256 {str(recorded.get('sha256'))[:12]}…; the slide now has "
                f"{identity['bytes']} bytes, sha256 {identity['sha256'][:12]}…)")
    return state.problem


def source_record(identity: dict[str, Any], patches: int) -> dict[str, Any]:
    """The `source` attribute written into a feature file (stored as sorted JSON)."""
    return {**identity, "patches": int(patches)}
