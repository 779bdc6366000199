"""Typer option declarations shared by the commands, and the spelling of group options.

Every command that reads input files takes the input limits (`--max-*`) its readers honour
through `input_limits`, which declares them and applies them while the command runs.

A scoring command (`score`, `compare`, `report`, `gc-evaluate`, `score-cot`) declares none of
the scoring options itself: `scoring_command` gives it the one shared set below (profile,
metric groups and their options for the REG 2025 commands, of which `score-cot` has none;
models and device, resampling, input limits), with defaults read from the options types, and
hands it the `ScoringOptions` (or `CotScoringOptions`) that `build_options` makes of them
(`--no-cache` is `cache=False`, `--quiet` is `progress=False`, the group options become
`group_options`).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from reg_eval.errors import UsageError
from reg_eval.io.limits import DEFAULT_LIMITS, Limits, limits_applied
from reg_eval.profiles import PROFILES
from reg_eval.scoring_options import RunOptions, ScoringOptions
from reg_eval.slides.bounds import decoded_mb_help, pixels_per_byte_help

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
    bool,
    typer.Option("--no-cache", help="Do not read or write the caches (entities, vectors, "
                 "judge verdicts)."),
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
TestOption = Annotated[
    str,
    typer.Option("--test", help="Paired test: ar (approximate randomization) or bs (bootstrap)."),
]
TrialsOption = Annotated[
    int, typer.Option("--n", help="Trials (ar) or resamples (bs) of the paired test.")
]
BootstrapOption = Annotated[
    int, typer.Option("--bootstrap", help="Bootstrap resamples for the 95% CIs.")
]
ForceOption = Annotated[bool, typer.Option("--force", help="Replace existing output files.")]
TEXT_OR_JSON = ("text", "json")
TextOrJsonOption = Annotated[str, typer.Option("--format", help="text or json.")]
ResultOutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write the result as JSON.")
]
PerCaseOutputOption = Annotated[
    Path | None, typer.Option("--per-case", help="Write one row per case (.jsonl or .csv).")
]
ResultFormatOption = Annotated[
    str, typer.Option("--format", help="text (tables) or json (the --output object).")
]


def check_choice(option: str, value: str, choices: Sequence[str]) -> None:
    """A value outside an option's choices is a usage error that names them."""
    if value not in choices:
        listed = " or ".join([", ".join(choices[:-1]), choices[-1]] if len(choices) > 1
                             else choices)
        raise UsageError(f"unknown {option} {value!r}", hint=f"use {listed}")
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
JUDGE_SPEC_HELP = (
    "transformers:NAME_OR_PATH (a local model, best on a GPU) or openai:BASE_URL (an "
    "OpenAI-compatible server such as vLLM, with --judge-model; API key from "
    "$REG_EVAL_JUDGE_API_KEY)."
)
"""How a judge is named, whichever judge it is."""
JudgeOption = Annotated[
    str | None,
    typer.Option(
        "--judge",
        help="The LLM judge of the judge metric group (--metrics judge), which grades each "
        "report 0-4 by the severity rubric; for gc-evaluate --challenge reg2026, Metric B's "
        "judge. " + JUDGE_SPEC_HELP,
    ),
]
"""`--judge` of the commands with metric groups (`score`, `compare`, `report`, `gc-evaluate`)."""
METRIC_B_JUDGE_HELP = (
    "The LLM judge of REG 2026 Metric B, which decides whether ROI answers claim tissue and "
    "agree: " + JUDGE_SPEC_HELP
)
MetricBJudgeOption = Annotated[str | None, typer.Option("--judge", help=METRIC_B_JUDGE_HELP)]
"""`--judge` of `score-cot` (Metric B only with the grounding files); `score-grounding`
requires it, with the same help."""
JudgeModelOption = Annotated[
    str | None,
    typer.Option("--judge-model", help="Model name on the judge server (openai: judges)."),
]
JudgeDtypeOption = Annotated[
    str,
    typer.Option(
        "--judge-dtype",
        help="Precision of a local (transformers:) judge: auto (bfloat16 on a GPU of compute "
        "capability 8 or more, float16 on an older GPU, float32 on the CPU), float32, bfloat16 "
        "or float16; refused if the device cannot run it. Apart from --dtype (EMB's). Enters "
        "the judge's signature.",
    ),
]
DEFAULT_JUDGE_DTYPE = "auto"
"""The organisers' choice for the device (`reg_eval.judge.local.pick_dtype`)."""
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
    judge_dtype: str = DEFAULT_JUDGE_DTYPE,
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
        "judge": {"judge": judge, "judge_model": judge_model, "judge_dtype": judge_dtype},
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

# -- slides: every command that opens whole-slide images ------------------------------------

SlidePathsArgument = Annotated[
    list[Path], typer.Argument(help="Slide files or folders (walked).")
]
"""The slides a command reads; folders are walked (see reg_eval.slides)."""

# -- slide limits (reg_eval.slides.bounds) ------------------------------------------------

MaxDecodedMbOption = Annotated[
    int, typer.Option("--max-decoded-mb", help=decoded_mb_help(), min=1)
]
MaxPixelsPerByteOption = Annotated[
    int, typer.Option("--max-pixels-per-byte", help=pixels_per_byte_help(), min=1)
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


def _limits_taken(values: dict[str, Any]) -> Limits:
    """The `Limits` of the `--max-*` values in `values` (taken out of it); a limit the command
    does not declare keeps its default."""
    return limits_from_options(
        **{name: values.pop(name, getattr(DEFAULT_LIMITS, name)) for name in LIMIT_PARAMETERS}
    )


SAVED_RESULT_LIMITS = ("max_upload_mb", "max_depth", "max_cases")
"""The limits a reader of saved result files honours (it reads no zip and no report text)."""


def input_limits(*names: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command the `--max-*` options `names` (all five when none is named) and run it
    with the limits they ask for; every reader it calls then stops at them. A command takes
    only the limits its readers honour (`final` reads no zip upload, so has no
    `--max-decompressed-mb`); the others keep their defaults."""
    unknown = set(names) - set(LIMIT_PARAMETERS)
    if unknown:
        raise TypeError(f"no input limit named {', '.join(sorted(unknown))}")
    added = [item for item in LIMIT_OPTIONS if not names or item.name in names]

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        own = inspect.signature(fn, eval_str=True).parameters

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with limits_applied(_limits_taken(kwargs)):
                return fn(*args, **kwargs)

        return _declared(wrapper, list(own.values()), added)

    return decorate


def _declared(
    wrapper: Callable[..., Any], own: list[inspect.Parameter], added: Sequence[SharedOption]
) -> Callable[..., Any]:
    """`wrapper` as Typer must see it: the command's own parameters, then the `added` options
    (all keyword-only, so that their order does not matter to Python)."""
    parameters = own + [
        inspect.Parameter(
            item.name, inspect.Parameter.KEYWORD_ONLY,
            default=item.default, annotation=item.declaration,
        )
        for item in added
    ]
    wrapper.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in parameters],
        return_annotation=None,
    )
    wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
    return wrapper


# -- the shared scoring options: declared once, given to every scoring command ---------------


@dataclass(frozen=True)
class SharedOption:
    """One option that scoring commands share: its parameter name, its Typer declaration
    (an `Annotated` type) and its default."""

    name: str
    declaration: Any
    default: Any


_RUN = RunOptions()
_SCORING = ScoringOptions()

PROFILE = SharedOption("profile", ProfileOption, _SCORING.profile)
GROUP_OPTIONS = (
    SharedOption("metrics", MetricsOption, _SCORING.metrics),
    SharedOption("semantic_model", SemanticModelOption, None),
    SharedOption("bertscore_model", BertScoreModelOption, None),
    SharedOption("bertscore_layer", BertScoreLayerOption, None),
    SharedOption("bertscore_rescale", BertScoreRescaleOption, False),
    SharedOption("rouge_stemmer", RougeStemmerOption, False),
    SharedOption("clinical_soft", ClinicalSoftOption, False),
    SharedOption("judge", JudgeOption, None),
    SharedOption("judge_model", JudgeModelOption, None),
    SharedOption("judge_dtype", JudgeDtypeOption, DEFAULT_JUDGE_DTYPE),
)
"""The metric groups and their options (REG 2025 scoring: `score`, `compare`, `report`,
`gc-evaluate`); `group_options` turns the per-group ones into `ScoringOptions.group_options`."""
RUN_OPTIONS = (
    SharedOption("emb_model", EmbModelOption, _RUN.emb_model),
    SharedOption("key_model", KeyModelOption, _RUN.key_model),
    SharedOption("device", DeviceOption, _RUN.device),
    SharedOption("dtype", DtypeOption, _RUN.dtype),
    SharedOption("batch_size", BatchSizeOption, _RUN.batch_size),
    SharedOption("no_cache", NoCacheOption, not _RUN.cache),
    SharedOption("cache_dir", CacheDirOption, _RUN.cache_dir),
    SharedOption("bootstrap", BootstrapOption, _RUN.bootstrap),
    SharedOption("seed", SeedOption, _RUN.seed),
    SharedOption("quiet", QuietOption, False),
)
"""How the numbers are computed, whatever the edition (`RunOptions`)."""
LIMIT_OPTIONS = tuple(
    SharedOption(name, declaration, getattr(DEFAULT_LIMITS, name))
    for name, declaration in zip(
        LIMIT_PARAMETERS,
        (MaxUploadMbOption, MaxDecompressedMbOption, MaxDepthOption, MaxReportCharsOption,
         MaxCasesOption),
        strict=True,
    )
)
"""The input limits (`--max-*`): they bound reading, not scoring."""
SHARED = {item.name: item for item in (PROFILE, *GROUP_OPTIONS, *RUN_OPTIONS, *LIMIT_OPTIONS)}
"""Every shared option by its parameter name."""
_GROUP_PARAMETERS = tuple(item.name for item in GROUP_OPTIONS[1:])
_FLAGS = {"no_cache": "cache", "quiet": "progress"}
"""Options whose field is their negation."""


def profile_option(help: str, default: str, *, envvar: str | None = None) -> SharedOption:
    """`--profile` for a command with setups or a default of its own (REG 2026, the
    container), to give `scoring_command(replace=...)`."""
    return SharedOption(
        PROFILE.name,
        Annotated[str, typer.Option("--profile", envvar=envvar, help=help)],
        default,
    )


def shared_options(options_type: type[RunOptions]) -> tuple[SharedOption, ...]:
    """Every shared option a command scoring into `options_type` exposes; the profile's
    default is that type's (each edition names its own setups)."""
    groups = GROUP_OPTIONS if issubclass(options_type, ScoringOptions) else ()
    profile = dataclasses.replace(PROFILE, default=getattr(options_type(), "profile", None))
    return (profile, *groups, *RUN_OPTIONS, *LIMIT_OPTIONS)


def build_options(options_type: type[RunOptions], values: Mapping[str, Any]) -> RunOptions:
    """The typed options the parsed command-line `values` ask for.

    An option named after a field of `options_type` fills that field; `--no-cache` and
    `--quiet` fill `cache` and `progress`; the per-group options fill `group_options` (those not
    given at their defaults); the input limits are not scoring options and are left out. A
    field no option names keeps the type's default.
    """
    fields = {item.name for item in dataclasses.fields(options_type)}
    # Group options exist only where there are groups: elsewhere (score-cot) a name such as
    # `judge` may be an option of the command's own, filling its field of that name.
    group_parameters = _GROUP_PARAMETERS if "group_options" in fields else ()
    unknown = set(values) - fields - set(_FLAGS) - set(group_parameters) - set(LIMIT_PARAMETERS)
    if unknown:
        raise TypeError(
            f"{options_type.__name__} has no field for option(s) {', '.join(sorted(unknown))}"
        )
    chosen = {name: value for name, value in values.items() if name in fields}
    chosen.update({_FLAGS[name]: not value for name, value in values.items() if name in _FLAGS})
    if any(name in values for name in group_parameters):
        chosen["group_options"] = group_options(
            **{name: values.get(name, SHARED[name].default) for name in group_parameters}
        )
    return options_type(**chosen)


def scoring_command(
    options_type: type[RunOptions] = ScoringOptions,
    *,
    replace: Sequence[SharedOption] = (),
    omit: Collection[str] = (),
    extra: Sequence[SharedOption] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command the shared scoring options in place of its `options` parameter.

    The command declares only what is its own (inputs, outputs, `--missing`) and a keyword
    parameter `options: <options_type>`; Typer sees that parameter replaced by
    `shared_options(options_type)`, whose parsed values reach the command built into one
    `options_type` value. The input limits apply while the command runs, and reach a
    `limits` parameter if the command has one. `replace` gives an option another
    declaration or default under the same name (a command's own profile list); `omit`
    leaves options out, their fields at the type's default; `extra` adds options of this
    command's own that fill the `options_type` field of their name.
    """
    replaced = {item.name: item for item in replace}

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        own = inspect.signature(fn, eval_str=True).parameters
        shared = [
            replaced.get(item.name, item)
            for item in shared_options(options_type)
            if item.name not in omit
        ] + list(extra)
        unknown = (set(replaced) | set(omit)) - {i.name for i in shared_options(options_type)}
        if unknown:
            raise TypeError(f"{fn.__name__}: no shared option named {', '.join(sorted(unknown))}")
        if "options" not in own:
            raise TypeError(f"{fn.__name__} needs a keyword parameter `options`")
        names = {item.name for item in shared}
        wants_limits = "limits" in own

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            values = {name: kwargs.pop(name) for name in list(kwargs) if name in names}
            limits = _limits_taken(values)
            kwargs["options"] = build_options(options_type, values)
            if wants_limits:
                kwargs["limits"] = limits
            with limits_applied(limits):
                return fn(*args, **kwargs)

        return _declared(
            wrapper, [p for name, p in own.items() if name not in ("options", "limits")], shared
        )

    return decorate

