"""Model identities as the backends use them; the type itself lives in `reg_eval.identity`.

Signatures (the lowest layer) hold model identities as typed fields, so the type is defined
there, below the backends; this module keeps the import path the backends and the cache use.
"""

from reg_eval.identity import KEY_LAYOUT, ModelIdentity, library_versions

__all__ = ["KEY_LAYOUT", "ModelIdentity", "library_versions"]
