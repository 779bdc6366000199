"""One spelling for choosing a judge: `transformers:NAME_OR_PATH` or `openai:BASE_URL`."""

from __future__ import annotations

from pathlib import Path

from reg_eval.errors import UsageError
from reg_eval.judge.cache import CachedJudge
from reg_eval.judge.served import DEFAULT_API_KEY_ENV, OpenAIChatJudge
from reg_eval.judge.types import GenerationSettings, Judge

BACKENDS = ("transformers", "openai")
SPEC_HINT = (
    "give --judge transformers:NAME_OR_PATH (a local folder or a model in the local Hugging "
    "Face cache) or --judge openai:BASE_URL --judge-model NAME (an OpenAI-compatible server, "
    "e.g. vLLM at http://127.0.0.1:8000/v1)"
)


def parse_judge_spec(spec: str) -> tuple[str, str]:
    """("transformers" | "openai", the rest); a usage error for anything else."""
    backend, sep, target = spec.strip().partition(":")
    if not sep or backend not in BACKENDS or not target:
        raise UsageError(f"unknown judge {spec!r}", hint=SPEC_HINT)
    return backend, target


def load_judge(
    spec: str,
    *,
    model: str | None = None,
    settings: GenerationSettings | None = None,
    cache_root: Path | None = None,
    use_cache: bool = True,
    device: str = "auto",
    dtype: str | None = None,
    batch_size: int = 8,
    concurrency: int = 8,
    timeout_s: float = 600.0,
    retries: int = 4,
    backoff_s: float = 1.0,
    api_key_env: str = DEFAULT_API_KEY_ENV,
    progress: bool = False,
) -> CachedJudge:
    """The judge `spec` names, behind the verdict cache in `cache_root` (the default cache
    root when None; nothing stored with `use_cache=False`).

    Nothing heavy happens here for a served judge; a local model is resolved and hashed now
    and loaded on its first uncached prompt. `dtype` is a local judge's precision (None or
    "auto": the organisers' choice for the device); a served model runs in the server's.
    """
    from reg_eval.cache import FeatureCache
    from reg_eval.cache import cache_root as resolve_cache_root

    backend, target = parse_judge_spec(spec)
    settings = settings or GenerationSettings()
    root = resolve_cache_root(cache_root)
    if backend == "openai":
        if not model:
            raise UsageError("a served judge needs a model name", hint=SPEC_HINT)
        from reg_eval.judge.local import AUTO_DTYPE

        if dtype is not None and dtype.strip().lower() != AUTO_DTYPE:
            raise UsageError(
                f"--judge-dtype {dtype} sets a local judge's precision; a served judge runs in "
                "the precision its server chose",
                hint="leave --judge-dtype out (or auto) with --judge openai:...",
            )
        judge: Judge = OpenAIChatJudge(
            target,
            model,
            settings=settings,
            concurrency=concurrency,
            timeout_s=timeout_s,
            retries=retries,
            backoff_s=backoff_s,
            api_key_env=api_key_env,
        )
    else:
        if model:
            raise UsageError(
                "--judge-model names a served model; a transformers judge is named by --judge",
                hint=SPEC_HINT,
            )
        from reg_eval.judge.local import TransformersJudge

        judge = TransformersJudge(
            target,
            settings=settings,
            device=device,
            dtype=dtype,
            batch_size=batch_size,
            cache_root=root,
            progress=progress,
        )
    cache = FeatureCache(root) if use_cache else None
    return CachedJudge(judge, cache, progress=progress)
