"""prefix-lm with a tiny random Llama and a tokenizer trained here, on CPU, a few steps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

from reg_eval.errors import UsageError  # noqa: E402
from reg_eval_baselines.prefix_lm import PrefixLMBaseline, PrefixLMConfig, warmup_linear  # noqa: E402
from reg_eval_baselines.synth import SynthConfig, make_cases, slide_bag  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def data() -> tuple[list[str], np.ndarray, list[str]]:
    config = SynthConfig(n_train=24, n_test=0, dim=8, min_patches=8, max_patches=16,
                         difficulty=0.0, seed=4)
    cases = make_cases(config)
    features = np.stack([slide_bag(config, c)[0].astype(np.float64).mean(0) for c in cases])
    return [c.slide_id for c in cases], features, [c.report.text for c in cases]


@pytest.fixture(scope="module")
def tokenizer(data):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300, special_tokens=["<pad>", "</s>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    raw.train_from_iterator(data[2], trainer=trainer)
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=raw, eos_token="</s>", pad_token="<pad>"
    )


def tiny_lm(tokenizer, seed: int = 0):
    torch.manual_seed(seed)
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=256,
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
    )
    return transformers.LlamaForCausalLM(config)


def settings(**changes: object) -> PrefixLMConfig:
    base = {"n_prefix": 2, "mlp_hidden": 16, "batch_size": 4, "grad_accum": 2, "epochs": 3,
            "lr": 1e-2, "lm_lr": 1e-2, "warmup_steps": 2, "max_new_tokens": 40,
            "device": "cpu", "seed": 1}
    return PrefixLMConfig(**{**base, **changes})


def test_round_trip_tokens(tokenizer, data) -> None:
    for report in data[2]:
        ids = tokenizer(report, add_special_tokens=False)["input_ids"]
        assert tokenizer.decode(ids, clean_up_tokenization_spaces=False) == report


def test_warmup_linear() -> None:
    assert [warmup_linear(s, 2, 6) for s in range(6)] == [0.5, 1.0, 1.0, 0.75, 0.5, 0.25]


def test_loss_decreases_and_generates(tokenizer, data) -> None:
    ids, features, reports = data
    model = PrefixLMBaseline(settings(epochs=6), lm=tiny_lm(tokenizer), tokenizer=tokenizer)
    model.fit(ids, features, reports)
    losses = model.loss_history
    assert len(losses) == 6 * 3  # 24 cases / (4 x 2) per step
    assert np.mean(losses[-3:]) < 0.8 * np.mean(losses[:3])
    greedy = model.generate(ids[:5], features[:5])
    assert len(greedy) == 5 and all(isinstance(t, str) for t in greedy)
    assert model.generate(ids[:5], features[:5]) == greedy  # deterministic
    beams = PrefixLMBaseline.__new__(PrefixLMBaseline)
    beams.__dict__.update(model.__dict__)
    beams.config = settings(epochs=6, num_beams=3, generate_batch_size=2)
    assert len(beams.generate(ids[:5], features[:5])) == 5


def test_seeded_and_resume_is_identical(tokenizer, data, tmp_path: Path) -> None:
    ids, features, reports = data
    whole = PrefixLMBaseline(settings(max_steps=6), lm=tiny_lm(tokenizer), tokenizer=tokenizer)
    whole.fit(ids, features, reports)
    twin = PrefixLMBaseline(settings(max_steps=6), lm=tiny_lm(tokenizer), tokenizer=tokenizer)
    twin.fit(ids, features, reports)
    assert twin.loss_history == whole.loss_history

    folder = str(tmp_path / "ckpt")
    first = PrefixLMBaseline(settings(max_steps=3, checkpoint_dir=folder),
                             lm=tiny_lm(tokenizer), tokenizer=tokenizer)
    first.fit(ids, features, reports)
    assert (tmp_path / "ckpt" / "checkpoint.pt").is_file()
    # a differently initialised model: everything must come from the checkpoint
    resumed = PrefixLMBaseline(settings(max_steps=6, checkpoint_dir=folder),
                               lm=tiny_lm(tokenizer, seed=99), tokenizer=tokenizer)
    resumed.fit(ids, features, reports)
    assert resumed.loss_history == whole.loss_history
    for a, b in zip(resumed.lm.parameters(), whole.lm.parameters(), strict=True):
        assert torch.equal(a, b)
    assert resumed.generate(ids[:4], features[:4]) == whole.generate(ids[:4], features[:4])

    changed = PrefixLMBaseline(settings(max_steps=6, checkpoint_dir=folder, lr=5e-2),
                               lm=tiny_lm(tokenizer), tokenizer=tokenizer)
    with pytest.raises(UsageError, match="lr="):
        changed.fit(ids, features, reports)


def test_precision_is_float32_on_cpu_and_checked_bfloat16_on_cuda(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from reg_eval_baselines.prefix_lm import autocast_dtype, make_accelerator

    assert autocast_dtype(torch.device("cpu")) is torch.float32
    assert make_accelerator("cpu", 2).mixed_precision == "no"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: True)
    assert autocast_dtype(torch.device("cuda", 0)) is torch.bfloat16
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: False)
    with pytest.raises(UsageError, match="does not support bfloat16") as refused:
        autocast_dtype(torch.device("cuda"))
    assert "--device cpu" in (refused.value.hint or "")


def test_generate_needs_fit(tokenizer) -> None:
    model = PrefixLMBaseline(settings(), lm=tiny_lm(tokenizer), tokenizer=tokenizer)
    with pytest.raises(UsageError, match="not fitted"):
        model.generate(["a"], np.zeros((1, 8)))


def test_run_from_local_folder(tokenizer, tmp_path: Path) -> None:
    """The CLI path: the LM is loaded by path, features come from files."""
    import json

    from reg_eval_baselines.run import run_baseline
    from reg_eval_baselines.synth import write_benchmark

    folder = tmp_path / "tiny-lm"
    tiny_lm(tokenizer).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    bench = tmp_path / "bench"
    write_benchmark(bench, SynthConfig(n_train=16, n_test=4, dim=8, min_patches=4,
                                       max_patches=8, seed=3))
    options = {"lm": str(folder), "n_prefix": 2, "mlp_hidden": 8, "batch_size": 8,
               "max_new_tokens": 12, "device": "cpu", "warmup_steps": 1}
    out = tmp_path / "pred.json"
    result = run_baseline(
        "prefix-lm", features_dir=bench / "features", train_path=bench / "train.json",
        test_ids_path=bench / "test.json", out_path=out, prefix_lm=options, seed=2,
    )
    assert result.n_test == 4
    written = json.loads(out.read_text(encoding="utf-8"))
    truth = json.loads((bench / "test.json").read_text(encoding="utf-8"))
    assert [r["id"] for r in written] == [r["id"] for r in truth]
    assert all(isinstance(r["report"], str) for r in written)
    with pytest.raises(UsageError, match=r"prefix-lm model folder .* does not exist"):
        run_baseline(
            "prefix-lm", features_dir=bench / "features", train_path=bench / "train.json",
            test_ids_path=bench / "test.json", out_path=tmp_path / "x.json",
            prefix_lm={**options, "lm": str(tmp_path / "nowhere")},
        )


class _RunsCode:
    """Unpickling this calls exec: what a hostile checkpoint in a run folder would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (exec, (f"open({str(self.marker)!r}, 'w').write('ran')",))


def test_a_checkpoint_that_would_run_code_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "code-ran"
    path = tmp_path / "checkpoint.pt"
    torch.save({"config": {}, "mean": _RunsCode(marker)}, path)
    with pytest.raises(UsageError) as caught:
        PrefixLMBaseline.read_checkpoint(path)
    assert not marker.exists()
    assert "could run code" in caught.value.message and str(path) in caught.value.message
    with pytest.raises(UsageError):
        PrefixLMBaseline.from_checkpoint(path)
    assert not marker.exists()


def test_checkpoints_load_safely_and_older_numpy_ones_still_load(
    tokenizer, data, tmp_path: Path
) -> None:
    ids, features, reports = data
    model = PrefixLMBaseline(settings(max_steps=2, checkpoint_dir=str(tmp_path / "c")),
                             lm=tiny_lm(tokenizer), tokenizer=tokenizer)
    model.fit(ids, features, reports)
    path = tmp_path / "c" / "checkpoint.pt"
    state = torch.load(path, map_location="cpu", weights_only=True)  # plain data only
    assert state["format"] == 2 and isinstance(state["mean"], torch.Tensor)
    read = PrefixLMBaseline.read_checkpoint(path)
    assert isinstance(read["mean"], np.ndarray) and np.array_equal(read["mean"], model.mean)
    # An earlier version stored mean and scale as numpy arrays.
    old = {**state, "mean": state["mean"].numpy(), "scale": state["scale"].numpy()}
    del old["format"]
    torch.save(old, tmp_path / "old.pt")
    again = PrefixLMBaseline.read_checkpoint(tmp_path / "old.pt")
    assert np.array_equal(again["scale"], model.scale)
    restored = PrefixLMBaseline.from_checkpoint(path, lm=tiny_lm(tokenizer), tokenizer=tokenizer)
    assert restored.generate(ids[:3], features[:3]) == model.generate(ids[:3], features[:3])
