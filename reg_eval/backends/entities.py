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
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from reg_eval.backends.identity import ModelIdentity
from reg_eval.errors import InvalidInputError

if TYPE_CHECKING:
    import spacy

    from reg_eval.cache import FeatureCache

PAYLOAD_VERSION = "ents-v1"
"""Bumped when the stored form of an entity list changes; part of the cache namespace."""

ENTITY_LIBRARIES = ("spacy", "thinc")
"""Libraries whose code finds the entities: tokenizer rules, pipeline code, network ops."""

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
        self.model_identity = identity
        """The pipeline as resolved; `identity` adds where and with what it runs."""
        self.batch_size = batch_size
        self.n_process = n_process
        self.cache = cache
        self.progress = progress
        self._labels: dict[str, str] = {}

    @property
    def identity(self) -> ModelIdentity:
        """The pipeline as it runs here: device type and spaCy/thinc versions included."""
        return self.model_identity.running(
            device_type=_spacy_device_type(), libraries=ENTITY_LIBRARIES
        )

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

    def entity_texts(
        self, texts: Sequence[str], labels: Sequence[str] | None = None
    ) -> list[EntityTexts]:
        """The `ent.text` of every entity, in document order, for each input text.

        `labels` name the texts in errors ("the prediction of case 'X'"), one per text.
        """
        from reg_eval.cache import cached_compute

        texts = list(texts)
        self._labels = {}
        for index, text in enumerate(texts):
            self._labels.setdefault(text, labels[index] if labels else f"text {index + 1}")
        return cached_compute(
            texts,
            self._compute,
            cache=self.cache,
            namespace=self.namespace,
            encode=encode_entities,
            decode=decode_entities,
        )

    def _compute(self, distinct_texts: list[str]) -> list[EntityTexts]:
        limit = self.nlp.max_length
        for text in distinct_texts:
            if len(text) > limit:
                what = self._labels.get(text, "a text")
                raise InvalidInputError(
                    f"{what} has {len(text):,} characters; the KEY pipeline "
                    f"{self.model_identity.name} reads at most {limit:,} (spaCy E088), and the "
                    "official code fails on it too",
                    hint="pathology reports are a few hundred characters: check that the "
                    "report is not a whole file or a generation that never stopped",
                )
        docs: Iterable[spacy.tokens.Doc] = self.nlp.pipe(
            distinct_texts, batch_size=self.batch_size, n_process=self.n_process
        )
        if self.progress:
            from tqdm.auto import tqdm

            docs = tqdm(docs, total=len(distinct_texts), desc="KEY entities", unit="text")
        return [tuple(ent.text for ent in doc.ents) for doc in docs]


def _spacy_device_type() -> str:
    """"cuda" when this process asked spaCy for a GPU (`spacy.prefer_gpu()`), else "cpu".

    spaCy runs on the CPU unless told otherwise; if it is not even imported, nobody told it.
    """
    if "thinc.api" not in sys.modules:
        return "cpu"
    from thinc.api import get_current_ops

    return "cuda" if get_current_ops().device_type == "gpu" else "cpu"
