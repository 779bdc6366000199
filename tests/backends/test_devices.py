"""Device and precision names: one check for every caller, a bad `cuda:N` refused clearly."""

from __future__ import annotations

import pytest

from reg_eval.backends import devices
from reg_eval.errors import UsageError


@pytest.mark.parametrize("name", ["cuda:x", "cuda:", "cuda:-1", "cuda:0:1", "cuda0", "gpu", ""])
def test_a_malformed_device_name_is_refused_before_torch_is_asked(name: str) -> None:
    with pytest.raises(UsageError, match="unknown device") as caught:
        devices.check_device_name(name)
    assert "cuda:N" in (caught.value.hint or "")


@pytest.mark.parametrize(("name", "expected"), [
    ("auto", "auto"), ("CPU", "cpu"), (" cuda ", "cuda"), ("cuda:0", "cuda:0"),
    ("cuda:12", "cuda:12"),
])
def test_well_formed_device_names_are_kept(name: str, expected: str) -> None:
    assert devices.check_device_name(name) == expected


def test_a_cuda_index_past_the_visible_devices_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert devices.resolve_device("cuda:1") == "cuda:1"
    with pytest.raises(UsageError, match=r"--device cuda:2: only 2 CUDA device\(s\) are visible"):
        devices.resolve_device("cuda:2")
    with pytest.raises(UsageError, match="only 2 CUDA"):
        devices.torch_device("cuda:7")


def test_torch_device_without_a_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert devices.torch_device("auto") == torch.device("cpu")
    assert devices.torch_device("cpu") == torch.device("cpu")
    with pytest.raises(UsageError, match="no CUDA GPU"):
        devices.torch_device("cuda:0")


def test_the_one_dtype_map() -> None:
    import torch

    assert devices.torch_dtype("float32") is torch.float32
    assert devices.torch_dtype("BFloat16") is torch.bfloat16
    assert devices.torch_dtype("float16") is torch.float16
    with pytest.raises(UsageError, match="unknown dtype 'float64'"):
        devices.torch_dtype("float64")
