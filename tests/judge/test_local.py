"""The transformers judge on a tiny random-weight Qwen3 with a Qwen3-style chat template."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tiny_qwen3 import scripted_qwen3

from reg_eval.errors import UsageError
from reg_eval.judge import GenerationSettings, load_judge
from reg_eval.judge.local import TransformersJudge, pick_dtype, row_seed

PROMPTS = [
    "Prostate, biopsy; no tumor present",
    "Breast, core-needle biopsy; invasive carcinoma of no special type, grade II, with "
    "lymphovascular invasion",
    "Lung",
    "Colon, colonoscopic biopsy; tubular adenoma with low grade dysplasia",
]
GREEDY = GenerationSettings(max_new_tokens=10, temperature=0.0)
SAMPLED = GenerationSettings(max_new_tokens=10)  # the model's own: 0.6, top-k 20, top-p 0.95


def judge(folder: Path, settings: GenerationSettings, batch_size: int = 8) -> TransformersJudge:
    return TransformersJudge(
        str(folder), settings=settings, device="cpu", batch_size=batch_size,
        cache_root=folder.parent / "memo",
    )


def test_batched_greedy_generation_equals_one_by_one(tiny_qwen3_dir: Path) -> None:
    batched = judge(tiny_qwen3_dir, GREEDY, batch_size=4).generate(PROMPTS)
    single = judge(tiny_qwen3_dir, GREEDY, batch_size=1)
    assert batched == [single.generate([p])[0] for p in PROMPTS]
    assert all(reply.raw for reply in batched)


def test_sampling_is_repeatable_per_seed_and_sample(tiny_qwen3_dir: Path) -> None:
    first = judge(tiny_qwen3_dir, SAMPLED).generate(PROMPTS)
    again = judge(tiny_qwen3_dir, SAMPLED).generate(PROMPTS)
    assert first == again
    other_sample = judge(tiny_qwen3_dir, SAMPLED).generate(PROMPTS, sample_index=1)
    other_seed = judge(tiny_qwen3_dir, GenerationSettings(max_new_tokens=10, seed=1)).generate(
        PROMPTS
    )
    assert other_sample != first and other_seed != first
    greedy = judge(tiny_qwen3_dir, GREEDY).generate(PROMPTS)
    assert first != greedy  # the model's own config samples


def test_a_prompts_sample_does_not_depend_on_its_batch(tiny_qwen3_dir: Path) -> None:
    batched = judge(tiny_qwen3_dir, SAMPLED, batch_size=4).generate(PROMPTS, sample_index=2)
    alone = judge(tiny_qwen3_dir, SAMPLED, batch_size=1)
    assert batched == [alone.generate([p], sample_index=2)[0] for p in PROMPTS]
    assert batched[::-1] == judge(tiny_qwen3_dir, SAMPLED).generate(PROMPTS[::-1], sample_index=2)


def test_top_k_one_sampling_is_greedy(tiny_qwen3_dir: Path) -> None:
    top1 = GenerationSettings(max_new_tokens=10, temperature=0.6, top_k=1)
    assert judge(tiny_qwen3_dir, top1).generate(PROMPTS) == judge(
        tiny_qwen3_dir, GREEDY
    ).generate(PROMPTS)


def test_sampling_settings_come_from_the_model_unless_overridden(tiny_qwen3_dir: Path) -> None:
    assert judge(tiny_qwen3_dir, SAMPLED).sampling() == {
        "temperature": 0.6, "top_k": 20, "top_p": 0.95, "min_p": None
    }
    override = GenerationSettings(temperature=1.2, top_p=0.5)
    assert judge(tiny_qwen3_dir, override).sampling() == {
        "temperature": 1.2, "top_k": 20, "top_p": 0.5, "min_p": None
    }
    assert judge(tiny_qwen3_dir, GREEDY).sampling() is None


def test_chat_template_renders_thinking_on_and_off(tiny_qwen3_dir: Path) -> None:
    on = judge(tiny_qwen3_dir, SAMPLED).prompt_text("Is this tissue?")
    off = judge(tiny_qwen3_dir, GenerationSettings(enable_thinking=False)).prompt_text(
        "Is this tissue?"
    )
    assert on == "<|im_start|>user\nIs this tissue?<|im_end|>\n<|im_start|>assistant\n"
    assert off == on + "<think>\n\n</think>\n\n"


def test_thinking_is_split_after_the_think_end_token(tiny_qwen3_dir: Path) -> None:
    local = judge(tiny_qwen3_dir, GREEDY)
    vocabulary = json.loads((tiny_qwen3_dir / "tokenizer.json").read_text(encoding="utf-8"))
    added = {token["content"]: token["id"] for token in vocabulary["added_tokens"]}
    assert local.think_end_id() == added["</think>"]
    tokenizer, _model = local._load()
    ids = tokenizer("<think>\nprostate\n</think>\n\n<answer>SAME</answer>")["input_ids"]
    ids.append(added["<|im_end|>"])
    reply = local._reply(tokenizer, ids, local.think_end_id())
    assert reply.reasoning == "prostate"
    assert reply.content == "<answer>SAME</answer>"
    plain = tokenizer("\n<answer>SAME</answer>\n")["input_ids"]
    assert local._reply(tokenizer, plain, local.think_end_id()).content == "<answer>SAME</answer>"


def test_identity_hashes_the_files_that_change_the_answers(
    tiny_qwen3_dir: Path, tmp_path: Path
) -> None:
    import tokenizers
    import torch
    import transformers

    original = judge(tiny_qwen3_dir, GREEDY).identity
    assert (original.backend, original.precision, original.base_url, original.device_type) == (
        "transformers", "float32", None, "cpu"
    )
    assert original.libraries == (
        ("torch", torch.__version__),
        ("transformers", transformers.__version__),
        ("tokenizers", tokenizers.__version__),
    )
    assert original.file_hash is not None and len(original.file_hash) == 64
    copy = tmp_path / "copy"
    shutil.copytree(tiny_qwen3_dir, copy)
    config = json.loads((copy / "generation_config.json").read_text(encoding="utf-8"))
    config["temperature"] = 0.7
    (copy / "generation_config.json").write_text(json.dumps(config), encoding="utf-8")
    assert judge(copy, GREEDY).identity.file_hash != original.file_hash
    (copy / "chat_template.jinja").write_text("{{ messages[0]['content'] }}", encoding="utf-8")
    shutil.copy(tiny_qwen3_dir / "generation_config.json", copy / "generation_config.json")
    assert judge(copy, GREEDY).identity.file_hash != original.file_hash


def test_cached_local_judge_loads_nothing_on_a_rerun(tiny_qwen3_dir: Path, tmp_path: Path) -> None:
    spec = f"transformers:{tiny_qwen3_dir}"
    first = load_judge(spec, settings=GREEDY, cache_root=tmp_path, device="cpu")
    replies = first.generate(PROMPTS)
    second = load_judge(spec, settings=GREEDY, cache_root=tmp_path, device="cpu")
    assert second.generate(PROMPTS) == replies
    assert second.calls == 0
    assert second.judge._loaded is None  # type: ignore[attr-defined]


def test_missing_models_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a model folder"):
        load_judge(f"transformers:{tmp_path / 'absent'}")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match=r"no config\.json"):
        load_judge(f"transformers:{tmp_path / 'empty'}")
    with pytest.raises(UsageError, match="not in the local Hugging Face cache"):
        load_judge("transformers:Qwen/Qwen3-8B")
    with pytest.raises(UsageError, match="--judge-model"):
        load_judge(f"transformers:{tmp_path}", model="x")


def test_row_seeds_differ_by_prompt_and_seed() -> None:
    assert row_seed(1, "a") != row_seed(2, "a")
    assert row_seed(1, "a") != row_seed(1, "b")
    assert 0 <= row_seed(1, "a") < 2**63


def test_a_row_ends_at_its_first_end_token() -> None:
    from reg_eval.judge.local import _until_eos

    assert _until_eos([5, 6, 2, 0, 0], {2, 0}) == [5, 6, 2]
    assert _until_eos([5, 0, 2], {2, 0}) == [5, 0]
    assert _until_eos([5, 6], {2}) == [5, 6]
    assert _until_eos([], {2}) == []


def test_a_folder_without_weights_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "no-weights"
    folder.mkdir()
    (folder / "config.json").write_text("{}", encoding="utf-8")
    with pytest.raises(UsageError, match="holds no weight files") as caught:
        load_judge(f"transformers:{folder}")
    assert "--emb-model" not in str(caught.value)


def test_a_hub_name_resolves_from_the_local_cache_only(
    tiny_qwen3_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants

    commit = "0123456789abcdef0123456789abcdef01234567"
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    repo = tmp_path / "hub" / "models--pathology--tiny-qwen3"
    shutil.copytree(tiny_qwen3_dir, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit, encoding="utf-8")
    judged = load_judge("transformers:pathology/tiny-qwen3", settings=GREEDY, device="cpu",
                        cache_root=tmp_path)
    identity = judged.identity
    assert (identity.model, identity.revision) == ("pathology/tiny-qwen3", commit)
    assert identity.file_hash is not None and len(identity.file_hash) == 64
    assert judged.generate(PROMPTS[:1]) == judge(tiny_qwen3_dir, GREEDY).generate(PROMPTS[:1])
    (repo / "snapshots" / commit / "chat_template.jinja").write_text("{{ 'x' }}", encoding="utf-8")
    again = load_judge("transformers:pathology/tiny-qwen3", device="cpu", cache_root=tmp_path)
    assert again.identity.file_hash != identity.file_hash


def test_generated_thinking_is_split_after_the_last_think_end(
    tiny_qwen3_dir: Path, tmp_path: Path
) -> None:
    script = ["<think>", "x", "</think>", "y"]
    folder = scripted_qwen3(tiny_qwen3_dir, tmp_path / "scripted", script)
    replies = judge(folder, GREEDY, batch_size=3).generate(PROMPTS[:3])
    assert {reply.raw for reply in replies} == {"<think>x</think>y"}
    assert {(reply.reasoning, reply.content) for reply in replies} == {("x", "y")}
    sampled = judge(folder, GenerationSettings(max_new_tokens=10)).generate(PROMPTS[:1])
    assert sampled[0].content == "y"  # the scripted token has all the probability mass


def test_without_think_end_everything_is_content(tiny_qwen3_dir: Path, tmp_path: Path) -> None:
    folder = scripted_qwen3(tiny_qwen3_dir, tmp_path / "scripted", ["<think>", "x", "y"])
    (reply,) = judge(folder, GREEDY).generate(PROMPTS[:1])
    assert (reply.content, reply.reasoning, reply.raw) == ("<think>xy", "", "<think>xy")


def test_gumbel_draws_follow_the_warped_distribution(tiny_qwen3_dir: Path) -> None:
    import torch

    settings = GenerationSettings(max_new_tokens=1, temperature=1.0, top_k=3, top_p=1.0)
    local = judge(tiny_qwen3_dir, settings)
    rows = 4000
    processor = local._processor([f"case {i}" for i in range(rows)], sample_index=0)
    vocabulary = local._load()[1].config.vocab_size
    scores = torch.zeros((rows, vocabulary))
    scores[:, 7], scores[:, 8], scores[:, 9] = 2.0, 1.0, 0.5  # top-k 3 keeps these three
    picked = processor(torch.zeros((rows, 1), dtype=torch.long), scores).argmax(dim=-1)
    counts = torch.bincount(picked, minlength=vocabulary).double() / rows
    # softmax(2, 1, 0.5) = e^2, e^1, e^0.5 over 11.7560: 0.6285, 0.2312, 0.1402
    assert counts[7].item() == pytest.approx(0.6285, abs=0.03)
    assert counts[8].item() == pytest.approx(0.2312, abs=0.03)
    assert counts[9].item() == pytest.approx(0.1402, abs=0.03)
    assert counts.sum().item() == pytest.approx(1.0)
    assert counts[7:10].sum().item() == pytest.approx(1.0)


# -- precision: the organisers' choice by default, checked against the device when asked -----


def test_the_judge_precision_defaults_to_float32_on_the_cpu() -> None:
    assert pick_dtype("cpu", None) == "float32"
    assert pick_dtype("cpu", "auto") == "float32"
    assert pick_dtype("cpu", " Float32 ") == "float32"


@pytest.mark.parametrize(("capability", "expected"), [((7, 5), "float16"), ((8, 0), "bfloat16"),
                                                      ((9, 0), "bfloat16")])
def test_the_judge_precision_on_a_gpu_follows_its_capability(
    capability: tuple[int, int], expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: capability[0] >= 8)
    assert pick_dtype("cuda", None) == expected
    assert pick_dtype("cuda:0", "auto") == expected


def test_an_asked_for_precision_the_device_cannot_run_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import torch

    from reg_eval.backends import devices

    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    with pytest.raises(UsageError, match="this GPU does not support bfloat16") as info:
        pick_dtype("cuda", "bfloat16")
    assert "--judge-dtype float16" in (info.value.hint or "")
    assert pick_dtype("cuda", "float16") == "float16"  # asked for, and the GPU runs it
    monkeypatch.setattr(devices, "_cpu_supports", lambda dtype: False)
    with pytest.raises(UsageError, match="cannot run bfloat16 on the CPU"):
        pick_dtype("cpu", "bfloat16")
    with pytest.raises(UsageError, match="unknown dtype 'float64'") as info:
        pick_dtype("cpu", "float64")
    assert "--judge-dtype" in (info.value.hint or "")


def test_the_asked_for_precision_reaches_the_model_and_the_identity(
    tiny_qwen3_dir: Path, tmp_path: Path
) -> None:
    import torch

    from reg_eval.backends import devices

    if not devices._cpu_supports(torch.bfloat16):
        pytest.skip("this torch build cannot run bfloat16 on the CPU")
    local = TransformersJudge(str(tiny_qwen3_dir), device="cpu", dtype="bfloat16",
                              cache_root=tmp_path)
    assert local.identity.precision == "bfloat16"
    _tokenizer, model = local._load()
    assert next(model.parameters()).dtype is torch.bfloat16
    assert TransformersJudge(str(tiny_qwen3_dir), device="cpu",
                             cache_root=tmp_path).identity.precision == "float32"


def test_a_served_judge_refuses_a_precision() -> None:
    with pytest.raises(UsageError, match="--judge-dtype float16 sets a local judge's precision"):
        load_judge("openai:http://127.0.0.1:1/v1", model="m", dtype="float16")
    load_judge("openai:http://127.0.0.1:1/v1", model="m", dtype="auto")  # the default is fine
