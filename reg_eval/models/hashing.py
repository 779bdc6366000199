"""sha256 of model files, remembered between runs; one hash over a model folder; the sha256
an installed package's RECORD lists for its files.

The memo (`<cache root>/models/file-hashes.json`) is what lets a run whose features are all
cached skip reading gigabytes of weights. It trusts an unchanged stat stamp: an entry counts
only while the file's size, mtime, ctime, inode and device are all the same as when it was
hashed. ctime cannot be set from user space (writing, `touch -d`, chmod or rename all move it
to now), so a file rewritten with the same size and its mtime restored is hashed again. What
is still trusted is described in docs/cache.md ("The hash memo").
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from importlib import metadata
from pathlib import Path

from reg_eval.errors import UsageError
from reg_eval.io.writers import atomic_write_text
from reg_eval.models.environment import MODELS_DIR

HASH_MEMO_FILE = "file-hashes.json"
CHUNK = 1 << 20
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth")
CONFIG_SUFFIXES = (".json", ".txt", ".model", ".tiktoken")
"""Config and tokenizer files also change the vectors, so a folder's hash covers them too."""
STAMP_FIELDS = ("size", "mtime_ns", "ctime_ns", "inode", "device")
Pin = tuple[Path, str, str]
"""(file, algorithm, expected digest)."""


def sha256_file(path: Path) -> str:
    """sha256 of a file, read in chunks (not remembered: see `memoised_sha256`)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def git_blob_sha1(file: Path) -> str:
    """The git object id of a file: how the hub names the blobs of small (non-LFS) files."""
    digest = hashlib.sha1(usedforsecurity=False)
    digest.update(f"blob {file.stat().st_size}\0".encode())
    with open(file, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _stamp(info: os.stat_result) -> dict[str, int]:
    return {
        "size": info.st_size,
        "mtime_ns": info.st_mtime_ns,
        "ctime_ns": info.st_ctime_ns,
        "inode": info.st_ino,
        "device": info.st_dev,
    }


class HashMemo:
    """sha256 of large files, remembered by path and stat stamp so each is read once.

    A stale or damaged memo only costs a re-hash: an entry counts only while every field of
    the stamp is unchanged (entries written before ctime and inode were recorded never
    match), and an unreadable memo file is ignored. A file that changed while it was being
    read is not remembered.
    """

    def __init__(self, cache_root: Path | None) -> None:
        self.path = None if cache_root is None else Path(cache_root) / MODELS_DIR / HASH_MEMO_FILE

    def sha256(self, file: Path) -> str:
        file = Path(file).resolve()
        remembered = self._lookup(file, file.stat())
        return remembered if remembered is not None else self.rehash(file)

    def cached(self, file: Path) -> str | None:
        """The remembered sha256 while the file is unchanged; never reads the file itself."""
        file = Path(file).resolve()
        try:
            info = file.stat()
        except OSError:
            return None
        return self._lookup(file, info)

    def rehash(self, file: Path) -> str:
        """Read the file again whatever the memo says (`reg-eval models verify`), and remember."""
        file = Path(file).resolve()
        before = _stamp(file.stat())
        digest = sha256_file(file)
        if _stamp(file.stat()) == before:
            memo = self._read()  # another process may have added entries meanwhile
            memo[str(file)] = {**before, "sha256": digest}
            self._write(memo)
        return digest

    def _lookup(self, file: Path, info: os.stat_result) -> str | None:
        entry = self._read().get(str(file))
        if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
            return None
        stamp = _stamp(info)
        if any(entry.get(field) != stamp[field] for field in STAMP_FIELDS):
            return None
        return entry["sha256"]

    def _read(self) -> dict[str, object]:
        if self.path is None:
            return {}
        try:
            value = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return value if isinstance(value, dict) else {}

    def _write(self, memo: dict[str, object]) -> None:
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.path, json.dumps(memo, indent=1, sort_keys=True), force=True)
        except (OSError, UsageError):
            pass  # a read-only cache only means hashing again next time


def memoised_sha256(file: Path, cache_root: str | Path | None = None) -> str:
    """sha256 of a (large) file, read only when it changed since it was last hashed.

    The memo is the one of `cache_root`, resolved as every cache root is
    (`reg_eval.cache.cache_root`: `~` expanded, default root when not given), so
    multi-gigabyte weights are read once, not on every run.
    """
    from reg_eval.cache import cache_root as resolve_cache_root

    return HashMemo(resolve_cache_root(cache_root)).sha256(file)


def folder_sha256(folder: Path, files: list[Path], memo: HashMemo) -> str:
    """One hash over (relative name, file hash) pairs, sorted by name."""
    digest = hashlib.sha256()
    for file in sorted(files, key=lambda f: f.relative_to(folder).as_posix()):
        digest.update(file.relative_to(folder).as_posix().encode("utf-8"))
        digest.update(b"\x00")
        digest.update(memo.sha256(file).encode("ascii"))
        digest.update(b"\n")
    return digest.hexdigest()


def model_folder_files(folder: Path) -> list[Path]:
    """Weights plus config and tokenizer files at the top of a transformers folder."""
    files = [f for f in folder.iterdir() if f.is_file() and not f.name.startswith(".")]
    weights = [f for f in files if f.name.endswith(WEIGHT_SUFFIXES)]
    if not weights:
        raise UsageError(
            f"model folder {folder} holds no weight files ({', '.join(WEIGHT_SUFFIXES)})",
            hint="point --emb-model at a folder written by save_pretrained(), or at a .gguf file",
        )
    config = [f for f in files if f.name.endswith(CONFIG_SUFFIXES)]
    return weights + config


def pipeline_files(folder: Path) -> list[Path]:
    """Every file of a spaCy pipeline folder (hidden files aside)."""
    return [f for f in folder.rglob("*") if f.is_file() and not f.name.startswith(".")]


def package_record_pins(package: str) -> tuple[Path | None, list[Path], list[Pin]]:
    """Files of an installed package and the sha256 its wheel RECORD lists for them."""
    try:
        dist = metadata.distribution(package)
    except metadata.PackageNotFoundError:
        return None, [], []
    files: list[Path] = []
    pins: list[Pin] = []
    for entry in dist.files or []:
        path = Path(str(dist.locate_file(entry)))
        files.append(path)
        if entry.hash is not None and entry.hash.mode == "sha256":
            raw = base64.urlsafe_b64decode(entry.hash.value + "=" * (-len(entry.hash.value) % 4))
            pins.append((path, "sha256", raw.hex()))
    root = Path(str(dist.locate_file(""))) / package
    return (root if root.exists() else None), files, pins


def package_files_sha256(package: str) -> str | None:
    """One hash over the sha256 an installed package's RECORD lists for its files.

    Two builds of a pipeline that share a version number still get different hashes; only
    the RECORD is read, not the model files. None when the package records no hashes.
    """
    _root, _files, pins = package_record_pins(package)
    if not pins:
        return None
    digest = hashlib.sha256()
    base = Path(str(metadata.distribution(package).locate_file("")))
    for path, _kind, value in sorted(pins, key=lambda pin: pin[0].as_posix()):
        try:
            relative = path.relative_to(base).as_posix()
        except ValueError:
            relative = path.as_posix()
        if relative.endswith((".pyc", "RECORD")):
            continue
        digest.update(relative.encode("utf-8"))
        digest.update(b"\x00")
        digest.update(value.encode("ascii"))
        digest.update(b"\n")
    return digest.hexdigest()
