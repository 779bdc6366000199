"""How much input the readers accept before they stop and say so.

Every reader of submissions, ground truths, chains of thought and grand-challenge uploads
checks the same five limits, so a hostile or broken file ends with a clear message instead
of exhausting memory or time. The defaults sit far above any real REG submission (a few
thousand cases of a few hundred characters) and far below what would hurt a 2 GB container.

Commands set them with `--max-upload-mb`, `--max-decompressed-mb`, `--max-depth`,
`--max-report-chars` and `--max-cases`; Python callers use `limits_applied(Limits(...))`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.io.findings import Finding, make_finding

T = TypeVar("T")
MIB = 1024 * 1024
DEFAULT_MAX_UPLOAD_MB = 128
DEFAULT_MAX_DECOMPRESSED_MB = 128
DEFAULT_MAX_DEPTH = 32
DEFAULT_MAX_REPORT_CHARS = 100_000
DEFAULT_MAX_CASES = 200_000
MAX_ZIP_MEMBERS = 1_000
"""A zip upload holds one JSON file; a central directory of more entries is refused unread."""
VALUES_PER_CASE = 32
"""JSON values a file may hold per case allowed by `--max-cases` (a case needs 3, a job of the
grand-challenge job list about 40): what keeps a file within `--max-upload-mb` from
unpacking into gigabytes of tiny objects such as `[[{}, {}, {}, ...]]`."""


class LimitExceeded(InvalidInputError):
    """An input passed one of the limits (exit 1); the message names the option to raise."""


def require_whole_numbers(limits: object, option_names: dict[str, str]) -> None:
    """Every field of `limits` named in `option_names` is a whole number of 1 or more (not a
    bool); the error names the option that sets it."""
    for name, option in option_names.items():
        value = getattr(limits, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise UsageError(f"{option} must be a whole number of 1 or more, not {value!r}")


@contextmanager
def value_applied(variable: ContextVar[T], value: T) -> Iterator[T]:
    """`variable` holds `value` inside the block and its previous value after: how a set of
    limits reaches every reader a command calls without being passed down."""
    token = variable.set(value)
    try:
        yield value
    finally:
        variable.reset(token)


@dataclass(frozen=True)
class Limits:
    """The five limits; every field is a positive whole number."""

    max_upload_mb: int = DEFAULT_MAX_UPLOAD_MB
    """Size of any one input file as stored (an upload, a submission, a ground truth)."""
    max_decompressed_mb: int = DEFAULT_MAX_DECOMPRESSED_MB
    """Bytes read out of a zip upload; reading stops there whatever the header claims."""
    max_depth: int = DEFAULT_MAX_DEPTH
    """JSON nesting: a submission needs 2 levels, a grand-challenge job list about 8."""
    max_report_chars: int = DEFAULT_MAX_REPORT_CHARS
    """Characters in one report (a REG report has a few hundred)."""
    max_cases: int = DEFAULT_MAX_CASES
    """Items in one submission, ground truth or job list."""

    def __post_init__(self) -> None:
        require_whole_numbers(self, OPTION_NAMES)

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * MIB

    @property
    def max_decompressed_bytes(self) -> int:
        return self.max_decompressed_mb * MIB


OPTION_NAMES: dict[str, str] = {
    "max_upload_mb": "--max-upload-mb",
    "max_decompressed_mb": "--max-decompressed-mb",
    "max_depth": "--max-depth",
    "max_report_chars": "--max-report-chars",
    "max_cases": "--max-cases",
}
"""The command-line option that raises each limit; messages name it."""

DEFAULT_LIMITS = Limits()
_CURRENT: ContextVar[Limits] = ContextVar("reg_eval_limits", default=DEFAULT_LIMITS)


def current_limits() -> Limits:
    """The limits in force: the defaults unless a command or caller applied others."""
    return _CURRENT.get()


def limits_applied(limits: Limits) -> AbstractContextManager[Limits]:
    """Apply `limits` to every reader called inside the block (and restore them after)."""
    return value_applied(_CURRENT, limits)



def raise_hint(field: str, needed: str | None = None) -> str:
    """'pass --max-cases N to accept it', for a message about one limit."""
    value = needed or "with a larger value"
    return f"if the input is meant to be this large, pass {OPTION_NAMES[field]} {value}"


def too_large(what: str, size: int, limits: Limits) -> LimitExceeded:
    """The file-size refusal shared by every reader."""
    needed = -(-size // MIB)
    return LimitExceeded(
        f"{what} is {size / MIB:,.1f} MB, over the limit of {limits.max_upload_mb:,} MB "
        f"(--max-upload-mb)",
        hint=raise_hint("max_upload_mb", str(needed)),
    )


def nesting_depth(value: Any, stop_after: int) -> int:
    """The depth of lists and objects in a parsed JSON value (a scalar is 0), without recursion.

    Counting stops once `stop_after` is passed: the caller only needs to know that it was.
    """
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > deepest:
            deepest = depth
            if deepest > stop_after:
                return deepest
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def value_count_bound(data: bytes) -> int:
    """An upper bound on the JSON values in `data`, counted in C without parsing: every value
    but the first in a list or object follows a comma, and every list and object opens with a
    bracket (commas and brackets inside strings only raise the bound)."""
    return data.count(b",") + data.count(b"[") + data.count(b"{") + 1


def too_many_values(data: bytes, what: str, limits: Limits) -> LimitExceeded | None:
    """The refusal for a file that would parse into more values than `--max-cases` allows."""
    bound = value_count_bound(data)
    allowed = VALUES_PER_CASE * limits.max_cases
    if bound <= allowed:
        return None
    return LimitExceeded(
        f"{what} holds up to {bound:,} JSON values (counted by commas and brackets), more than "
        f"the {allowed:,} allowed ({VALUES_PER_CASE} per case, --max-cases "
        f"{limits.max_cases:,}); it is not parsed",
        hint="a submission is a flat list of {\"id\", \"report\"} objects; "
        + raise_hint("max_cases"),
    )


def depth_finding(
    depth: int | None,
    limits: Limits,
    *,
    file: str,
    offset: int | None = None,
    positions: Any = None,
    **where: Any,
) -> Finding:
    """E016: lists and objects nested deeper than `--max-depth` (or than the parser follows)."""
    if offset is not None and positions is not None:
        where["line"], where["column"] = positions.line_column(offset)
    how_deep = (
        f"more than {limits.max_depth} levels deep (--max-depth)" if depth is not None
        else "deeper than the reader can follow (about 1,000 levels)"
    )
    return make_finding(
        "E016",
        f"lists and objects are nested {how_deep}",
        file=file,
        hint="a submission is a list of flat {\"id\", \"report\"} objects (2 levels); "
        "remove the nesting",
        **where,
    )
