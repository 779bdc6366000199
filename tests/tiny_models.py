"""Tiny random-weight models with tokenizers trained on the spot, saved as local folders.

Built once per test session (seeded), in a second or two, with no network: a BERT with a
WordPiece tokenizer ([CLS] ... [SEP]) and a Llama with a byte-level BPE tokenizer that adds a
BOS token and has no pad token, as Llama-3 does.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

REPORT_CORPUS: tuple[str, ...] = (
    "Stomach, endoscopic biopsy;\n  Chronic gastritis with intestinal metaplasia",
    "Prostate, biopsy;\n  No tumor present",
    "Breast, core-needle biopsy;\n  Invasive carcinoma of no special type, grade II",
    "Colon, colonoscopic biopsy;\n  Tubular adenoma with low grade dysplasia",
    "Lung, biopsy;\n  Adenocarcinoma, acinar predominant",
    "Urinary bladder, transurethral resection;\n  Non-invasive papillary urothelial carcinoma",
    "Cervix, punch biopsy;\n  High-grade squamous intraepithelial lesion (CIN 3)",
    "Liver, needle biopsy;\n  Metastatic adenocarcinoma, consistent with colorectal origin",
    "Thyroid, lobectomy;\n  Papillary thyroid carcinoma, classic type, 1.2 cm",
    "Rectum, endoscopic mucosal resection;\n  Sessile serrated lesion without dysplasia",
)
"""Pathology-report-like text for training the tiny tokenizers."""

BERT_MAX_POSITIONS = 520
LLAMA_MAX_POSITIONS = 1024


def _training_corpus(texts: Sequence[str] = REPORT_CORPUS) -> list[str]:
    lines = list(texts)
    lines += [line.lower() for line in texts]
    lines += ["0 1 2 3 4 5 6 7 8 9 . , ; : ( ) - / % + ' \\ µm é ü"]
    return lines * 4


def build_tiny_bert(
    folder: Path,
    *,
    seed: int = 0,
    corpus: Sequence[str] = REPORT_CORPUS,
    max_positions: int = BERT_MAX_POSITIONS,
    vocab_size: int = 220,
) -> Path:
    """BERT (hidden 32, 2 layers) with a WordPiece vocabulary, saved with a BertTokenizer.

    `corpus` is what the vocabulary is trained on; the tokenizer's `model_max_length` is the
    model's `max_positions`.
    """
    import torch
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from tokenizers.trainers import WordPieceTrainer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    tokenizer.train_from_iterator(
        _training_corpus(corpus), WordPieceTrainer(vocab_size=vocab_size, special_tokens=specials)
    )
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    wrapped = BertTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=max_positions,
    )
    wrapped.save_pretrained(folder)
    config = BertConfig(
        vocab_size=tokenizer.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=max_positions,
        pad_token_id=tokenizer.token_to_id("[PAD]"),
    )
    torch.manual_seed(seed)
    BertModel(config).save_pretrained(folder)
    return folder


def build_tiny_llama(folder: Path, *, seed: int = 0, add_bos: bool = True) -> Path:
    """Llama (hidden 32, 2 layers, GQA) with a byte-level BPE tokenizer and no pad token.

    With `add_bos=False` the tokenizer adds no special token, so an empty text has no token.
    """
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from tokenizers.trainers import BpeTrainer
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    bos, eos = "<|begin_of_text|>", "<|end_of_text|>"
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.train_from_iterator(
        _training_corpus(),
        BpeTrainer(
            vocab_size=320,
            special_tokens=[bos, eos],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        ),
    )
    bos_id, eos_id = tokenizer.token_to_id(bos), tokenizer.token_to_id(eos)
    if add_bos:
        tokenizer.post_processor = processors.TemplateProcessing(
            single=f"{bos} $A", pair=f"{bos} $A $B:1", special_tokens=[(bos, bos_id)]
        )
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=bos,
        eos_token=eos,
        model_input_names=["input_ids", "attention_mask"],
    )
    wrapped.save_pretrained(folder)
    config = LlamaConfig(
        vocab_size=tokenizer.get_vocab_size(),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=LLAMA_MAX_POSITIONS,
        bos_token_id=bos_id,
        eos_token_id=eos_id,
        pad_token_id=None,
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    LlamaForCausalLM(config).save_pretrained(folder)
    return folder








def _permute_for_gguf(weight: np.ndarray, n_heads: int) -> np.ndarray:
    """llama.cpp's layout for q/k projections (rotary halves interleaved); loaders undo it."""
    rows = weight.shape[0]
    return (
        weight.reshape(n_heads, 2, rows // n_heads // 2, *weight.shape[1:])
        .swapaxes(1, 2)
        .reshape(weight.shape)
    )


def build_tiny_llama_gguf(source: Path, target: Path, name: str = "tiny-llama.F32.gguf") -> Path:
    """Write the tiny Llama (float32 tensors, byte-level BPE vocabulary) as a GGUF file."""
    import json

    import gguf
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(source)
    tokenizer_json = json.loads((source / "tokenizer.json").read_text(encoding="utf-8"))
    vocab: dict[str, int] = tokenizer_json["model"]["vocab"]
    tokens = [""] * len(vocab)
    for token, index in vocab.items():
        tokens[index] = token
    special = {added["id"] for added in tokenizer_json["added_tokens"]}
    merges = [m if isinstance(m, str) else " ".join(m) for m in tokenizer_json["model"]["merges"]]
    rope = getattr(config, "rope_parameters", None) or {}
    rope_theta = float(rope.get("rope_theta", getattr(config, "rope_theta", 10000.0)))
    head_dim = config.hidden_size // config.num_attention_heads

    from safetensors.numpy import load_file

    weights = load_file(source / "model.safetensors")
    weights = {key.removeprefix("model."): value for key, value in weights.items()}
    target.mkdir(parents=True, exist_ok=True)
    path = target / name
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.num_attention_heads)
    writer.add_head_count_kv(config.num_key_value_heads)
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    writer.add_rope_freq_base(rope_theta)
    writer.add_rope_dimension_count(head_dim)
    writer.add_vocab_size(len(tokens))
    writer.add_tokenizer_model("gpt2")
    writer.add_token_list(tokens)
    writer.add_token_types([3 if index in special else 1 for index in range(len(tokens))])
    writer.add_token_merges(merges)
    writer.add_bos_token_id(config.bos_token_id)
    writer.add_eos_token_id(config.eos_token_id)
    writer.add_add_bos_token(True)
    writer.add_tensor("token_embd.weight", weights["embed_tokens.weight"])
    per_layer = {
        "attn_norm": "input_layernorm",
        "attn_v": "self_attn.v_proj",
        "attn_output": "self_attn.o_proj",
        "ffn_norm": "post_attention_layernorm",
        "ffn_gate": "mlp.gate_proj",
        "ffn_up": "mlp.up_proj",
        "ffn_down": "mlp.down_proj",
    }
    for layer in range(config.num_hidden_layers):
        prefix = f"layers.{layer}."
        q = weights[prefix + "self_attn.q_proj.weight"]
        k = weights[prefix + "self_attn.k_proj.weight"]
        writer.add_tensor(
            f"blk.{layer}.attn_q.weight", _permute_for_gguf(q, config.num_attention_heads)
        )
        writer.add_tensor(
            f"blk.{layer}.attn_k.weight", _permute_for_gguf(k, config.num_key_value_heads)
        )
        for gguf_name, hf_name in per_layer.items():
            writer.add_tensor(
                f"blk.{layer}.{gguf_name}.weight", weights[f"{prefix}{hf_name}.weight"]
            )
    writer.add_tensor("output_norm.weight", weights["norm.weight"])
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
