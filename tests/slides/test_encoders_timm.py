"""The timm encoders, each built as its card builds it at full width with one transformer
block and random weights: token layout, pooling and output dimension are the real ones.

References are computed the way the model cards do: the model's own timm forward for the
class-token encoders, the card's `cat([out[:, 0], out[:, 5:].mean(1)])` for Virchow2, and
plain attention written out with torch's scaled-dot-product for CONCH v1.5's pooler.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from reg_eval.errors import UsageError
from reg_eval.slides.encoders import find_entry, load_encoder
from reg_eval.slides.encoders.catalog import EncoderSpec
from reg_eval.slides.encoders.load import build_module, load_named

pytest.importorskip("timm", reason="timm is an optional extra (pip install 'reg-eval[timm]')")

# entry -> (tokens the normed last layer gives for one input, patch grid side)
TOKENS = {
    "uni": (1 + 14 * 14, 224),
    "uni2-h": (1 + 8 + 16 * 16, 224),
    "virchow2": (1 + 4 + 16 * 16, 224),
    "h-optimus-0": (1 + 4 + 16 * 16, 224),
    "h-optimus-1": (1 + 4 + 16 * 16, 224),
    "prov-gigapath": (1 + 14 * 14, 224),
    "conch": (1 + 28 * 28, 448),
    "conch-v1.5": (1 + 28 * 28, 448),
}
DIMS = {"uni": 1024, "uni2-h": 1536, "virchow2": 2560, "h-optimus-0": 1536,
        "h-optimus-1": 1536, "prov-gigapath": 1536, "conch": 512, "conch-v1.5": 768}


def one_block(name: str) -> EncoderSpec:
    spec = find_entry(name)
    assert spec is not None
    return dataclasses.replace(spec, arch={**spec.arch, "depth": 1})


@functools.lru_cache(maxsize=4)
def random_module(name: str) -> Any:
    """The entry with one block and random weights, built once for the tests below."""
    return _random(build_module(one_block(name)), seed=len(name))


def _random(module: Any, seed: int) -> Any:
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.05)
    return module.eval()


def _pixels(side: int, seed: int = 5) -> torch.Tensor:
    return torch.rand(2, 3, side, side, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("name", sorted(TOKENS))
def test_architecture_tokens_and_dimension(name: str) -> None:
    spec = one_block(name)
    module = random_module(name)
    trunk = module.trunk if name.startswith("conch") else module.backbone
    tokens, side = TOKENS[name]
    x = _pixels(side)
    with torch.no_grad():
        hidden = trunk.forward_features(x)
        out = module(x)
    assert hidden.shape == (2, tokens, spec.width)
    assert out.shape == (2, DIMS[name]) and torch.isfinite(out).all()


@pytest.mark.parametrize("name", ["uni", "uni2-h", "h-optimus-0", "prov-gigapath"])
def test_class_token_entries_match_timm_pooling(name: str) -> None:
    module = random_module(name)
    x = _pixels(224)
    with torch.no_grad():
        # the card's call: the model with num_classes=0 pools the class token itself
        np.testing.assert_allclose(module(x).numpy(), module.backbone(x).numpy(),
                                   rtol=1e-5, atol=1e-5)


def test_virchow2_concatenates_class_token_and_patch_mean() -> None:
    module = random_module("virchow2")
    x = _pixels(224)
    with torch.no_grad():
        output = module.backbone(x)  # global_pool="": all tokens
        class_token = output[:, 0]
        patch_tokens = output[:, 5:]  # after the class token and 4 register tokens
        expected = torch.cat([class_token, patch_tokens.mean(1)], dim=-1)
        np.testing.assert_allclose(module(x).numpy(), expected.numpy(), rtol=1e-5, atol=1e-5)
    assert expected.shape == (2, 2560)


def test_conch_v15_attentional_pooling() -> None:
    module = random_module("conch-v1.5")
    x = _pixels(448)
    pool = module.attn_pool_contrast
    with torch.no_grad():
        tokens = module.trunk.forward_features(x)
        q = pool.to_q(pool.ln_q(pool.query))  # (1, 768)
        k, v = pool.to_kv(pool.ln_k(tokens)).split(768, dim=-1)
        heads = [
            torch.nn.functional.scaled_dot_product_attention(
                q[None, :, h * 96:(h + 1) * 96].expand(2, -1, -1),
                k[..., h * 96:(h + 1) * 96], v[..., h * 96:(h + 1) * 96])
            for h in range(8)
        ]
        pooled = pool.to_out(torch.cat(heads, dim=-1)[:, 0])
        expected = torch.nn.functional.layer_norm(pooled, (768,), module.ln_contrast.weight,
                                                  module.ln_contrast.bias)
        np.testing.assert_allclose(module(x).numpy(), expected.numpy(), rtol=1e-4, atol=1e-5)


def test_conch_multi_head_pooling() -> None:
    """CONCH v1: query 512 wide, keys and values projected from the 768-wide tokens,
    8 heads of 64, output projection, layer norm; written out with plain matrices."""
    module = random_module("conch")
    pool = module.attn_pool_contrast
    attn = pool.attn
    x = _pixels(448)
    with torch.no_grad():
        tokens = pool.ln_k(module.trunk.forward_features(x))  # (2, 785, 768)
        bias_q, bias_k, bias_v = attn.in_proj_bias.split(512)
        q = pool.ln_q(pool.query) @ attn.q_proj_weight.T + bias_q  # (1, 512)
        k = tokens @ attn.k_proj_weight.T + bias_k  # (2, 785, 512)
        v = tokens @ attn.v_proj_weight.T + bias_v
        heads = []
        for h in range(8):
            part = slice(64 * h, 64 * (h + 1))
            weights = torch.softmax((k[..., part] @ q[0, part]) / 8.0, dim=-1)  # sqrt(64)
            heads.append((weights[..., None] * v[..., part]).sum(dim=1))
        pooled = attn.out_proj(torch.cat(heads, dim=-1))
        expected = torch.nn.functional.layer_norm(pooled, (512,), module.ln_contrast.weight,
                                                  module.ln_contrast.bias)
        np.testing.assert_allclose(module(x).numpy(), expected.numpy(), rtol=1e-4, atol=1e-5)


def test_conch_takes_the_image_tower_of_the_whole_checkpoint(tmp_path: Path) -> None:
    """CONCH's file holds the whole vision-language model under `visual.`, `text.`, ...;
    the image path's parameters are taken, the rest is not part of the encoder."""
    source = random_module("conch")
    state = {f"visual.{k}": v for k, v in source.state_dict().items()}
    state["visual.proj_contrast"] = torch.zeros(512, 512)
    state["visual.attn_pool_caption.query"] = torch.zeros(256, 768)
    state["text.token_embedding.weight"] = torch.zeros(10, 768)
    torch.save(state, tmp_path / "pytorch_model.bin")
    encoder = load_named(one_block("conch"), folder=tmp_path, cache_root=tmp_path)
    x = _pixels(448)
    with torch.no_grad():
        assert torch.equal(encoder.module(x), source(x))
    del state["visual.ln_contrast.weight"]
    torch.save(state, tmp_path / "pytorch_model.bin")
    with pytest.raises(UsageError, match=r"missing ln_contrast\.weight"):
        load_named(one_block("conch"), folder=tmp_path, cache_root=tmp_path)


def test_named_entry_loads_its_weights_file(tmp_path: Path) -> None:
    spec = one_block("virchow2")
    source = random_module("virchow2")
    folder = tmp_path / "Virchow2"
    folder.mkdir()
    torch.save(source.backbone.state_dict(), folder / "pytorch_model.bin")
    encoder = load_named(spec, folder=folder, cache_root=tmp_path)
    assert (encoder.name, encoder.source, encoder.dim, encoder.precision) == (
        "virchow2", "folder", 2560, "float16")
    digest = hashlib.sha256((folder / "pytorch_model.bin").read_bytes()).hexdigest()
    assert encoder.identity["sha256"] == digest
    x = _pixels(224)
    with torch.no_grad():
        assert torch.equal(encoder.module(x), source(x))


def test_conch_v15_checkpoint_at_another_grid(tmp_path: Path) -> None:
    """Position embeddings stored for 224 pixels are resampled to the card's 448."""
    spec = one_block("conch-v1.5")
    small = dataclasses.replace(spec, arch={**spec.arch, "img_size": 224})
    state = _random(build_module(small), seed=7).state_dict()
    assert state["trunk.pos_embed"].shape == (1, 1 + 14 * 14, 1024)
    torch.save(state, tmp_path / "pytorch_model_vision.bin")
    encoder = load_named(spec, folder=tmp_path, cache_root=tmp_path)
    assert encoder.module.trunk.pos_embed.shape == (1, 1 + 28 * 28, 1024)
    with torch.no_grad():
        assert encoder.module(_pixels(448)).shape == (2, 768)


def test_weights_that_do_not_fit_are_named(tmp_path: Path) -> None:
    state = dict(random_module("uni").backbone.state_dict())
    del state["norm.weight"]
    torch.save(state, tmp_path / "pytorch_model.bin")
    with pytest.raises(UsageError, match=r"do not fit its architecture \(missing norm\.weight\)"):
        load_named(one_block("uni"), folder=tmp_path, cache_root=tmp_path)
    state = dict(random_module("uni").backbone.state_dict())
    state["norm.weight"] = torch.zeros(3)
    torch.save(state, tmp_path / "pytorch_model.bin")
    with pytest.raises(UsageError, match=r"do not fit its architecture \(size mismatch "
                       r"for norm\.weight"):
        load_named(one_block("uni"), folder=tmp_path, cache_root=tmp_path)


def test_timm_hub_layout_folder(tmp_path: Path) -> None:
    """Any folder in timm's hub layout: config.json names the architecture and its
    pretrained_cfg the input size, crop share, interpolation and statistics."""
    import json

    import timm

    model = _random(timm.create_model("vit_tiny_patch16_224", pretrained=False,
                                      num_classes=0, depth=1), seed=9)
    torch.save(model.state_dict(), tmp_path / "pytorch_model.bin")
    (tmp_path / "config.json").write_text(json.dumps({
        "architecture": "vit_tiny_patch16_224", "num_classes": 0,
        "model_args": {"depth": 1},
        "pretrained_cfg": {"input_size": [3, 224, 224], "crop_pct": 0.875,
                           "interpolation": "bicubic", "mean": [0.5, 0.5, 0.5],
                           "std": [0.5, 0.5, 0.5]}}))
    encoder = load_encoder(str(tmp_path), cache_root=tmp_path)
    assert encoder.dim == 192
    assert (encoder.preprocess.size, encoder.preprocess.crop) == (256, 224)
    assert encoder.preprocess.interpolation == "bicubic"
    with torch.no_grad():
        x = _pixels(224)
        assert torch.equal(encoder.module(x), model(x))

