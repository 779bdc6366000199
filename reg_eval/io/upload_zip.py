"""A zip upload holding one JSON file: read member by member, its real size counted.

grand-challenge lets a participant upload a zip; the predictions inside are read without
trusting the archive. The central directory is checked before `zipfile` reads it (no ZIP64,
no directory larger than one JSON member needs), the member must be the one JSON file (macOS
metadata and hidden files aside), unencrypted and compressed with a method the standard
library reads, and it is unpacked in chunks that stop at `--max-decompressed-mb` whatever its
header declares. Every refusal is a `SubmissionRejected` (or `LimitExceeded`) that names the
fix.
"""

from __future__ import annotations

import io
import lzma
import struct
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from reg_eval.io.findings import shown
from reg_eval.io.jobs import SubmissionRejected
from reg_eval.io.limits import MAX_ZIP_MEMBERS, MIB, LimitExceeded, Limits, too_large

ZIP_MAGIC = b"PK\x03\x04"
"""The first bytes of a zip file: an upload that starts with them is read as one."""


def is_zip(path: Path) -> bool:
    """True when the file starts like a zip archive (whatever its name)."""
    with Path(path).open("rb") as handle:
        return handle.read(len(ZIP_MAGIC)) == ZIP_MAGIC


_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22
_MAX_CENTRAL_DIRECTORY = 4 * 1024 * 1024
_ZIP_METHODS = {
    zipfile.ZIP_STORED: "stored",
    zipfile.ZIP_DEFLATED: "deflate",
    zipfile.ZIP_BZIP2: "bzip2",
    zipfile.ZIP_LZMA: "lzma",
}
_ZIP_READ_ERRORS = (
    zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, RuntimeError,
    NotImplementedError, ValueError, struct.error, lzma.LZMAError,
)
_CHUNK = 1024 * 1024


def _zip_refused(message: str) -> SubmissionRejected:
    return SubmissionRejected(
        message, hint="upload the predictions JSON file itself, or a plain zip of that one file"
    )


def _check_central_directory(handle: BinaryIO, size: int) -> None:
    """Refuse, before zipfile reads it, a central directory too large for one JSON member."""
    tail_size = min(size, _EOCD_SIZE + 0xFFFF)
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < _EOCD_SIZE:
        raise _zip_refused("the upload starts like a zip file but has no zip directory")
    fields = struct.unpack("<4s4H2LH", tail[at : at + _EOCD_SIZE])
    entries, directory_size = fields[4], fields[5]
    if entries == 0xFFFF or directory_size == 0xFFFFFFFF:
        raise _zip_refused("the upload is a ZIP64 archive, which is not accepted")
    if entries > MAX_ZIP_MEMBERS or directory_size > _MAX_CENTRAL_DIRECTORY:
        raise _zip_refused(
            f"the uploaded zip lists {entries:,} entries in a {directory_size:,}-byte directory; "
            "it should hold one JSON file"
        )


def read_zip_member(upload: Path, limits: Limits) -> tuple[str, bytes]:
    """(member name, content) of the one JSON file in a zip upload, read up to the limits."""
    size = upload.stat().st_size
    if size > limits.max_upload_bytes:
        raise too_large(f"the upload {upload.name}", size, limits)
    try:
        with upload.open("rb") as handle:
            _check_central_directory(handle, size)
            handle.seek(0)
            with zipfile.ZipFile(handle) as archive:
                member = _single_json_member(archive)
                name = shown(member.filename, 120)
                if member.flag_bits & 0x1:
                    raise _zip_refused(f"the zip member {name} is encrypted")
                if member.compress_type not in _ZIP_METHODS:
                    raise _zip_refused(
                        f"the zip member {name} uses compression method {member.compress_type}; "
                        f"accepted: {', '.join(_ZIP_METHODS.values())}"
                    )
                if member.file_size > limits.max_decompressed_bytes:
                    raise _decompressed_too_large(name, member.file_size, limits)
                content = io.BytesIO()
                with archive.open(member) as stream:
                    while chunk := stream.read(_CHUNK):
                        content.write(chunk)
                        if content.tell() > limits.max_decompressed_bytes:
                            raise _decompressed_too_large(name, None, limits)
                return member.filename, content.getvalue()
    except SubmissionRejected:
        raise
    except _ZIP_READ_ERRORS as exc:
        reason = shown(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, 120)
        raise _zip_refused(f"the uploaded zip cannot be read ({reason})") from None


def _decompressed_too_large(name: str, size: int | None, limits: Limits) -> LimitExceeded:
    declared = f"declares {size / MIB:,.1f} MB," if size is not None else "unpacks to"
    return LimitExceeded(
        f"the zip member {name} {declared} more than the limit of "
        f"{limits.max_decompressed_mb:,} MB (--max-decompressed-mb); reading stopped",
        hint="a REG submission is a few megabytes of JSON: upload the file itself",
    )


def _single_json_member(archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    members = [
        info
        for info in archive.infolist()
        if not info.is_dir()
        and not PurePosixPath(info.filename).name.startswith(".")
        and "__MACOSX" not in PurePosixPath(info.filename).parts
    ]
    jsons = [m for m in members if m.filename.lower().endswith(".json")]
    chosen = jsons if jsons else members
    if len(chosen) != 1:
        names = ", ".join(shown(m.filename, 60) for m in chosen[:5]) or "nothing"
        raise _zip_refused(f"the uploaded zip must hold exactly one JSON file; it holds {names}")
    return chosen[0]
