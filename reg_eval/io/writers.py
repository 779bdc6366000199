"""Atomic writers: one mechanism for files and folders.

The content is built in a hidden sibling of the target (same folder, so the last step is a
rename on one file system), every file and folder of it is fsynced, and then it is moved into
place in one step and the parent folder is fsynced. A reader sees the old content or the new,
never half of it; an interrupted run leaves no temp file or folder behind.

An existing target is never replaced unless the caller passes `force=True` (`--force`). The
early `exists()` check only fails before any work is done; the move itself is what refuses:
a file is published with `os.link`, which fails when the name is taken, so two writers racing
for the same free name cannot both succeed. A replaced file keeps its permission bits, never
its setuid, setgid or sticky bits.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Protocol

from reg_eval.errors import UsageError

PERMISSION_BITS = 0o777
"""What a replaced file's mode passes on: read, write and execute, never setuid/setgid/sticky."""
_NO_HARD_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EMLINK,
                  errno.EXDEV}


def _default_mode(base: int = 0o666) -> int:
    umask = os.umask(0)
    os.umask(umask)
    return base & ~umask


def _exists_error(path: Path) -> UsageError:
    return UsageError(f"{path} already exists",
                      hint="pass --force to overwrite it, or choose another path")


def _make_parent(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the folder {folder} ({exc.strerror or exc})") from None


@contextlib.contextmanager
def atomic_file(
    path: str | Path, *, force: bool = False, verify: Callable[[Path], None] | None = None
) -> Iterator[IO[bytes]]:
    """A binary handle whose content appears at `path` in one step when the block ends.

    Nothing appears if the block raises. Streams large content (checkpoints, extracted
    weights) without holding it in memory. `verify`, when given, is called with the
    finished, fsynced temp file before it is moved into place; if it raises, nothing
    appears (`slides fix` re-reads its copy this way).
    """
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{path} is a folder", hint="give a file name for the output")
    exists = path.exists()
    if exists and not force:
        raise _exists_error(path)
    folder = path.parent
    _make_parent(folder)
    mode = path.stat().st_mode & PERMISSION_BITS if exists else _default_mode()
    try:
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise UsageError(f"cannot write in {folder} ({exc.strerror or exc})") from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
            os.fchmod(handle.fileno(), mode)
        if verify is not None:
            verify(tmp)
        _publish_file(tmp, path, force=force)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise UsageError(f"cannot write {path} ({exc.strerror or exc})") from None
        raise
    fsync_folder(folder)


def _publish_file(tmp: Path, path: Path, *, force: bool) -> None:
    """Move a finished temp file to `path`; without `force`, only if the name is still free."""
    if force:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # fails with EEXIST when another writer took the name meanwhile
    except FileExistsError:
        raise _exists_error(path) from None
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise
        # No hard links here (some network and FAT file systems): claim the name with an
        # exclusive create, then replace the empty placeholder with the content.
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            raise _exists_error(path) from None
        os.replace(tmp, path)
    else:
        with contextlib.suppress(OSError):
            tmp.unlink()  # the content is in place; a stray hidden link is all that is left


@contextlib.contextmanager
def atomic_folder(path: str | Path, *, force: bool = False) -> Iterator[Path]:
    """A temp folder to fill; when the block ends it is fsynced and renamed to `path`.

    Nothing appears if the block raises. An existing empty folder counts as free. With
    `force` an existing folder is moved aside, the new one renamed in, and the old removed.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path} exists and is not a folder", hint="choose another name")
    if _non_empty_folder(path) and not force:
        raise _exists_error(path)
    parent = path.parent
    _make_parent(parent)
    try:
        staging = Path(tempfile.mkdtemp(dir=parent, prefix=f".{path.name}.", suffix=".tmp"))
    except OSError as exc:
        raise UsageError(f"cannot write in {parent} ({exc.strerror or exc})") from None
    try:
        yield staging
        os.chmod(staging, _default_mode(0o777))  # mkdtemp makes folders private
        fsync_tree(staging)
        _publish_folder(staging, path, force=force)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, OSError):
            raise UsageError(f"cannot write {path} ({exc.strerror or exc})") from None
        raise
    fsync_folder(parent)


def _non_empty_folder(path: Path) -> bool:
    try:
        return path.is_dir() and any(path.iterdir())
    except OSError:
        return True  # unreadable: never treat it as free


def _publish_folder(staging: Path, path: Path, *, force: bool) -> None:
    """rename(2) refuses a non-empty folder, so without `force` the move itself refuses."""
    if force and _non_empty_folder(path):
        retired = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.old-"))
        os.replace(path, retired / "previous")
        try:
            os.replace(staging, path)
        except BaseException:
            os.replace(retired / "previous", path)
            raise
        finally:
            shutil.rmtree(retired, ignore_errors=True)
        return
    try:
        os.replace(staging, path)
    except OSError as exc:
        if exc.errno in (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR, errno.EISDIR):
            raise _exists_error(path) from None
        raise


def fsync_tree(folder: Path) -> None:
    """fsync every file and folder below `folder` (symlinks are left as they are)."""
    for root, _dirs, files in os.walk(folder, topdown=False):
        for name in files:
            file = os.path.join(root, name)
            if os.path.islink(file):
                continue
            fd = os.open(file, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_folder(Path(root))


def fsync_folder(folder: Path) -> None:
    """Make a rename or a new entry durable where the platform allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: str | Path, data: bytes, *, force: bool = False) -> Path:
    """Write `data` to `path` in one step; refuse an existing target unless `force`."""
    with atomic_file(path, force=force) as handle:
        handle.write(data)
    return Path(path)


def atomic_write_text(path: str | Path, text: str, *, force: bool = False) -> Path:
    """UTF-8 text, newlines written as given."""
    return atomic_write_bytes(path, text.encode("utf-8"), force=force)


def write_json(path: str | Path, obj: Any, *, force: bool = False) -> Path:
    """JSON, UTF-8, indent 2, keys in the caller's order, a final newline; NaN refused."""
    text = json.dumps(obj, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    return atomic_write_text(path, text, force=force)


def write_jsonl(path: str | Path, rows: Iterable[Any], *, force: bool = False) -> Path:
    """One compact JSON value per line."""
    text = "".join(
        json.dumps(row, ensure_ascii=False, allow_nan=False) + "\n" for row in rows
    )
    return atomic_write_text(path, text, force=force)


def write_csv(
    path: str | Path, rows: list[dict[str, Any]], columns: list[str], *, force: bool = False
) -> Path:
    """CSV with a header row, `\\n` line ends, missing values as empty cells."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n",
                            extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return atomic_write_text(path, buffer.getvalue(), force=force)


class ScoredResult(Protocol):
    """What `write_result_files` needs: a signature, a JSON form and per-case rows."""

    @property
    def signature(self) -> Any: ...

    def to_dict(self) -> dict[str, Any]: ...

    def per_case_rows(self) -> list[dict[str, Any]]: ...


def refuse_existing(*paths: Path | None, force: bool) -> None:
    """Fail before any work is done when an output would replace a file without --force."""
    for path in paths:
        if path is not None and Path(path).exists() and not force:
            raise _exists_error(Path(path))


def write_result_files(
    result: ScoredResult, *, output: Path | None, per_case: Path | None, force: bool
) -> None:
    """`--output` as JSON and `--per-case` as .jsonl or .csv; every row carries the signature,
    so a row copied elsewhere still says what it is."""
    if output is not None:
        write_json(output, result.to_dict(), force=force)
    if per_case is None:
        return
    signature = result.signature.format()
    rows = [{**row, "signature": signature} for row in result.per_case_rows()]
    if Path(per_case).suffix.lower() == ".jsonl":
        write_jsonl(per_case, rows, force=force)
    else:
        flat = [
            {k: "; ".join(map(str, v)) if isinstance(v, list) else v for k, v in row.items()}
            for row in rows
        ]
        write_csv(per_case, flat, csv_columns(flat), force=force)


def csv_columns(rows: list[dict[str, Any]]) -> list[str]:
    """Every key of any row, in first-seen order: rows of different kinds (B1 rows without
    the similarity columns of B2/B3 rows) share one header and no cell is dropped."""
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    return list(columns) or ["signature"]
