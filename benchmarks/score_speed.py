"""reg-eval's scoring against the literal per-text computation, on one machine, in one run.

Workload: REG-like reports, 1,000 cases by default, about a quarter of the texts distinct (as
in the real test sets). Models: the offline profile's (SmolLM2-135M-Instruct, Llama
architecture, and the shipped entity ruler). Prints the literal loop's time, reg-eval's cold
and warm times, the ratios against the goals, the largest per-case difference, peak memory,
and whether the warm run imported torch.

    .venv/bin/python benchmarks/score_speed.py [--n 1000] [--distinct 0.25] [--literal-cases N]

Cold and warm runs each go in a fresh interpreter, so their peak memory and imports are their
own. With --literal-cases below --n the literal time is measured on that many cases and scaled
linearly (the output says so); differences are then checked on those cases only.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

ORGAN_LINES = [
    ("Breast, core-needle biopsy;", [
        "Invasive carcinoma of no special type, grade {g}",
        "Ductal carcinoma in situ, {lvl} nuclear grade",
        "Invasive lobular carcinoma",
        "Fibroadenoma",
    ]),
    ("Prostate, biopsy;", [
        "Acinar adenocarcinoma, Gleason's score {gs} ({a}+{b}), grade group {gg}, "
        "tumor volume: {v}%",
        "No tumor present",
    ]),
    ("Stomach, endoscopic biopsy;", [
        "Chronic gastritis",
        "Chronic gastritis with intestinal metaplasia",
        "Tubular adenocarcinoma, {diff} differentiated",
    ]),
    ("Lung, biopsy;", ["Adenocarcinoma", "Squamous cell carcinoma", "No tumor present"]),
    ("Colon, colonoscopic biopsy;", [
        "Tubular adenoma with low-grade dysplasia",
        "Adenocarcinoma, {diff} differentiated",
    ]),
    ("Uterine cervix, punch biopsy;", [
        "High-grade squamous intraepithelial lesion (HSIL; CIN {c})",
        "Chronic cervicitis",
    ]),
    ("Urinary bladder, transurethral resection;", [
        "Non-invasive papillary urothelial carcinoma, {lvl} grade",
        "Invasive urothelial carcinoma, high grade",
    ]),
]


def _report(rng: random.Random) -> str:
    head, bodies = rng.choice(ORGAN_LINES)
    a, b = rng.choice([(3, 3), (3, 4), (4, 3), (4, 4), (4, 5)])
    body = rng.choice(bodies).format(
        g=rng.choice(["I", "II", "III"]), lvl=rng.choice(["low", "high"]), gs=a + b, a=a, b=b,
        gg=rng.randint(1, 5), v=rng.choice([5, 10, 20, 30, 60]), c=rng.choice([2, 3]),
        diff=rng.choice(["well", "moderately", "poorly"]),
    )
    if rng.random() < 0.15:
        body = f"1. {body}\n  2. {rng.choice(ORGAN_LINES[0][1]).format(g='II', lvl='low')}"
    return f"{head}\n  {body}" + (" " if rng.random() < 0.1 else "")


def workload(n: int, distinct_share: float, seed: int = 7) -> tuple[list[str], list[str]]:
    """n (reference, hypothesis) pairs whose 2n texts hold about distinct_share distinct."""
    rng = random.Random(seed)
    target = max(2, round(2 * n * distinct_share))
    pool: list[str] = []
    seen: set[str] = set()
    while len(pool) < target:
        text = _report(rng)
        if text not in seen:
            seen.add(text)
            pool.append(text)
    weights = [1.0 / (1 + i) ** 0.8 for i in range(len(pool))]  # templated: a few dominate
    refs = rng.choices(pool, weights=weights, k=n)
    hyps = [ref if rng.random() < 0.35 else rng.choices(pool, weights=weights)[0] for ref in refs]
    # every pool text appears at least once, so the distinct share is as asked
    texts = refs + hyps
    missing = [t for t in pool if t not in set(texts)]
    for i, text in enumerate(missing):
        hyps[(i * 7919) % n] = text
    return refs, hyps


def literal_scores(refs: list[str], hyps: list[str]) -> tuple[list[dict[str, float]], float]:
    from transformers import AutoModel, AutoTokenizer

    from literal_reference import case_literal
    from reg_eval.models.resolve import resolve_emb, resolve_key
    from reg_eval.profiles import get_profile
    from reg_eval.scoring import default_cache_root

    profile = get_profile("offline")
    start = time.perf_counter()
    emb = resolve_emb(profile.emb, precision="float32", max_length=512,
                      cache_root=default_cache_root())
    tokenizer = AutoTokenizer.from_pretrained(emb.load_path)
    model = AutoModel.from_pretrained(emb.load_path).eval()
    nlp = resolve_key(profile.key, cache_root=default_cache_root()).load()
    rows = [case_literal(nlp, model, tokenizer, r, h) for r, h in zip(refs, hyps, strict=True)]
    return rows, time.perf_counter() - start


def child(work: Path, cache: Path, out: Path) -> None:
    """One reg-eval run in this interpreter; writes times, scores, memory and imports."""
    import resource

    start = time.perf_counter()
    from reg_eval.scoring import Scorer

    data = json.loads(work.read_text())
    result = Scorer("offline", cache_dir=cache, device="cpu", batch_size=16)(
        data["refs"], data["hyps"]
    )
    elapsed = time.perf_counter() - start
    names = ("bleu", "rouge", "key", "emb", "ranking")
    out.write_text(json.dumps({
        "seconds": elapsed,
        "scores": {name: getattr(result.stats, name).tolist() for name in names},
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "imported_torch": "torch" in sys.modules,
        "signature": result.signature.format(),
    }))


def run_child(work: Path, cache: Path) -> dict:
    out = work.with_suffix(f".{time.monotonic_ns()}.json")
    subprocess.run(
        [sys.executable, __file__, "--child", str(work), "--cache", str(cache), "--out", str(out)],
        check=True,
    )
    return json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--distinct", type=float, default=0.25)
    parser.add_argument("--literal-cases", type=int, default=None)
    parser.add_argument("--child", type=Path)
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.cache, args.out)
        return

    from reg_eval.models.inventory import fetch_profile_models
    from reg_eval.profiles import get_profile
    from reg_eval.scoring import default_cache_root

    fetch_profile_models(get_profile("offline"), default_cache_root())
    refs, hyps = workload(args.n, args.distinct)
    share = len(set(refs + hyps)) / (2 * args.n)
    print(f"workload: {args.n} cases, {len(set(refs + hyps))} distinct of {2 * args.n} texts "
          f"(share {share:.3f})")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "work.json"
        work.write_text(json.dumps({"refs": refs, "hyps": hyps}))
        cache = Path(tmp) / "cache"
        import shutil

        # models live in the shared model cache; the feature cache starts empty
        models_dir = default_cache_root() / "models"
        cache.mkdir()
        (cache / "models").symlink_to(models_dir, target_is_directory=True)
        cold = run_child(work, cache)
        warm = run_child(work, cache)
        shutil.rmtree(cache, ignore_errors=True)

    k = args.literal_cases or args.n
    literal_rows, literal_seconds = literal_scores(refs[:k], hyps[:k])
    scaled = literal_seconds * args.n / k
    names = ("bleu", "rouge", "key", "emb", "ranking")
    max_diff = max(
        abs(literal_rows[i][name] - cold["scores"][name][i]) for i in range(k) for name in names
    )
    warm_diff = max(
        abs(warm["scores"][name][i] - cold["scores"][name][i])
        for i in range(args.n) for name in names
    )
    goal_cold = 2 / share
    print(f"literal per-text loop: {literal_seconds:.1f} s on {k} cases"
          + (f" (scaled to {args.n}: {scaled:.1f} s)" if k != args.n else ""))
    print(f"reg-eval cold (empty cache, incl. model load): {cold['seconds']:.2f} s, "
          f"peak RSS {cold['peak_rss_mib']:.0f} MiB")
    print(f"reg-eval warm (every text cached): {warm['seconds']:.2f} s, "
          f"peak RSS {warm['peak_rss_mib']:.0f} MiB, imported torch: {warm['imported_torch']}")
    print(f"speed-up cold: {scaled / cold['seconds']:.1f}x (goal >= {goal_cold:.1f}x)")
    print(f"speed-up warm: {scaled / warm['seconds']:.1f}x (goal >= 100x)")
    print(f"max per-case |difference| vs literal: {max_diff:.2e} (goal <= 1e-6)")
    print(f"max per-case |difference| warm vs cold: {warm_diff:.2e}")
    print(f"signature: {cold['signature']}")


if __name__ == "__main__":
    main()
