"""The "clinical" metric group: keyword P/R/F1 over facts, the weighted clinical score, field
accuracies, missed/invented/soft-matched facts.

Per case it reports clinical precision, recall and F1, the severity-weighted score, whether
the malignancy tier agrees and one accuracy per fact category; the corpus values are the
micro averages; the breakdowns hold micro and macro P/R/F1 per category and per organ.
Undefined values are NaN (see `reg_eval.clinical.scores`) and the scorer leaves them out of
means and intervals, counting the cases where each column is defined.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reg_eval.clinical.fact_cache import cached_facts, spacy_version
from reg_eval.clinical.facts import Fact
from reg_eval.clinical.lexicon import CATEGORIES, Lexicon, load_lexicon
from reg_eval.clinical.negation import RULES_VERSION
from reg_eval.clinical.scores import (
    CaseMatch,
    ConceptRelation,
    Counts,
    all_correct,
    counts_of,
    field_correct,
    macro,
    malignancy_correct,
    match_facts,
    micro,
    precision_recall_f1,
    severity_of,
    soft_match,
)
from reg_eval.clinical.sections import ALL_DIAGNOSIS, Sections, sections_of
from reg_eval.clinical.severity import SEVERITY_VERSION, behaviour_table
from reg_eval.clinical.soft import SOFT_CREDIT, SOFT_THRESHOLD, behaviours_compatible, finer_name
from reg_eval.columns import ColumnLayout
from reg_eval.errors import InvalidInputError
from reg_eval.groups import GroupResult, ScoringContext
from reg_eval.organs import ORGANS, UNKNOWN_ORGAN, organ_of

if TYPE_CHECKING:

    from reg_eval.clinical.extract import FactExtractor

MATCH_RULE = "concept+value+polarity+finer"
FIRST_FACT_FIELDS = ("organ", "procedure", "diagnosis")
"""Fields read from the first fact of their category (the report's site, procedure, primary
diagnosis); every other category is correct only when all its facts are."""
SCORE_COLUMNS = (
    "clinical_precision",
    "clinical_recall",
    "clinical_f1",
    "clinical_weighted",
    "malignancy_correct",
)


def field_columns(categories: Sequence[str] = CATEGORIES) -> tuple[str, ...]:
    """One accuracy column per fact category, in the lexicon's category order."""
    return tuple(f"{category}_correct" for category in categories)


COLUMNS = (*SCORE_COLUMNS, *field_columns())
DETAILS = ("missed", "invented", "soft")
"""Per-case fact lists, written as `clinical_missed`, `clinical_invented`, `clinical_soft`."""
CORPUS_COLUMNS = ("clinical_micro_precision", "clinical_micro_recall", "clinical_micro_f1")
HEADLINE = "clinical_weighted"
"""The clinical number shown and ranked first everywhere; the other columns are diagnostics
(docs/clinical-metrics.md, "The headline")."""


class ClinicalGroup:
    """`ClinicalGroup(lexicon=path, soft=False).compute(refs, hyps, context)`.

    `soft` pairs leftover facts of neighbouring concepts by the offline sentence model
    (all-MiniLM-L6-v2); the model loads only when some concept name is not in the cache. It
    is off by default so that the default command needs no model beyond the official ones.
    """

    name = "clinical"

    def __init__(
        self,
        *,
        lexicon: str | Path | Lexicon | None = None,
        soft: bool = False,
        finer: bool = True,
    ) -> None:
        self.lexicon = lexicon if isinstance(lexicon, Lexicon) else load_lexicon(lexicon)
        self.soft = soft
        self.finer = finer
        self.behaviour = behaviour_table(self.lexicon.concepts)
        self._names = {concept.id: concept.preferred for concept in self.lexicon.concepts}
        self._parents = {
            concept.id: parent
            for concept in self.lexicon.concepts
            if (parent := getattr(concept, "parent", None))
        }
        self._finer_pairs: dict[tuple[str, str], bool] = {}
        self._extractor: FactExtractor | None = None
        self._soft_model = "off"

    @property
    def extractor(self) -> FactExtractor:
        """Built on first use: a fully cached run never needs it (nor spaCy)."""
        if self._extractor is None:
            from reg_eval.clinical.extract import FactExtractor

            self._extractor = FactExtractor(self.lexicon)
        return self._extractor

    @property
    def columns(self) -> tuple[str, ...]:
        """The headline first, then the diagnostics in their declared order."""
        declared = (*SCORE_COLUMNS, *field_columns())
        return (HEADLINE, *(name for name in declared if name != HEADLINE))

    @property
    def layout(self) -> ColumnLayout:
        """Per-case scores and field accuracies, the fact lists, the pooled micro scores."""
        return ColumnLayout(
            numeric=self.columns,
            detail=tuple(f"{self.name}_{key}" for key in DETAILS),
            corpus=CORPUS_COLUMNS,
        )

    def signature(self) -> dict[str, str]:
        soft = (
            f"soft:{self._soft_model}@{SOFT_THRESHOLD:.2f}x{SOFT_CREDIT:g}"
            if self.soft
            else "soft:off"
        )
        return {
            "clinical": (
                f"lexicon sha256:{self.lexicon.short_hash}|rules:{RULES_VERSION}"
                f"|match:{MATCH_RULE if self.finer else MATCH_RULE.removesuffix('+finer')}"
                f"|{soft}|{SEVERITY_VERSION}|spacy-{spacy_version()}"
            )
        }

    def behaviour_of(self, concept_id: str) -> str | None:
        return self.behaviour.get(concept_id)

    def is_finer(self, reference_id: str, hypothesis_id: str) -> bool:
        """Does the hypothesis concept name a finer kind of the reference concept? The
        reference is among the hypothesis concept's `parent` ancestors in the lexicon, or
        its preferred name ends the hypothesis concept's (`soft.finer_name`); always within
        one behaviour tier."""
        key = (reference_id, hypothesis_id)
        found = self._finer_pairs.get(key)
        if found is None:
            ref_name, hyp_name = self._names.get(reference_id), self._names.get(hypothesis_id)
            found = (
                ref_name is not None
                and hyp_name is not None
                and behaviours_compatible(self.behaviour_of(reference_id),
                                          self.behaviour_of(hypothesis_id))
                and (reference_id in self._ancestors(hypothesis_id)
                     or finer_name(ref_name, hyp_name))
            )
            self._finer_pairs[key] = found
        return found

    def _ancestors(self, concept_id: str) -> set[str]:
        seen: set[str] = set()
        parent = self._parents.get(concept_id)
        while parent is not None and parent not in seen:
            seen.add(parent)
            parent = self._parents.get(parent)
        return seen

    def match(
        self,
        reference: Sequence[Fact],
        hypothesis: Sequence[Fact],
        reference_sections: Sections = ALL_DIAGNOSIS,
        hypothesis_sections: Sections = ALL_DIAGNOSIS,
    ) -> CaseMatch:
        """One case's matching under this group's rule (soft matching is a later step)."""
        return match_facts(
            reference,
            hypothesis,
            self._relation,
            reference_sections=reference_sections,
            hypothesis_sections=hypothesis_sections,
        )

    def related_sites(self, reference_id: str, hypothesis_id: str) -> bool:
        """The same organ, or one a part of the other (`endometrium` and `uterus`)."""
        return (
            reference_id == hypothesis_id
            or reference_id in self._ancestors(hypothesis_id)
            or hypothesis_id in self._ancestors(reference_id)
        )

    @property
    def _relation(self) -> ConceptRelation | None:
        return self.is_finer if self.finer else None

    def compute(
        self, refs: Sequence[str], hyps: Sequence[str], context: ScoringContext
    ) -> GroupResult:
        import numpy as np

        if len(refs) != len(hyps):
            raise InvalidInputError(
                f"clinical metrics: {len(refs)} references but {len(hyps)} hypotheses",
                hint="pass one hypothesis per reference, in the same order",
            )
        organs = list(context.organs) if len(context.organs) == len(refs) else []
        if not organs:
            organs = [organ_of(reference) for reference in refs]
        facts = self.facts_of([*refs, *hyps], context)
        ref_facts, hyp_facts = facts[: len(refs)], facts[len(refs) :]
        ref_sections = [sections_of(text) for text in refs]
        hyp_sections = [sections_of(text) for text in hyps]
        matches = [
            self.match(r, h, rs, hs)
            for r, h, rs, hs in zip(ref_facts, hyp_facts, ref_sections, hyp_sections,
                                    strict=True)
        ]
        if self.soft:
            matches = self._soft(matches, context)
        columns: dict[str, list[float]] = {name: [] for name in self.columns}
        for match, ref, hyp, rs, hs in zip(
            matches, ref_facts, hyp_facts, ref_sections, hyp_sections, strict=True
        ):
            case = self.case_scores(match, ref, hyp, rs, hs)
            for name in self.columns:
                columns[name].append(case[name])
        per_case = {name: np.asarray(values, dtype=np.float64) for name, values in columns.items()}
        details = [
            {
                "missed": [fact.label for fact in match.missed],
                "invented": [fact.label for fact in match.invented],
                "soft": [f"{ref.label}~{hyp.label}" for ref, hyp, _s in match.soft],
            }
            for match in matches
        ]
        return GroupResult(
            name=self.name,
            per_case=per_case,
            signature=self.signature(),
            corpus=_corpus(matches),
            details=details,
            breakdowns=breakdowns(matches, organs),
            layout=self.layout,
            headline=HEADLINE,
        )

    def facts_of(
        self, texts: Sequence[str], context: ScoringContext | None = None
    ) -> list[list[Fact]]:
        """Each distinct text is read once, and not at all when the feature cache holds it."""
        return cached_facts(
            texts,
            self.extractor.extract_many,
            cache=context.cache if context is not None else None,
            lexicon_sha256=self.lexicon.sha256,
        )

    def case_scores(
        self,
        match: CaseMatch,
        ref: Sequence[Fact],
        hyp: Sequence[Fact],
        reference_sections: Sections = ALL_DIAGNOSIS,
        hypothesis_sections: Sections = ALL_DIAGNOSIS,
    ) -> dict[str, float]:
        """One case's columns. The sections (`reg_eval.clinical.sections`) say which facts
        stand in each report's diagnosis; without them every fact does."""
        scores = precision_recall_f1(counts_of(match))
        severity = severity_of(
            match,
            ref,
            hyp,
            self.behaviour_of,
            reference_sections=reference_sections,
            hypothesis_sections=hypothesis_sections,
            related=self.related_sites,
        )
        row = {
            "clinical_precision": scores.precision,
            "clinical_recall": scores.recall,
            "clinical_f1": scores.f1,
            "clinical_weighted": severity.score,
            "malignancy_correct": malignancy_correct(severity),
        }
        for category in CATEGORIES:
            if category in FIRST_FACT_FIELDS:
                row[f"{category}_correct"] = field_correct(
                    ref,
                    hyp,
                    category,
                    self._relation,
                    reference_sections=reference_sections,
                    hypothesis_sections=hypothesis_sections,
                )
            else:
                row[f"{category}_correct"] = all_correct(match, category)
        return row

    def _soft(self, matches: list[CaseMatch], context: ScoringContext) -> list[CaseMatch]:
        """Embed the names of the concepts left over on both sides (once each), then pair."""
        wanted = sorted(
            {f.concept_id for m in matches if m.missed and m.invented for f in m.missed}
            | {f.concept_id for m in matches if m.missed and m.invented for f in m.invented}
        )
        backend = _sentence_backend(context)
        identity = backend.identity
        self._soft_model = f"{identity.name}@sha256:{(identity.sha256 or '')[:16]}"
        if not wanted:
            return matches
        names = [self.lexicon.concept(concept_id).preferred for concept_id in wanted]
        vectors = dict(zip(wanted, backend.embed(names), strict=True))
        by_id = dict(zip(wanted, names, strict=True))
        return [soft_match(match, vectors, self.behaviour_of, by_id) for match in matches]


SOFT_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
"""The offline sentence model, named as the semantic group names it, so that the two share
cache entries (a test holds the identities equal)."""


def _sentence_backend(context: ScoringContext) -> Any:
    """The offline all-MiniLM-L6-v2 backend with the run's cache (not loaded until needed)."""
    import json
    from importlib import metadata

    from reg_eval.backends.identity import ModelIdentity
    from reg_eval.backends.sentence import SentenceEmbeddingBackend
    from reg_eval.cache import cache_root
    from reg_eval.models.offline import prepare_sentence_model
    from reg_eval.profiles import MINILM_L6

    root = cache_root(context.cache_root)
    folder = prepare_sentence_model(Path(root))
    try:
        settings = json.loads((folder / "sentence_bert_config.json").read_text("utf-8"))
    except (OSError, ValueError):
        settings = {}
    max_seq_length = settings.get("max_seq_length") if isinstance(settings, dict) else None
    try:
        library = metadata.version("sentence-transformers")
    except metadata.PackageNotFoundError:
        library = "not-installed"
    identity = ModelIdentity(
        role="sent-emb",
        name=SOFT_MODEL_NAME,
        revision=None,
        sha256=MINILM_L6.member_sha256,
        precision="float32",
        options=(
            ("normalize", "yes"),
            ("max_seq_length", str(max_seq_length) if max_seq_length else "model-default"),
            ("sentence_transformers", library),
        ),
    )
    return SentenceEmbeddingBackend(
        str(folder),
        identity=identity,
        device=context.device,
        batch_size=context.batch_size,
        cache=context.cache,
        progress=context.progress,
    )


def _corpus(matches: Sequence[CaseMatch]) -> dict[str, float]:
    if not matches:
        return {}
    pooled = micro([counts_of(match) for match in matches])
    return {
        "clinical_micro_precision": pooled.precision,
        "clinical_micro_recall": pooled.recall,
        "clinical_micro_f1": pooled.f1,
    }


def _defined(value: float) -> float | None:
    """JSON has no NaN: an undefined ratio is written as null."""
    return None if math.isnan(value) else value


def _row(counts: Sequence[Counts]) -> dict[str, Any]:
    pooled, averaged = micro(counts), macro(counts)
    total = Counts()
    for case in counts:
        total = total + case
    return {
        "cases": len(counts),
        "reference_facts": total.reference,
        "hypothesis_facts": total.hypothesis,
        "matched": total.matched,
        "micro_precision": _defined(pooled.precision),
        "micro_recall": _defined(pooled.recall),
        "micro_f1": _defined(pooled.f1),
        "macro_precision": _defined(averaged.precision),
        "macro_recall": _defined(averaged.recall),
        "macro_f1": _defined(averaged.f1),
    }


def breakdowns(matches: Sequence[CaseMatch], organs: Sequence[str]) -> dict[str, Any]:
    """Micro/macro P/R/F1 overall, per category and per organ, as JSON-ready rows.

    A category's row uses only the cases where that category occurs in the reference or the
    hypothesis: cases without it would each add a perfect 1.0 to its macro average.
    """
    if not matches:
        return {}
    overall = _row([counts_of(match) for match in matches])
    by_category = []
    for category in CATEGORIES:
        counts = [counts_of(match, category) for match in matches]
        present = [c for c in counts if c.reference or c.hypothesis]
        if present:
            by_category.append({"category": category, **_row(present)})
    by_organ = []
    order = [*ORGANS, UNKNOWN_ORGAN]
    seen = sorted(set(organs), key=lambda o: (order.index(o) if o in order else len(order), o))
    for organ in seen:
        counts = [counts_of(m) for m, o in zip(matches, organs, strict=True) if o == organ]
        by_organ.append({"organ": organ, **_row(counts)})
    return {
        "clinical_overall": overall,
        "clinical_by_category": by_category,
        "clinical_by_organ": by_organ,
    }
