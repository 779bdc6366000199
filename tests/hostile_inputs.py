"""Builders of hostile and broken input files, shared by the grand-challenge tests and the
reliability suite (tests/reliability/)."""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path
from typing import Any

CASE_ID = "PIT_01_00001_01.tiff"
ITEMS = [
    {"id": "PIT_01_00001_01.tiff", "report": "Prostate, biopsy;\n  Adenocarcinoma, grade ii"},
    {"id": "PIT_01_00002_01.tiff", "report": "Lung, biopsy;\n  Adenocarcinoma"},
]

_LOCAL = b"PK\x03\x04"
_CENTRAL = b"PK\x01\x02"


def zip_bomb(path: Path, unpacked_bytes: int, *, name: str = "predictions.json") -> Path:
    """A zip of one member that unpacks to `unpacked_bytes` zeros (about 1,000:1 in deflate)."""
    chunk = b"\x00" * (1 << 20)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive, \
            archive.open(name, "w") as member:
        left = unpacked_bytes
        while left > 0:
            member.write(chunk[: min(left, len(chunk))])
            left -= len(chunk)
    return path


def zip_of(path: Path, members: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


def patch_zip(path: Path, *, flag_bits: int | None = None, method: int | None = None) -> Path:
    """Rewrite the general-purpose flags or the compression method of every entry, in both
    the local headers and the central directory (what an encrypting or exotic zip tool
    writes)."""
    data = bytearray(path.read_bytes())
    for signature, flag_at, method_at in ((_LOCAL, 6, 8), (_CENTRAL, 8, 10)):
        start = 0
        while (at := data.find(signature, start)) >= 0:
            if flag_bits is not None:
                struct.pack_into("<H", data, at + flag_at, flag_bits)
            if method is not None:
                struct.pack_into("<H", data, at + method_at, method)
            start = at + 4
    path.write_bytes(bytes(data))
    return path


def corrupt_zip_data(path: Path) -> Path:
    """Flip bytes inside the compressed data: the CRC (or the inflater) no longer agrees."""
    data = bytearray(path.read_bytes())
    header_end = 30 + struct.unpack_from("<H", data, 26)[0] + struct.unpack_from("<H", data, 28)[0]
    for offset in range(header_end + 2, min(header_end + 12, len(data))):
        data[offset] ^= 0x5A
    path.write_bytes(bytes(data))
    return path


def job(pk: Any, image_name: str, *, value: Any = None,
        relative_path: str = "pathology-report.json") -> dict[str, Any]:
    """One algorithm job of a grand-challenge job list."""
    return {
        "pk": pk,
        "status": "Succeeded",
        "inputs": [{"interface": {"slug": "whole-slide-image"}, "image": {"name": image_name}}],
        "outputs": [{"interface": {"slug": "pathology-report", "relative_path": relative_path},
                     "value": value}],
    }


def write_jobs(folder: Path, jobs: list[dict[str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "predictions.json").write_text(json.dumps(jobs), encoding="utf-8")
    return folder


def deep_json(levels: int) -> str:
    return "[" * levels + "]" * levels
