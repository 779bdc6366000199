"""Which device and precision a model runs in, checked before any weights are loaded.

The official REG code runs in float32 on the CPU; any other choice changes the numbers a
little and must be asked for. Names are checked without importing torch, so option parsing
stays cheap on a fully cached run.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from reg_eval.errors import UsageError

if TYPE_CHECKING:
    import torch

DEVICE_CHOICES: tuple[str, ...] = ("auto", "cpu", "cuda")
DTYPE_CHOICES: tuple[str, ...] = ("float32", "bfloat16", "float16")
DEFAULT_DTYPE = "float32"
"""The official computation's precision."""


def check_device_name(device: str) -> str:
    """Accept auto, cpu, cuda or cuda:N without importing torch."""
    name = device.strip().lower()
    if name in DEVICE_CHOICES:
        return name
    prefix, _, index = name.partition(":")
    if prefix == "cuda" and index.isdigit():
        return name
    raise UsageError(
        f"unknown device {device!r}",
        hint="use --device auto, cpu, cuda or cuda:N (auto picks cuda when a GPU is visible)",
    )


def check_dtype_name(dtype: str, *, option: str = "--dtype") -> str:
    """Accept float32, bfloat16 or float16 without importing torch; `option` is the command-line
    option the hint names."""
    name = dtype.strip().lower()
    if name in DTYPE_CHOICES:
        return name
    raise UsageError(
        f"unknown dtype {dtype!r}",
        hint=f"use {option} float32 (the official precision), bfloat16 or float16",
    )


def resolve_device(device: str = "auto") -> str:
    """`auto` becomes cuda when torch sees a GPU, else cpu; cuda without a GPU is an error."""
    import torch

    name = check_device_name(device)
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise UsageError(
                f"--device {name} was asked for but torch sees no CUDA GPU",
                hint="use --device cpu or --device auto, or install a CUDA build of torch",
            )
        _, _, index = name.partition(":")
        if index and int(index) >= torch.cuda.device_count():
            raise UsageError(
                f"--device {name}: only {torch.cuda.device_count()} CUDA device(s) are visible",
                hint="pick an index below that, or check CUDA_VISIBLE_DEVICES",
            )
    return name


def torch_device(device: str = "auto") -> torch.device:
    """`resolve_device` as a `torch.device`, for code that moves tensors and modules."""
    import torch

    return torch.device(resolve_device(device))


def resolve_device_type(device: str = "auto") -> str:
    """"cpu" or "cuda": the kind of device `resolve_device` will pick, for cache keys.

    `auto` is resolved without importing torch when no GPU can be present (no NVIDIA or
    ROCm device node on Linux, or macOS), so a fully cached CPU run stays cheap; otherwise
    torch is asked, exactly as `resolve_device` asks it.
    """
    name = check_device_name(device)
    if name != "auto":
        return name.partition(":")[0]
    if "torch" not in sys.modules and not _gpu_may_be_present():
        return "cpu"
    return resolve_device("auto").partition(":")[0]


_GPU_DEVICE_NODES = ("/dev/nvidiactl", "/dev/nvidia0", "/proc/driver/nvidia", "/dev/kfd")
"""NVIDIA's driver nodes, and ROCm's (whose torch builds answer through torch.cuda)."""


def _gpu_may_be_present() -> bool:
    if sys.platform == "darwin":
        return False  # no CUDA build of torch exists for macOS
    if sys.platform.startswith("linux"):
        return any(os.path.exists(node) for node in _GPU_DEVICE_NODES)
    return True


@contextmanager
def exact_float32() -> Iterator[None]:
    """float32 matmuls in full float32 (no TF32 or bfloat16 shortcuts) inside the block only.

    The previous setting is restored afterwards, so a training loop around a reward
    function keeps its own choice. (The setting is process-wide while the block runs.)
    """
    import torch

    previous = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision("highest")
    try:
        yield
    finally:
        torch.set_float32_matmul_precision(previous)


def out_of_memory_error(what: str, device: str, exc: BaseException) -> UsageError:
    """The message for a model that does not fit on the GPU while it is being moved there."""
    detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return UsageError(
        f"out of GPU memory while moving {what} to {device}: {detail}",
        hint="free the GPU, use --device cpu, a lower precision (--dtype bfloat16, not "
        "comparable with the leaderboard) or a smaller --batch-size",
    )


def out_of_memory_types() -> tuple[type[BaseException], ...]:
    """torch's out-of-memory exception (its name moved between torch versions)."""
    import torch

    found = getattr(torch, "OutOfMemoryError", None) or getattr(
        torch.cuda, "OutOfMemoryError", None
    )
    return (found,) if isinstance(found, type) else ()


def torch_dtype(dtype: str = DEFAULT_DTYPE) -> torch.dtype:
    """The torch dtype of a checked name (float32, bfloat16 or float16): the one name map."""
    import torch

    dtype_of: dict[str, torch.dtype] = {
        "float32": torch.float32,
        "bfloat16": torch.bfloat16,
        "float16": torch.float16,
    }
    return dtype_of[check_dtype_name(dtype)]


def resolve_dtype(
    dtype: str = DEFAULT_DTYPE, device: str = "cpu", *, option: str = "--dtype"
) -> torch.dtype:
    """The torch dtype for a name; refuses a precision the device cannot run (the hint names
    the command-line `option` that chose it)."""
    import torch

    name = check_dtype_name(dtype, option=option)
    chosen = torch_dtype(name)
    if chosen is torch.float32:
        return chosen
    if device.startswith("cuda"):
        if chosen is torch.bfloat16 and not torch.cuda.is_bf16_supported():
            raise UsageError(
                f"this GPU does not support {name}",
                hint=f"use {option} float16 or {option} float32",
            )
        return chosen
    if not _cpu_supports(chosen):
        raise UsageError(
            f"this torch build cannot run {name} on the CPU",
            hint=f"use {option} float32 on the CPU, or --device cuda",
        )
    return chosen


def _cpu_supports(dtype: torch.dtype) -> bool:
    """Probe the operations a transformer needs rather than trusting version numbers."""
    import torch

    try:
        x = torch.ones(2, 4, dtype=dtype)
        y = torch.nn.functional.layer_norm(x @ x.T, (2,))
        torch.nn.functional.scaled_dot_product_attention(x[None], x[None], x[None])
        return bool(torch.isfinite(y.float()).all())
    except (RuntimeError, NotImplementedError):
        return False
