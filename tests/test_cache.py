"""The feature cache: lookups, dedupe, damage detection and concurrent writers."""

from __future__ import annotations

import hashlib
import sqlite3
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from reg_eval.cache import (
    DB_NAME,
    CacheCorruptionWarning,
    CacheUnavailableWarning,
    FeatureCache,
    cached_compute,
    default_cache_root,
    text_key,
    vector_from_bytes,
    vector_to_bytes,
)

REPO_ROOT = Path(__file__).resolve().parents[1]


def payloads(n: int, *, tag: str = "") -> dict[str, bytes]:
    return {
        text_key(f"{tag}text {i}"): f"{tag}payload {i}".encode() * (i % 7 + 1) for i in range(n)
    }


class CountingCompute:
    """Records every batch of texts the model would have been asked to process."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, texts: list[str]) -> list[str]:
        self.calls.append(list(texts))
        return [text.upper() for text in texts]


def test_text_key_is_the_sha256_of_the_utf8_bytes() -> None:
    assert text_key("Lung, biopsy; é") == hashlib.sha256("Lung, biopsy; é".encode()).hexdigest()
    assert FeatureCache.text_key("") == hashlib.sha256(b"").hexdigest()
    assert text_key("\ud800") != text_key("")  # a lone surrogate is hashed, not refused


def test_default_root_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("REG_EVAL_CACHE_DIR", str(tmp_path / "here"))
    assert default_cache_root() == tmp_path / "here"
    monkeypatch.delenv("REG_EVAL_CACHE_DIR")
    assert default_cache_root() == Path.home() / ".cache" / "reg-eval"


def test_default_root_follows_xdg_cache_home_after_our_own_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("REG_EVAL_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_root() == tmp_path / "xdg" / "reg-eval"
    monkeypatch.setenv("REG_EVAL_CACHE_DIR", str(tmp_path / "ours"))
    assert default_cache_root() == tmp_path / "ours"  # ours wins
    monkeypatch.delenv("REG_EVAL_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")  # invalid by the XDG spec
    assert default_cache_root() == Path.home() / ".cache" / "reg-eval"
    monkeypatch.setenv("XDG_CACHE_HOME", "")
    assert default_cache_root() == Path.home() / ".cache" / "reg-eval"


def test_put_then_get_returns_stored_bytes_only(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path)
    items = payloads(20)
    cache.put_many("emb-a", items)
    keys = [*items, text_key("never stored")]
    found = cache.get_many("emb-a", keys)
    assert found == items
    assert cache.get_many("emb-b", list(items)) == {}
    assert (cache.stats.hits, cache.stats.misses, cache.stats.writes) == (20, 21, 20)
    cache.close()
    assert FeatureCache(tmp_path).get_many("emb-a", list(items)) == items


def test_many_keys_are_read_in_chunks(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path)
    items = payloads(1_300)
    cache.put_many("ns", items)
    assert cache.get_many("ns", list(items)) == items


def test_vector_bytes_have_the_documented_layout() -> None:
    vector = np.array([1.5, -2.0, 0.25], dtype=np.float64)
    expected = b"RGV1" + struct.pack("<II", 1, 3) + struct.pack("<3f", 1.5, -2.0, 0.25)
    assert vector_to_bytes(vector) == expected
    back = vector_from_bytes(expected)
    assert back.dtype == np.float32
    assert back.tolist() == [1.5, -2.0, 0.25]
    matrix = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert np.array_equal(vector_from_bytes(vector_to_bytes(matrix)), matrix)


@pytest.mark.parametrize("cut", [3, 8, 11, 19])
def test_truncated_vector_bytes_are_refused(cut: int) -> None:
    payload = vector_to_bytes(np.ones(3, dtype=np.float32))
    with pytest.raises(ValueError):
        vector_from_bytes(payload[:cut])


def test_cached_compute_dedupes_in_first_seen_order_without_a_cache() -> None:
    compute = CountingCompute()
    texts = ["b", "a", "b", "", "a", "c"]
    assert cached_compute(
        texts, compute, cache=None, namespace="x", encode=str.encode, decode=bytes.decode
    ) == ["B", "A", "B", "", "A", "C"]
    assert compute.calls == [["b", "a", "", "c"]]


def test_cached_compute_only_computes_new_texts(tmp_path: Path) -> None:
    options = {"namespace": "key-1", "encode": str.encode, "decode": bytes.decode}
    compute = CountingCompute()
    first = cached_compute(["x", "y", "x"], compute, cache=FeatureCache(tmp_path), **options)
    second_cache = FeatureCache(tmp_path)
    second = cached_compute(["y", "z", "x", "z", "w"], compute, cache=second_cache, **options)
    assert first == ["X", "Y", "X"]
    assert second == ["Y", "Z", "X", "Z", "W"]
    assert compute.calls == [["x", "y"], ["z", "w"]]
    assert (second_cache.stats.hits, second_cache.stats.misses) == (2, 2)
    cached_compute(["w", "x"], compute, cache=second_cache, **options)
    assert len(compute.calls) == 2  # nothing new: compute is not called at all


def test_cached_compute_refuses_a_wrong_number_of_results() -> None:
    with pytest.raises(RuntimeError, match="1 results for 2 texts"):
        cached_compute(
            ["a", "b"],
            lambda texts: ["A"],
            cache=None,
            namespace="x",
            encode=str.encode,
            decode=bytes.decode,
        )


def test_a_tampered_row_is_reported_dropped_and_recomputed(tmp_path: Path) -> None:
    options = {"namespace": "emb-x", "encode": str.encode, "decode": bytes.decode}
    cached_compute(["alpha", "beta"], CountingCompute(), cache=FeatureCache(tmp_path), **options)
    with sqlite3.connect(tmp_path / DB_NAME) as db:
        db.execute("UPDATE entries SET payload = ? WHERE key = ?", (b"FORGED", text_key("alpha")))
    cache = FeatureCache(tmp_path)
    compute = CountingCompute()
    with pytest.warns(CacheCorruptionWarning, match="checksum"):
        result = cached_compute(["alpha", "beta"], compute, cache=cache, **options)
    assert result == ["ALPHA", "BETA"]
    assert compute.calls == [["alpha"]]
    assert cache.stats.rejected == 1
    assert len(cache.messages) == 1 and str(tmp_path / DB_NAME) in cache.messages[0]
    fresh = FeatureCache(tmp_path)
    assert fresh.get_many("emb-x", [text_key("alpha")]) == {text_key("alpha"): b"ALPHA"}
    assert fresh.messages == []


def test_a_row_moved_to_another_key_fails_its_checksum(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path)
    cache.put_many("ns", {text_key("a"): b"value of a"})
    cache.close()
    with sqlite3.connect(tmp_path / DB_NAME) as db:
        db.execute("UPDATE entries SET key = ?", (text_key("b"),))
    with pytest.warns(CacheCorruptionWarning):
        assert FeatureCache(tmp_path).get_many("ns", [text_key("b")]) == {}


def test_an_undecodable_payload_is_dropped_and_recomputed(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path)
    cache.put_many("vec", {text_key("a"): b"not a vector"})
    compute_calls: list[list[str]] = []

    def compute(texts: list[str]) -> list[np.ndarray]:
        compute_calls.append(texts)
        return [np.zeros(2, dtype=np.float32) for _ in texts]

    with pytest.warns(CacheCorruptionWarning, match="decoded"):
        cached_compute(
            ["a"],
            compute,
            cache=cache,
            namespace="vec",
            encode=vector_to_bytes,
            decode=vector_from_bytes,
        )
    assert compute_calls == [["a"]]


def fill_and_close(root: Path, n: int = 400) -> dict[str, bytes]:
    cache = FeatureCache(root)
    items = payloads(n)
    for start in range(0, n, 50):  # several transactions, so the file has many pages
        cache.put_many("ns", dict(list(items.items())[start : start + 50]))
    cache.close()
    return items


def assert_rebuilt(root: Path, cache: FeatureCache) -> None:
    assert any(str(root / DB_NAME) in message for message in cache.messages)
    assert list(root.glob(f"{DB_NAME}.corrupt-*")), "the damaged file must be kept aside"
    cache.put_many("ns", {text_key("new"): b"new"})
    assert cache.get_many("ns", [text_key("new")]) == {text_key("new"): b"new"}
    assert FeatureCache(root).get_many("ns", [text_key("new")]) == {text_key("new"): b"new"}


def test_a_file_that_is_not_a_database_is_set_aside_and_rebuilt(tmp_path: Path) -> None:
    (tmp_path / DB_NAME).write_bytes(b"this is not an SQLite file " * 100)
    cache = FeatureCache(tmp_path)
    with pytest.warns(CacheCorruptionWarning, match="moved to"):
        assert cache.get_many("ns", [text_key("a")]) == {}
    assert_rebuilt(tmp_path, cache)


@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_a_truncated_file_is_set_aside_and_rebuilt(tmp_path: Path, keep: float) -> None:
    items = fill_and_close(tmp_path)
    path = tmp_path / DB_NAME
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    with path.open("r+b") as handle:
        handle.truncate(int(path.stat().st_size * keep))
    cache = FeatureCache(tmp_path)
    with pytest.warns(CacheCorruptionWarning):
        found = cache.get_many("ns", list(items))
    assert found == {}
    assert_rebuilt(tmp_path, cache)


def test_damaged_pages_in_the_middle_are_detected(tmp_path: Path) -> None:
    items = fill_and_close(tmp_path)
    path = tmp_path / DB_NAME
    data = bytearray(path.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    for page in range(1, len(data) // page_size):
        data[page * page_size : page * page_size + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))
    cache = FeatureCache(tmp_path)
    with pytest.warns(CacheCorruptionWarning):
        found = cache.get_many("ns", list(items))
    assert found == {}
    assert_rebuilt(tmp_path, cache)


def test_an_unusable_cache_folder_means_going_on_without_it(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cache = FeatureCache(blocker / "cache")
    with pytest.warns(CacheUnavailableWarning, match="cannot be read") as caught:
        assert cache.get_many("ns", ["k"]) == {}
        cache.put_many("ns", payloads(2))
        assert cache.get_many("ns", ["k"]) == {}
    assert len(caught) == 1 and len(cache.messages) == 1
    assert str(blocker / "cache") in cache.messages[0] and "--no-cache" in cache.messages[0]
    assert cache.stats.writes == 0 and cache.stats.misses == 2


def test_a_full_disk_stops_writing_once_and_keeps_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = FeatureCache(tmp_path)
    stored = payloads(2)
    cache.put_many("ns", stored)

    @contextmanager
    def full(conn: sqlite3.Connection) -> Iterator[None]:
        raise sqlite3.OperationalError("database or disk is full")
        yield

    monkeypatch.setattr(FeatureCache, "_transaction", staticmethod(full))
    with pytest.warns(CacheUnavailableWarning, match="cannot be written") as caught:
        cache.put_many("ns", {"new": b"x"})
        cache.put_many("ns", {"newer": b"y"})
    assert len(caught) == 1 and "database or disk is full" in cache.messages[0]
    assert cache.get_many("ns", list(stored)) == stored  # what is there is still served
    assert cache.stats.writes == 2
    assert not list(tmp_path.glob(f"{DB_NAME}.corrupt-*"))


def test_scoring_goes_on_when_the_cache_cannot_be_written(
    tmp_path: Path, tiny_bert_dir: Path, tiny_ruler_dir: Path
) -> None:
    from reg_eval.scoring import Scorer

    blocker = tmp_path / "file"
    blocker.write_text("x")
    refs = ["Lung, biopsy;\n  Adenocarcinoma", "Breast, biopsy;\n  Carcinoma"]
    hyps = ["Lung, biopsy;\n  Adenocarcinoma", "Breast, biopsy"]
    options = {"emb_model": str(tiny_bert_dir), "key_model": str(tiny_ruler_dir),
               "metrics": "official", "device": "cpu", "bootstrap": 20}
    with pytest.warns(CacheUnavailableWarning):
        result = Scorer("offline", cache_dir=blocker / "c", **options)(refs, hyps)
    uncached = Scorer("offline", cache=False, **options)(refs, hyps)
    assert result.means == uncached.means
    assert len(result.messages) == 1 and "going on without it" in result.messages[0]


WRITER = """
import sys, time
from pathlib import Path
from reg_eval.cache import FeatureCache, text_key
root, tag, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
while not go.exists():
    time.sleep(0.005)
cache = FeatureCache(root)
for batch in range(40):
    items = {text_key(f"{tag}-{batch}-{i}"): f"{tag}-{batch}-{i}".encode() for i in range(25)}
    cache.put_many("shared", items)
    shared = {text_key(f"common-{i}"): f"common-{i}".encode() for i in range(batch, batch + 5)}
    cache.put_many("shared", shared)
    assert cache.get_many("shared", list(items)) == items
print("ok", cache.stats.writes)
"""


def test_two_processes_writing_at_once_both_succeed(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    go = tmp_path / "go"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(root), tag, str(go)],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in ("first", "second")
    ]
    time.sleep(0.3)
    go.touch()
    outputs = [writer.communicate(timeout=120) for writer in writers]
    for writer, (out, err) in zip(writers, outputs, strict=True):
        assert writer.returncode == 0, err
        assert out.split() == ["ok", str(40 * 30)]
    cache = FeatureCache(root)
    for tag in ("first", "second"):
        keys = [text_key(f"{tag}-{b}-{i}") for b in range(40) for i in range(25)]
        assert len(cache.get_many("shared", keys)) == 1_000
    assert len(cache.get_many("shared", [text_key(f"common-{i}") for i in range(44)])) == 44
    assert cache.messages == []


def test_damage_found_mid_run_sets_the_file_aside_and_retries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = FeatureCache(tmp_path)
    items = payloads(5)
    cache.put_many("ns", items)
    real_select = FeatureCache._select
    calls: list[int] = []

    def failing_once(conn: sqlite3.Connection, namespace: str, keys: list[str]) -> list:
        calls.append(1)
        if len(calls) == 1:
            raise sqlite3.DatabaseError("database disk image is malformed")
        return real_select(conn, namespace, keys)

    monkeypatch.setattr(FeatureCache, "_select", staticmethod(failing_once))
    with pytest.warns(CacheCorruptionWarning, match="damaged"):
        assert cache.get_many("ns", list(items)) == {}  # the new file is empty
    assert len(calls) == 2
    assert_rebuilt(tmp_path, cache)


def test_a_lock_timeout_means_going_on_without_the_cache_not_a_rebuild(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = FeatureCache(tmp_path)
    cache.put_many("ns", payloads(2))

    def locked(conn: sqlite3.Connection, namespace: str, keys: list[str]) -> list:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(FeatureCache, "_select", staticmethod(locked))
    with pytest.warns(CacheUnavailableWarning, match="locked"):
        assert cache.get_many("ns", ["k"]) == {}
    assert not list(tmp_path.glob(f"{DB_NAME}.corrupt-*"))


def test_the_cache_root_of_a_run_is_the_option_else_the_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from reg_eval.cache import cache_root, default_cache_root

    monkeypatch.setenv("REG_EVAL_CACHE_DIR", str(tmp_path / "env"))
    assert default_cache_root() == tmp_path / "env"
    assert cache_root(None) == tmp_path / "env"
    assert cache_root("") == tmp_path / "env"
    assert cache_root(tmp_path / "given") == tmp_path / "given"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_root("~/c") == tmp_path / "home" / "c"
