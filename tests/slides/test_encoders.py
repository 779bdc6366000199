"""Encoders: the built-in `tiny`, a local transformers folder, and the errors with hints."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from reg_eval.errors import UsageError
from reg_eval.slides.encoders import load_encoder
from reg_eval.slides.extract import BatchEncoder


def test_tiny_is_fixed() -> None:
    import torch

    first, second = load_encoder("tiny"), load_encoder("tiny")
    assert first.dim == 64 and first.identity == second.identity
    x = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert torch.equal(first.module(x), second.module(x))
        assert first.module(x).shape == (2, 64)


@pytest.fixture(scope="module")
def vit_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from transformers import ViTConfig, ViTModel

    torch.manual_seed(0)
    config = ViTConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                       intermediate_size=64, image_size=32, patch_size=8)
    folder = tmp_path_factory.mktemp("vit") / "vit"
    ViTModel(config).save_pretrained(folder)
    (folder / "preprocessor_config.json").write_text(json.dumps({
        "image_mean": [0.5, 0.5, 0.5], "image_std": [0.25, 0.25, 0.25],
        "size": {"height": 32, "width": 32}}))
    return folder


def test_local_transformers_folder(vit_folder: Path) -> None:
    import torch

    encoder = load_encoder(str(vit_folder))
    assert encoder.dim == 32 and encoder.source == "folder" and encoder.input_size == 32
    assert encoder.mean == (0.5, 0.5, 0.5) and len(encoder.identity["sha256"]) == 64
    patches = torch.randint(0, 256, (3, 3, 64, 64), dtype=torch.uint8,
                            generator=torch.Generator().manual_seed(2))
    features = BatchEncoder(encoder, torch.device("cpu"), "float32")(patches)
    assert features.shape == (3, 32) and np.isfinite(features).all()
    # the CLS token of the last hidden state, after resizing to 32 and normalising
    from transformers import ViTModel

    model = ViTModel.from_pretrained(vit_folder).eval()
    x = torch.nn.functional.interpolate(patches.float() / 255, size=(32, 32), mode="bilinear",
                                        align_corners=False, antialias=True)
    with torch.no_grad():
        cls = model(pixel_values=(x - 0.5) / 0.25).last_hidden_state[:, 0]
    np.testing.assert_allclose(features, cls.numpy(), rtol=1e-5, atol=1e-5)


def test_bf16_autocast_stays_close(vit_folder: Path) -> None:
    import torch

    encoder = load_encoder(str(vit_folder))
    patches = torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8,
                            generator=torch.Generator().manual_seed(3))
    full = BatchEncoder(encoder, torch.device("cpu"), "float32")(patches)
    half = BatchEncoder(encoder, torch.device("cpu"), "bfloat16")(patches)
    assert half.dtype == np.float32 and not np.array_equal(full, half)
    assert np.abs(full - half).max() < 0.1 * np.abs(full).max()


def test_unloadable_encoders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants

    # as on a machine without the hub (read at import, so set on the module)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(UsageError, match="cannot load encoder") as caught:
        load_encoder("some-org/no-such-pathology-encoder")
    assert "local folder" in str(caught.value) and "log in" in str(caught.value)
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match=r"no config\.json"):
        load_encoder(str(tmp_path / "empty"))
    with pytest.raises(UsageError, match="not a folder"):
        load_encoder(str(tmp_path / "missing"))


@pytest.mark.skipif(importlib.util.find_spec("timm") is not None, reason="timm is installed")
def test_timm_names_without_timm() -> None:
    with pytest.raises(UsageError, match="needs timm"):
        load_encoder("timm/vit_small_patch16_224")
