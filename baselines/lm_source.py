"""Which causal LM `prefix-lm` builds on, where its files are, and how to tell it is the same one.

Three sources, never the network:
- `offline` (the default): SmolLM2-135M from the pinned GGUF of the offline scoring profile,
  de-quantised once to float32 safetensors by `reg_eval.models.offline.prepare_offline_emb`. That
  folder was saved from `AutoModel` (config `architectures: LlamaModel`), yet
  `AutoModelForCausalLM` loads it as a `LlamaForCausalLM` whose head is the tied input
  embedding (`tie_word_embeddings: true`), which gives exactly the logits of the GGUF.
- a local folder written by `save_pretrained` (model and tokenizer);
- a hub name (`org/model` or `org/model@revision`) already in the local Hugging Face cache.

A run directory records the reference (name, path, revision or sha256); generation checks
that the LM it loads is the one training used.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from reg_eval.errors import UsageError

OFFLINE_ALIASES = ("offline", "offline:SmolLM2-135M", "offline:SmolLM2-135M-Instruct-Q4_1")
DEFAULT_LM = "offline"
WEIGHT_SUFFIXES = (".safetensors", ".bin")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class LMReference:
    requested: str  # what the user passed to --lm
    name: str
    path: str
    source: str  # "offline-cache", "folder" or "hub-cache"
    revision: str | None
    sha256: str | None  # of the weight files; None for hub models (the revision says it)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def weights_sha256(folder: Path) -> str:
    """One digest over the names and contents of the weight files of a model folder."""
    weights = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in WEIGHT_SUFFIXES)
    if not weights:
        raise UsageError(
            f"model folder {folder} holds no weight files ({', '.join(WEIGHT_SUFFIXES)})",
            hint="point --lm at a folder written by save_pretrained()",
        )
    digest = hashlib.sha256()
    for path in weights:
        digest.update(path.name.encode("utf-8") + b"\0")
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


def _offline_reference(requested: str, cache_root: Path | None) -> LMReference:
    import json

    from reg_eval.cache import cache_root as run_cache_root
    from reg_eval.models.offline import prepare_offline_emb
    from reg_eval.profiles import OFFLINE_EMB

    folder = prepare_offline_emb(run_cache_root(cache_root))
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return LMReference(
        requested=requested, name=OFFLINE_EMB.name, path=str(folder), source="offline-cache",
        revision=f"gguf-sha256:{manifest['gguf_sha256']}", sha256=manifest["model_sha256"],
    )


def resolve_lm(requested: str, *, cache_root: Path | None = None) -> LMReference:
    """Find the LM named by `--lm` without touching the network."""
    if requested in OFFLINE_ALIASES:
        return _offline_reference(requested, cache_root)
    path = Path(requested).expanduser()
    if path.is_dir():
        return LMReference(
            requested=requested, name=path.name, path=str(path.resolve()), source="folder",
            revision=None, sha256=weights_sha256(path),
        )
    if path.exists() or requested.startswith((".", "/", "~")):
        raise UsageError(
            f"cannot load the language model {requested!r}: not a model folder",
            hint="give a folder written by save_pretrained(), a hub name, or 'offline'",
        )
    from reg_eval.models.hub import find_in_hub_cache

    name, _, revision = requested.partition("@")
    found = find_in_hub_cache(name, revision or None)
    if found is None:
        raise UsageError(
            f"cannot load the language model {requested!r}: not in the local Hugging Face "
            "cache, and the hub is not consulted",
            hint="copy the model into the cache (HF_HOME), pass a local folder with --lm, "
            "or use --lm offline (SmolLM2-135M from the offline scoring models)",
        )
    snapshot, commit = found
    return LMReference(
        requested=requested, name=name, path=str(snapshot), source="hub-cache",
        revision=commit, sha256=None,
    )


def check_same_lm(recorded: dict[str, Any], current: LMReference, run_dir: Path) -> None:
    """Generation must load the LM that training used: same weights or same revision."""
    for key in ("sha256", "revision"):
        if recorded.get(key) != getattr(current, key):
            raise UsageError(
                f"run {run_dir} was trained on {recorded.get('name')} with {key} "
                f"{recorded.get(key)}, but {current.path} has {getattr(current, key)}",
                hint="make the training LM available again (same files), or train anew",
            )


def keep_first_layers(lm: Any, n_layers: int) -> None:
    """Cut a decoder to its first `n_layers` blocks: a smaller, faster LM for CPU runs."""
    decoder = lm.get_decoder() if hasattr(lm, "get_decoder") else getattr(lm, "model", None)
    layers = getattr(decoder, "layers", None)
    if layers is None:
        raise UsageError(
            f"--lm-layers: cannot find the decoder blocks of {type(lm).__name__}",
            hint="leave --lm-layers out for this LM",
        )
    if not 1 <= n_layers <= len(layers):
        raise UsageError(f"--lm-layers {n_layers}: the LM has {len(layers)} layers")
    decoder.layers = layers[:n_layers]
    lm.config.num_hidden_layers = n_layers
    layer_types = getattr(lm.config, "layer_types", None)
    if isinstance(layer_types, list):
        lm.config.layer_types = layer_types[:n_layers]


def load_lm(reference: LMReference, *, progress: bool = False) -> tuple[Any, Any]:
    """A causal LM (float32) and its tokenizer from the resolved folder.

    transformers' own loading bar shows only with `progress` (not under `--quiet`).
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from reg_eval.backends.embeddings import quiet_transformers

    try:
        with quiet_transformers(show_progress=progress):
            tokenizer = AutoTokenizer.from_pretrained(reference.path)
            model = AutoModelForCausalLM.from_pretrained(reference.path, dtype="float32")
    except (OSError, ValueError) as exc:
        raise UsageError(
            f"cannot load the language model {reference.requested!r} from {reference.path}: "
            f"{exc}",
            hint="give a folder written by save_pretrained() with its tokenizer",
        ) from None
    return model, tokenizer
