"""`slides fix`: a copy of a slide whose only change is the value of tag 262.

This is what `tiffset -s 262 6 slide.tiff` does, without touching the original: the file is
streamed into the project's atomic writer (a temporary file beside the target), the tag value
is written over in the copy (two bytes in each affected IFD entry), the fsynced copy is
re-read and compared byte for byte with the source, and only then moved into place.
`in_place` renames the fixed copy over the source, so an interruption leaves either the old
file or the new one, never half of one.

In place, a symbolic link is followed: the slide it points to is fixed and the link stays.
A file with several hard links is refused unless `break_hard_links` (the other names would
keep the old content). The temporary copy is locked while it is written and verified; an
interrupted fix (SIGINT, SIGTERM) removes it, and one killed outright leaves it to the next
fix of that slide, which removes temporary copies whose writer is gone.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.io.writers import atomic_file
from reg_eval.models.hashing import sha256_file
from reg_eval.slides import bounds, tiff
from reg_eval.slides.check import check_slide

CHUNK = 8 * 1024 * 1024
_FORMATS = {3: "H", 4: "I"}  # SHORT, LONG
STALE_SECONDS = 60
"""A temporary copy untouched this long and not locked by a running fix is left over."""


@dataclass
class FixResult:
    source: Path
    target: Path | None
    status: str  # "fixed", "nothing-to-fix"
    pages: list[int] = field(default_factory=list)
    old_value: int | None = None
    new_value: int | None = None
    source_sha256: str = ""
    target_sha256: str = ""
    changed_offsets: list[int] = field(default_factory=list)


def _tag_fields(path: Path, page_indices: list[int]) -> list[tuple[int, str]]:
    """(file offset, struct format) of the tag 262 value on each page to change."""
    import tifffile

    fields: list[tuple[int, str]] = []
    with tifffile.TiffFile(path) as handle:
        for index in page_indices:
            tag = handle.pages[index].tags[tiff.TAG_PHOTOMETRIC]
            if tag.count != 1 or tag.dtype not in _FORMATS:
                raise InvalidInputError(
                    f"{path}: tag 262 on page {index} has type {tag.dtype} and count "
                    f"{tag.count}; only a single SHORT or LONG value can be rewritten",
                    hint="rewrite this slide with a TIFF tool",
                )
            fields.append((int(tag.valueoffset), handle.byteorder + _FORMATS[tag.dtype]))
    return fields


def _differing_offsets(a: Path, b: Path) -> list[int]:
    """Byte offsets where two files of equal length differ (the verification)."""
    offsets: list[int] = []
    with a.open("rb") as fa, b.open("rb") as fb:
        position = 0
        while True:
            chunk_a, chunk_b = fa.read(CHUNK), fb.read(CHUNK)
            if len(chunk_a) != len(chunk_b):
                raise InvalidInputError(f"{b} and {a} differ in length after copying")
            if not chunk_a:
                return offsets
            if chunk_a != chunk_b:
                offsets.extend(position + i for i, (x, y) in enumerate(
                    zip(chunk_a, chunk_b, strict=True)) if x != y)
            position += len(chunk_a)


def _temp_pattern(name: str) -> re.Pattern[str]:
    """Names of the temporary copies the atomic writer makes for `name` (mkstemp's)."""
    return re.compile(rf"\.{re.escape(name)}\.[A-Za-z0-9_]{{8}}\.tmp")


def _try_lock(handle: IO[bytes]) -> bool:
    try:
        import fcntl
    except ImportError:  # no advisory locks here: never take another writer's file
        return False
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def clean_stale_temps(target: Path, *, stale_seconds: float = STALE_SECONDS) -> list[Path]:
    """Remove temporary copies of `target` left by a fix that was killed: only files named
    as the writer names them, untouched for `stale_seconds`, and not locked by a running fix."""
    target = Path(target)
    pattern = _temp_pattern(target.name)
    removed: list[Path] = []
    folder = target.parent
    if not folder.is_dir():
        return removed
    now = time.time()
    for entry in folder.iterdir():
        if not pattern.fullmatch(entry.name):
            continue
        try:
            info = entry.lstat()
            if not entry.is_file() or entry.is_symlink() or now - info.st_mtime < stale_seconds:
                continue
            with entry.open("rb") as handle:
                if _try_lock(handle):
                    entry.unlink()
                    removed.append(entry)
        except OSError:
            continue
    return removed


def _hold_lock(out: IO[bytes], target: Path, stack: contextlib.ExitStack) -> None:
    """Lock the temporary copy behind `out` until the fix ends, so no cleaner takes it."""
    inode = os.fstat(out.fileno()).st_ino
    pattern = _temp_pattern(target.name)
    for entry in target.parent.iterdir():
        if pattern.fullmatch(entry.name):
            with contextlib.suppress(OSError):
                if entry.lstat().st_ino == inode:
                    handle = stack.enter_context(entry.open("rb"))
                    _try_lock(handle)
                    return


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt inside the block (as SIGINT does), so the atomic
    writer removes its temporary copy instead of the process dying with it on disk."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: signals cannot be handled here
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def fixable_file(source: Path, *, in_place: bool, break_hard_links: bool) -> Path:
    """The file a fix of `source` writes from (under `in_place`, a link's target: the link
    stays); a FIFO, device or folder, or under `in_place` a file with other hard links, is
    a UsageError. `slides fix` asks this of every source before it writes anything."""
    source = Path(source)
    kind = bounds.file_kind(source)
    if kind is not None:
        raise UsageError(f"{source}: the slide is {kind}, not a regular file",
                         hint="pass slide files or folders that hold them")
    if in_place and source.is_symlink():
        source = source.resolve()  # fix the slide the link points to; the link stays
    if in_place:
        links = os.stat(source).st_nlink
        if links > 1 and not break_hard_links:
            raise UsageError(
                f"{source} has {links} hard links: replacing it in place would leave the "
                "other names with the old tag 262",
                hint="fix a copy with --out DIR, or pass --break-hard-links to fix this name "
                "only")
    return source


def fix_slide(source: Path, *, out_dir: Path | None = None, in_place: bool = False,
              force: bool = False, break_hard_links: bool = False) -> FixResult:
    """Write the fixed copy (or replace the source under `in_place`) and verify it."""
    source = Path(source)
    if (out_dir is None) == (not in_place):
        raise UsageError("give either --out DIR or --in-place",
                         hint="--out writes fixed copies and leaves the sources as they are")
    source = fixable_file(source, in_place=in_place, break_hard_links=break_hard_links)
    verdict = check_slide(source, decode=False)
    if not verdict.readable:
        reasons = "; ".join(f"{f.code}: {f.message}" for f in verdict.problems)
        raise InvalidInputError(f"{source}: cannot fix an unreadable slide ({reasons})",
                                hint="a truncated or broken file needs a fresh download")
    pages = verdict.fixable_pages
    if not pages:
        return FixResult(source, None, "nothing-to-fix")
    new_values = {p.right_photometric for p in pages}
    if len(new_values) != 1:
        raise InvalidInputError(f"{source}: pages call for different tag values {new_values}")
    new_value = int(next(iter(new_values)))  # type: ignore[arg-type]
    target = source if in_place else Path(out_dir) / source.name  # type: ignore[arg-type]
    if not in_place:
        if target.resolve() == source.resolve():
            raise UsageError(f"--out {out_dir} is the folder of {source}",
                             hint="choose another folder, or pass --in-place")
        if target.exists() and not force:
            raise UsageError(f"{target} already exists", hint="pass --force to replace it")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot create {target.parent} ({exc.strerror or exc})") from None
    fields = _tag_fields(source, [p.index for p in pages])
    source_sha = sha256_file(source)
    changed_offsets: list[int] = []  # filled by verify()
    copy_sha: list[str] = []

    def verify(copy: Path) -> None:
        """Re-read the finished copy before it is moved into place."""
        changed = _differing_offsets(source, copy)
        allowed = {offset + i for offset, fmt in fields for i in range(struct.calcsize(fmt))}
        if not set(changed) <= allowed:
            raise InvalidInputError(f"{source}: the copy differs outside tag 262 "
                                    f"(first at byte {min(set(changed) - allowed)})")
        recheck = tiff.read_tiff_info(copy)
        fixed_pages = {p.index for p in pages}
        still_wrong = [p.index for p in recheck.pages
                       if p.photometric_wrong or (p.index in fixed_pages
                                                  and p.photometric != new_value)]
        if still_wrong:
            raise InvalidInputError(f"{source}: tag 262 still wrong after rewriting "
                                    f"(pages {still_wrong})")
        if sha256_file(source) != source_sha:
            raise UsageError(f"{source} changed while it was being copied",
                             hint="run the fix again once nothing writes the slide")
        changed_offsets[:] = changed
        copy_sha[:] = [sha256_file(copy)]

    clean_stale_temps(target)
    # in place, the source is the target: its permission bits carry over to the copy
    with contextlib.ExitStack() as locks, \
            atomic_file(target, force=force or in_place, verify=verify) as out, \
            source.open("rb") as src:
        _hold_lock(out, target, locks)
        shutil.copyfileobj(src, out, CHUNK)
        for offset, fmt in fields:
            out.seek(offset)
            out.write(struct.pack(fmt, new_value))
    return FixResult(source, target, "fixed", [p.index for p in pages], pages[0].photometric,
                     new_value, source_sha, copy_sha[0], changed_offsets)
