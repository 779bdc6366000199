"""The trainable graph of `prefix-lm` as one torch module: pooled feature -> prefix -> causal LM.

One module, so that Accelerate wraps it whole (DDP on several GPUs, autocast in bf16) and
its state dict holds everything a checkpoint needs. This module imports torch at the top;
`reg_eval_baselines.prefix_lm` imports it only when a model is built.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


class PrefixModel(nn.Module):
    """An MLP maps a standardised slide vector to `n_prefix` input embeddings of `lm`."""

    def __init__(self, lm: Any, dim: int, hidden: int, n_prefix: int) -> None:
        super().__init__()
        self.lm = lm
        self.n_prefix = n_prefix
        self.width = int(lm.get_input_embeddings().weight.shape[1])
        self.mlp = nn.Sequential(
            nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, n_prefix * self.width)
        )

    def prefix(self, rows: torch.Tensor) -> torch.Tensor:
        return self.mlp(rows).view(rows.shape[0], self.n_prefix, self.width)

    def forward(
        self, rows: torch.Tensor, ids: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(sum of report-token losses, number of report tokens) of one micro-batch.

        A sum, not a mean: the training loop divides by one constant for the whole run, so
        every report token weighs the same whatever micro-batch or process it lands in.
        """
        tokens = self.lm.get_input_embeddings()(ids)
        embeds = torch.cat([self.prefix(rows).to(tokens.dtype), tokens], dim=1)
        # logits at position t predict token t + 1; the prefix carries label -100
        logits = self.lm(inputs_embeds=embeds[:, :-1], attention_mask=mask[:, :-1]).logits
        targets = labels[:, 1:]
        loss = F.cross_entropy(
            logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1),
            ignore_index=-100, reduction="sum",
        )
        return loss, (targets != -100).sum()
