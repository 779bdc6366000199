"""EMB on a GPU: the official per-text float32 loop against reg-eval's batched float32 and bf16.

Needs: numpy, torch (a CUDA build for the real run), transformers, tokenizers, tqdm; no network.
Run from the repository root (`benchmarks/gpu_score.sh` does): the script imports `reg_eval`
from the checkout.

What it does, seeded and offline:
1. builds a Llama-architecture model with random weights from a config (~1.03 B parameters:
   hidden 2048, 22 layers, 32 heads, 4 key-value heads, MLP 5632, vocabulary 32000), and a
   byte-level BPE tokenizer trained on the spot that adds a BOS token and has no pad token,
   as Llama-3 does; saves both to a temporary folder;
2. makes 1,000 REG-like cases (a reference and a generated report each) whose 2,000 texts hold
   about 25 % distinct ones, a few of them past 512 tokens;
3. times the official computation (each case's two texts, one unpadded text per forward, float32,
   mean over all tokens) and reg-eval's backend loading that folder (distinct texts only, sorted,
   padded batches, mask-weighted mean) in float32 and in bfloat16;
4. prints times, speed-ups, peak GPU memory and the largest per-case |delta| of the EMB score
   (cosine of reference and generated vectors, then the REG rescale).

`--tiny` runs the same steps with a miniature model and 40 cases on the CPU in seconds.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

REQUIRED = ("numpy", "torch", "transformers", "tokenizers", "tqdm")

ORGANS = (
    ("Stomach", "endoscopic biopsy"),
    ("Prostate", "biopsy"),
    ("Breast", "core-needle biopsy"),
    ("Colon", "colonoscopic biopsy"),
    ("Rectum", "endoscopic mucosal resection"),
    ("Lung", "biopsy"),
    ("Urinary bladder", "transurethral resection"),
    ("Cervix", "punch biopsy"),
    ("Liver", "needle biopsy"),
    ("Thyroid", "lobectomy"),
)
FINDINGS = (
    "No tumor present",
    "Chronic gastritis with intestinal metaplasia",
    "Invasive carcinoma of no special type, grade II",
    "Tubular adenoma with low grade dysplasia",
    "Adenocarcinoma, moderately differentiated",
    "Non-invasive papillary urothelial carcinoma, low grade",
    "High-grade squamous intraepithelial lesion (CIN 3)",
    "Acinar adenocarcinoma, Gleason score 3+4=7, grade group 2",
    "Chronic active gastritis, Helicobacter pylori positive",
    "Papillary thyroid carcinoma, classic type",
    "Sessile serrated lesion without dysplasia",
    "Ductal carcinoma in situ, intermediate nuclear grade",
)
DETAILS = (
    "Tumor involves {n} of 12 cores.",
    "Greatest dimension {n} mm.",
    "Lymphovascular invasion is not identified.",
    "Margins are free of tumor, closest {n} mm.",
    "Immunohistochemistry: CK7 positive, CK20 negative.",
    "Ki-67 index about {n} %.",
    "Note: clinical correlation is recommended.",
)


@dataclass(frozen=True)
class Size:
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    intermediate: int
    vocab: int
    tokenizer_vocab: int
    cases: int


FULL = Size(2048, 22, 32, 4, 5632, 32000, 8000, 1000)
TINY = Size(64, 2, 4, 2, 128, 1000, 600, 40)


def check_requirements() -> None:
    missing = []
    for name in REQUIRED:
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    if missing:
        sys.exit(
            f"gpu_score: missing Python packages: {', '.join(missing)}. "
            f"Needs {', '.join(REQUIRED)} (a CUDA build of torch for the GPU run)."
        )


def report_text(rng: random.Random, *, long: bool) -> str:
    organ, procedure = rng.choice(ORGANS)
    lines = [f"{organ}, {procedure};", f"  {rng.choice(FINDINGS)}"]
    for _ in range(rng.randint(0, 3) + (220 if long else 0)):
        lines.append("  " + rng.choice(DETAILS).format(n=rng.randint(1, 40)))
    return "\n".join(lines)


def make_cases(n_cases: int, seed: int, distinct_share: float) -> tuple[list[str], list[str]]:
    """References and generated reports; the 2n texts hold about `distinct_share` distinct ones.

    Every distinct text appears at least once; the rest repeat popular ones (Zipf-like), as
    real test sets repeat short benign reports and models repeat their favourite phrasings.
    """
    rng = random.Random(seed)
    n_texts = 2 * n_cases
    n_distinct = max(2, round(distinct_share * n_texts))
    pool: list[str] = []
    seen: set[str] = set()
    while len(pool) < n_distinct:
        text = report_text(rng, long=not pool or rng.random() < 0.03)
        if text not in seen:
            seen.add(text)
            pool.append(text)
    rng.shuffle(pool)  # popularity must not follow length
    weights = [1.0 / (rank + 1) for rank in range(n_distinct)]
    texts = pool + rng.choices(pool, weights=weights, k=n_texts - n_distinct)
    rng.shuffle(texts)
    return texts[:n_cases], texts[n_cases:]


def build_tokenizer(texts: Sequence[str], size: Size, folder: Path) -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from tokenizers.trainers import BpeTrainer
    from transformers import PreTrainedTokenizerFast

    bos, eos = "<|begin_of_text|>", "<|end_of_text|>"
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = BpeTrainer(
        vocab_size=size.tokenizer_vocab,
        special_tokens=[bos, eos],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(list(texts), trainer)
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A", special_tokens=[(bos, tokenizer.token_to_id(bos))]
    )
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=bos,
        eos_token=eos,
        model_input_names=["input_ids", "attention_mask"],
    )
    wrapped.save_pretrained(folder)
    return wrapped


def build_model(size: Size, tokenizer: Any, device: str, seed: int, folder: Path) -> Any:
    import torch
    from transformers import LlamaConfig, LlamaModel

    config = LlamaConfig(
        vocab_size=size.vocab,
        hidden_size=size.hidden,
        intermediate_size=size.intermediate,
        num_hidden_layers=size.layers,
        num_attention_heads=size.heads,
        num_key_value_heads=size.kv_heads,
        max_position_embeddings=2048,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=None,
    )
    torch.manual_seed(seed)
    with torch.device(device):
        model = LlamaModel(config)
    model.eval()
    model.save_pretrained(folder)
    return model


def official_per_text(
    texts: Sequence[str], tokenizer: Any, model: Any, device: str, max_length: int = 512
) -> Any:
    """The organisers' loop: one unpadded text per forward, float32, mean over every token."""
    import numpy as np
    import torch

    rows = []
    with torch.inference_mode():
        for text in texts:
            encoded = tokenizer(text, truncation=True, max_length=max_length, return_tensors="pt")
            encoded = {name: tensor.to(device) for name, tensor in encoded.items()}
            rows.append(model(**encoded).last_hidden_state.mean(dim=1)[0].float().cpu().numpy())
    return np.stack(rows)


def emb_scores(ref_vectors: Any, hyp_vectors: Any) -> Any:
    """Per-case cosine in float64, then the REG rescale (cos > 0.5 -> (cos - 0.5) / 0.5)."""
    import numpy as np

    ref = ref_vectors.astype(np.float64)
    hyp = hyp_vectors.astype(np.float64)
    cos = (ref * hyp).sum(axis=1) / (np.linalg.norm(ref, axis=1) * np.linalg.norm(hyp, axis=1))
    return np.where(cos > 0.5, (cos - 0.5) / 0.5, cos), cos


def timed(device: str, work: Callable[[], Any]) -> tuple[Any, float, float | None]:
    """(result, seconds, peak GPU GiB during the call)."""
    import torch

    cuda = device.startswith("cuda")
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    result = work()
    if cuda:
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated() / 2**30 if cuda else None
    return result, seconds, peak


def release(device: str) -> None:
    gc.collect()
    if device.startswith("cuda"):
        import torch

        torch.cuda.empty_cache()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="miniature model and 40 cases")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    parser.add_argument("--cases", type=int, default=None, help="number of cases")
    parser.add_argument("--distinct-share", type=float, default=0.25)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--workdir", type=Path, default=None, help="where the model is saved")
    args = parser.parse_args(argv)
    check_requirements()

    import numpy as np
    import torch
    import transformers

    from reg_eval.backends.devices import resolve_device
    from reg_eval.backends.embeddings import TransformersEmbeddingBackend
    from reg_eval.backends.identity import ModelIdentity

    size = TINY if args.tiny else FULL
    n_cases = args.cases or size.cases
    device = resolve_device(args.device)
    torch.set_float32_matmul_precision("highest")  # no TF32: float32 means float32
    torch.backends.cudnn.allow_tf32 = False
    if os.environ.get("TORCH_ALLOW_TF32_CUBLAS_OVERRIDE") == "1":
        print("warning: TORCH_ALLOW_TF32_CUBLAS_OVERRIDE=1 forces TF32 in float32 matmuls")
    refs, hyps = make_cases(n_cases, args.seed, args.distinct_share)
    texts = refs + hyps
    distinct = list(dict.fromkeys(texts))
    gpu = torch.cuda.get_device_name(device) if device.startswith("cuda") else platform.machine()
    print(
        f"device: {device} ({gpu}); torch {torch.__version__}; transformers "
        f"{transformers.__version__}"
    )
    print(
        f"cases: {n_cases}; texts: {len(texts)}; distinct: {len(distinct)} "
        f"({len(distinct) / len(texts):.0%}); batch size {args.batch_size}"
    )

    with tempfile.TemporaryDirectory(prefix="reg-eval-gpu-score-", dir=args.workdir) as tmp:
        folder = Path(tmp)
        tokenizer = build_tokenizer(distinct, size, folder)
        lengths = [
            len(ids) for ids in tokenizer(distinct, truncation=True, max_length=512)["input_ids"]
        ]
        print(
            f"tokens per distinct text: mean {np.mean(lengths):.0f}, max {max(lengths)} "
            f"({sum(n == 512 for n in lengths)} truncated at 512)"
        )
        (model, build_seconds, _) = timed(
            device, lambda: build_model(size, tokenizer, device, args.seed, folder)
        )
        n_params = sum(p.numel() for p in model.parameters())
        print(
            f"model: Llama, {n_params / 1e6:,.1f} M parameters, random weights (seed "
            f"{args.seed}); built and saved in {build_seconds:.1f} s"
        )
        if not args.tiny and n_params < 1e9:
            raise SystemExit("the full run must use at least 1e9 parameters")

        official_per_text(texts[:4], tokenizer, model, device)  # warm-up, not timed
        reference, per_text_seconds, per_text_peak = timed(
            device, lambda m=model: official_per_text(texts, tokenizer, m, device)
        )
        del model
        release(device)

        runs: dict[str, dict[str, Any]] = {}
        for dtype in ("float32", "bfloat16"):
            identity = ModelIdentity(role="emb", name="random-llama", precision=dtype)
            backend = TransformersEmbeddingBackend(
                str(folder),
                identity=identity,
                device=device,
                dtype=dtype,
                batch_size=args.batch_size,
                cache=None,
            )
            _, load_seconds, _ = timed(device, backend.load)
            backend.embed(texts[:4])  # warm-up, not timed
            backend.stats.forward_calls = 0
            vectors, seconds, peak = timed(device, lambda b=backend: b.embed(texts))
            runs[dtype] = {
                "vectors": vectors,
                "seconds": seconds,
                "load_seconds": load_seconds,
                "peak_gib": peak,
                "forward_calls": backend.stats.forward_calls,
            }
            del backend
            release(device)

    n = n_cases
    ref_emb, ref_cos = emb_scores(reference[:n], reference[n:])
    deltas: dict[str, float] = {}
    flips: dict[str, int] = {}
    for label, (a, b) in {
        "batched_float32_vs_per_text_float32": ("float32", None),
        "batched_bfloat16_vs_per_text_float32": ("bfloat16", None),
        "batched_bfloat16_vs_batched_float32": ("bfloat16", "float32"),
    }.items():
        vectors_a = runs[a]["vectors"]
        emb_a, cos_a = emb_scores(vectors_a[:n], vectors_a[n:])
        if b is None:
            emb_b, cos_b = ref_emb, ref_cos
        else:
            emb_b, cos_b = emb_scores(runs[b]["vectors"][:n], runs[b]["vectors"][n:])
        deltas[label] = float(np.max(np.abs(emb_a - emb_b)))
        flips[label] = int(np.sum((cos_a > 0.5) != (cos_b > 0.5)))
    vector_delta = float(np.max(np.abs(runs["float32"]["vectors"] - reference)))

    def gib(value: float | None) -> str:
        return "n/a (CPU)" if value is None else f"{value:.2f} GiB"

    print()
    print(f"{'run':<34}{'seconds':>10}{'speed-up':>10}{'forwards':>10}  peak memory")
    print(
        f"{'per-text float32 (official)':<34}{per_text_seconds:>10.2f}{1.0:>10.1f}"
        f"{len(texts):>10}  {gib(per_text_peak)}"
    )
    for dtype in ("float32", "bfloat16"):
        run = runs[dtype]
        print(
            f"{'reg-eval batched ' + dtype:<34}{run['seconds']:>10.2f}"
            f"{per_text_seconds / run['seconds']:>10.1f}{run['forward_calls']:>10}  "
            f"{gib(run['peak_gib'])}  (load {run['load_seconds']:.1f} s)"
        )
    print()
    print(f"max |delta| of a vector component, batched float32 vs per-text: {vector_delta:.3g}")
    print(
        f"EMB cosine range over cases (per-text float32): {ref_cos.min():.4f} .. "
        f"{ref_cos.max():.4f}"
    )
    for label, value in deltas.items():
        print(
            f"max per-case |delta EMB| {label.replace('_', ' ')}: {value:.3g}"
            f"  (cases crossing cos = 0.5: {flips[label]})"
        )

    result = {
        "device": device,
        "device_name": gpu,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "parameters": n_params,
        "n_cases": n_cases,
        "n_texts": len(texts),
        "n_distinct": len(distinct),
        "batch_size": args.batch_size,
        "per_text_float32_seconds": per_text_seconds,
        "per_text_float32_peak_gib": per_text_peak,
        "batched": {
            dtype: {key: value for key, value in run.items() if key != "vectors"}
            for dtype, run in runs.items()
        },
        "speedup": {dtype: per_text_seconds / run["seconds"] for dtype, run in runs.items()},
        "max_abs_delta_vector_float32": vector_delta,
        "max_abs_delta_emb": deltas,
        "cases_crossing_cos_0_5": flips,
        "cos_range": [float(ref_cos.min()), float(ref_cos.max())],
    }
    if args.json is not None:
        from reg_eval.io.writers import atomic_write_text

        atomic_write_text(args.json, json.dumps(result, indent=2, sort_keys=True) + "\n",
                          force=True)
    if not all(math.isfinite(value) for value in deltas.values()):
        print("non-finite EMB differences", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from reg_eval.errors import RegEvalError

    try:
        sys.exit(main())
    except RegEvalError as exc:
        print(f"gpu_score: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
