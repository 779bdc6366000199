"""A tiny random-weight Qwen3 with a Qwen3-style chat template, built on the spot.

The tokenizer is a byte-level BPE trained on report-like text, with Qwen3's markers as added
tokens: `<|endoftext|>` (pad), `<|im_start|>`, `<|im_end|>` (end of turn), and `<think>` /
`</think>`, which, as in Qwen3, are not special (decoding keeps them). The chat template
renders `enable_thinking=False` as Qwen3's does: an empty think block after the assistant
header. The generation config samples as Qwen3-8B's does (temperature 0.6, top-k 20,
top-p 0.95), so "the model's own settings" mean sampling in tests too.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path

from tiny_models import REPORT_CORPUS

QWEN3_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}"
    "{{ '<|im_start|>assistant\\n' }}"
    "{% if enable_thinking is defined and enable_thinking is false %}"
    "{{ '<think>\\n\\n</think>\\n\\n' }}"
    "{% endif %}"
    "{% endif %}"
)
SAMPLING = {"do_sample": True, "temperature": 0.6, "top_k": 20, "top_p": 0.95}
"""Qwen3-8B's generation_config.json sampling fields."""


def build_tiny_qwen3(folder: Path, *, seed: int = 0) -> Path:
    """Qwen3 (hidden 32, 2 layers, GQA) with its tokenizer, chat template and sampling config."""
    import torch
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers
    from tokenizers.trainers import BpeTrainer
    from transformers import (
        GenerationConfig,
        PreTrainedTokenizerFast,
        Qwen3Config,
        Qwen3ForCausalLM,
    )

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    lines = [*REPORT_CORPUS, *(t.lower() for t in REPORT_CORPUS), "0 1 2 3 4 { } \" : ,"]
    tokenizer.train_from_iterator(
        lines * 4,
        BpeTrainer(
            vocab_size=300,
            special_tokens=specials,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        ),
    )
    tokenizer.add_tokens(
        [AddedToken("<think>", special=False), AddedToken("</think>", special=False)]
    )
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        model_input_names=["input_ids", "attention_mask"],
    )
    wrapped.chat_template = QWEN3_CHAT_TEMPLATE
    wrapped.save_pretrained(folder)
    pad_id = tokenizer.token_to_id("<|endoftext|>")
    end_id = tokenizer.token_to_id("<|im_end|>")
    config = Qwen3Config(
        vocab_size=tokenizer.get_vocab_size(),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=8,
        max_position_embeddings=2048,
        bos_token_id=pad_id,
        eos_token_id=[end_id, pad_id],
        pad_token_id=pad_id,
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = Qwen3ForCausalLM(config)
    model.generation_config = GenerationConfig(
        bos_token_id=pad_id, eos_token_id=[end_id, pad_id], pad_token_id=pad_id, **SAMPLING
    )
    model.save_pretrained(folder)
    written = json.loads((folder / "generation_config.json").read_text(encoding="utf-8"))
    assert written["temperature"] == 0.6, written
    return folder


def scripted_qwen3(
    source: Path, folder: Path, script: list[str], *, added: Sequence[str] = ()
) -> Path:
    """The tiny Qwen3 in `source`, copied to `folder` with weights set so that greedy decoding
    after the chat template's generation prompt writes exactly `script` (token strings), then
    ends its turn.

    Every layer's output projections are zero, so the residual stream is the current token's
    embedding; each scripted token (and the prompt's last one) gets a hidden direction of its
    own, and the LM head maps that direction to the next scripted token. A token therefore
    cannot appear twice in a script: text that repeats a character (a JSON answer) goes in
    `added`, whose strings become tokens of their own (not special, so decoding keeps them).
    """
    import torch
    from tokenizers import AddedToken
    from transformers import AutoTokenizer, Qwen3ForCausalLM

    shutil.copytree(source, folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = Qwen3ForCausalLM.from_pretrained(folder)
    if added:
        tokenizer.add_tokens([AddedToken(text, special=False) for text in added])
        tokenizer.save_pretrained(folder)
        model.resize_token_embeddings(len(tokenizer))
    rendered = tokenizer.apply_chat_template(
        [{"role": "user", "content": "x"}], tokenize=False, add_generation_prompt=True
    )
    chain = [tokenizer(rendered)["input_ids"][-1]]
    chain += [tokenizer.convert_tokens_to_ids(token) for token in script]
    chain.append(tokenizer.convert_tokens_to_ids("<|im_end|>"))
    assert len(set(chain)) == len(chain), "a scripted token repeats"
    hidden = model.config.hidden_size
    with torch.no_grad():
        for layer in model.model.layers:
            layer.self_attn.o_proj.weight.zero_()
            layer.mlp.down_proj.weight.zero_()
        embeddings = model.model.embed_tokens.weight
        embeddings.zero_()
        embeddings[:, 0] = 1.0  # every other token: direction 0, which leads to <|im_end|>
        head = model.lm_head.weight
        head.zero_()
        head[chain[-1], 0] = 10.0
        for step, (current, following) in enumerate(pairwise(chain)):
            direction = 1 + step
            assert direction < hidden
            embeddings[current] = 0.0
            embeddings[current, direction] = 1.0
            head[following, direction] = 10.0
    model.save_pretrained(folder)
    return folder
