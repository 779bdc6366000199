"""Clinical facts in the feature cache, beside the entities and vectors, keyed by text hash.

A fully cached run then reads facts from the cache and never imports spaCy. The namespace
holds everything that decides which facts a text gives: the lexicon's sha256, the spaCy
version (its tokenizer splits the words the patterns see) and the extractor version, a hash
of the source of the modules that read facts. Any edit to extraction, negation, value
reading, the lexicon loader or the fact layout therefore starts a fresh partition by itself;
nobody has to remember to bump a number.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Sequence
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from reg_eval.cache import FeatureCache, cached_compute
from reg_eval.clinical.facts import Fact

PAYLOAD_VERSION = "facts-json-v1"
EXTRACTION_MODULES = ("extract.py", "facts.py", "lexicon.py", "negation.py", "values.py")
"""The modules (in reg_eval/clinical/) whose code decides a text's facts."""
_FIELDS = tuple(field.name for field in dataclasses.fields(Fact))


@lru_cache(maxsize=1)
def extractor_version() -> str:
    """First 16 hex digits of the sha256 over the extraction modules' source."""
    digest = hashlib.sha256()
    folder = Path(__file__).resolve().parent
    for name in EXTRACTION_MODULES:
        path = folder / name
        digest.update(name.encode())
        digest.update(b"\x00")
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()[:16]


def spacy_version() -> str:
    try:
        return metadata.version("spacy")
    except metadata.PackageNotFoundError:
        return "unknown"


def namespace(lexicon_sha256: str) -> str:
    return (
        f"clinical-facts.lex-{lexicon_sha256[:16]}.ext-{extractor_version()}"
        f".spacy-{spacy_version()}.{PAYLOAD_VERSION}"
    )


def facts_to_bytes(facts: Sequence[Fact]) -> bytes:
    """Compact, deterministic JSON: a list of [field values] in `Fact` field order."""
    rows = [[getattr(fact, name) for name in _FIELDS] for fact in facts]
    return json.dumps({"fields": list(_FIELDS), "facts": rows}, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def facts_from_bytes(payload: bytes) -> list[Fact]:
    """The inverse of `facts_to_bytes`; ValueError when the bytes are not such a payload."""
    try:
        data: Any = json.loads(payload.decode("utf-8"))
        fields = data["fields"]
        if list(fields) != list(_FIELDS):
            raise ValueError("fact fields differ from this version's")
        return [Fact(**dict(zip(fields, row, strict=True))) for row in data["facts"]]
    except (UnicodeDecodeError, KeyError, TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a clinical facts payload: {exc}") from None


def cached_facts(
    texts: Sequence[str],
    extract: Callable[[list[str]], list[list[Fact]]],
    *,
    cache: FeatureCache | None,
    lexicon_sha256: str,
) -> list[list[Fact]]:
    """One fact list per text; each distinct text is read once, and not at all when cached."""
    return cached_compute(
        list(texts),
        extract,
        cache=cache,
        namespace=namespace(lexicon_sha256),
        encode=facts_to_bytes,
        decode=facts_from_bytes,
    )
