"""EMB vectors from padded batches must equal the official one-text-at-a-time computation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from reg_eval.backends.devices import check_device_name, check_dtype_name, resolve_dtype
from reg_eval.backends.embeddings import TransformersEmbeddingBackend
from reg_eval.backends.identity import ModelIdentity
from reg_eval.cache import FeatureCache
from reg_eval.errors import UsageError

REPO_ROOT = Path(__file__).resolve().parents[2]
TOLERANCE = 1e-5

SHORT_TEXTS = [
    "Stomach, endoscopic biopsy;\n  Chronic gastritis with intestinal metaplasia",
    "Prostate, biopsy;\n  No tumor present",
    "Prostate, biopsy: No tumor present",
    "Lung, biopsy;\n  Adenocarcinoma",
    "Breast, core-needle biopsy;\n  Invasive carcinoma of no special type, grade II",
    "Colon; tubular adenoma",
    "   ",
    "Thyroid — papillary carcinoma, 1.2 cm (µm, é)",
]
LONG_TEXT = " ".join(
    f"Section {i}: colon, colonoscopic biopsy; tubular adenoma with low grade dysplasia."
    for i in range(60)
)


def mixed_texts() -> list[str]:
    """Duplicates, empty strings, a text far past 512 tokens, varied lengths, fixed order."""
    return [
        SHORT_TEXTS[0],
        "",
        LONG_TEXT,
        SHORT_TEXTS[1],
        SHORT_TEXTS[0],
        *SHORT_TEXTS[2:],
        "",
        LONG_TEXT[:700],
        SHORT_TEXTS[1],
        LONG_TEXT,
    ]


def official_vectors(folder: Path, texts: list[str]) -> np.ndarray:
    """The organisers' computation, literally: one unpadded text per forward, mean over dim 1."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder)
    model.eval()
    rows = []
    with torch.no_grad():
        for text in texts:
            encoded = tokenizer(text, truncation=True, max_length=512, return_tensors="pt")
            rows.append(model(**encoded).last_hidden_state.mean(dim=1)[0].numpy())
    return np.stack(rows)


def emb_identity(folder: Path, dtype: str = "float32") -> ModelIdentity:
    return ModelIdentity(
        role="emb", name=str(folder), precision=dtype, options=(("max_length", "512"),)
    )


def make_backend(folder: Path, **options: object) -> TransformersEmbeddingBackend:
    dtype = str(options.pop("dtype", "float32"))
    return TransformersEmbeddingBackend(
        str(folder), identity=emb_identity(folder, dtype), device="cpu", dtype=dtype, **options
    )


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return mixed_texts()


@pytest.fixture(scope="module", params=["bert", "llama"])
def model_and_reference(
    request: pytest.FixtureRequest, tiny_bert_dir: Path, tiny_llama_dir: Path, texts: list[str]
) -> tuple[Path, np.ndarray]:
    folder = tiny_bert_dir if request.param == "bert" else tiny_llama_dir
    return folder, official_vectors(folder, texts)


def test_the_long_text_is_truncated_and_the_empty_text_has_special_tokens(
    tiny_bert_dir: Path, tiny_llama_dir: Path
) -> None:
    from transformers import AutoTokenizer

    bert = AutoTokenizer.from_pretrained(tiny_bert_dir)
    llama = AutoTokenizer.from_pretrained(tiny_llama_dir)
    assert len(bert(LONG_TEXT)["input_ids"]) > 600
    assert len(llama(LONG_TEXT)["input_ids"]) > 600
    assert bert("")["input_ids"] == [bert.cls_token_id, bert.sep_token_id]
    assert llama("")["input_ids"] == [llama.bos_token_id]
    assert llama.pad_token is None


@pytest.mark.parametrize("batch_size", [1, 3, 8])
def test_batched_vectors_equal_the_official_per_text_vectors(
    model_and_reference: tuple[Path, np.ndarray], texts: list[str], batch_size: int
) -> None:
    folder, reference = model_and_reference
    backend = make_backend(folder, batch_size=batch_size)
    vectors = backend.embed(texts)
    assert vectors.dtype == np.float32
    assert vectors.shape == reference.shape
    assert np.all(np.isfinite(vectors))
    assert np.max(np.abs(vectors - reference)) <= TOLERANCE
    distinct = len(set(texts))
    assert backend.stats.texts_embedded == distinct
    assert backend.stats.forward_calls == -(-distinct // batch_size)


def test_duplicates_get_identical_vectors_in_input_order(tiny_llama_dir: Path) -> None:
    texts = mixed_texts()
    vectors = make_backend(tiny_llama_dir, batch_size=4).embed(texts)
    for i, text in enumerate(texts):
        first = texts.index(text)
        assert np.array_equal(vectors[i], vectors[first])
    assert not np.allclose(vectors[0], vectors[3])


def test_a_text_with_no_token_embeds_to_the_zero_vector(tiny_llama_no_bos_dir: Path) -> None:
    from transformers import AutoTokenizer

    assert AutoTokenizer.from_pretrained(tiny_llama_no_bos_dir)("")["input_ids"] == []
    others = [SHORT_TEXTS[0], SHORT_TEXTS[1]]
    vectors = make_backend(tiny_llama_no_bos_dir, batch_size=8).embed(["", *others, ""])
    assert np.array_equal(vectors[0], np.zeros(32, dtype=np.float32))
    assert np.array_equal(vectors[3], np.zeros(32, dtype=np.float32))
    reference = official_vectors(tiny_llama_no_bos_dir, others)
    assert np.max(np.abs(vectors[1:3] - reference)) <= TOLERANCE


def test_no_text_gives_an_empty_array(tiny_bert_dir: Path) -> None:
    backend = make_backend(tiny_bert_dir)
    assert backend.embed([]).shape == (0, 0)
    assert backend.resolved_device is None


def test_the_cache_makes_a_second_run_embed_only_new_texts(
    tiny_bert_dir: Path, tmp_path: Path
) -> None:
    first_texts = [SHORT_TEXTS[0], SHORT_TEXTS[1], SHORT_TEXTS[0], ""]
    second_texts = [SHORT_TEXTS[1], SHORT_TEXTS[2], "", SHORT_TEXTS[3], SHORT_TEXTS[2]]

    first = make_backend(tiny_bert_dir, cache=FeatureCache(tmp_path))
    first_vectors = first.embed(first_texts)
    assert first.stats.texts_embedded == 3

    second = make_backend(tiny_bert_dir, cache=FeatureCache(tmp_path))
    second_vectors = second.embed(second_texts)
    assert second.stats.texts_embedded == 2  # SHORT_TEXTS[2] and [3] only
    assert np.array_equal(second_vectors[0], first_vectors[1])
    assert np.array_equal(second_vectors[2], first_vectors[3])
    reference = official_vectors(tiny_bert_dir, second_texts)
    assert np.max(np.abs(second_vectors - reference)) <= TOLERANCE

    third = make_backend(tiny_bert_dir, cache=FeatureCache(tmp_path))
    third.embed(first_texts + second_texts)
    assert third.stats.texts_embedded == 0
    assert third.resolved_device is None  # the model was never loaded


def test_precision_and_length_get_their_own_cache_entries(
    tiny_bert_dir: Path, tmp_path: Path
) -> None:
    cache = FeatureCache(tmp_path)
    make_backend(tiny_bert_dir, cache=cache).embed([SHORT_TEXTS[0]])
    shorter = make_backend(tiny_bert_dir, cache=cache, max_length=8)
    vector = shorter.embed([SHORT_TEXTS[0]])
    assert shorter.stats.texts_embedded == 1
    assert (
        make_backend(tiny_bert_dir).namespace
        != make_backend(tiny_bert_dir, dtype="bfloat16").namespace
    )
    reference = official_vectors_truncated(tiny_bert_dir, SHORT_TEXTS[0], max_length=8)
    assert np.max(np.abs(vector[0] - reference)) <= TOLERANCE


def official_vectors_truncated(folder: Path, text: str, *, max_length: int) -> np.ndarray:
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder).eval()
    with torch.no_grad():
        encoded = tokenizer(text, truncation=True, max_length=max_length, return_tensors="pt")
        return model(**encoded).last_hidden_state.mean(dim=1)[0].numpy()


def test_a_fully_cached_run_never_imports_torch_or_transformers(
    tiny_llama_dir: Path, tmp_path: Path
) -> None:
    texts = mixed_texts()
    expected = make_backend(tiny_llama_dir, cache=FeatureCache(tmp_path)).embed(texts)
    script = """
import json, sys
from pathlib import Path
from reg_eval.backends.embeddings import TransformersEmbeddingBackend
from reg_eval.backends.identity import ModelIdentity
from reg_eval.cache import FeatureCache
folder, root, texts = json.loads(sys.argv[1])
identity = ModelIdentity(role="emb", name=folder, precision="float32",
                         options=(("max_length", "512"),))
backend = TransformersEmbeddingBackend(folder, identity=identity, device="cpu",
                                       cache=FeatureCache(Path(root)))
vectors = backend.embed(texts)
print(json.dumps({"torch": "torch" in sys.modules,
                  "transformers": "transformers" in sys.modules,
                  "vectors": vectors.tolist()}))
"""
    argument = json.dumps([str(tiny_llama_dir), str(tmp_path), texts])
    done = subprocess.run(
        [sys.executable, "-c", script, argument],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=True,
        timeout=60,
    )
    result = json.loads(done.stdout)
    assert result["torch"] is False
    assert result["transformers"] is False
    assert np.array_equal(np.asarray(result["vectors"], dtype=np.float32), expected)


def test_a_missing_local_model_is_a_usage_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    backend = make_backend(missing)
    with pytest.raises(UsageError) as caught:
        backend.embed(["Lung, biopsy; adenocarcinoma"])
    assert str(missing) in caught.value.message
    assert "--profile offline" in (caught.value.hint or "")


def test_a_missing_hub_model_says_how_to_download_it() -> None:
    name = "example-org/no-such-embedding-model"
    backend = TransformersEmbeddingBackend(
        name, identity=ModelIdentity(role="emb", name=name, precision="float32"), device="cpu"
    )
    with pytest.raises(UsageError) as caught:
        backend.embed(["Lung, biopsy; adenocarcinoma"])
    assert name in caught.value.message
    assert f"hf download {name}" in (caught.value.hint or "")
    assert caught.value.exit_code == 2


def test_bfloat16_on_the_cpu_stays_close_to_float32(tiny_llama_dir: Path) -> None:
    texts = [SHORT_TEXTS[0], SHORT_TEXTS[4], ""]
    full = make_backend(tiny_llama_dir).embed(texts)
    half = make_backend(tiny_llama_dir, dtype="bfloat16").embed(texts)
    assert half.dtype == np.float32
    assert np.max(np.abs(half - full)) < 0.1
    assert not np.array_equal(half, full)


def test_identity_precision_must_match_the_dtype(tiny_bert_dir: Path) -> None:
    with pytest.raises(ValueError, match="bfloat16"):
        TransformersEmbeddingBackend(
            str(tiny_bert_dir), identity=emb_identity(tiny_bert_dir, "bfloat16"), dtype="float32"
        )


def test_device_and_dtype_names_are_checked() -> None:
    assert check_device_name("CUDA:1") == "cuda:1"
    assert check_dtype_name("bfloat16") == "bfloat16"
    with pytest.raises(UsageError):
        check_device_name("tpu")
    with pytest.raises(UsageError):
        check_dtype_name("float64")
    with pytest.raises(UsageError):
        make_backend(Path("unused"), batch_size=0)


def test_cuda_without_a_gpu_is_a_usage_error() -> None:
    import torch

    from reg_eval.backends.devices import resolve_device

    if torch.cuda.is_available():
        pytest.skip("a GPU is visible")
    assert resolve_device("auto") == "cpu"
    with pytest.raises(UsageError, match="no CUDA GPU"):
        resolve_device("cuda")
    assert resolve_dtype("float32", "cpu") is torch.float32


def test_the_gpu_benchmark_runs_in_miniature_on_the_cpu(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "gpu_score", REPO_ROOT / "benchmarks" / "gpu_score.py"
    )
    assert spec is not None and spec.loader is not None
    gpu_score = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "gpu_score", gpu_score)  # dataclasses look it up
    spec.loader.exec_module(gpu_score)
    output = tmp_path / "gpu_score.json"
    status = gpu_score.main(
        ["--tiny", "--device", "cpu", "--json", str(output), "--workdir", str(tmp_path)]
    )
    assert status == 0
    result = json.loads(output.read_text())
    assert result["n_cases"] == 40
    assert result["n_distinct"] == 20
    assert result["max_abs_delta_emb"]["batched_float32_vs_per_text_float32"] <= 1e-5
    assert 0 < result["max_abs_delta_emb"]["batched_bfloat16_vs_per_text_float32"] < 0.1
    assert result["batched"]["float32"]["forward_calls"] == 1
    assert "per-text float32 (official)" in capsys.readouterr().out


def test_a_gguf_file_loads_through_the_same_backend(
    tiny_llama_gguf: Path, tiny_llama_dir: Path
) -> None:
    texts = mixed_texts()
    backend = TransformersEmbeddingBackend(
        str(tiny_llama_gguf.parent),
        identity=ModelIdentity(role="emb", name=tiny_llama_gguf.name, precision="float32"),
        gguf_file=tiny_llama_gguf.name,
        device="cpu",
        batch_size=3,
    )
    vectors = backend.embed(texts)
    reference = official_vectors(tiny_llama_dir, texts)  # the same weights, as safetensors
    assert np.max(np.abs(vectors - reference)) <= TOLERANCE


def test_float32_cpu_runs_prepacked_linear_layers_and_still_matches(
    model_and_reference: tuple[Path, np.ndarray], texts: list[str]
) -> None:
    import torch
    from torch.utils.mkldnn import MkldnnLinear

    if not torch.backends.mkldnn.is_available():
        pytest.skip("this torch has no oneDNN")
    folder, reference = model_and_reference
    backend = make_backend(folder, batch_size=3)
    vectors = backend.embed(texts)
    _tokenizer, model, _device = backend.load()
    kinds = {type(module) for module in model.modules()}
    assert MkldnnLinear in kinds
    assert torch.nn.Linear not in kinds
    assert np.max(np.abs(vectors - reference)) <= TOLERANCE
    again = make_backend(folder, batch_size=3).embed(texts)
    assert again.tobytes() == vectors.tobytes()
