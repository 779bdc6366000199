"""What every encoder is once loaded: a module, its input transform, its output dimension.

The transform runs on batches of patch tensors already on the device (scaled to 0..1), so
that resizing and normalisation cost no data-loader time; it reproduces the model card's
`Resize(size)`, `CenterCrop(crop)` and `Normalize(mean, std)` on square patches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import torch

Interpolation = Literal["bilinear", "bicubic"]
Precision = Literal["float32", "bfloat16", "float16"]
RGB = tuple[float, float, float]

IMAGENET_MEAN: RGB = (0.485, 0.456, 0.406)
IMAGENET_STD: RGB = (0.229, 0.224, 0.225)
OPENAI_CLIP_MEAN: RGB = (0.48145466, 0.4578275, 0.40821073)
OPENAI_CLIP_STD: RGB = (0.26862954, 0.26130258, 0.27577711)
HOPTIMUS_MEAN: RGB = (0.707223, 0.578729, 0.703617)
HOPTIMUS_STD: RGB = (0.211883, 0.230117, 0.177517)


@dataclass(frozen=True)
class Preprocess:
    """Resize the shorter side to `size` (None: keep), centre-crop `crop`, then normalise."""

    size: int | None
    crop: int | None
    interpolation: Interpolation
    mean: RGB
    std: RGB

    def apply(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) floats in 0..1 -> the normalised model input."""
        import torch.nn.functional as functional

        height, width = int(x.shape[-2]), int(x.shape[-1])
        if self.size is not None and min(height, width) != self.size:
            short, long = min(height, width), max(height, width)
            other = int(self.size * long / short)
            target = (self.size, other) if height <= width else (other, self.size)
            x = functional.interpolate(x, size=target, mode=self.interpolation,
                                       align_corners=False, antialias=True)
            height, width = target
        if self.crop is not None and (height, width) != (self.crop, self.crop):
            if height < self.crop or width < self.crop:
                raise ValueError(f"patches of {height}x{width} cannot be cropped to "
                                 f"{self.crop}x{self.crop}")
            top = round((height - self.crop) / 2.0)
            left = round((width - self.crop) / 2.0)
            x = x[..., top:top + self.crop, left:left + self.crop]
        mean = x.new_tensor(self.mean).view(1, 3, 1, 1)
        std = x.new_tensor(self.std).view(1, 3, 1, 1)
        return (x - mean) / std

    def describe(self) -> str:
        """One line for feature-file identities: a changed transform is another extraction."""
        resize = "none" if self.size is None else f"{self.size} {self.interpolation}"
        crop = "none" if self.crop is None else str(self.crop)
        return (f"resize {resize}, crop {crop}, mean {', '.join(map(str, self.mean))}, "
                f"std {', '.join(map(str, self.std))}")


@dataclass
class Encoder:
    """A loaded encoder: `module` maps `preprocess`ed (B, 3, S, S) tensors to (B, dim)."""

    module: torch.nn.Module
    dim: int
    name: str
    source: str
    """"builtin", "folder" (a local folder), "hub" (the local Hugging Face cache)."""
    preprocess: Preprocess
    precision: Precision = "float32"
    """The precision the model card runs the encoder in (`--dtype` chooses the run's)."""
    identity: dict[str, str] = field(default_factory=dict)
    """Weights sha256, hub revision, the named entry: what the feature files record."""

    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        return self.preprocess.apply(x)

    def describe(self) -> dict[str, Any]:
        """What feature files record; `tiny`'s transform is part of its built-in definition."""
        described: dict[str, Any] = {"name": self.name, "source": self.source, "dim": self.dim,
                                     **self.identity}
        if self.source != "builtin":
            described["transform"] = self.preprocess.describe()
        return described
