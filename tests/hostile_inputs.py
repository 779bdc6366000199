"""Builders of hostile and broken input files, shared by the grand-challenge tests and the
reliability suite (tests/reliability/)."""

from __future__ import annotations

import json
import os
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typer.testing import Result

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


GOOD_ITEMS = [{"id": "PIT_01_00001_01.tiff", "report": "Lung, biopsy"}]
"""A valid companion file, small enough for every limit the hostile cases set."""


@dataclass(frozen=True)
class Hostile:
    """One hostile file: how to make it, the exit code it must end with, and extra options
    (a small limit) the command needs for the case to bite."""

    name: str
    make: Callable[[Path], None]
    exit_code: int
    options: tuple[str, ...] = ()


def _write(content: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(content)


def _symlink_loop(path: Path) -> None:
    path.symlink_to(path)


def _dangling(path: Path) -> None:
    path.symlink_to(path.parent / "nowhere" / "gone.json")


def _link_to_folder(path: Path) -> None:
    folder = path.parent / "a-folder"
    folder.mkdir(exist_ok=True)
    path.symlink_to(folder, target_is_directory=True)


GOOD = json.dumps(ITEMS).encode("utf-8")

HOSTILE_JSON: list[Hostile] = [
    # malformed
    Hostile("empty", _write(b""), 1),
    Hostile("truncated", _write(GOOD[: len(GOOD) // 2]), 1),
    Hostile("not-a-list", _write(b'{"id": "PIT_01_00001_01.tiff", "report": "Lung"}'), 1),
    Hostile("garbage", _write(bytes(range(256)) * 8), 1),
    Hostile("nan", _write(b'[{"id": "PIT_01_00001_01.tiff", "report": NaN}]'), 1),
    Hostile("huge-number", _write(b"[" + b"7" * 5000 + b"]"), 1),
    # deeply nested
    Hostile("nested-100000", _write(deep_json(100_000).encode()), 1),
    # wrongly encoded
    Hostile("utf16-no-bom", _write(json.dumps(ITEMS).encode("utf-16-le")), 1),
    Hostile("utf16-bom", _write(b"\xff\xfe" + json.dumps(ITEMS).encode("utf-16-le")), 1),
    Hostile("cp1252", _write(json.dumps(ITEMS, ensure_ascii=False).replace(
        "biopsy", "biopsié").encode("cp1252")), 1),
    Hostile("csv-as-json", _write(b"id,report\nPIT_01_00001_01.tiff,Lung\n"), 1),
    Hostile("lone-surrogate", _write(
        b'[{"id": "PIT_01_00001_01.tiff", "report": "Lung \\ud800"}]'), 1),
    # symlinked
    Hostile("symlink-loop", _symlink_loop, 2),
    Hostile("dangling-symlink", _dangling, 2),
    Hostile("symlink-to-folder", _link_to_folder, 2),
    # oversized, each against its limit
    Hostile("over-upload-limit", _write(b" " * (1024 * 1024 + 1) + GOOD), 1,
            ("--max-upload-mb", "1")),
    Hostile("over-case-limit", _write(GOOD), 1, ("--max-cases", "1")),
    Hostile("over-report-limit", _write(GOOD), 1, ("--max-report-chars", "40")),
    Hostile("over-depth-limit", _write(
        b'[{"id": "PIT_01_00001_01.tiff", "report": "Lung", "x": [[[1]]]}]'), 1,
        ("--max-depth", "4")),
]
"""Files that should hold a JSON list of {id, report} cases, and do not."""

HOSTILE_IDS = [h.name for h in HOSTILE_JSON]


def make_hostile(hostile: Hostile, folder: Path, name: str | None = None) -> Path:
    path = folder / (name or f"{hostile.name}.json")
    hostile.make(path)
    return path


def assert_refused(result: Result, exit_code: int, *names: str) -> None:
    """The documented exit code, a message naming the file (and place), no traceback."""
    output = result.output
    assert result.exit_code == exit_code, (result.exit_code, output[-2000:])
    assert "Traceback" not in output, output[-2000:]
    assert "internal error" not in output, output[-2000:]
    for name in names:
        assert name in output, (name, output[-2000:])


def folder_snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its bytes (links by target), to show nothing changed."""
    out: dict[str, bytes] = {}
    for root, _dirs, files in os.walk(folder):
        for file in files:
            path = Path(root) / file
            key = str(path.relative_to(folder))
            out[key] = os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
    return out


def write_json(path: Path, value: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value), encoding="utf-8")
    return path
