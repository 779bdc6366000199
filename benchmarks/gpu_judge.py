"""The judge layer on a GPU: reg-eval's batched transformers judge against the one-prompt-at-a-
time loop of the organisers' judge, and, when vLLM is installed, the served judge against a
vLLM server on the same GPU, on Metric B's prompts. Prompts, ROIs and pairs per second, and
peak GPU memory.

Needs: torch (a CUDA build for the real run), transformers, tokenizers; vLLM optionally; no
network. Run from the repository root (`benchmarks/gpu_judge.sh` does): the script imports
`reg_eval` from the checkout.

What it does, seeded and offline:
1. builds a Qwen3-architecture model with random weights from Qwen3-8B's config (hidden 4096,
   36 layers, 32 heads with 8 key-value heads of 128, MLP 12288, vocabulary 151,936; about
   8.2 B parameters) in bfloat16, and a byte-level BPE tokenizer whose ids match Qwen3's
   layout (151,643 ordinary tokens, then `<|endoftext|>` 151643, `<|im_start|>` 151644,
   `<|im_end|>` 151645, ..., `<think>` 151667, `</think>` 151668, padding ids up to 151,935),
   with a Qwen3-style chat template and Qwen3-8B's sampling settings; saves them to a folder;
2. makes at least N prompts of REG 2026 Metric B's judge (the organisers' background and
   similarity prompts), planned by reg-eval's Metric B planner over synthetic ROI units of a
   tissue original, its perturbed copy and a background ROI (3 prompts and 2 pairs a unit);
3. times `TransformersJudge` (hashing, loading, then all prompts in batches, thinking on, the
   model's own sampling) and the organisers' way (the same judge with batch size 1) on the
   first few prompts; random weights almost never emit an end token, so every reply runs to
   `--max-new-tokens` and prompts per second are tokens per second over that budget;
4. with vLLM: starts `vllm serve` on the folder, times `OpenAIChatJudge` with `--concurrency`
   requests in flight, and samples the GPU memory used with nvidia-smi.

Random weights are enough: speed and memory depend on the architecture, sizes and the number
of tokens, not on what the weights learned. `--tiny` runs the same steps with a miniature
model on the CPU in seconds.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

QWEN3_8B = {
    "vocab_size": 151936,
    "hidden_size": 4096,
    "intermediate_size": 12288,
    "num_hidden_layers": 36,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "head_dim": 128,
    "max_position_embeddings": 40960,
    "rope_theta": 1000000.0,
    "rms_norm_eps": 1e-6,
    "tie_word_embeddings": False,
}
"""Qwen3-8B's architecture fields (its config.json)."""
TINY = {**QWEN3_8B, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16}
ORDINARY = 151643
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] + [
    f"<|reserved_{i}|>" for i in range(21)
] + ["<think>", "</think>"]
"""Ids 151643..151668 as Qwen3 lays them out: the end of text, the turn markers, ..., the
think tags (the reserved names stand for Qwen3's tool and vision markers)."""
SAMPLING = {"do_sample": True, "temperature": 0.6, "top_k": 20, "top_p": 0.95}
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}"
    "{% if enable_thinking is defined and enable_thinking is false %}"
    "{{ '<think>\\n\\n</think>\\n\\n' }}{% endif %}{% endif %}"
)
FINDINGS = (
    "Invasive carcinoma of no special type, grade II, with lymphovascular invasion",
    "Acinar adenocarcinoma, Gleason score 3+4=7, grade group 2, in 4 of 12 cores",
    "Chronic gastritis with intestinal metaplasia, Helicobacter pylori negative",
    "Tubular adenoma with low grade dysplasia, margins free",
    "Non-invasive papillary urothelial carcinoma, high grade",
    "No tumor present",
    "Adenocarcinoma, acinar predominant, TTF-1 positive",
    "High-grade squamous intraepithelial lesion (CIN 3), margins involved",
)
ORGANS = ("Breast", "Prostate", "Stomach", "Colon", "Urinary bladder", "Lung", "Cervix")


QUESTION = "What is the dominant content in this ROI? Answer briefly."
BACKGROUND_ANSWERS = ("No tissue, background only.", "Blank glass with no cells.",
                      "Background; a few fibres of mounting medium.")


@dataclass(frozen=True)
class Workload:
    """Metric B's distinct judge prompts for a set of ROIs, and how many ROIs and pairs."""

    prompts: list[str]
    rois: int
    pairs: int


def workload(n: int, seed: int) -> Workload:
    """At least N Metric B prompts, planned by reg-eval's own Metric B planner over units of
    three ROIs (a tissue original, its perturbed copy and a background ROI): per unit B1
    judges the background answer, B2 the original against the copy, B3 the original against
    the background (its background verdict shared with B1), so 3 distinct prompts and 2
    pairs. Every answer names its unit, so no two prompts coincide."""
    from reg_eval.io.grounding import RoiAnswer, mapping_text, read_mapping, require_valid
    from reg_eval.reg2026.metric_b import plan_metric_b

    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    answers: dict[str, RoiAnswer] = {}

    def add(rid: str, variant: str, paired: str, b3: str, label: str, text: str) -> None:
        image = f"roi_{rid}.jpg"
        rows.append({"row_index": str(len(rows)), "anonymous_id": rid, "image": image,
                     "variant": variant, "paired_anonymous_id": paired,
                     "b3_paired_anonymous_id": b3, "label": label, "question": QUESTION})
        answers[rid] = RoiAnswer(id=rid, image=image, question=QUESTION, answer=text,
                                 source="benchmark")

    for unit in range((n + 2) // 3):
        tissue, copy, background = (f"{3 * unit + k:06d}" for k in range(3))
        finding = f"{rng.choice(ORGANS)} tissue: {rng.choice(FINDINGS).lower()} (region {unit})"
        perturbed = finding if rng.random() < 0.5 else f"{rng.choice(FINDINGS)} (region {unit})"
        add(tissue, "original", copy, background, "tissue", finding)
        add(copy, "perturbed", "none", "none", "tissue", perturbed + ".")
        add(background, "original", "none", "none", "background",
            f"{rng.choice(BACKGROUND_ANSWERS)} (region {unit})")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rois_mapping.txt"
        path.write_text(mapping_text(rows), encoding="utf-8")
        mapping = read_mapping(path)  # the reader's own checks, as a real mapping gets them
    require_valid(mapping, "ROI mapping")
    plan = plan_metric_b(mapping.rows, answers)
    prompts = [judgement.prompt for judgement in plan.judgements()]
    pairs = sum(item.part in ("B2", "B3") for item in plan.items)
    return Workload(prompts=prompts, rois=len(mapping.rows), pairs=pairs)


def rates(count: int, seconds: float) -> float:
    return round(count / seconds, 3)


def build_tokenizer(folder: Path, texts: list[str], seed: int) -> None:
    """Byte-level BPE trained on the workload, then padded with synthetic merges to Qwen3's
    151,643 ordinary tokens, then Qwen3's special ids; every model id decodes to something."""
    from tokenizers import AddedToken, Tokenizer, models, pre_tokenizers
    from tokenizers import decoders as dec
    from tokenizers.trainers import BpeTrainer
    from transformers import PreTrainedTokenizerFast

    trained = Tokenizer(models.BPE())
    trained.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trained.train_from_iterator(
        texts, BpeTrainer(vocab_size=4000, initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    )
    state = json.loads(trained.to_str())
    vocab: dict[str, int] = state["model"]["vocab"]
    merges = [m if isinstance(m, list) else m.split(" ") for m in state["model"]["merges"]]
    tokens = sorted(vocab, key=vocab.get)
    rng = random.Random(seed)
    pool = tokens[:5000]
    while len(vocab) < ORDINARY:
        left, right = pool[rng.randrange(len(pool))], pool[rng.randrange(len(pool))]
        merged = left + right
        if merged in vocab or len(merged) > 24:
            continue
        vocab[merged] = len(vocab)
        merges.append([left, right])
        if len(pool) < 5000:
            pool.append(merged)
    state["model"]["vocab"] = vocab
    state["model"]["merges"] = merges
    tokenizer = Tokenizer.from_str(json.dumps(state))
    tokenizer.decoder = dec.ByteLevel()
    tokenizer.add_special_tokens([AddedToken(t, special=True) for t in SPECIALS[:-2]])
    tokenizer.add_tokens([AddedToken("<think>", special=False),
                          AddedToken("</think>", special=False)])
    pad = [AddedToken(f"<|vocab_pad_{i}|>", special=True)
           for i in range(QWEN3_8B["vocab_size"] - ORDINARY - len(SPECIALS))]
    tokenizer.add_special_tokens(pad)
    assert tokenizer.token_to_id("</think>") == 151668, tokenizer.token_to_id("</think>")
    assert tokenizer.get_vocab_size() == QWEN3_8B["vocab_size"]
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, eos_token="<|im_end|>", pad_token="<|endoftext|>",
        model_input_names=["input_ids", "attention_mask"],
    )
    wrapped.chat_template = CHAT_TEMPLATE
    wrapped.save_pretrained(folder)


def build_model(folder: Path, architecture: dict[str, Any], device: str, seed: int) -> float:
    """Random weights in bfloat16 (float32 on the CPU), saved; returns billions of parameters."""
    import torch
    from transformers import GenerationConfig, Qwen3Config, Qwen3ForCausalLM

    config = Qwen3Config(**architecture, bos_token_id=151643, eos_token_id=[151645, 151643],
                         pad_token_id=151643)
    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    torch.manual_seed(seed)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            model = Qwen3ForCausalLM(config)
    finally:
        torch.set_default_dtype(previous)
    model.generation_config = GenerationConfig(
        bos_token_id=151643, eos_token_id=[151645, 151643], pad_token_id=151643, **SAMPLING
    )
    billions = sum(p.numel() for p in model.parameters()) / 1e9
    model.save_pretrained(folder, max_shard_size="5GB")
    del model
    gc.collect()
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
    return billions


def peak_gb(device: str) -> float | None:
    import torch

    if not device.startswith("cuda"):
        return None
    return round(torch.cuda.max_memory_allocated() / 2**30, 2)


def time_transformers(folder: Path, work: Workload, args: argparse.Namespace,
                      cache_root: Path) -> dict[str, Any]:
    import torch

    from reg_eval.judge.local import TransformersJudge
    from reg_eval.judge.types import GenerationSettings

    prompts = work.prompts
    settings = GenerationSettings(max_new_tokens=args.max_new_tokens)
    started = time.perf_counter()
    judge = TransformersJudge(str(folder), settings=settings, device=args.device,
                              batch_size=args.batch_size, cache_root=cache_root)
    hashed = time.perf_counter() - started
    started = time.perf_counter()
    judge._load()
    loaded = time.perf_counter() - started
    judge.generate(prompts[:2])  # warm-up
    if args.device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    batched = judge.generate(prompts, sample_index=1)
    if args.device.startswith("cuda"):
        torch.cuda.synchronize()
    batched_s = time.perf_counter() - started
    batched_peak = peak_gb(args.device)
    single = TransformersJudge(str(folder), settings=settings, device=args.device,
                               batch_size=1, cache_root=cache_root)
    single._loaded = judge._loaded  # the same weights, asked one prompt at a time
    subset = prompts[: args.single_prompts]
    started = time.perf_counter()
    alone = single.generate(subset, sample_index=1)
    one_s = time.perf_counter() - started
    same = sum(a == b for a, b in zip(alone, batched, strict=False))
    result = {
        "identity": judge.identity.describe(),
        "precision": judge.dtype,
        "hash_s": round(hashed, 2),
        "load_s": round(loaded, 2),
        "prompts": len(prompts),
        "batch_size": args.batch_size,
        "batched_s": round(batched_s, 2),
        "rois": work.rois,
        "pairs": work.pairs,
        "batched_prompts_per_s": rates(len(prompts), batched_s),
        "batched_rois_per_s": rates(work.rois, batched_s),
        "batched_pairs_per_s": rates(work.pairs, batched_s),
        "batched_new_tokens_per_s_at_most": round(len(prompts) * args.max_new_tokens / batched_s),
        "batched_peak_gb": batched_peak,
        "one_at_a_time_prompts": len(subset),
        "one_at_a_time_prompts_per_s": round(len(subset) / one_s, 3),
        "speedup_batched_vs_one_at_a_time": round(
            (len(prompts) / batched_s) / (len(subset) / one_s), 2
        ),
        "one_at_a_time_equal_to_batched": f"{same}/{len(subset)}",
    }
    del judge, single
    gc.collect()
    if args.device.startswith("cuda"):
        torch.cuda.empty_cache()
    return result


class MemoryPoller:
    """The largest GPU memory in use (nvidia-smi, MiB) while it runs."""

    def __init__(self) -> None:
        self.peak_mib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                out = subprocess.run(
                    ["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
                    capture_output=True, text=True, timeout=10, check=False,
                ).stdout
                self.peak_mib = max([self.peak_mib, *(int(x) for x in out.split() if x.isdigit())])
            except (OSError, subprocess.SubprocessError):
                return
            self._stop.wait(0.5)

    def __enter__(self) -> MemoryPoller:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=15)


def time_vllm(folder: Path, work: Workload, args: argparse.Namespace,
              cache_root: Path) -> dict[str, Any]:
    from reg_eval.judge.served import OpenAIChatJudge
    from reg_eval.judge.types import GenerationSettings

    prompts = work.prompts
    port = args.vllm_port
    command = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", str(folder),
               "--served-model-name", "judge", "--dtype", "bfloat16", "--port", str(port),
               "--host", "127.0.0.1", "--max-model-len", str(args.max_model_len),
               "--gpu-memory-utilization", str(args.gpu_memory_utilization), "--seed", "0"]
    log = open(cache_root / "vllm.log", "w")  # noqa: SIM115 - lives as long as the server
    started = time.perf_counter()
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        with MemoryPoller() as memory:
            deadline = time.monotonic() + args.vllm_start_timeout
            while True:
                if server.poll() is not None:
                    raise RuntimeError(f"vllm exited with {server.returncode}; see {log.name}")
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=5):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(
                            f"vllm did not start in {args.vllm_start_timeout} s"
                        ) from None
                    time.sleep(2)
            start_s = time.perf_counter() - started
            judge = OpenAIChatJudge(
                f"http://127.0.0.1:{port}/v1", "judge",
                settings=GenerationSettings(max_new_tokens=args.max_new_tokens),
                concurrency=args.concurrency, timeout_s=1800, retries=1,
            )
            judge.generate(prompts[:2])  # warm-up
            started = time.perf_counter()
            replies = judge.generate(prompts, sample_index=1)
            served_s = time.perf_counter() - started
            again = judge.generate(prompts[:4], sample_index=1)
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    return {
        "start_s": round(start_s, 1),
        "concurrency": args.concurrency,
        "served_s": round(served_s, 2),
        "served_prompts_per_s": rates(len(prompts), served_s),
        "served_rois_per_s": rates(work.rois, served_s),
        "served_pairs_per_s": rates(work.pairs, served_s),
        "served_new_tokens_per_s_at_most": round(len(prompts) * args.max_new_tokens / served_s),
        "gpu_memory_used_peak_gb": round(memory.peak_mib / 1024, 2),
        "seeded_requests_repeat": f"{sum(a == b for a, b in zip(again, replies, strict=False))}/4",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prompts", type=int, default=64,
                        help="at least this many Metric B prompts (3 per unit of 3 ROIs)")
    parser.add_argument("--max-new-tokens", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--single-prompts", type=int, default=4,
                        help="prompts asked one at a time, as the organisers' judge asks them")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--layers", type=int, default=None,
                        help="fewer layers than Qwen3-8B's 36, to fit a short GPU lease")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--tiny", action="store_true", help="a miniature model, CPU, seconds")
    parser.add_argument("--skip-vllm", action="store_true")
    parser.add_argument("--vllm-port", type=int, default=8765)
    parser.add_argument("--vllm-start-timeout", type=int, default=300)
    parser.add_argument("--max-model-len", type=int, default=4096)
    parser.add_argument("--gpu-memory-utilization", type=float, default=0.85)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--keep", type=Path, default=None, help="build the model here and keep it")
    args = parser.parse_args()
    if args.tiny:
        args.prompts, args.max_new_tokens = min(args.prompts, 8), min(args.max_new_tokens, 8)
        args.batch_size, args.single_prompts = min(args.batch_size, 4), min(args.single_prompts, 2)

    import torch
    import transformers

    architecture = dict(TINY if args.tiny else QWEN3_8B)
    if args.layers:
        architecture["num_hidden_layers"] = args.layers
    load = workload(args.prompts, args.seed)
    prompts = load.prompts
    work = Path(tempfile.mkdtemp(prefix="reg-eval-gpu-judge-"))
    folder = args.keep or work / "qwen3-random"
    folder.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(), "torch": torch.__version__,
            "transformers": transformers.__version__,
            "gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        },
        "model": {k: architecture[k] for k in ("hidden_size", "num_hidden_layers",
                                                "num_attention_heads", "num_key_value_heads",
                                                "intermediate_size", "vocab_size")},
        "max_new_tokens": args.max_new_tokens,
        "thinking": True,
        "workload": {"metric": "REG 2026 Metric B", "prompts": len(prompts),
                     "rois": load.rois, "pairs": load.pairs},
    }
    try:
        started = time.perf_counter()
        build_tokenizer(folder, prompts, args.seed)
        report["model"]["parameters_b"] = round(build_model(folder, architecture, args.device,
                                                            args.seed), 3)
        report["model"]["build_s"] = round(time.perf_counter() - started, 1)
        print(json.dumps(report, indent=1), flush=True)
        report["transformers"] = time_transformers(folder, load, args, work)
        print(json.dumps(report["transformers"], indent=1), flush=True)
        has_vllm = shutil.which("nvidia-smi") is not None and _importable("vllm")
        if args.skip_vllm or not args.device.startswith("cuda") or not has_vllm:
            why = "skipped" if args.skip_vllm else "needs vLLM and a GPU"
            report["vllm"] = f"not run ({why})"
        else:
            report["vllm"] = time_vllm(folder, load, args, work)
        print(json.dumps(report["vllm"], indent=1), flush=True)
    finally:
        if args.json is not None:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
