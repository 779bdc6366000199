"""The manifest of a feature folder: one part per run, merged into `manifest.json`.

Every run of `features extract` (each shard, each process) writes its own part in
`manifests/`; the main process merges every part in the folder, a later part winning per
slide. A file in `manifests/` that is not a part manifest (a stray `zz.json`, a part from
elsewhere, a FIFO or other non-regular file, which is not opened, or a file over
`--max-upload-mb`) is left out of the merge with a warning, never the end of a finished run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reg_eval.errors import RegEvalError
from reg_eval.io.files import read_input_bytes
from reg_eval.io.writers import write_json
from reg_eval.slides.bounds import file_kind

MANIFEST = "manifest.json"
PARTS_DIR = "manifests"


def _read_part(part: Path) -> dict[str, Any] | str:
    """A part manifest, or why it is not one (it is then left out of the merge)."""
    if not part.name.startswith("part-"):
        return "its name does not start with part-"
    kind = file_kind(part)
    if kind is not None:  # a FIFO would block the merge for ever: refused by its type
        return f"it is {kind}, not a regular file; it was not opened"
    try:
        data = json.loads(read_input_bytes(part, "part manifest"))
    except RegEvalError as exc:  # over --max-upload-mb, or unreadable
        return f"it cannot be read: {exc.message}"
    except ValueError as exc:
        return f"it cannot be read ({type(exc).__name__})"
    if not isinstance(data, dict):
        return f"it holds a JSON {type(data).__name__}, not a part manifest"
    signature = data.get("signature")
    rows = data.get("slides")
    if not isinstance(signature, dict) or not isinstance(signature.get("text"), str):
        return "it has no signature"
    if not isinstance(rows, list) or not all(
            isinstance(r, dict) and isinstance(r.get("id"), str)
            and isinstance(r.get("status"), str) for r in rows):
        return "its slides are not a list of {id, status} rows"
    return data


def merge_manifests(out_dir: Path, warnings_out: list[str] | None = None) -> Path:
    """Union of every part manifest in the folder (a later part wins per slide).

    A file in `manifests/` that is not a part manifest is left out, with a warning appended
    to `warnings_out`."""
    parts_dir = out_dir / PARTS_DIR
    slides: dict[str, dict[str, Any]] = {}
    parts: list[str] = []
    signatures: set[str] = set()
    settings: dict[str, Any] | None = None
    for part in sorted(parts_dir.glob("*.json")) if parts_dir.is_dir() else []:
        data = _read_part(part)
        if isinstance(data, str):
            if warnings_out is not None:
                warnings_out.append(f"{part} is not a part manifest ({data}); left out of "
                                    f"{MANIFEST}")
            continue
        parts.append(part.name)
        signatures.add(data["signature"]["text"])
        settings = data.get("settings", settings)
        for row in data["slides"]:
            previous = slides.get(row["id"])
            if previous is None or row["status"] != "existing" or previous["status"] == "failed":
                slides[row["id"]] = row
    counts: dict[str, int] = {}
    for row in slides.values():
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    manifest = {
        "signatures": sorted(signatures),
        "settings": settings,
        "counts": dict(sorted(counts.items())),
        "slides": [slides[k] for k in sorted(slides)],
        "parts": parts,
    }
    return write_json(out_dir / MANIFEST, manifest, force=True)
