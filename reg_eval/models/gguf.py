"""Loading a GGUF checkpoint through transformers, de-quantised to float32."""

from __future__ import annotations

import re
from pathlib import Path

from reg_eval.models.environment import package_version


def transformers_dtype_kwargs() -> dict[str, object]:
    """float32 under the keyword this transformers version takes (`dtype` since 4.56)."""
    import torch

    version = package_version("transformers") or "0"
    major, minor = (int(part) for part in re.findall(r"\d+", version)[:2])
    key = "dtype" if (major, minor) >= (4, 56) else "torch_dtype"
    return {key: torch.float32}


def load_gguf_model(gguf_path: Path) -> tuple[object, object]:
    """(model, tokenizer) straight from a GGUF file, de-quantised to float32 by transformers."""
    from transformers import AutoModel, AutoTokenizer

    folder, name = str(gguf_path.parent), gguf_path.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModel.from_pretrained(folder, gguf_file=name, **transformers_dtype_kwargs())
    return model, tokenizer
