"""A judge run in this process with transformers: the organisers' `LocalQwenJudgeLLM`, batched.

As the organisers' judge does, each prompt is one user message through the model's own chat
template (`add_generation_prompt=True`, `enable_thinking` as set), the generated ids are cut
after the last `</think>` id (looked up in the tokenizer: 151668 for Qwen3), and each half is
decoded without special tokens and stripped of newlines (the reasoning also loses its
`<think>` tags, which Qwen3 does not count as special). Precision, unless asked for: bfloat16
on a GPU of compute capability 8 or more, else float16; float32 on the CPU.

Unlike that judge, prompts are generated in batches (left padding), and sampling is made
repeatable per prompt: the model's own sampling settings (temperature, top-k, top-p, min-p
from its `generation_config`, unless overridden) shape the distribution, and each prompt
draws from it with Gumbel noise from a generator seeded by (seed + sample index, prompt).
Sampling with the Gumbel-max rule draws from exactly the distribution that multinomial
sampling draws from, and a prompt's random draws do not depend on which prompts share its
batch. Its logits can: in bfloat16 or float16 a batch's padding and shape change the rounding
of the matrix products, so a near-tie between tokens may go another way with other neighbours.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reg_eval.errors import UsageError
from reg_eval.judge.thinking import THINK_CLOSE, bare_reasoning, split_index
from reg_eval.judge.types import GenerationSettings, JudgeIdentity, JudgeReply

if TYPE_CHECKING:
    import torch

DEFAULT_BATCH_SIZE = 8
LIBRARIES = ("torch", "transformers", "tokenizers")
"""The libraries whose code turns the weights into tokens; their versions enter the identity."""
HF_SAMPLING_DEFAULTS: dict[str, float | int | None] = {
    "temperature": 1.0,
    "top_k": 50,
    "top_p": 1.0,
    "min_p": None,
}
"""What transformers' `generate` uses for a sampling setting a model leaves unset."""
UNSUPPORTED_SAMPLING = {"typical_p": 1.0, "epsilon_cutoff": 0.0, "eta_cutoff": 0.0}
"""Warpers this judge does not apply; a generation_config that sets them is refused."""


AUTO_DTYPE = "auto"
"""The precision name that asks for the organisers' choice (`pick_dtype`)."""


def pick_dtype(device: str, dtype: str | None, *, option: str = "--judge-dtype") -> str:
    """The organisers' choice unless one is asked for (None or "auto"): bfloat16 on a GPU of
    capability >= 8, float16 on an older GPU, float32 on the CPU. Either way the precision is
    checked by `reg_eval.backends.devices` against the device, so an asked-for bfloat16 on a
    GPU or CPU that cannot run it is refused before any weights are read."""
    from reg_eval.backends.devices import check_dtype_name, resolve_dtype

    if dtype is not None and dtype.strip().lower() != AUTO_DTYPE:
        name = check_dtype_name(dtype, option=option)
    elif not device.startswith("cuda"):
        name = "float32"
    else:
        import torch

        major, _minor = torch.cuda.get_device_capability(torch.device(device))
        name = "bfloat16" if major >= 8 else "float16"
    resolve_dtype(name, device, option=option)
    return name


def _out_of_memory(exc: BaseException, doing: str, *, hint: str) -> UsageError:
    """The error for torch running out of memory while `doing`: what was asked, the first
    line of torch's own message, and what to change."""
    detail = (str(exc).strip().splitlines() or ["out of memory"])[0]
    return UsageError(f"out of GPU memory while {doing}: {detail}", hint=hint)


def resolve_judge_model(name_or_path: str, cache_root: Path | None) -> tuple[Path, str | None, str]:
    """(folder to load, hub revision, sha256 over its files) from this machine only.

    A folder is hashed file by file (weights, config, tokenizer, chat template), memoised in
    the cache root; a hub snapshot is hashed from the names of the blobs its files link to.
    """
    from reg_eval.models.hashing import (
        WEIGHT_SUFFIXES,
        HashMemo,
        folder_sha256,
        model_folder_files,
    )
    from reg_eval.models.hub import (
        find_in_hub_cache,
        hub_file_sha256,
        hub_hint,
        hub_snapshot_sha256,
        looks_like_path,
    )

    memo = HashMemo(cache_root)
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise UsageError(
                f"judge model folder {path} has no config.json",
                hint="give a folder written by save_pretrained(), or a hub name in the local cache",
            )
        if not any(f.is_file() and f.name.endswith(WEIGHT_SUFFIXES) for f in path.iterdir()):
            raise UsageError(
                f"judge model folder {path} holds no weight files ({', '.join(WEIGHT_SUFFIXES)})",
                hint="give a folder written by save_pretrained(), or a hub name in the local cache",
            )
        files = model_folder_files(path) + sorted(path.glob("*.jinja"))
        return path, None, folder_sha256(path, files, memo)
    if path.exists() or looks_like_path(name_or_path):
        raise UsageError(
            f"judge model {name_or_path} is not a model folder",
            hint="give a folder written by save_pretrained(), or a hub name in the local cache",
        )
    name, _, revision = name_or_path.partition("@")
    found = find_in_hub_cache(name, revision or None)
    if found is None:
        raise UsageError(
            f"judge model {name_or_path} is not in the local Hugging Face cache",
            hint=hub_hint(name),
        )
    snapshot, commit = found
    digest = hub_snapshot_sha256(snapshot, memo)
    templates = sorted(snapshot.glob("*.jinja"))
    if templates:  # a chat template kept beside tokenizer_config.json changes the prompts too
        combined = hashlib.sha256(digest.encode("ascii"))
        for file in templates:
            combined.update(f"\n{file.name}\x00{hub_file_sha256(file, memo)}".encode())
        digest = combined.hexdigest()
    return snapshot, commit, digest


def row_seed(seed: int, prompt: str) -> int:
    """A 63-bit generator seed from the sample's seed and the prompt's exact bytes."""
    digest = hashlib.sha256(f"{seed}\x00".encode("ascii"))
    digest.update(prompt.encode("utf-8", errors="surrogatepass"))
    return int.from_bytes(digest.digest()[:8], "big") >> 1


class TransformersJudge:
    """A causal language model with a chat template, loaded once, generating in batches."""

    def __init__(
        self,
        name_or_path: str,
        *,
        settings: GenerationSettings | None = None,
        device: str = "auto",
        dtype: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        cache_root: Path | None = None,
        progress: bool = False,
    ) -> None:
        if batch_size < 1:
            raise UsageError("the judge batch size must be at least 1")
        from reg_eval.backends.devices import resolve_device
        from reg_eval.identity import library_versions

        folder, revision, file_hash = resolve_judge_model(name_or_path, cache_root)
        self.folder = folder
        self.settings = settings or GenerationSettings()
        self.device = resolve_device(device)
        self.dtype = pick_dtype(self.device, dtype)
        self.batch_size = batch_size
        self.progress = progress
        self.identity = JudgeIdentity(
            backend="transformers",
            model=name_or_path,
            file_hash=file_hash,
            revision=revision,
            precision=self.dtype,
            base_url=None,
            device_type=self.device.partition(":")[0],
            libraries=library_versions(LIBRARIES),
        )
        self._loaded: tuple[Any, Any] | None = None

    def __repr__(self) -> str:
        return f"TransformersJudge({self.identity.describe()!r})"

    # -- loading ------------------------------------------------------------------------------

    def _load(self) -> tuple[Any, Any]:
        """(tokenizer, model), loaded on first use from local files only."""
        if self._loaded is not None:
            return self._loaded
        from reg_eval.backends.embeddings import quiet_transformers

        with quiet_transformers(show_progress=self.progress):
            tokenizer, model = self._from_pretrained()
        return self._ready(tokenizer, model)

    def _from_pretrained(self) -> tuple[Any, Any]:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from reg_eval.backends.devices import torch_dtype

        tokenizer = AutoTokenizer.from_pretrained(self.folder, local_files_only=True)
        tokenizer.padding_side = "left"
        if tokenizer.chat_template is None:
            raise UsageError(
                f"judge model {self.identity.model} has no chat template",
                hint="use an instruction-tuned model whose tokenizer carries a chat template",
            )
        model = AutoModelForCausalLM.from_pretrained(
            self.folder, dtype=torch_dtype(self.dtype), local_files_only=True
        )
        return tokenizer, model

    def _ready(self, tokenizer: Any, model: Any) -> tuple[Any, Any]:
        """On the device, in eval mode, with a pad token for left-padded batches."""
        from reg_eval.backends.devices import out_of_memory_types

        try:
            model.to(self.device)
        except out_of_memory_types() as exc:
            raise _out_of_memory(
                exc,
                f"moving the judge {self.identity.model} to {self.device} in {self.dtype}",
                hint="free the GPU, use a larger one, or serve the model elsewhere and pass "
                "--judge openai:URL --judge-model NAME",
            ) from None
        model.eval()
        if tokenizer.pad_token_id is None:
            pad = model.generation_config.pad_token_id
            if pad is None:
                eos = model.generation_config.eos_token_id
                pad = eos[0] if isinstance(eos, list) else eos
            if pad is None:
                raise UsageError(
                    f"judge model {self.identity.model} has no pad or end-of-text token",
                    hint="batched generation needs one; set pad_token_id in generation_config",
                )
            tokenizer.pad_token_id = pad
        self._loaded = (tokenizer, model)
        return self._loaded

    def think_end_id(self) -> int | None:
        """The id of `</think>` in this tokenizer (151668 for Qwen3); None if it has none."""
        tokenizer, _model = self._load()
        token_id = tokenizer.convert_tokens_to_ids(THINK_CLOSE)
        if token_id is None or token_id == tokenizer.unk_token_id:
            return None
        return int(token_id)

    def prompt_text(self, prompt: str) -> str:
        """The prompt as the chat template renders it for generation."""
        tokenizer, _model = self._load()
        return tokenizer.apply_chat_template(
            [{"role": "user", "content": prompt}],
            tokenize=False,
            add_generation_prompt=True,
            enable_thinking=self.settings.enable_thinking,
        )

    # -- sampling -----------------------------------------------------------------------------

    def sampling(self) -> dict[str, float | int | None] | None:
        """The sampling settings in force; None for greedy decoding."""
        _tokenizer, model = self._load()
        config = model.generation_config
        for name, neutral in UNSUPPORTED_SAMPLING.items():
            value = getattr(config, name, None)
            if value is not None and value != neutral:
                raise UsageError(
                    f"judge model {self.identity.model} asks for {name}={value} in its "
                    "generation_config, which the transformers judge does not apply",
                    hint="serve the model (--judge openai:URL) or remove the setting",
                )
        settings = self.settings
        if settings.temperature == 0:
            return None
        own = bool(config.do_sample)
        if settings.temperature is None and not own:
            return None
        chosen: dict[str, float | int | None] = {}
        overrides = {"temperature": settings.temperature, "top_k": settings.top_k,
                     "top_p": settings.top_p, "min_p": None}
        for name, default in HF_SAMPLING_DEFAULTS.items():
            value = overrides[name]
            if value is None:
                value = getattr(config, name, None)
            chosen[name] = default if value is None else value
        return chosen

    def _processor(self, prompts: Sequence[str], sample_index: int) -> Any:
        """The warpers of the sampling settings, then per-row Gumbel noise (or nothing)."""
        sampling = self.sampling()
        if sampling is None:
            return None
        import torch
        from transformers.generation import (
            LogitsProcessor,
            MinPLogitsWarper,
            TemperatureLogitsWarper,
            TopKLogitsWarper,
            TopPLogitsWarper,
        )

        warpers: list[Any] = []
        temperature = float(sampling["temperature"] or 1.0)
        if temperature != 1.0:
            warpers.append(TemperatureLogitsWarper(temperature))
        top_k = sampling["top_k"]
        if top_k:
            warpers.append(TopKLogitsWarper(top_k=int(top_k)))
        top_p = sampling["top_p"]
        if top_p is not None and float(top_p) < 1.0:
            warpers.append(TopPLogitsWarper(top_p=float(top_p)))
        min_p = sampling["min_p"]
        if min_p is not None:
            warpers.append(MinPLogitsWarper(min_p=float(min_p)))
        seed = self.settings.sample_seed(sample_index)
        device = torch.device(self.device)
        generators = []
        for prompt in prompts:
            generator = torch.Generator(device=device)
            generator.manual_seed(row_seed(seed, prompt))
            generators.append(generator)

        class GumbelSampler(LogitsProcessor):  # type: ignore[misc]
            """Warped logits plus one row's own Gumbel noise: argmax is a sample."""

            def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
                scores = scores.float()
                for warper in warpers:
                    scores = warper(input_ids, scores)
                noise = torch.stack(
                    [
                        torch.rand(
                            scores.shape[-1], generator=g, device=scores.device,
                            dtype=torch.float64,
                        )
                        for g in generators
                    ]
                )
                tiny = torch.finfo(torch.float64).tiny
                gumbel = -torch.log(-torch.log(noise.clamp(min=tiny, max=1 - 1e-16)))
                return (scores.double() + gumbel).float()

        return GumbelSampler()

    # -- generation ---------------------------------------------------------------------------

    def generate(self, prompts: Sequence[str], *, sample_index: int = 0) -> list[JudgeReply]:
        """One reply per prompt, in order; longest prompts are batched together."""
        self.settings.sample_seed(sample_index)
        if not prompts:
            return []
        tokenizer, _model = self._load()
        texts = [self.prompt_text(prompt) for prompt in prompts]
        lengths = [len(tokenizer(text)["input_ids"]) for text in texts]
        order = sorted(range(len(prompts)), key=lambda i: (-lengths[i], i))
        replies: dict[int, JudgeReply] = {}
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            batch = self._generate_batch(
                [texts[i] for i in rows], [prompts[i] for i in rows], sample_index
            )
            replies.update(zip(rows, batch, strict=True))
        return [replies[i] for i in range(len(prompts))]

    def _generate_batch(
        self, texts: list[str], prompts: list[str], sample_index: int
    ) -> list[JudgeReply]:
        import copy

        import torch
        from transformers.generation import LogitsProcessorList

        tokenizer, model = self._load()
        inputs = tokenizer(texts, return_tensors="pt", padding=True).to(self.device)
        config = copy.deepcopy(model.generation_config)
        config.max_new_tokens = self.settings.max_new_tokens
        config.max_length = None
        config.do_sample = False
        config.num_beams = 1
        # Neutral values, not None: generate() fills a None from the model's own config.
        config.temperature, config.top_p, config.top_k, config.min_p = 1.0, 1.0, 50, None
        if config.pad_token_id is None:
            config.pad_token_id = tokenizer.pad_token_id
        processor = self._processor(prompts, sample_index)
        processors = LogitsProcessorList([processor] if processor is not None else [])
        from reg_eval.backends.devices import out_of_memory_types

        try:
            with torch.inference_mode():
                output = model.generate(
                    **inputs, generation_config=config, logits_processor=processors
                )
        except out_of_memory_types() as exc:
            raise _out_of_memory(
                exc,
                f"the judge generated {len(texts)} replies of up to "
                f"{self.settings.max_new_tokens} tokens",
                hint="lower the judge batch size (each Qwen3-8B reply of 32,768 tokens holds "
                "about 4.5 GiB of attention cache), or serve the model with vLLM "
                "(--judge openai:URL), which pages that cache",
            ) from None
        new_ids = output[:, inputs["input_ids"].shape[1] :].tolist()
        eos = config.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [] if eos is None else [eos])
        think_end = self.think_end_id()
        return [self._reply(tokenizer, _until_eos(ids, eos_ids), think_end) for ids in new_ids]

    @staticmethod
    def _reply(tokenizer: Any, ids: list[int], think_end: int | None) -> JudgeReply:
        """Split and decode as the organisers' judge does."""
        cut = split_index(ids, think_end)
        reasoning = bare_reasoning(tokenizer.decode(ids[:cut], skip_special_tokens=True))
        content = tokenizer.decode(ids[cut:], skip_special_tokens=True).strip("\n")
        raw = tokenizer.decode(ids, skip_special_tokens=True)
        return JudgeReply(content=content, reasoning=reasoning, raw=raw)


def _until_eos(ids: list[int], eos_ids: set[int]) -> list[int]:
    """A row's generated ids up to and including its first end token (the rest is padding)."""
    for position, token in enumerate(ids):
        if token in eos_ids:
            return ids[: position + 1]
    return ids

