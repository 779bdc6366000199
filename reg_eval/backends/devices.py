"""Which device and precision a model runs in, checked before any weights are loaded.

The official REG code runs in float32 on the CPU; any other choice changes the numbers a
little and must be asked for. Names are checked without importing torch, so option parsing
stays cheap on a fully cached run.
"""

from __future__ import annotations

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


def check_dtype_name(dtype: str) -> str:
    """Accept float32, bfloat16 or float16 without importing torch."""
    name = dtype.strip().lower()
    if name in DTYPE_CHOICES:
        return name
    raise UsageError(
        f"unknown dtype {dtype!r}",
        hint="use --dtype float32 (the official precision), bfloat16 or float16",
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


def resolve_dtype(dtype: str = DEFAULT_DTYPE, device: str = "cpu") -> torch.dtype:
    """The torch dtype for a name; refuses a precision the device cannot run."""
    import torch

    name = check_dtype_name(dtype)
    torch_dtype = {
        "float32": torch.float32,
        "bfloat16": torch.bfloat16,
        "float16": torch.float16,
    }[name]
    if torch_dtype is torch.float32:
        return torch_dtype
    if device.startswith("cuda"):
        if torch_dtype is torch.bfloat16 and not torch.cuda.is_bf16_supported():
            raise UsageError(
                f"this GPU does not support {name}",
                hint="use --dtype float16 or --dtype float32",
            )
        return torch_dtype
    if not _cpu_supports(torch_dtype):
        raise UsageError(
            f"this torch build cannot run {name} on the CPU",
            hint="use --dtype float32 on the CPU, or --device cuda",
        )
    return torch_dtype


def _cpu_supports(torch_dtype: torch.dtype) -> bool:
    """Probe the operations a transformer needs rather than trusting version numbers."""
    import torch

    try:
        x = torch.ones(2, 4, dtype=torch_dtype)
        y = torch.nn.functional.layer_norm(x @ x.T, (2,))
        torch.nn.functional.scaled_dot_product_attention(x[None], x[None], x[None])
        return bool(torch.isfinite(y.float()).all())
    except (RuntimeError, NotImplementedError):
        return False
