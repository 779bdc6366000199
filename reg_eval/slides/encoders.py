"""Patch encoders: a timm or transformers model by name, a local folder, or `tiny`.

Gated pathology encoders (UNI, Virchow, Prov-GigaPath, ...) need the Hugging Face hub and
a token (`hf auth login`) the first time; afterwards they load from the local cache, or
from a folder saved with `save_pretrained`. `tiny` is a small CNN with fixed random
weights, built in, for tests and the demo: its features mean nothing, but they are
deterministic and cheap.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reg_eval.errors import UsageError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
TINY_DIM = 64
TINY_SEED = 0
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "open_clip_pytorch_model.bin")
HUB_HINT = ("pass a local folder that holds the model (config.json and weights, as saved by "
            "save_pretrained), or log in to the Hugging Face hub (`hf auth login`) and accept "
            "the model's terms for gated encoders")


@dataclass
class Encoder:
    """A module mapping normalised (B, 3, H, W) float tensors to (B, D) features."""

    module: Any
    dim: int
    name: str
    source: str  # "builtin", "folder", "hub", "timm"
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    input_size: int | None = None  # resize patches to this side when set
    identity: dict[str, str] = field(default_factory=dict)  # revision or weights sha256

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "source": self.source, "dim": self.dim, **self.identity}


def _tiny_module() -> Any:
    import torch
    from torch import nn

    class TinyEncoder(nn.Module):
        """Three strided convolutions and a global mean: (B, 3, H, W) -> (B, 64)."""

        def __init__(self) -> None:
            super().__init__()
            self.body = nn.Sequential(
                nn.Conv2d(3, 16, kernel_size=4, stride=4), nn.GELU(),
                nn.Conv2d(16, 32, kernel_size=2, stride=2), nn.GELU(),
                nn.Conv2d(32, TINY_DIM, kernel_size=2, stride=2), nn.GELU(),
            )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.body(x).mean(dim=(2, 3))

    module = TinyEncoder()
    generator = torch.Generator().manual_seed(TINY_SEED)
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.2)
    return module


def _state_sha256(module: Any) -> str:
    digest = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(8 * 1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _timm(name: str, *, folder: Path | None = None) -> Encoder:
    try:
        import timm
    except ImportError as exc:
        raise UsageError(
            f"encoder {name} needs timm, which cannot be imported here ({exc})",
            hint="install timm and the torchvision build made for your torch "
            "(`pip install timm torchvision`), or use a transformers model",
        ) from None
    kwargs: dict[str, Any] = {"pretrained": True, "num_classes": 0}
    if folder is not None:
        weights = next((folder / f for f in WEIGHT_FILES if (folder / f).is_file()), None)
        if weights is None:
            raise UsageError(f"encoder folder {folder} has no weights file",
                             hint=f"expected one of {', '.join(WEIGHT_FILES)}")
        kwargs["pretrained_cfg_overlay"] = {"file": str(weights)}
        identity = {"sha256": _file_sha256(weights)}
    else:
        identity = {}
    try:
        module = timm.create_model(name, **kwargs)
    except Exception as exc:  # hub, file and architecture errors all end here
        raise UsageError(f"cannot load encoder {name} with timm: {type(exc).__name__}: {exc}",
                         hint=HUB_HINT) from None
    config = module.pretrained_cfg if hasattr(module, "pretrained_cfg") else {}
    size = config.get("input_size", (3, 224, 224))[-1]
    return Encoder(module, int(module.num_features), name, "timm",
                   tuple(config.get("mean", IMAGENET_MEAN)),
                   tuple(config.get("std", IMAGENET_STD)), int(size), identity)


class _TransformersFeatures:
    """Wraps a transformers vision model: the CLS token, or the pooled output of a CNN."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def __call__(self, pixels: Any) -> Any:
        out = self.model(pixel_values=pixels)
        hidden = getattr(out, "last_hidden_state", None)
        if hidden is not None and hidden.ndim == 3:
            return hidden[:, 0]
        pooled = out.pooler_output
        return pooled.flatten(1)

    def to(self, *args: Any, **kwargs: Any) -> _TransformersFeatures:
        self.model.to(*args, **kwargs)
        return self

    def eval(self) -> _TransformersFeatures:
        self.model.eval()
        return self

    def parameters(self) -> Any:
        return self.model.parameters()


def _transformers(name_or_folder: str, *, folder: Path | None) -> Encoder:
    from transformers import AutoConfig, AutoModel

    try:
        config = AutoConfig.from_pretrained(name_or_folder)
        model = AutoModel.from_pretrained(name_or_folder)
    except Exception as exc:  # OSError for missing files and hub errors, ValueError for configs
        raise UsageError(
            f"cannot load encoder {name_or_folder}: {type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}",
            hint=HUB_HINT,
        ) from None
    mean, std, size = IMAGENET_MEAN, IMAGENET_STD, getattr(config, "image_size", None)
    processor_file = folder / "preprocessor_config.json" if folder else None
    if processor_file is not None and processor_file.is_file():
        processor = json.loads(processor_file.read_text(encoding="utf-8"))
        mean = tuple(processor.get("image_mean", mean))
        std = tuple(processor.get("image_std", std))
        size_field = processor.get("size", size)
        if isinstance(size_field, dict):
            size_field = size_field.get("height") or size_field.get("shortest_edge")
        size = size_field or size
    dim = getattr(config, "hidden_size", None) or (getattr(config, "hidden_sizes", None)
                                                   or [None])[-1]
    identity: dict[str, str] = {}
    if folder is not None:
        weights = next((folder / f for f in WEIGHT_FILES if (folder / f).is_file()), None)
        if weights is not None:
            identity["sha256"] = _file_sha256(weights)
    else:
        revision = getattr(config, "_commit_hash", None)
        if revision:
            identity["revision"] = str(revision)
    if isinstance(size, (list, tuple)):
        size = size[0]
    return Encoder(_TransformersFeatures(model.eval()), int(dim), name_or_folder,
                   "folder" if folder else "hub", mean, std,
                   int(size) if size else None, identity)


def load_encoder(name_or_path: str) -> Encoder:
    """`tiny`; a folder (timm layout if its config names an `architecture`, else
    transformers); `timm/...` or `hf-hub:...` through timm; other names through transformers.
    """
    if name_or_path == "tiny":
        module = _tiny_module()
        return Encoder(module, TINY_DIM, "tiny", "builtin", identity={
            "sha256": _state_sha256(module), "seed": str(TINY_SEED)})
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        config_file = path / "config.json"
        if not config_file.is_file():
            raise UsageError(f"encoder folder {path} has no config.json", hint=HUB_HINT)
        try:
            config = json.loads(config_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot read {config_file}: {exc}") from None
        if "architecture" in config and "model_type" not in config:
            return _timm(str(config["architecture"]), folder=path)
        return _transformers(str(path), folder=path)
    if path.exists() or name_or_path.startswith((".", "/", "~")):
        raise UsageError(f"encoder {name_or_path} is not a folder",
                         hint="pass a model folder, a hub name, or tiny")
    if name_or_path.startswith(("timm/", "hf-hub:", "hf_hub:")):
        hub_name = name_or_path if not name_or_path.startswith("timm/") else (
            "hf-hub:" + name_or_path)
        return _timm(hub_name)
    return _transformers(name_or_path, folder=None)
