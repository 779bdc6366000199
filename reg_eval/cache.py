"""On-disk store of model outputs (vectors, entity sets), keyed by model identity and text hash.

Scoring a second submission against the same ground truth should only run the models on
texts never seen before. The store is one SQLite file in WAL mode, so several processes can
read and write it at once; every row carries a checksum of its own bytes. A file SQLite cannot
read, or a row whose checksum fails, is reported, moved aside or dropped, and recomputed:
a damaged cache costs time, never a wrong score.

Where the cache lives is decided here too (`default_cache_root`, `cache_root`): the feature
store, the prepared models and the file-hash memo share one root.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import struct
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import numpy as np
    from filelock import FileLock

T = TypeVar("T")

CACHE_DIR_ENV = "REG_EVAL_CACHE_DIR"
XDG_CACHE_ENV = "XDG_CACHE_HOME"
CACHE_DIR_NAME = "reg-eval"
DB_NAME = "features-v1.sqlite3"
"""The file name carries the layout version: a new layout starts a new file."""
BUSY_TIMEOUT_MS = 120_000
"""How long a writer waits for another process's transaction before giving up."""
_QUERY_CHUNK = 500
"""Keys per SELECT, well under SQLite's bound-parameter limit."""


def default_cache_root() -> Path:
    """`$REG_EVAL_CACHE_DIR`, else `$XDG_CACHE_HOME/reg-eval`, else `~/.cache/reg-eval`.

    The one place the cache root is decided: the feature store, prepared models and the
    file-hash memo all live under it. As the XDG base directory specification asks, a
    relative `XDG_CACHE_HOME` is ignored.
    """
    env = os.environ.get(CACHE_DIR_ENV)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get(XDG_CACHE_ENV, "")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / CACHE_DIR_NAME
    return Path.home() / ".cache" / CACHE_DIR_NAME


def cache_root(cache_dir: str | Path | None = None) -> Path:
    """The cache root of a run: `cache_dir` (`--cache-dir`, `~` expanded) when given, else
    `default_cache_root()`."""
    return Path(cache_dir).expanduser() if cache_dir else default_cache_root()


class CacheCorruptionWarning(UserWarning):
    """A cache file or entry failed its check and was set aside; results are recomputed."""


class CacheUnavailableWarning(UserWarning):
    """The cache cannot be written (read-only, disk full, ...); the run goes on without it."""


class _CacheUnavailable(Exception):
    """Raised inside FeatureCache when the store cannot be opened or written."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass
class CacheStats:
    """Counters the CLI prints after a run (distinct texts, not cases)."""

    hits: int = 0
    misses: int = 0
    writes: int = 0
    rejected: int = 0
    """Entries dropped because their checksum or format did not match."""


def text_key(text: str) -> str:
    """sha256 of the text's UTF-8 bytes; lone surrogates are kept rather than refused."""
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


def _row_checksum(namespace: str, key: str, payload: bytes) -> bytes:
    """Binds the payload to its namespace and key, so a row copied elsewhere also fails."""
    digest = hashlib.sha256()
    digest.update(namespace.encode("utf-8"))
    digest.update(b"\x00")
    digest.update(key.encode("utf-8"))
    digest.update(b"\x00")
    digest.update(payload)
    return digest.digest()


def _is_corruption(exc: sqlite3.Error) -> bool:
    """True for "malformed" / "not a database"; False for locks, full disks and the like."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text


class FeatureCache:
    """A process-safe key-value store: (namespace, text hash) -> bytes.

    A namespace names what produced the bytes (`ModelIdentity.cache_namespace()` plus the
    backend's own settings), so two models or precisions never share an entry.
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).expanduser()
        self.path = self.root / DB_NAME
        self.stats = CacheStats()
        self.messages: list[str] = []
        """Warnings worth showing the user (corrupt file or entries set aside)."""
        self._conn: sqlite3.Connection | None = None
        self._pid: int | None = None
        self._opened_id: tuple[int, int] | None = None
        self.unavailable: str | None = None
        """Why the cache is no longer read or written in this process (None while it is)."""
        self.read_only: str | None = None
        """Why nothing more is written (entries are still read) (None while writes work)."""

    text_key = staticmethod(text_key)

    # -- public API -------------------------------------------------------------------------

    def get_many(self, namespace: str, keys: Sequence[str]) -> dict[str, bytes]:
        """The stored payloads among `keys`; a key whose row fails its checksum is absent."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, bytes] = {}
        bad: list[str] = []
        if self.unavailable is not None:
            self.stats.misses += len(wanted)
            return found
        try:
            rows = self._with_recovery(
                lambda conn: self._select(conn, namespace, wanted), default=[]
            )
        except _CacheUnavailable as exc:
            self._give_up(exc.detail, reading=True)
            rows = []
        for key, payload, checksum in rows:
            payload = bytes(payload)
            if bytes(checksum) == _row_checksum(namespace, key, payload):
                found[key] = payload
            else:
                bad.append(key)
        if bad:
            self.reject(namespace, bad, reason="checksum mismatch")
        self.stats.hits += len(found)
        self.stats.misses += len(wanted) - len(found)
        return found

    def has_all(self, namespace: str, keys: Sequence[str]) -> bool:
        """Whether every key has a row (checksums unchecked, counters untouched): a cheap
        look ahead, e.g. to start loading a model early when some text will need it."""
        wanted = list(dict.fromkeys(keys))
        rows = self._with_recovery(lambda conn: self._select(conn, namespace, wanted), default=[])
        return len({row[0] for row in rows}) == len(wanted)

    def put_many(self, namespace: str, items: Mapping[str, bytes]) -> None:
        """Store payloads in one transaction; an existing entry for a key is replaced."""
        if not items:
            return
        rows = [
            (namespace, key, payload, _row_checksum(namespace, key, payload))
            for key, payload in items.items()
        ]

        def write(conn: sqlite3.Connection) -> None:
            with self._transaction(conn):
                conn.executemany(
                    "INSERT OR REPLACE INTO entries(namespace, key, payload, checksum) "
                    "VALUES (?, ?, ?, ?)",
                    rows,
                )

        if self._write(write):
            self.stats.writes += len(rows)

    def reject(self, namespace: str, keys: Sequence[str], *, reason: str) -> None:
        """Drop entries that cannot be trusted (bad checksum, undecodable) and say so."""
        if not keys:
            return

        def delete(conn: sqlite3.Connection) -> None:
            with self._transaction(conn):
                conn.executemany(
                    "DELETE FROM entries WHERE namespace = ? AND key = ?",
                    [(namespace, key) for key in keys],
                )

        self._write(delete)
        self.stats.rejected += len(keys)
        self._report(
            f"cache {self.path}: {len(keys)} entr{'y' if len(keys) == 1 else 'ies'} in "
            f"{namespace} failed the check ({reason}); dropped and recomputed"
        )

    def _write(self, operation: Callable[[sqlite3.Connection], None]) -> bool:
        """Run a write; if the store cannot be written, say so once and go on without it."""
        if self.unavailable is not None or self.read_only is not None:
            return False
        try:
            self._with_recovery(operation, default=None)
        except _CacheUnavailable as exc:
            self._give_up(exc.detail, reading=False)
            return False
        return True

    def _give_up(self, detail: str, *, reading: bool) -> None:
        """Stop using the store (or only writing to it) for the rest of the run, warning once.

        Scores never depend on the cache, so a read-only folder, a full disk or a locked
        file only costs the time of computing everything again.
        """
        first = self.unavailable is None and self.read_only is None
        if reading:
            self.unavailable = detail
        else:
            self.read_only = detail
        if not first:
            return
        message = (
            f"cache {self.path} cannot be {'read' if reading else 'written'} ({detail}); "
            f"going on without it (set {CACHE_DIR_ENV} to a writable folder, or pass "
            "--no-cache to skip it)"
        )
        self.messages.append(message)
        warnings.warn(message, CacheUnavailableWarning, stacklevel=4)

    def close(self) -> None:
        if self._conn is not None and self._pid == os.getpid():
            self._conn.close()
        self._conn = None
        self._pid = None

    def __enter__(self) -> FeatureCache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- connection handling ----------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        """One connection per process (a forked child opens its own)."""
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        self._conn = None
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _CacheUnavailable(
                f"cannot create the folder {self.root}: {exc.strerror or exc}"
            ) from None
        try:
            with self._file_lock():
                try:
                    conn = self._open_checked()
                except sqlite3.Error as exc:
                    if not _is_corruption(exc):
                        raise _CacheUnavailable(str(exc)) from None
                    self._set_aside_locked(f"unreadable ({exc})", self._file_id())
                    try:
                        conn = self._open_checked()
                    except sqlite3.Error as again:
                        raise _CacheUnavailable(str(again)) from None
        except OSError as exc:  # the lock file or a rename: read-only folder, full disk
            raise _CacheUnavailable(exc.strerror or str(exc)) from None
        self._conn = conn
        self._pid = os.getpid()
        return conn

    def _open_checked(self) -> sqlite3.Connection:
        """Open, set WAL mode, create the table, and let SQLite check the file's structure.

        Called with the file lock held, so only one process at a time judges the file.
        """
        for _attempt in range(2):
            file_id = self._file_id()
            conn = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            try:
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS entries ("
                    " namespace TEXT NOT NULL, key TEXT NOT NULL,"
                    " payload BLOB NOT NULL, checksum BLOB NOT NULL,"
                    " PRIMARY KEY (namespace, key)) WITHOUT ROWID"
                )
                verdict = [str(row[0]) for row in conn.execute("PRAGMA quick_check")]
            except BaseException:
                conn.close()
                raise
            if verdict == ["ok"]:
                self._opened_id = self._file_id()
                return conn
            conn.close()
            detail = "; ".join(verdict[:3])
            self._set_aside_locked(f"failed SQLite's integrity check ({detail})", file_id)
        raise sqlite3.DatabaseError("a freshly created cache file failed its integrity check")

    def _with_recovery(self, operation: Callable[[sqlite3.Connection], T], *, default: T) -> T:
        """Run `operation`; if SQLite finds the file damaged mid-run, set it aside and retry."""
        try:
            return operation(self._connection())
        except sqlite3.Error as exc:
            if not _is_corruption(exc):
                raise _CacheUnavailable(str(exc)) from None
            try:
                self._set_aside(f"damaged ({exc})")
            except OSError as moved:
                raise _CacheUnavailable(moved.strerror or str(moved)) from None
        try:
            return operation(self._connection())
        except sqlite3.Error as exc:
            if not _is_corruption(exc):
                raise _CacheUnavailable(str(exc)) from None
            self._report(f"cache {self.path}: still unreadable after a rebuild ({exc}); not used")
            return default

    @staticmethod
    @contextmanager
    def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
        """BEGIN IMMEDIATE takes the write lock up front, so concurrent writers queue, not fail."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @staticmethod
    def _select(
        conn: sqlite3.Connection, namespace: str, keys: list[str]
    ) -> list[tuple[str, bytes, bytes]]:
        rows: list[tuple[str, bytes, bytes]] = []
        for start in range(0, len(keys), _QUERY_CHUNK):
            chunk = keys[start : start + _QUERY_CHUNK]
            marks = ",".join("?" * len(chunk))
            rows.extend(
                conn.execute(
                    f"SELECT key, payload, checksum FROM entries "
                    f"WHERE namespace = ? AND key IN ({marks})",
                    [namespace, *chunk],
                )
            )
        return rows

    def _file_id(self) -> tuple[int, int] | None:
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (info.st_dev, info.st_ino)

    def _file_lock(self) -> FileLock:
        from filelock import FileLock

        return FileLock(str(self.path) + ".lock", timeout=BUSY_TIMEOUT_MS / 1000)

    def _set_aside(self, why: str) -> None:
        """Set aside the file this process found damaged while using it."""
        if self._conn is not None:
            with suppress(sqlite3.Error):
                self._conn.close()
        self._conn = None
        self._pid = None
        with self._file_lock():
            self._set_aside_locked(why, self._opened_id)

    def _set_aside_locked(self, why: str, damaged_id: tuple[int, int] | None) -> None:
        """Rename the damaged file (and its WAL) out of the way; the next open starts afresh.

        The WAL goes too: SQLite would replay a leftover WAL into the new file. If the file
        at `path` is no longer the damaged one, another process already rebuilt it.
        """
        if damaged_id is None or self._file_id() != damaged_id:
            self._report(f"cache file {self.path} was {why}; another process rebuilt it")
            return
        stamp = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{secrets.token_hex(3)}"
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        for suffix in ("", "-wal"):
            with suppress(FileNotFoundError):
                os.replace(f"{self.path}{suffix}", f"{aside}{suffix}")
        Path(f"{self.path}-shm").unlink(missing_ok=True)
        self._report(f"cache file {self.path} was {why}; moved to {aside.name} and rebuilt")

    def _report(self, message: str) -> None:
        self.messages.append(message)
        warnings.warn(message, CacheCorruptionWarning, stacklevel=3)


def read_decoded(
    cache: FeatureCache,
    namespace: str,
    keys: Mapping[str, str],
    decode: Callable[[bytes], T],
    *,
    reason: str,
) -> dict[str, T]:
    """The stored values of the items in `keys` (item -> cache key) that decode, in the
    order of `keys`; a payload that does not decode is set aside with `reason`, so the item
    counts as missing and is computed again rather than trusted."""
    stored = cache.get_many(namespace, list(keys.values()))
    found: dict[str, T] = {}
    undecodable: list[str] = []
    for item, key in keys.items():
        payload = stored.get(key)
        if payload is None:
            continue
        try:
            found[item] = decode(payload)
        except ValueError:
            undecodable.append(key)
    if undecodable:
        cache.reject(namespace, undecodable, reason=reason)
    return found


def cached_compute(
    texts: Sequence[str],
    compute: Callable[[list[str]], list[T]],
    *,
    cache: FeatureCache | None,
    namespace: str,
    encode: Callable[[T], bytes],
    decode: Callable[[bytes], T],
) -> list[T]:
    """One result per text, computing each distinct text once and only if not cached.

    `compute` receives the missing distinct texts in first-seen order and must return one
    result per text, in that order. With `cache=None` this only removes duplicates.
    """
    distinct = list(dict.fromkeys(texts))
    results: dict[str, T] = {}
    if cache is not None and distinct:
        keys = {text: text_key(text) for text in distinct}
        results = read_decoded(
            cache, namespace, keys, decode, reason="payload could not be decoded"
        )
    missing = [text for text in distinct if text not in results]
    if missing:
        computed = list(compute(missing))
        if len(computed) != len(missing):
            raise RuntimeError(f"compute returned {len(computed)} results for {len(missing)} texts")
        results.update(zip(missing, computed, strict=True))
        if cache is not None:
            cache.put_many(
                namespace,
                {
                    text_key(text): encode(value)
                    for text, value in zip(missing, computed, strict=True)
                },
            )
    return [results[text] for text in texts]


# -- vectors as bytes -----------------------------------------------------------------------

_VECTOR_MAGIC = b"RGV1"
"""Layout: magic, uint32 ndim, ndim x uint32 shape, float32 little-endian data."""


def vector_to_bytes(vector: np.ndarray) -> bytes:
    """Deterministic bytes for a float32 array of any shape."""
    import numpy as np

    array = np.ascontiguousarray(vector, dtype="<f4")
    header = _VECTOR_MAGIC + struct.pack(f"<I{array.ndim}I", array.ndim, *array.shape)
    return header + array.tobytes(order="C")


def vector_from_bytes(payload: bytes) -> np.ndarray:
    """The inverse of `vector_to_bytes`; ValueError if the bytes do not have that layout."""
    import numpy as np

    if len(payload) < 8 or payload[:4] != _VECTOR_MAGIC:
        raise ValueError("not a reg-eval vector payload")
    (ndim,) = struct.unpack_from("<I", payload, 4)
    header_size = 8 + 4 * ndim
    if ndim > 8 or len(payload) < header_size:
        raise ValueError("vector payload header is truncated")
    shape = struct.unpack_from(f"<{ndim}I", payload, 8)
    count = 1
    for size in shape:
        count *= size
    if len(payload) != header_size + 4 * count:
        raise ValueError("vector payload size does not match its shape")
    data = np.frombuffer(payload, dtype="<f4", offset=header_size, count=count)
    return data.reshape(shape).astype(np.float32, copy=True)


def one_vector_from_bytes(payload: bytes) -> np.ndarray:
    """`vector_from_bytes` for entries that must hold exactly one vector."""
    vector = vector_from_bytes(payload)
    if vector.ndim != 1:
        raise ValueError("an embedding payload must be one vector")
    return vector


def cached_vectors(
    texts: Sequence[str],
    compute: Callable[[list[str]], list[np.ndarray]],
    *,
    cache: FeatureCache | None,
    namespace: str,
) -> np.ndarray:
    """`cached_compute` for one vector per text: a float32 (n, d) matrix, (0, 0) for none."""
    import numpy as np

    vectors = cached_compute(
        list(texts),
        compute,
        cache=cache,
        namespace=namespace,
        encode=vector_to_bytes,
        decode=one_vector_from_bytes,
    )
    if not vectors:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack(vectors).astype(np.float32, copy=False)
