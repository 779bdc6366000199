"""How much of a slide the readers decode before they stop and say so.

A slide file says how large its image, tiles and strips are; a broken or hostile file can
say anything (a 2 KB file declaring a 30000 x 30000 tile, a million-pixel-square slide in
700 KB). Every slide reader checks two limits before it decodes or allocates, so such a
file ends with a message naming the slide, the limit and the option that raises it:

- `--max-decoded-mb`: the decoded bytes of one tile, strip or region read at once. The
  default (64 MB) is far above a real tile (256 x 256 x 3 = 192 KB) or a strip of a real
  striped slide (100,000 pixels wide x 64 rows = 19 MB), and sized for the whole run: the
  main process and each of `features extract`'s data-loader workers (2 by default) may each
  hold one decoded strip while decoding the next, and all of them together, with torch,
  stay under the 1.5 GB a grader's machine allows.
- `--max-pixels-per-byte`: declared pixels of the largest page per byte of the file. JPEG
  and Deflate slides hold 2 to 50 pixels per byte, 200 where most tiles are empty glass;
  the default (1,000) refuses a header that declares an image its file cannot hold.

Only regular files are opened: a FIFO, device or socket named `.tiff` would block or
stream forever, so it is refused by its type before it is opened.
"""

from __future__ import annotations

import os
import stat
from contextlib import AbstractContextManager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.io.limits import MIB, LimitExceeded, require_whole_numbers, value_applied

DEFAULT_MAX_DECODED_MB = 64
DEFAULT_MAX_PIXELS_PER_BYTE = 1_000
MAX_IFDS = 1_024
"""Directories followed in one file: a slide has a few (levels, label, macro image)."""

OPTIONS = {"max_decoded_mb": "--max-decoded-mb", "max_pixels_per_byte": "--max-pixels-per-byte"}


@dataclass(frozen=True)
class SlideLimits:
    """The two slide limits; both are positive whole numbers."""

    max_decoded_mb: int = DEFAULT_MAX_DECODED_MB
    max_pixels_per_byte: int = DEFAULT_MAX_PIXELS_PER_BYTE

    def __post_init__(self) -> None:
        require_whole_numbers(self, OPTIONS)

    @property
    def max_decoded_bytes(self) -> int:
        return self.max_decoded_mb * MIB


DEFAULT_SLIDE_LIMITS = SlideLimits()
_CURRENT: ContextVar[SlideLimits] = ContextVar("reg_eval_slide_limits",
                                               default=DEFAULT_SLIDE_LIMITS)


def current_slide_limits() -> SlideLimits:
    """The limits in force: the defaults unless a command or caller applied others."""
    return _CURRENT.get()


def slide_limits_applied(limits: SlideLimits) -> AbstractContextManager[SlideLimits]:
    """Apply `limits` to every slide reader called inside the block."""
    return value_applied(_CURRENT, limits)


def decoded_mb_help() -> str:
    return ("Most MB one tile, strip or region of a slide may decode to "
            f"(default {DEFAULT_MAX_DECODED_MB}).")


def pixels_per_byte_help() -> str:
    return ("Most pixels a slide's largest page may declare per byte of its file "
            f"(default {DEFAULT_MAX_PIXELS_PER_BYTE:,}).")


class SlideStructureError(InvalidInputError):
    """The TIFF structure is broken in a way no reader should follow (a directory loop,
    a page of zero width, tile offsets missing)."""


def check_decoded(nbytes: int, what: str, where: Path | str,
                  limits: SlideLimits | None = None) -> None:
    """Refuse to decode or allocate `nbytes` for one tile, strip or region over the limit."""
    limits = limits or current_slide_limits()
    if nbytes > limits.max_decoded_bytes:
        needed = -(-nbytes // MIB)
        raise LimitExceeded(
            f"{where}: {what} would decode to {nbytes / MIB:,.1f} MB, over the limit of "
            f"{limits.max_decoded_mb:,} MB (--max-decoded-mb)",
            hint=f"if the slide is meant to be this large, pass --max-decoded-mb {needed}",
        )


def check_declared_pixels(pixels: int, file_size: int, what: str, where: Path | str,
                          limits: SlideLimits | None = None) -> None:
    """Refuse a page that declares more pixels than its file could hold."""
    limits = limits or current_slide_limits()
    if pixels > limits.max_pixels_per_byte * max(file_size, 1):
        needed = -(-pixels // max(file_size, 1))
        raise LimitExceeded(
            f"{where}: {what} declares {pixels:,} pixels in a file of {file_size:,} bytes, "
            f"more than {limits.max_pixels_per_byte:,} pixels per byte "
            "(--max-pixels-per-byte); the header claims an image the file cannot hold",
            hint="download the slide again; if it really is this sparse, pass "
            f"--max-pixels-per-byte {needed}",
        )


_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISDIR, "a folder"))


def file_kind(path: Path) -> str | None:
    """None for a regular file (links followed); else what it is, for the message."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "missing (no such file, or a link that points nowhere)"
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def require_regular_file(path: Path, what: str = "slide", *, usage: bool = False) -> None:
    """Refuse anything but a regular file, by its type, before it is opened: exit 1, or
    exit 2 with `usage` (an option's file, such as a slide list)."""
    kind = file_kind(Path(path))
    if kind is not None:
        error = UsageError if usage else InvalidInputError
        if kind.startswith(("missing", "unreadable")):
            raise error(f"{path}: the {what} is {kind}", hint="check the path")
        raise error(f"{path}: the {what} is {kind}, not a regular file",
                    hint=f"pass the {what} file itself")
