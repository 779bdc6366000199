"""`reg-eval score` as a user runs it, against the literal per-text computation, on one machine.

Workload: REG-like reports, 1,000 cases by default, about a quarter of the texts distinct (as
in the real test sets). Default metrics (`official,clinical`); the offline profile's models
(SmolLM2-135M-Instruct, Llama architecture, and the shipped entity ruler).

Timed: the whole command `reg-eval score -g GT -s SUB --per-case F --quiet` from the shell,
interpreter start included, first with an empty feature cache (cold: imports, model loads,
every distinct text computed once) and then again (warm: every text cached). A third,
untimed warm run records whether spaCy or torch were imported. The literal loop computes
each case's two texts one at a time: the official components as the scoring notes write
them (tests/literal_reference.py) and the clinical facts of each text, no batching, no
cache, no deduplication; the per-case values of both runs must agree with it within 1e-5.

    .venv/bin/python benchmarks/score_speed.py [--n 1000] [--distinct 0.25] [--literal-cases N]

With --literal-cases below --n the literal time is measured on that many cases and scaled
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

from reg_eval.columns import OFFICIAL_COMPONENTS

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


OFFICIAL = (*OFFICIAL_COMPONENTS, "ranking")


def literal_scores(refs: list[str], hyps: list[str]) -> tuple[list[dict[str, float]], float]:
    """Per case: the literal official components, then the clinical columns of the case's
    two texts, each read on its own."""
    from transformers import AutoModel, AutoTokenizer

    from literal_reference import case_literal
    from reg_eval.cache import default_cache_root
    from reg_eval.clinical.group import ClinicalGroup
    from reg_eval.models.resolve import resolve_emb, resolve_key
    from reg_eval.profiles import get_profile

    profile = get_profile("offline")
    start = time.perf_counter()
    emb = resolve_emb(profile.emb, precision="float32", max_length=512,
                      cache_root=default_cache_root())
    tokenizer = AutoTokenizer.from_pretrained(emb.load_path)
    model = AutoModel.from_pretrained(emb.load_path).eval()
    nlp = resolve_key(profile.key, cache_root=default_cache_root()).load()
    clinical = ClinicalGroup()
    rows = []
    for ref, hyp in zip(refs, hyps, strict=True):
        row = dict(case_literal(nlp, model, tokenizer, ref, hyp))
        ref_facts = clinical.extractor.extract(ref)
        hyp_facts = clinical.extractor.extract(hyp)
        row.update(clinical.case_scores(clinical.match(ref_facts, hyp_facts), ref_facts,
                                        hyp_facts))
        rows.append(row)
    return rows, time.perf_counter() - start


def write_inputs(folder: Path, refs: list[str], hyps: list[str]) -> tuple[Path, Path]:
    ground_truth = folder / "ground_truth.json"
    submission = folder / "submission.json"
    ids = [f"case-{i:05d}" for i in range(len(refs))]
    pairs = list(zip(ids, refs, hyps, strict=True))
    ground_truth.write_text(json.dumps([{"id": i, "report": r} for i, r, _h in pairs]))
    submission.write_text(json.dumps([{"id": i, "report": h} for i, _r, h in pairs]))
    return ground_truth, submission


_IMPORT_PROBE = (
    "import atexit, json, sys\n"
    "out = sys.argv.pop(1)\n"
    "atexit.register(lambda: open(out, 'w').write(json.dumps("
    "{'spacy': 'spacy' in sys.modules, 'torch': 'torch' in sys.modules, "
    "'transformers': 'transformers' in sys.modules})))\n"
    "from reg_eval.cli import main\n"
    "sys.argv[0] = 'reg-eval'\n"
    "main()\n"
)


def run_command(
    args: list[str], env: dict[str, str], *, probe: Path | None = None
) -> float:
    """Seconds the whole command takes, from process start to exit."""
    executable = Path(sys.executable).with_name("reg-eval")
    command = [str(executable), *args]
    if probe is not None:
        command = [sys.executable, "-c", _IMPORT_PROBE, str(probe), *args]
    start = time.perf_counter()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def read_cases(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _number(value: object) -> float | None:
    """None for an undefined value, whether written as null (JSON) or NaN (Python)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return float(value)  # type: ignore[arg-type]


def column_difference(a: dict, b: dict, names: list[str]) -> float:
    worst = 0.0
    for name in names:
        x, y = _number(a.get(name)), _number(b.get(name))
        if x is None or y is None:  # undefined on both sides is agreement
            if (x is None) != (y is None):
                return float("inf")
            continue
        worst = max(worst, abs(float(x) - float(y)))
    return worst


def main() -> None:
    import os
    import shutil

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--distinct", type=float, default=0.25)
    parser.add_argument("--literal-cases", type=int, default=None)
    args = parser.parse_args()

    from reg_eval.cache import default_cache_root
    from reg_eval.clinical.group import COLUMNS
    from reg_eval.models.inventory import fetch_profile_models
    from reg_eval.profiles import get_profile

    fetch_profile_models(get_profile("offline"), default_cache_root())
    refs, hyps = workload(args.n, args.distinct)
    share = len(set(refs + hyps)) / (2 * args.n)
    print(f"workload: {args.n} cases, {len(set(refs + hyps))} distinct of {2 * args.n} texts "
          f"(share {share:.3f}); command: reg-eval score (default --metrics official,clinical)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ground_truth, submission = write_inputs(folder, refs, hyps)
        cache = folder / "cache"
        cache.mkdir()
        # models live in the shared model cache; the feature cache starts empty
        (cache / "models").symlink_to(default_cache_root() / "models", target_is_directory=True)
        env = {**os.environ, "REG_EVAL_CACHE_DIR": str(cache)}

        def args_for(name: str) -> list[str]:
            return ["score", "-g", str(ground_truth), "-s", str(submission), "--quiet",
                    "--per-case", str(folder / f"{name}.jsonl"), "--device", "cpu"]

        cold_seconds = run_command(args_for("cold"), env)
        warm_seconds = run_command(args_for("warm"), env)
        probe = folder / "imports.json"
        run_command(args_for("probe"), env, probe=probe)
        imports = json.loads(probe.read_text())
        cold = read_cases(folder / "cold.jsonl")
        warm = read_cases(folder / "warm.jsonl")
        shutil.rmtree(cache, ignore_errors=True)

    k = args.literal_cases or args.n
    literal_rows, literal_seconds = literal_scores(refs[:k], hyps[:k])
    scaled = literal_seconds * args.n / k
    names = [*OFFICIAL, *COLUMNS]
    max_diff = max(column_difference(literal_rows[i], cold[i], names) for i in range(k))
    warm_diff = max(column_difference(warm[i], cold[i], names) for i in range(args.n))
    goal_cold = 2 / share
    print(f"literal per-text loop: {literal_seconds:.1f} s on {k} cases"
          + (f" (scaled to {args.n}: {scaled:.1f} s)" if k != args.n else ""))
    print(f"reg-eval score, cold (empty feature cache; imports and model loads included): "
          f"{cold_seconds:.2f} s")
    print(f"reg-eval score, warm (every text cached): {warm_seconds:.2f} s; warm run imported "
          f"spaCy: {imports['spacy']}, torch: {imports['torch']}, "
          f"transformers: {imports['transformers']}")
    print(f"speed-up cold: {scaled / cold_seconds:.1f}x (goal >= {goal_cold:.1f}x)")
    print(f"speed-up warm: {scaled / warm_seconds:.1f}x (goal >= 100x)")
    print(f"max per-case |difference| vs literal ({len(names)} columns): {max_diff:.2e} "
          "(goal <= 1e-5)")
    print(f"max per-case |difference| warm vs cold: {warm_diff:.2e}")
    print(f"signature: {cold[0]['signature']}")


if __name__ == "__main__":
    main()
