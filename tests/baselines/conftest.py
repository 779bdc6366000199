"""Writers for feature files in the formats teams bring (CLAM, TRIDENT, torch)."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest


def write_clam_h5(path: Path, features: np.ndarray) -> Path:
    """CLAM layout: `features` (N, D) and `coords` (N, 2), no metadata."""
    with h5py.File(path, "w") as handle:
        handle.create_dataset("features", data=features)
        handle.create_dataset("coords", data=np.zeros((features.shape[0], 2), dtype=np.int64))
    return path


def write_trident_h5(path: Path, features: np.ndarray, *, slide_level: bool = False) -> Path:
    """TRIDENT layout: attributes on datasets and JSON strings as metadata."""
    with h5py.File(path, "w") as handle:
        handle.attrs["encoder"] = "conch_v15"
        handle.attrs["metadata"] = json.dumps({"encoder": "conch_v15", "mpp": 0.5})
        dataset = handle.create_dataset("features", data=features)
        dataset.attrs["name"] = path.stem
        if not slide_level:
            coords = handle.create_dataset(
                "coords", data=np.arange(features.shape[0] * 2, dtype=np.int64).reshape(-1, 2)
            )
            coords.attrs["patch_size"] = 512
            coords.attrs["level0_magnification"] = 40
    return path


@pytest.fixture(autouse=True)
def own_cache_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's cache root (hash memo of LM folders included), never the user's."""
    root = tmp_path / "reg-eval-cache"
    monkeypatch.setenv("REG_EVAL_CACHE_DIR", str(root))
    return root


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture
def clam_h5():
    return write_clam_h5


@pytest.fixture
def trident_h5():
    return write_trident_h5


def build_tiny_lm_folder(folder: Path, texts: list[str]) -> Path:
    """A 2-layer random Llama and a byte-level BPE tokenizer trained on `texts`, saved as a
    model folder that `--lm FOLDER` loads (a few hundred kB, built in a second)."""
    import torch
    import transformers
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300, special_tokens=["<pad>", "</s>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    raw.train_from_iterator(texts, trainer=trainer)
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=raw, eos_token="</s>", pad_token="<pad>"
    )
    torch.manual_seed(0)
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=256,
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
    )
    transformers.LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_lm_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("tokenizers")
    from reg_eval_baselines.synth import SynthConfig, make_cases

    texts = [c.report.text for c in make_cases(SynthConfig(n_train=300, n_test=0, seed=11))]
    return build_tiny_lm_folder(tmp_path_factory.mktemp("lm") / "tiny-llama", texts)
