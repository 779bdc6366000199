"""A file lock beside what is being prepared, so two processes never prepare it at once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reg_eval.errors import UsageError

LOCK_TIMEOUT_S = 1800
"""How long a process waits while another one prepares the same model."""


@contextmanager
def lock_beside(target: Path) -> Iterator[None]:
    """Hold `<target>.lock`; a second process waits, and gives up with a clear error.

    Everything that prepares a model runs inside this lock, so a cache folder that cannot be
    written (a path under a file, read-only, full) is reported here, once, as a usage error.
    """
    from filelock import FileLock, Timeout

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(target) + ".lock", timeout=LOCK_TIMEOUT_S)
        with lock:
            yield
    except Timeout:
        raise UsageError(
            f"another process has been preparing {target} for {LOCK_TIMEOUT_S} s",
            hint=f"if no other reg-eval is running, delete {target}.lock and retry",
        ) from None
    except OSError as exc:
        raise UsageError(
            f"cannot prepare {target}: {exc.strerror or exc}"
            + (f" ({exc.filename})" if exc.filename else ""),
            hint="pass --cache-dir (or set REG_EVAL_CACHE_DIR) to a writable folder with space",
        ) from exc
