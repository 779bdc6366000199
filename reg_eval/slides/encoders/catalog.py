"""The named pathology encoders, each fixed from its model card.

An entry says how the architecture is built (a timm model name and the keyword arguments
its card passes, a transformers model, or the CONCH package), which hub repository and
weights file hold it, the input transform, how token outputs become one vector (`pooling`),
the output dimension, and the precision the card runs it in. Nothing here downloads: the
weights come from a local folder or the local Hugging Face cache (`load.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from reg_eval.errors import UsageError
from reg_eval.slides.encoders.base import (
    HOPTIMUS_MEAN,
    HOPTIMUS_STD,
    IMAGENET_MEAN,
    IMAGENET_STD,
    OPENAI_CLIP_MEAN,
    OPENAI_CLIP_STD,
    Precision,
    Preprocess,
)

Library = Literal["timm", "transformers"]
Pooling = Literal["cls", "cls+mean", "attentional", "attentional-mha"]
"""cls: the class token of the normed last layer. cls+mean: the class token concatenated
with the mean of the patch tokens (register tokens excluded). attentional: one learned
query attends over all tokens, then a layer norm (CONCH v1.5's pooler). attentional-mha:
the same with torch's multi-head attention from the token width (CONCH v1's contrastive
pooler, before its projection)."""

SWIGLU = "swiglu_packed"
SILU = "silu"
"""Layer names in `arch`, turned into timm/torch classes when the model is built."""


@dataclass(frozen=True)
class EncoderSpec:
    """One named encoder: everything its model card fixes."""

    name: str
    aliases: tuple[str, ...]
    hub_repo: str
    weight_files: tuple[str, ...]
    """Weights file names in the hub repository, first found wins."""
    library: Library
    architecture: str
    """timm model name, transformers model type, or the CONCH model config name."""
    arch: dict[str, Any]
    """Keyword arguments the card passes to build the architecture."""
    pooling: Pooling
    prefix_tokens: int
    """Class and register tokens before the patch tokens (left out of the patch mean)."""
    width: int
    """The transformer's token width."""
    dim: int
    preprocess: Preprocess
    precision: Precision
    card: str
    head: dict[str, int] = field(default_factory=dict)
    """Sizes of the pooling head (attentional pooling)."""
    state_prefix: str = ""
    """Prefix of the encoder's parameters in a checkpoint that holds more (CONCH's holds
    the whole vision-language model: only the image tower is used)."""
    state_keep: tuple[str, ...] = ()
    """With `state_prefix`: the parameter groups of the image path that are loaded."""

    def expected_dim(self) -> int:
        """The dimension the pooling gives for this width: what `dim` must equal."""
        if self.pooling == "cls+mean":
            return 2 * self.width
        if self.pooling in ("attentional", "attentional-mha"):
            return int(self.head["out_dim"])
        return self.width


def _imagenet(size: int, crop: int | None, interpolation: Any = "bilinear") -> Preprocess:
    return Preprocess(size, crop, interpolation, IMAGENET_MEAN, IMAGENET_STD)


def _h_optimus(version: int) -> EncoderSpec:
    """H-optimus-0 and H-optimus-1: their cards give one architecture, transform and
    precision (ViT-g/14 with 4 registers, class token, Bioptimus' colour statistics)."""
    repo = f"bioptimus/H-optimus-{version}"
    return EncoderSpec(
        name=f"h-optimus-{version}", aliases=(f"hoptimus{version}", f"h_optimus_{version}"),
        hub_repo=repo,
        weight_files=("model.safetensors", "pytorch_model.bin"), library="timm",
        architecture="vit_giant_patch14_reg4_dinov2",
        arch={"img_size": 224, "init_values": 1e-5, "num_classes": 0,
              "global_pool": "token", "dynamic_img_size": False},
        pooling="cls", prefix_tokens=5, width=1536, dim=1536,
        preprocess=Preprocess(224, None, "bilinear", HOPTIMUS_MEAN, HOPTIMUS_STD),
        precision="float16", card=f"https://huggingface.co/{repo}",
    )


ENTRIES: tuple[EncoderSpec, ...] = (
    EncoderSpec(
        name="uni", aliases=("uni-v1", "uni_v1"), hub_repo="MahmoodLab/UNI",
        weight_files=("pytorch_model.bin", "model.safetensors"), library="timm",
        architecture="vit_large_patch16_224",
        arch={"img_size": 224, "patch_size": 16, "init_values": 1e-5, "num_classes": 0,
              "dynamic_img_size": True},
        pooling="cls", prefix_tokens=1, width=1024, dim=1024,
        preprocess=_imagenet(224, 224), precision="float16",
        card="https://huggingface.co/MahmoodLab/UNI",
    ),
    EncoderSpec(
        name="uni2-h", aliases=("uni2", "uni_v2", "uni-v2"), hub_repo="MahmoodLab/UNI2-h",
        weight_files=("pytorch_model.bin", "model.safetensors"), library="timm",
        architecture="vit_giant_patch14_224",
        arch={"img_size": 224, "patch_size": 14, "depth": 24, "num_heads": 24,
              "init_values": 1e-5, "embed_dim": 1536, "mlp_ratio": 2.66667 * 2,
              "num_classes": 0, "no_embed_class": True, "mlp_layer": SWIGLU,
              "act_layer": SILU, "reg_tokens": 8, "dynamic_img_size": True},
        pooling="cls", prefix_tokens=9, width=1536, dim=1536,
        preprocess=_imagenet(224, 224), precision="bfloat16",
        card="https://huggingface.co/MahmoodLab/UNI2-h",
    ),
    EncoderSpec(
        name="conch", aliases=("conch-v1", "conch_v1"), hub_repo="MahmoodLab/CONCH",
        weight_files=("pytorch_model.bin",), library="timm",
        architecture="vit_base_patch16_224",
        arch={"img_size": 448, "patch_size": 16, "num_classes": 0, "dynamic_img_size": True},
        pooling="attentional-mha", prefix_tokens=1, width=768, dim=512,
        preprocess=Preprocess(448, 448, "bicubic", OPENAI_CLIP_MEAN, OPENAI_CLIP_STD),
        precision="float32", card="https://huggingface.co/MahmoodLab/CONCH",
        head={"out_dim": 512, "heads": 8}, state_prefix="visual.",
        state_keep=("trunk.", "attn_pool_contrast.", "ln_contrast."),
    ),
    EncoderSpec(
        name="conch-v1.5", aliases=("conch_v15", "conchv1_5", "conch-v15"),
        hub_repo="MahmoodLab/conchv1_5", weight_files=("pytorch_model_vision.bin",),
        library="timm", architecture="vit_large_patch16_224",
        arch={"img_size": 448, "patch_size": 16, "init_values": 1.0, "num_classes": 0,
              "global_pool": ""},
        pooling="attentional", prefix_tokens=1, width=1024, dim=768,
        preprocess=_imagenet(448, 448), precision="float16",
        card="https://huggingface.co/MahmoodLab/conchv1_5",
        head={"out_dim": 768, "heads": 8},
    ),
    EncoderSpec(
        name="virchow2", aliases=("virchow-2", "virchow_v2"), hub_repo="paige-ai/Virchow2",
        weight_files=("model.safetensors", "pytorch_model.bin"), library="timm",
        architecture="vit_huge_patch14_224",
        arch={"img_size": 224, "init_values": 1e-5, "num_classes": 0, "reg_tokens": 4,
              "mlp_ratio": 5.3375, "global_pool": "", "dynamic_img_size": True,
              "mlp_layer": SWIGLU, "act_layer": SILU},
        pooling="cls+mean", prefix_tokens=5, width=1280, dim=2560,
        preprocess=_imagenet(224, None, "bicubic"), precision="float16",
        card="https://huggingface.co/paige-ai/Virchow2",
    ),
    _h_optimus(0),
    _h_optimus(1),
    EncoderSpec(
        name="prov-gigapath", aliases=("gigapath", "prov_gigapath"),
        hub_repo="prov-gigapath/prov-gigapath",
        weight_files=("pytorch_model.bin", "model.safetensors"), library="timm",
        architecture="vit_giant_patch14_dinov2",
        arch={"img_size": 224, "in_chans": 3, "patch_size": 16, "embed_dim": 1536,
              "depth": 40, "num_heads": 24, "init_values": 1e-5, "mlp_ratio": 5.33334,
              "num_classes": 0},
        pooling="cls", prefix_tokens=1, width=1536, dim=1536,
        preprocess=_imagenet(256, 224, "bicubic"), precision="float16",
        card="https://huggingface.co/prov-gigapath/prov-gigapath",
    ),
    EncoderSpec(
        name="phikon-v2", aliases=("phikon_v2", "phikonv2"), hub_repo="owkin/phikon-v2",
        weight_files=("model.safetensors",), library="transformers", architecture="dinov2",
        arch={}, pooling="cls", prefix_tokens=1, width=1024, dim=1024,
        preprocess=_imagenet(224, 224), precision="float32",
        card="https://huggingface.co/owkin/phikon-v2",
    ),
)


def find_entry(name: str) -> EncoderSpec | None:
    """The entry called `name` or one of its aliases (any case), else None."""
    key = name.strip().lower()
    for spec in ENTRIES:
        if key == spec.name or key in spec.aliases:
            return spec
    return None


def entry_names() -> list[str]:
    return [spec.name for spec in ENTRIES]


def require_entry(name: str) -> EncoderSpec:
    spec = find_entry(name)
    if spec is None:
        raise UsageError(f"no encoder is named {name!r}",
                         hint=f"use one of {', '.join(entry_names())}, tiny, or a folder")
    return spec
