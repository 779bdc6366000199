"""Typer option declarations shared by the commands, and the spelling of group options.

Every command that reads input files declares the input limits (`--max-*`) its readers honour
and is wrapped in `applies_input_limits`.

A scoring command fills `reg_eval.scoring_options.ScoringOptions` from these, field by field
(`--no-cache` is `cache=False`, `--quiet` is `progress=False`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from reg_eval.io.limits import DEFAULT_LIMITS, Limits, limits_applied
from reg_eval.profiles import PROFILES

ProfileOption = Annotated[
    str,
    typer.Option(
        "--profile",
        help=f"Scoring setup: {', '.join(PROFILES)}. 'offline' needs no network but is not "
        "comparable with the leaderboard.",
    ),
]
EmbModelOption = Annotated[
    str | None,
    typer.Option(
        "--emb-model",
        help="Override the EMB model: hub name[@revision], a local folder, or a .gguf file.",
    ),
]
KeyModelOption = Annotated[
    str | None,
    typer.Option(
        "--key-model", help="Override the KEY spaCy pipeline: a package name or a saved folder."
    ),
]
MissingOption = Annotated[
    str,
    typer.Option(
        "--missing",
        help="Ground-truth cases without a prediction: 'error' (as the platform), 'empty' "
        "(score as an empty report, as the organisers' test.py), 'skip' (leave out, as their "
        "evaluate()).",
    ),
]
DeviceOption = Annotated[
    str, typer.Option("--device", help="auto, cpu or cuda (auto picks cuda when available).")
]
DtypeOption = Annotated[
    str,
    typer.Option(
        "--dtype",
        help="EMB precision: float32 (official), bfloat16 or float16. Enters the signature.",
    ),
]
BatchSizeOption = Annotated[int, typer.Option("--batch-size", help="Texts per EMB forward pass.")]
NoCacheOption = Annotated[
    bool, typer.Option("--no-cache", help="Do not read or write the entity and vector cache.")
]
CacheDirOption = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        help="Cache folder for models, entities and vectors (default: $REG_EVAL_CACHE_DIR, "
        "else $XDG_CACHE_HOME/reg-eval, else ~/.cache/reg-eval).",
    ),
]
SeedOption = Annotated[int, typer.Option("--seed", help="Seed for resampling.")]
BootstrapOption = Annotated[
    int, typer.Option("--bootstrap", help="Bootstrap resamples for the 95% CIs.")
]
ForceOption = Annotated[bool, typer.Option("--force", help="Replace existing output files.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]
MetricsOption = Annotated[
    str,
    typer.Option(
        "--metrics",
        help="Comma-separated metric groups: official (always), clinical, semantic, lexical, "
        "bertscore, judge (needs --judge).",
    ),
]
SemanticModelOption = Annotated[
    str | None,
    typer.Option(
        "--semantic-model",
        help="Sentence-transformers model for the semantic group (default: all-MiniLM-L6-v2 "
        "from its pinned wheel; recommended online: NeuML/pubmedbert-base-embeddings).",
    ),
]
BertScoreModelOption = Annotated[
    str | None,
    typer.Option("--bertscore-model", help="Model for bertscore (default: all-MiniLM-L6-v2)."),
]
BertScoreLayerOption = Annotated[
    int | None, typer.Option("--bertscore-layer", help="Hidden layer bertscore uses.")
]
BertScoreRescaleOption = Annotated[
    bool,
    typer.Option(
        "--bertscore-rescale", help="Rescale bertscore with a baseline file (needs one)."
    ),
]
ClinicalSoftOption = Annotated[
    bool,
    typer.Option(
        "--clinical-soft/--no-clinical-soft",
        help="Clinical group: half credit for a leftover fact whose concept is a near neighbour "
        "(all-MiniLM-L6-v2 cosine >= 0.80, same category, polarity and behaviour). Off by "
        "default: it needs the all-MiniLM-L6-v2 wheel.",
    ),
]
JudgeOption = Annotated[
    str | None,
    typer.Option(
        "--judge",
        help="Judge for the judge group: transformers:NAME_OR_PATH (a local model, best on a "
        "GPU) or openai:BASE_URL (an OpenAI-compatible server, with --judge-model; API key "
        "from $REG_EVAL_JUDGE_API_KEY).",
    ),
]
JudgeModelOption = Annotated[
    str | None,
    typer.Option("--judge-model", help="Model name on the judge server (openai: judges)."),
]
RougeStemmerOption = Annotated[
    bool, typer.Option("--rouge-stemmer", help="Porter stemmer in the lexical group's ROUGE.")
]


def group_options(
    *,
    semantic_model: str | None,
    bertscore_model: str | None,
    bertscore_layer: int | None,
    bertscore_rescale: bool,
    rouge_stemmer: bool,
    clinical_soft: bool = False,
    judge: str | None = None,
    judge_model: str | None = None,
) -> dict[str, dict[str, object]]:
    """The metric-group options of the command line, keyed by group name."""
    return {
        "semantic": {"model": semantic_model},
        "bertscore": {
            "model_type": bertscore_model,
            "num_layers": bertscore_layer,
            "rescale_with_baseline": bertscore_rescale,
        },
        "lexical": {"rouge_stemmer": rouge_stemmer},
        "clinical": {"soft": clinical_soft},
        "judge": {"judge": judge, "judge_model": judge_model},
    }


# -- input limits (reg_eval.io.limits): every command that reads submissions takes them ------

MaxUploadMbOption = Annotated[
    int,
    typer.Option(
        "--max-upload-mb", help="Largest input file read, in MB (an upload, a submission, a "
        "ground truth, a saved result).", min=1,
    ),
]
MaxDecompressedMbOption = Annotated[
    int,
    typer.Option(
        "--max-decompressed-mb", help="Most MB read out of a zip upload, whatever its "
        "header claims.", min=1,
    ),
]
MaxDepthOption = Annotated[
    int, typer.Option("--max-depth", help="Deepest nesting of JSON lists and objects.", min=1)
]
MaxReportCharsOption = Annotated[
    int,
    typer.Option("--max-report-chars", help="Longest report accepted, in characters.", min=1),
]
MaxCasesOption = Annotated[
    int, typer.Option("--max-cases", help="Most cases (items) in one input file.", min=1)
]


def limits_from_options(
    *,
    max_upload_mb: int,
    max_decompressed_mb: int,
    max_depth: int,
    max_report_chars: int,
    max_cases: int,
) -> Limits:
    """The `Limits` the five options above ask for."""
    return Limits(
        max_upload_mb=max_upload_mb,
        max_decompressed_mb=max_decompressed_mb,
        max_depth=max_depth,
        max_report_chars=max_report_chars,
        max_cases=max_cases,
    )


LIMIT_PARAMETERS = ("max_upload_mb", "max_decompressed_mb", "max_depth", "max_report_chars",
                    "max_cases")


def applies_input_limits(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command with the limits its `--max-*` options ask for (the command declares them
    with the options above; every reader it calls then stops at them). A command declares only
    the limits its readers honour (`final` reads no zip upload, so has no
    `--max-decompressed-mb`); the others keep their defaults."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        limits = limits_from_options(
            **{name: kwargs.get(name, getattr(DEFAULT_LIMITS, name)) for name in LIMIT_PARAMETERS}
        )
        with limits_applied(limits):
            return fn(*args, **kwargs)

    return wrapper
