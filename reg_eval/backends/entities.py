"""Named entities for KEY: a spaCy pipeline run over each distinct text once, in batches.

The official KEY calls `nlp(text)` once per text. `nlp.pipe` over the distinct texts gives the
same `doc.ents` and is much faster; texts already in the feature cache are never parsed, and
spaCy itself is only imported when some text is missing from the cache.

No pipeline component is disabled. In scispaCy's `en_core_sci_lg` the NER reads features
produced upstream (the shared tok2vec layer, and token attributes such as NORM that an
attribute ruler may set), and the parser's sentence boundaries constrain where an entity may
span. Which components are safe to drop depends on the package's wiring, so dropping any
would risk a KEY different from the official one for a small speed gain.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from reg_eval.backends.identity import ModelIdentity

if TYPE_CHECKING:
    import spacy

    from reg_eval.cache import FeatureCache

PAYLOAD_VERSION = "ents-v1"
"""Bumped when the stored form of an entity list changes; part of the cache namespace."""

EntityTexts = tuple[str, ...]


def encode_entities(entities: EntityTexts) -> bytes:
    """JSON list of strings; ASCII escapes keep lone surrogates representable."""
    return json.dumps(list(entities), ensure_ascii=True, separators=(",", ":")).encode("ascii")


def decode_entities(payload: bytes) -> EntityTexts:
    """The inverse of `encode_entities`; ValueError for anything that is not a list of strings."""
    value = json.loads(payload.decode("ascii"))
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError("not a list of entity strings")
    return tuple(value)


class SpacyEntityBackend:
    """Entity texts per input text, from a spaCy pipeline loaded on first need."""

    def __init__(
        self,
        load: Callable[[], spacy.Language],
        *,
        identity: ModelIdentity,
        batch_size: int = 256,
        n_process: int = 1,
        cache: FeatureCache | None = None,
        progress: bool = False,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if n_process < 1:
            raise ValueError("n_process must be at least 1")
        self._load = load
        self._nlp: spacy.Language | None = None
        self.identity = identity
        self.batch_size = batch_size
        self.n_process = n_process
        self.cache = cache
        self.progress = progress

    @property
    def namespace(self) -> str:
        """Cache partition: the model identity plus the payload layout."""
        return f"{self.identity.cache_namespace()}-{PAYLOAD_VERSION}"

    @property
    def loaded(self) -> bool:
        return self._nlp is not None

    @property
    def nlp(self) -> spacy.Language:
        if self._nlp is None:
            self._nlp = self._load()
        return self._nlp

    def entity_texts(self, texts: Sequence[str]) -> list[EntityTexts]:
        """The `ent.text` of every entity, in document order, for each input text."""
        from reg_eval.cache import cached_compute

        return cached_compute(
            list(texts),
            self._compute,
            cache=self.cache,
            namespace=self.namespace,
            encode=encode_entities,
            decode=decode_entities,
        )

    def _compute(self, distinct_texts: list[str]) -> list[EntityTexts]:
        docs: Iterable[spacy.tokens.Doc] = self.nlp.pipe(
            distinct_texts, batch_size=self.batch_size, n_process=self.n_process
        )
        if self.progress:
            from tqdm.auto import tqdm

            docs = tqdm(docs, total=len(distinct_texts), desc="KEY entities", unit="text")
        return [tuple(ent.text for ent in doc.ents) for doc in docs]
