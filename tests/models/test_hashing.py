"""The hash memo: a file is read once while it is unchanged, and again when it changes."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from models.model_fixtures import sha256_bytes

from reg_eval.models import hashing
from reg_eval.models.hashing import HashMemo


def test_hash_memo_survives_a_damaged_memo_file(tmp_path: Path) -> None:
    file = tmp_path / "w.bin"
    file.write_bytes(b"abc")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "file-hashes.json").write_text("{not json")
    assert HashMemo(tmp_path).sha256(file) == sha256_bytes(b"abc")



def counting_memo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[HashMemo, list[Path]]:
    """A memo whose reads of file content are counted."""
    read: list[Path] = []
    real = hashing.sha256_file
    monkeypatch.setattr(hashing, "sha256_file", lambda p: read.append(p) or real(p))
    return HashMemo(tmp_path / "cache"), read


def test_same_size_rewrite_with_restored_mtime_is_hashed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tool that rewrites weights in place and restores the mtime cannot hide the change."""
    memo, read = counting_memo(tmp_path, monkeypatch)
    file = tmp_path / "model.safetensors"
    file.write_bytes(b"first weights")
    before = file.stat()
    assert memo.sha256(file) == sha256_bytes(b"first weights")
    assert memo.sha256(file) == sha256_bytes(b"first weights") and len(read) == 1

    time.sleep(0.05)  # past the file system's timestamp tick, so ctime can move
    file.write_bytes(b"other weights")  # same size, same inode
    os.utime(file, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = file.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        before.st_size, before.st_mtime_ns, before.st_ino)
    assert after.st_ctime_ns != before.st_ctime_ns  # what the memo now keys on
    assert memo.cached(file) is None
    assert memo.sha256(file) == sha256_bytes(b"other weights")
    assert len(read) == 2


def test_file_replaced_by_another_with_the_same_size_and_mtime_is_hashed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    memo, read = counting_memo(tmp_path, monkeypatch)
    file = tmp_path / "model.safetensors"
    file.write_bytes(b"first weights")
    stat = file.stat()
    assert memo.sha256(file) == sha256_bytes(b"first weights")
    other = tmp_path / "other.safetensors"
    other.write_bytes(b"other weights")
    os.utime(other, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.replace(other, file)  # a new inode under the old name
    assert memo.sha256(file) == sha256_bytes(b"other weights")
    assert len(read) == 2


def test_entry_from_a_memo_without_the_full_stamp_is_not_trusted(tmp_path: Path) -> None:
    """Entries keyed by size and mtime alone (earlier reg-eval) are hashed again once."""
    file = tmp_path / "w.bin"
    file.write_bytes(b"real")
    info = file.stat()
    memo_file = tmp_path / "models" / "file-hashes.json"
    memo_file.parent.mkdir()
    memo_file.write_text(json.dumps({str(file.resolve()): {
        "size": info.st_size, "mtime_ns": info.st_mtime_ns, "sha256": "f" * 64}}))
    memo = HashMemo(tmp_path)
    assert memo.cached(file) is None
    assert memo.sha256(file) == sha256_bytes(b"real")
    assert memo.cached(file) == sha256_bytes(b"real")


def test_file_that_changes_while_hashed_is_not_remembered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "w.bin"
    file.write_bytes(b"before")
    stat = file.stat()
    real = hashing.sha256_file

    def hash_then_change(path: Path) -> str:
        digest = real(path)
        time.sleep(0.05)
        file.write_bytes(b"after!")  # a writer still at work, same size, mtime kept
        os.utime(file, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        return digest

    monkeypatch.setattr(hashing, "sha256_file", hash_then_change)
    memo = HashMemo(tmp_path / "cache")
    memo.sha256(file)
    assert memo.cached(file) is None


def test_memoised_sha256_reads_a_file_once_per_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the slide encoders call for their weights: the default cache root's memo."""
    read: list[Path] = []
    real = hashing.sha256_file
    monkeypatch.setattr(hashing, "sha256_file", lambda p: read.append(p) or real(p))
    monkeypatch.setenv("REG_EVAL_CACHE_DIR", str(tmp_path / "cache"))
    weights = tmp_path / "pytorch_model.bin"
    weights.write_bytes(b"encoder weights")
    expected = sha256_bytes(b"encoder weights")
    assert hashing.memoised_sha256(weights) == expected
    assert hashing.memoised_sha256(weights) == expected
    assert len(read) == 1
    assert (tmp_path / "cache" / "models" / "file-hashes.json").is_file()
    weights.write_bytes(b"other weights!!")
    assert hashing.memoised_sha256(weights) == sha256_bytes(b"other weights!!")
    assert len(read) == 2
    other_root = tmp_path / "elsewhere"
    assert hashing.memoised_sha256(weights, other_root) == sha256_bytes(b"other weights!!")
    assert len(read) == 3 and (other_root / "models" / "file-hashes.json").is_file()


def test_memoised_sha256_expands_a_home_relative_cache_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`~/...` names the home folder's cache, as `--cache-dir` does, not a folder named `~`."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    weights = tmp_path / "pytorch_model.bin"
    weights.write_bytes(b"encoder weights")
    assert hashing.memoised_sha256(weights, "~/my-cache") == sha256_bytes(b"encoder weights")
    assert (tmp_path / "home" / "my-cache" / "models" / "file-hashes.json").is_file()
    assert not (tmp_path / "~").exists()
