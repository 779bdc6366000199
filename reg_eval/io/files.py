"""Reading an input file whole: within `--max-upload-mb`, and every failure named.

Anything that stops the read (a missing path, a folder, a permission, a link loop) is a
`UsageError` (exit 2); a file over the limit is `LimitExceeded` (exit 1) and is not read.
"""

from __future__ import annotations

import os
from pathlib import Path

from reg_eval.errors import RegEvalError, UsageError
from reg_eval.io.limits import Limits, current_limits, too_large

CONVERT_FOLDER_HINT = ("pass the JSON file itself; `reg-eval convert FOLDER --out "
                       "predictions.json` turns a folder of <id>.txt files into one")
"""What to do with a folder given for a file of report predictions."""


def read_input_bytes(
    path: Path, what: str = "file", *, limits: Limits | None = None,
    folder_hint: str | None = None,
) -> bytes:
    """Read a whole file, up to `--max-upload-mb`; anything that stops it is a UsageError (exit 2),
    a file over the limit is `LimitExceeded` (exit 1) and is not read. `folder_hint` says what
    to do when `path` is a folder (default: pass the file itself)."""
    limits = limits or current_limits()
    try:
        if path.is_dir():
            raise UsageError(
                f"{path} is a folder, not a {what}",
                hint=folder_hint or f"pass the {what} itself, not the folder holding it",
            )
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > limits.max_upload_bytes:
                raise too_large(f"{path}", size, limits)
            # A pipe or device reports no size: read one byte past the limit to know.
            data = handle.read(limits.max_upload_bytes + 1)
        if len(data) > limits.max_upload_bytes:
            raise too_large(f"{path}", len(data), limits)
        return data
    except RegEvalError:
        raise
    except FileNotFoundError:
        raise UsageError(f"{path}: no such {what}", hint="check the path") from None
    except PermissionError:
        raise UsageError(
            f"{path}: permission denied", hint="make the file readable (chmod +r)"
        ) from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise UsageError(f"{path}: cannot read the {what} ({reason})") from None
