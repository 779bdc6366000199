"""Clinical facts in the feature cache, beside the entities and vectors, keyed by text hash.

A fully cached run then reads facts from the cache and never imports spaCy. The namespace
holds everything that decides which facts a text gives: the lexicon's sha256, the spaCy
version (its tokenizer splits the words the patterns see) and the extractor version, a hash
of the source of every module of `reg_eval.clinical` except the scoring ones, and of every
file shipped beside the lexicon. Any edit to extraction, negation, value reading, the
lexicon loader, the fact layout or their data (a new module or data file included)
therefore starts a fresh partition by itself; nobody has to remember to bump a number.
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
SCORING_MODULES = frozenset(
    {"__init__.py", "fact_cache.py", "group.py", "scores.py", "severity.py", "soft.py",
     "value_match.py"}
)
"""Modules of reg_eval/clinical/ that only score facts; every other module reads them. The
files directly in reg_eval/data/lexicon/ count as extraction data."""
_PACKAGE = Path(__file__).resolve().parent
_LEXICON_DATA = _PACKAGE.parent / "data" / "lexicon"
_FIELDS = tuple(field.name for field in dataclasses.fields(Fact))


@lru_cache(maxsize=1)
def extractor_version() -> str:
    """First 16 hex digits of the sha256 over the extraction modules and the lexicon data."""
    digest = hashlib.sha256()
    for path in extraction_sources():
        digest.update(str(path.relative_to(_PACKAGE.parent)).encode())
        digest.update(b"\x00")
        digest.update(path.read_bytes())
        digest.update(b"\x00")
    return digest.hexdigest()[:16]


def extraction_sources() -> list[Path]:
    """The files whose content decides a text's facts, in a fixed order."""
    modules = sorted(p for p in _PACKAGE.glob("*.py") if p.name not in SCORING_MODULES)
    data = sorted(p for p in _LEXICON_DATA.glob("*") if p.is_file())
    return [*modules, *data]


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
