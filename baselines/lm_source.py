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


LM_DIGEST_FORMAT = 2
"""How `sha256` of a folder LM is computed. 2: `reg_eval.standard.local_model.weights_sha256`
(sha256 of model.safetensors, else one hash over the weight files), as the metric groups hash
a model folder. Absent from lm.json: run folders written before, whose digest
`_format1_weights_sha256` recomputes when they are checked."""
_CHUNK = 1 << 20


@dataclass(frozen=True)
class LMReference:
    requested: str  # what the user passed to --lm
    name: str
    path: str
    source: str  # "offline-cache", "folder" or "hub-cache"
    revision: str | None
    sha256: str | None  # of the weight files; None for hub models (the revision says it)
    sha256_format: int = LM_DIGEST_FORMAT

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _offline_reference(requested: str, root: Path) -> LMReference:
    from reg_eval.models.offline import prepare_offline_emb, read_manifest
    from reg_eval.profiles import OFFLINE_EMB

    folder = prepare_offline_emb(root)
    manifest = read_manifest(folder)
    return LMReference(
        requested=requested, name=OFFLINE_EMB.name, path=str(folder), source="offline-cache",
        revision=f"gguf-sha256:{manifest['gguf_sha256']}", sha256=str(manifest["model_sha256"]),
    )


def resolve_lm(requested: str, *, cache_root: Path | None = None) -> LMReference:
    """Find the LM named by `--lm` without touching the network: the offline model, a
    folder, or a hub name in the local Hugging Face cache (`resolve_local_model`)."""
    from reg_eval.cache import cache_root as run_cache_root
    from reg_eval.standard.local_model import resolve_local_model

    root = run_cache_root(cache_root)
    if requested in OFFLINE_ALIASES:
        return _offline_reference(requested, root)
    local = resolve_local_model(
        requested, cache_root=root, what="prefix-lm", option="--lm",
        default_hint="use --lm offline (SmolLM2-135M from the offline scoring models)",
    )
    if local.is_hub_name:
        return LMReference(
            requested=requested, name=local.label, path=str(local.load_path),
            source="hub-cache", revision=local.revision, sha256=None,
        )
    return LMReference(
        requested=requested, name=local.load_path.name, path=str(local.load_path.resolve()),
        source="folder", revision=None, sha256=local.sha256,
    )


def _format1_weights_sha256(folder: Path) -> str | None:
    """The digest run folders recorded before `LM_DIGEST_FORMAT` 2: sha256 over the name, a
    NUL and the content of each .safetensors and .bin file, in name order. Only read to
    check such an older run folder."""
    weights = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in (
        ".safetensors", ".bin"))
    if not weights:
        return None
    digest = hashlib.sha256()
    for path in weights:
        digest.update(path.name.encode("utf-8") + b"\0")
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


def _recorded_digest_matches(recorded: dict[str, Any], current: LMReference) -> bool:
    if recorded.get("sha256") == current.sha256:
        return True
    if "sha256_format" in recorded or current.source != "folder":
        return False
    return recorded.get("sha256") == _format1_weights_sha256(Path(current.path))


def check_same_lm(recorded: dict[str, Any], current: LMReference, run_dir: Path) -> None:
    """Generation must load the LM that training used: same weights or same revision.

    A run folder without `sha256_format` recorded a folder's digest the earlier way; it is
    compared with that digest of the current folder."""
    checks = (("sha256", _recorded_digest_matches(recorded, current)),
              ("revision", recorded.get("revision") == current.revision))
    for key, same in checks:
        if not same:
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
