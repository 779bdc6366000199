"""REG text embeddings from a transformers model: the official mean pooling, on padded batches.

The official EMB vector of a text is `model(**tokenizer(text, truncation=True, max_length=512))`
`.last_hidden_state.mean(dim=1)`: one unpadded text per forward pass, special tokens included.
Here texts run in padded batches sorted by length, and the mean is taken over real tokens only
(sum of hidden states where the attention mask is 1, divided by the number of such tokens).
With right padding a real token sees exactly what it sees alone, so each vector equals the
official one up to float rounding (about 1e-6 of the vector's scale in float32).

Empty texts: a tokenizer that adds special tokens (BERT's [CLS] [SEP], Llama-3's BOS) embeds
them like any text. A tokenizer that yields no token at all would make the official mean a
NaN (0 / 0); such a text gets the zero vector instead, whose cosine with anything is 0, so EMB
for that case is 0.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reg_eval.backends.devices import (
    check_device_name,
    check_dtype_name,
    exact_float32,
    out_of_memory_error,
    out_of_memory_types,
    resolve_device_type,
)
from reg_eval.backends.identity import ModelIdentity
from reg_eval.cache import FeatureCache, cached_vectors
from reg_eval.errors import UsageError

if TYPE_CHECKING:
    import numpy as np

POOLING = "mean"
ZERO_TOKEN_POLICY = "zero-vector"
"""What a text with no tokens at all embeds to (the official code would give NaN)."""
PAYLOAD_VERSION = "v2"
"""v2: float32 CPU vectors come from oneDNN linear layers (other rounding than v1's)."""
EMB_LIBRARIES = ("torch", "transformers", "tokenizers")
"""Libraries whose code computes a vector: kernels, model code, tokenisation."""


@dataclass
class EmbeddingStats:
    """What the model actually did, for progress lines and for tests of the cache."""

    texts_embedded: int = 0
    forward_calls: int = 0
    tokens: int = 0
    """Real (unpadded) tokens run through the model."""


class TransformersEmbeddingBackend:
    """Embeds texts as the REG EMB metric does; loads the model only if a text is not cached."""

    def __init__(
        self,
        model: str,
        *,
        identity: ModelIdentity,
        gguf_file: str | None = None,
        revision: str | None = None,
        device: str = "auto",
        dtype: str = "float32",
        batch_size: int = 16,
        max_length: int = 512,
        cache: FeatureCache | None = None,
        local_files_only: bool = True,
        progress: bool = False,
    ) -> None:
        if batch_size < 1:
            raise UsageError(f"--batch-size must be at least 1, not {batch_size}")
        if max_length < 1:
            raise UsageError(f"max_length must be at least 1, not {max_length}")
        self.model = model
        self.model_identity = identity
        """The model as resolved; `identity` adds where and with what it runs."""
        self.gguf_file = gguf_file
        self.revision = revision
        self.device = check_device_name(device)
        self.dtype = check_dtype_name(dtype)
        if identity.precision is not None and identity.precision != self.dtype:
            raise ValueError(
                f"model identity says {identity.precision} but the backend runs {self.dtype}"
            )
        self.batch_size = batch_size
        self.max_length = max_length
        self.cache = cache
        self.local_files_only = local_files_only
        self.progress = progress
        self.stats = EmbeddingStats()
        self._loaded: tuple[Any, Any, str] | None = None
        self._loader: threading.Thread | None = None
        self._background_error: BaseException | None = None

    @cached_property
    def device_type(self) -> str:
        """"cpu" or "cuda", resolved from `auto` without loading the model."""
        return resolve_device_type(self.device)

    @cached_property
    def identity(self) -> ModelIdentity:
        """The model as it runs here: device type and library versions included."""
        libraries = EMB_LIBRARIES + (("gguf",) if self.gguf_file else ())
        return self.model_identity.running(device_type=self.device_type, libraries=libraries)

    @property
    def namespace(self) -> str:
        """Cache partition: the model identity plus every setting that changes a vector."""
        return (
            f"{self.identity.cache_namespace()}.{self.dtype}.max{self.max_length}"
            f".{POOLING}.{PAYLOAD_VERSION}"
        )

    @property
    def resolved_device(self) -> str | None:
        """The device the model runs on, once loaded (None while everything came from cache)."""
        return self._loaded[2] if self._loaded else None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One float32 vector per text, in input order; shape (n, d), or (0, 0) for no text."""
        return cached_vectors(texts, self._compute, cache=self.cache, namespace=self.namespace)

    def load(self) -> tuple[Any, Any, str]:
        """(tokenizer, model, device), loading on first use; errors name the model and a fix."""
        if self._loader is not None:
            loader, self._loader = self._loader, None
            loader.join()
            if self._background_error is not None:
                error, self._background_error = self._background_error, None
                raise error
        if self._loaded is None:
            self._loaded = self._load()
        return self._loaded

    def load_in_background(self, texts: Sequence[str]) -> bool:
        """Start loading the model in a thread when some text is not cached, so the caller
        can do other work meanwhile; `load` (and so `embed`) waits for it and re-raises its
        error. A warm run (every text cached) starts nothing and never imports torch."""
        if self._loaded is not None or self._loader is not None:
            return False
        if self.cache is not None:
            from reg_eval.cache import text_key

            if self.cache.has_all(self.namespace, [text_key(t) for t in dict.fromkeys(texts)]):
                return False

        def run() -> None:
            try:
                self._loaded = self._load()
            except BaseException as exc:  # re-raised by load() in the caller's thread
                self._background_error = exc

        self._loader = threading.Thread(target=run, name="reg-eval-emb-load", daemon=True)
        self._loader.start()
        return True

    def _compute(self, texts: list[str]) -> list[np.ndarray]:
        tokenizer, model, device = self.load()
        # float32 must mean float32: TF32 (GPU) or bfloat16 (CPU) matmul shortcuts would move
        # EMB by about 1e-3. Scoped, so a training loop around a reward keeps its setting.
        precision = exact_float32() if self.dtype == "float32" else nullcontext()
        with precision:
            return mean_pooled_embeddings(
                texts,
                tokenizer,
                model,
                device=device,
                batch_size=self.batch_size,
                max_length=self.max_length,
                progress=self.progress,
                stats=self.stats,
            )

    def _load(self) -> tuple[Any, Any, str]:
        import transformers
        from transformers import AutoModel, AutoTokenizer

        from reg_eval.backends.devices import resolve_device, resolve_dtype

        device = resolve_device(self.device)
        if device.partition(":")[0] != self.device_type:
            raise RuntimeError(f"cache key made for {self.device_type}, model runs on {device}")
        torch_dtype = resolve_dtype(self.dtype, device)
        common: dict[str, Any] = {"local_files_only": self.local_files_only}
        if self.revision:
            common["revision"] = self.revision
        if self.gguf_file:
            common["gguf_file"] = self.gguf_file
        model_kwargs: dict[str, Any] = {_dtype_keyword(transformers.__version__): torch_dtype}
        on_gpu_directly = device.startswith("cuda") and importlib.util.find_spec("accelerate")
        if on_gpu_directly:  # skips a full copy of the weights in CPU memory
            model_kwargs["device_map"] = {"": device}
        what = f"the embedding model {self.model}"
        out_of_memory = out_of_memory_types()
        with quiet_transformers(show_progress=self.progress):
            try:
                tokenizer = AutoTokenizer.from_pretrained(self.model, **common)
                model = AutoModel.from_pretrained(self.model, **common, **model_kwargs)
            except out_of_memory as exc:
                raise out_of_memory_error(what, device, exc) from None
            except (OSError, ValueError, ImportError, KeyError) as exc:
                raise self._load_error(exc) from None
        if not on_gpu_directly:
            try:
                model = model.to(device)
            except out_of_memory as exc:
                raise out_of_memory_error(what, device, exc) from None
        model.eval()
        if device == "cpu" and self.dtype == "float32":
            model = prepacked_cpu_linears(model)
        prepare_tokenizer(tokenizer)
        return tokenizer, model, device

    def _load_error(self, exc: BaseException) -> UsageError:
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        what = self.model + (f" (file {self.gguf_file})" if self.gguf_file else "")
        looks_local = Path(self.model).expanduser().exists() or self.model.startswith(
            ("/", ".", "~")
        )
        if looks_local:
            hint = (
                f"check that {self.model} holds a transformers model (config.json, weights, "
                "tokenizer files) or the named GGUF file; or use --profile offline"
            )
        else:
            command = f"hf download {self.model}"
            if self.revision:
                command += f" --revision {self.revision}"
            if self.gguf_file:
                command += f" {self.gguf_file}"
            hint = (
                f"download it once with `{command}` (needs network access to the Hugging Face "
                "hub), then rerun; or use --profile offline, which needs no network"
            )
        return UsageError(f"cannot load the embedding model {what}: {detail}", hint=hint)


def prepacked_cpu_linears(model: Any) -> Any:
    """Run the model's float32 linear layers through oneDNN with weights packed once.

    Inference only (the packed layers keep no gradient). On CPU the forward passes are
    almost all matrix products, and with the default kernels the 2-core benchmark machine
    took about 1.7x as long for them (docs/performance.md). Still full
    float32: the vectors move only by float rounding, like any change of summation order.
    Models without oneDNN support, or with linear layers of another dtype, are left as they are.
    """
    import warnings

    import torch

    try:
        with warnings.catch_warnings():
            # MkldnnLinear is a TorchScript module; torch warns that script_method is deprecated.
            warnings.simplefilter("ignore", DeprecationWarning)
            from torch.utils import mkldnn
    except ImportError:  # a torch without the oneDNN helpers: the plain layers are correct
        return model
    if not torch.backends.mkldnn.is_available():
        return model
    for module in list(model.modules()):
        for name, child in list(module.named_children()):
            if type(child) is torch.nn.Linear and child.weight.dtype == torch.float32:
                setattr(module, name, mkldnn.MkldnnLinear(child, torch.float32))
    return model


def prepare_tokenizer(tokenizer: Any) -> None:
    """Give a tokenizer without one (Llama-3) a pad token, and pad on the right.

    The pad id never reaches a vector: padded positions are masked out of attention and out
    of the mean. Right padding is chosen because positions are counted from the first slot:
    with right padding every real token keeps the position (and, with causal attention, the
    context) it has when the text runs alone. Left padding would move each real token by the
    pad count: absolute position embeddings (BERT) would change the vectors outright, and
    rotary ones (Llama) cancel the shift only in exact arithmetic, not in rounding, unless
    position ids were rebuilt from the mask.
    """
    if getattr(tokenizer, "pad_token_id", None) is None and tokenizer.eos_token is not None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "right"


def mean_pooled_embeddings(
    texts: Sequence[str],
    tokenizer: Any,
    model: Any,
    *,
    device: str = "cpu",
    batch_size: int = 16,
    max_length: int = 512,
    progress: bool = False,
    stats: EmbeddingStats | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> list[np.ndarray]:
    """The official per-text mean-pooled vectors, computed on right-padded batches.

    Texts are tokenised one by one exactly as the official code does (truncation at
    `max_length`, special tokens included, no padding), sorted longest first to keep padding
    small, padded by hand, and pooled over the real tokens in float64.
    """
    import numpy as np
    import torch
    from tqdm.auto import tqdm

    out_of_memory = getattr(torch, "OutOfMemoryError", None) or torch.cuda.OutOfMemoryError
    stats = stats if stats is not None else EmbeddingStats()
    if not texts:
        return []
    encodings = tokenizer(list(texts), truncation=True, max_length=max_length)
    input_ids: list[list[int]] = [list(ids) for ids in encodings["input_ids"]]
    extra_names = [
        name for name in encodings if name not in ("input_ids", "attention_mask", "length")
    ]
    hidden_size = _hidden_size(model)
    vectors: list[np.ndarray | None] = [None] * len(input_ids)
    for index, ids in enumerate(input_ids):
        if not ids:
            vectors[index] = np.zeros(hidden_size, dtype=np.float32)
    order = sorted(
        (i for i, ids in enumerate(input_ids) if ids), key=lambda i: len(input_ids[i]), reverse=True
    )
    pad_id = _pad_id(tokenizer)
    bar = tqdm(
        total=len(order), desc="embedding", unit="text", file=sys.stderr, disable=not progress
    )
    with bar, torch.inference_mode():
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            width = len(input_ids[rows[0]])
            ids_batch = torch.full((len(rows), width), pad_id, dtype=torch.long)
            mask_batch = torch.zeros((len(rows), width), dtype=torch.long)
            extras = {
                name: torch.zeros((len(rows), width), dtype=torch.long) for name in extra_names
            }
            for row, index in enumerate(rows):
                length = len(input_ids[index])
                ids_batch[row, :length] = torch.tensor(input_ids[index], dtype=torch.long)
                mask_batch[row, :length] = 1
                for name, tensor in extras.items():
                    tensor[row, :length] = torch.tensor(encodings[name][index], dtype=torch.long)
            inputs = {
                "input_ids": ids_batch.to(device),
                "attention_mask": mask_batch.to(device),
                **{name: tensor.to(device) for name, tensor in extras.items()},
            }
            try:
                output = model(**inputs)
            except out_of_memory:
                raise UsageError(
                    f"out of GPU memory embedding {len(rows)} texts of up to {width} tokens",
                    hint="lower --batch-size, or use --device cpu",
                ) from None
            hidden = _last_hidden_state(output)
            keep = inputs["attention_mask"].bool().unsqueeze(-1)
            summed = torch.where(keep, hidden.double(), 0.0).sum(dim=1)
            pooled = (summed / keep.sum(dim=1).double()).float().cpu().numpy()
            for row, index in enumerate(rows):
                vectors[index] = pooled[row]
            stats.forward_calls += 1
            stats.texts_embedded += len(rows)
            stats.tokens += int(mask_batch.sum())
            bar.update(len(rows))
            if on_batch is not None:
                on_batch(len(rows))
    done = [vector for vector in vectors if vector is not None]
    if len(done) != len(vectors):
        raise RuntimeError("some texts were not embedded")
    return done


def _hidden_size(model: Any) -> int:
    size = getattr(model.config, "hidden_size", None)
    if isinstance(size, int):
        return size
    return int(model.get_input_embeddings().embedding_dim)


def _pad_id(tokenizer: Any) -> int:
    """Any valid id works (it is masked); prefer the tokenizer's pad, then eos, then 0."""
    for candidate in (tokenizer.pad_token_id, tokenizer.eos_token_id):
        if isinstance(candidate, int):
            return candidate
    return 0


def _last_hidden_state(output: Any) -> Any:
    hidden = getattr(output, "last_hidden_state", None)
    return hidden if hidden is not None else output[0]


def _dtype_keyword(version: str) -> str:
    """transformers 4.56 renamed `torch_dtype=` to `dtype=`."""
    parts = version.split(".")
    try:
        major, minor = int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return "dtype"
    return "dtype" if (major, minor) >= (4, 56) else "torch_dtype"


@contextmanager
def quiet_transformers(*, show_progress: bool) -> Iterator[None]:
    """Hide load reports (such as the unused lm_head of a causal checkpoint) while loading."""
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    bars_were_on = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    if not show_progress:
        hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)
        if bars_were_on and not show_progress:
            hf_logging.enable_progress_bar()
