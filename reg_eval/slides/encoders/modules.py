"""The torch modules behind encoders: token pooling, CONCH's poolers, `tiny`.

torch is imported when a module is built, not when this file is imported, so that option
parsing and `--help` stay cheap.
"""

from __future__ import annotations

from typing import Any

from reg_eval.slides.encoders.catalog import Pooling

TINY_DIM = 64
TINY_SEED = 0


def pool_tokens(tokens: Any, pooling: Pooling, prefix_tokens: int) -> Any:
    """(B, T, D) tokens of the normed last layer -> (B, D) or (B, 2D) for cls+mean."""
    import torch

    cls = tokens[:, 0]
    if pooling == "cls":
        return cls
    if pooling == "cls+mean":
        return torch.cat([cls, tokens[:, prefix_tokens:].mean(dim=1)], dim=-1)
    raise ValueError(f"pooling {pooling!r} needs its own head")


def token_encoder(backbone: Any, pooling: Pooling, prefix_tokens: int) -> Any:
    """A timm ViT whose `forward_features` tokens are pooled as the card says."""
    from torch import nn

    class TokenEncoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.backbone = backbone

        def forward(self, x: Any) -> Any:
            return pool_tokens(self.backbone.forward_features(x), pooling, prefix_tokens)

    return TokenEncoder()


def attentional_encoder(trunk: Any, *, width: int, out_dim: int, heads: int) -> Any:
    """CONCH v1.5's vision tower: ViT-L tokens -> one learned query attends over them
    (layer-normed query and keys, `heads` heads) -> output layer norm.

    Parameter names follow the released checkpoint (`trunk.`, `attn_pool_contrast.`,
    `ln_contrast.`), so its state dict loads strictly.
    """
    import torch
    from torch import nn

    class AttentionalPooler(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.query = nn.Parameter(torch.randn(1, out_dim))
            self.ln_q = nn.LayerNorm(out_dim)
            self.ln_k = nn.LayerNorm(width)
            self.to_q = nn.Linear(out_dim, out_dim, bias=False)
            self.to_kv = nn.Linear(width, 2 * out_dim, bias=False)
            self.to_out = nn.Linear(out_dim, out_dim, bias=False)

        def forward(self, tokens: torch.Tensor) -> torch.Tensor:
            batch, n_tokens, _ = tokens.shape
            head_dim = out_dim // heads
            query = self.to_q(self.ln_q(self.query))  # (1, out_dim)
            keys, values = self.to_kv(self.ln_k(tokens)).chunk(2, dim=-1)
            q = query.view(1, heads, 1, head_dim).expand(batch, -1, -1, -1)
            k = keys.view(batch, n_tokens, heads, head_dim).transpose(1, 2)
            v = values.view(batch, n_tokens, heads, head_dim).transpose(1, 2)
            weights = (q @ k.transpose(-1, -2) * head_dim ** -0.5).softmax(dim=-1)
            pooled = (weights @ v).transpose(1, 2).reshape(batch, out_dim)
            return self.to_out(pooled)

    return _pooled_tower(trunk, AttentionalPooler(), out_dim)


def mha_pooled_encoder(trunk: Any, *, width: int, out_dim: int, heads: int) -> Any:
    """CONCH v1's image path before its contrastive projection: ViT-B tokens -> one
    layer-normed learned query attends over the layer-normed tokens through torch's
    multi-head attention (keys and values of the token width) -> output layer norm.

    Parameter names follow the released checkpoint's image tower (`trunk.`,
    `attn_pool_contrast.`, `ln_contrast.`).
    """
    import torch
    from torch import nn

    class MultiHeadPooler(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.query = nn.Parameter(torch.randn(1, out_dim))
            self.attn = nn.MultiheadAttention(out_dim, heads, kdim=width, vdim=width,
                                              batch_first=True)
            self.ln_q = nn.LayerNorm(out_dim)
            self.ln_k = nn.LayerNorm(width)

        def forward(self, tokens: torch.Tensor) -> torch.Tensor:
            keys = self.ln_k(tokens)
            query = self.ln_q(self.query).expand(tokens.shape[0], -1, -1)
            return self.attn(query, keys, keys, need_weights=False)[0][:, 0]

    return _pooled_tower(trunk, MultiHeadPooler(), out_dim)


def _pooled_tower(trunk: Any, pooler: Any, out_dim: int) -> Any:
    """CONCH's image tower around a pooler: trunk tokens -> pooler -> output layer norm,
    under the checkpoint's names (`trunk.`, `attn_pool_contrast.`, `ln_contrast.`)."""
    from torch import nn

    class PooledTower(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.trunk = trunk
            self.attn_pool_contrast = pooler
            self.ln_contrast = nn.LayerNorm(out_dim)

        def forward(self, x: Any) -> Any:
            return self.ln_contrast(self.attn_pool_contrast(self.trunk.forward_features(x)))

    return PooledTower()


def transformers_cls(model: Any) -> Any:
    """A transformers vision model: the class token of the last hidden state, or the
    pooled output of a CNN (which has no tokens)."""
    from torch import nn

    class TransformersFeatures(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, x: Any) -> Any:
            out = self.model(pixel_values=x)
            hidden = getattr(out, "last_hidden_state", None)
            if hidden is not None and hidden.ndim == 3:
                return hidden[:, 0]
            return out.pooler_output.flatten(1)

    return TransformersFeatures()


def tiny_module() -> Any:
    """Three strided convolutions and a global mean, (B, 3, H, W) -> (B, 64), with fixed
    random weights: deterministic and cheap, for tests and the demo."""
    import torch
    from torch import nn

    class TinyEncoder(nn.Module):
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
