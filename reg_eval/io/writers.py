"""Atomic writers: a temp file in the target's folder, fsync, then os.replace.

A reader never sees half a file, an interrupted run leaves no temp file behind, and an
existing file is never replaced unless the caller passes `force=True` (`--force`).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from reg_eval.errors import UsageError


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write_bytes(path: str | Path, data: bytes, *, force: bool = False) -> Path:
    """Write `data` to `path` in one step; refuse an existing target unless `force`."""
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{path} is a folder", hint="give a file name for the output")
    exists = path.exists()
    if exists and not force:
        raise UsageError(f"{path} already exists", hint="pass --force to overwrite it")
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the folder {folder} ({exc.strerror or exc})") from None
    mode = path.stat().st_mode & 0o7777 if exists else _default_mode()
    try:
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise UsageError(f"cannot write in {folder} ({exc.strerror or exc})") from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            os.fchmod(handle.fileno(), mode)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise UsageError(f"cannot write {path} ({exc.strerror or exc})") from None
        raise
    _fsync_folder(folder)
    return path


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable where the platform allows it."""
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
            raise UsageError(f"{path} exists", hint="choose another path or pass --force")


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
        write_csv(per_case, flat, list(flat[0]) if flat else ["signature"], force=force)
