"""Score results built by hand (no model is loaded), and the files `reg-eval score` writes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from reg_eval.groups import GroupResult
from reg_eval.io.writers import write_result_files
from reg_eval.metrics.official import OfficialCaseStats
from reg_eval.scoring import Alignment, ScoreResult, case_columns, summarise
from reg_eval.signature import Signature

ORGANS = ("Breast", "Prostate", "Stomach")


def make_result(
    ids: Sequence[str],
    *,
    bleu: Sequence[float],
    rouge: Sequence[float] | None = None,
    key: Sequence[float] | None = None,
    emb: Sequence[float] | None = None,
    organs: Sequence[str] | None = None,
    refs: Sequence[str] | None = None,
    hyps: Sequence[str] | None = None,
    profile: str = "reg2025",
    comparable: bool = True,
    dtype: str = "float32",
    emb_model: str = "aaditya/Llama3-OpenBioLLM-8B",
    clinical: bool = False,
    seed: int = 1,
) -> ScoreResult:
    n = len(ids)
    b = np.asarray(bleu, dtype=np.float64)
    r = np.asarray(rouge if rouge is not None else b, dtype=np.float64)
    k = np.asarray(key if key is not None else np.full(n, 0.5), dtype=np.float64)
    e = np.asarray(emb if emb is not None else np.full(n, 0.9), dtype=np.float64)
    ranking = 0.15 * (r + b) + 0.4 * k + 0.3 * e
    ref_kw = [frozenset({"carcinoma", f"kw{i}"}) for i in range(n)]
    hyp_kw = [frozenset({"carcinoma", "invasive"}) for _ in range(n)]
    stats = OfficialCaseStats(bleu=b, rouge=r, key=k, emb=e, cosine=e, ranking=ranking,
                              ref_keywords=ref_kw, hyp_keywords=hyp_kw)
    groups = {}
    if clinical:
        groups["clinical"] = GroupResult(
            name="clinical",
            per_case={"clinical_f1": np.linspace(0.2, 0.8, n)},
            signature={"lexicon": "test"},
            details=[
                {
                    "missed": [f"margin involved {i}"],
                    "invented": [{"text": "lymphovascular", "category": "invasion"}],
                }
                for i in range(n)
            ],
        )
    organ_list = list(organs) if organs is not None else [ORGANS[i % 3] for i in range(n)]
    ci, by_organ = summarise(case_columns(stats, groups), organ_list, n_resamples=50, seed=seed)
    signature = Signature.build(
        "reg2025-ranking=0.15*(rouge+bleu)+0.4*key+0.3*emb",
        {
            "profile": profile,
            "emb": f"{emb_model}@0123abcd|sha256:00112233aabbccdd|{dtype}|cpu|max_length=512",
            "key": "en_core_sci_lg@0.5.4|sha256:0123456789abcdef|cpu|min_chars=3",
            "dtype": dtype,
            "seed": seed,
            "n": n,
        },
        comparable_with_leaderboard=comparable,
    )
    alignment = Alignment(
        list(ids),
        list(refs) if refs is not None else [f"{o}, biopsy; carcinoma" for o in organ_list],
        list(hyps) if hyps is not None else ["Breast, biopsy; invasive carcinoma"] * n,
        [], [], "error",
    )
    return ScoreResult(signature, alignment, stats, organ_list, ci, by_organ, groups=groups)


def write_run(folder: Path, name: str, result: ScoreResult) -> tuple[Path, Path]:
    """The --output JSON and --per-case JSONL of a run, as `reg-eval score` writes them."""
    output = folder / f"{name}.json"
    per_case = folder / f"{name}.cases.jsonl"
    write_result_files(result, output=output, per_case=per_case, force=False)
    return output, per_case


def write_texts(path: Path, ids: Sequence[str], texts: Sequence[str]) -> Path:
    import json

    path.write_text(
        json.dumps([{"id": i, "report": t} for i, t in zip(ids, texts, strict=True)]),
        encoding="utf-8",
    )
    return path
