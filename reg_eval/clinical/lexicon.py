"""The pathology lexicon: concepts with ids, categories and the terms that name them.

The lexicon is data (`reg_eval/data/lexicon/concepts.jsonl`, built from the curated
`seed.txt` beside it by `scripts/build_lexicon.py`), so a pathologist can extend it without
touching code; its sha256 goes into the signature, so two clinical scores are only
comparable when they were computed with the same terms. Rows written before the optional
fields (behaviour, organs, parent, source, xrefs) existed are still read.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reg_eval.clinical.values import READERS
from reg_eval.errors import InvalidInputError, UsageError

CATEGORIES = (
    "organ",
    "procedure",
    "diagnosis",
    "histologic_type",
    "grade",
    "stage",
    "size",
    "margin",
    "invasion",
    "lymph_node",
    "biomarker",
    "finding",
)
"""Fact categories, in the order breakdowns list them."""
BEHAVIOURS = ("malignant", "in_situ", "uncertain", "benign", "non_neoplastic")
"""What a diagnosis says about malignancy, gravest first (optional; diagnosis concepts only)."""
VALUE_KINDS = tuple(READERS)
"""How a value written after a term is read; see `reg_eval.clinical.values`."""

DEFAULT_LEXICON = Path(__file__).resolve().parent.parent / "data" / "lexicon" / "concepts.jsonl"

_CONCEPT_KEYS = {
    "id",
    "category",
    "preferred",
    "synonyms",
    "value",
    "behaviour",
    "organs",
    "parent",
    "source",
    "source_id",
    "xrefs",
}
_OPTIONAL_TEXT_KEYS = ("parent", "source_id")
_TERM_KEYS = {"text", "value", "requires_value", "negated", "exact_case"}


@dataclass(frozen=True)
class Term:
    """One way of writing a concept; a term may fix the value or the polarity itself."""

    text: str
    value: str | None = None
    """Fixed value, e.g. "moderate" for "moderately differentiated"."""
    requires_value: bool = False
    """Only a match when a value follows ("grade II"), so a bare "grade" is not a fact."""
    negated: bool = False
    """The term states an absence itself ("benign prostatic tissue" = no tumour)."""
    exact_case: bool = False
    """Matched with its case as written: "ER" and "PR" are receptors, "er" and "pr" are not."""


@dataclass(frozen=True)
class Concept:
    id: str
    category: str
    preferred: str
    terms: tuple[Term, ...]
    """The preferred term first, then the synonyms, in file order."""
    value_kind: str | None = None
    behaviour: str | None = None
    """Diagnoses only: one of `BEHAVIOURS`; None in lexicons written before it existed."""
    organs: tuple[str, ...] = ()
    """Organ systems the concept belongs to; empty for concepts used everywhere."""
    parent: str | None = None
    """Id of a broader concept of the same category (acinar adenocarcinoma -> adenocarcinoma)."""
    source: str = "curated"
    """Where the concept comes from: "DOID" (Human Disease Ontology) or "curated"."""
    source_id: str | None = None
    """Its id there ("DOID:3458"); None for curated concepts."""
    xrefs: tuple[str, ...] = ()
    """Ids of the same concept in other open vocabularies ("NCIT:C4194")."""


@dataclass(frozen=True)
class Lexicon:
    concepts: tuple[Concept, ...]
    sha256: str
    """Of the file's bytes; the signature shows the first 16 hex digits."""
    source: str

    def concept(self, concept_id: str) -> Concept:
        for concept in self.concepts:
            if concept.id == concept_id:
                return concept
        raise KeyError(concept_id)

    def category_of(self, concept_id: str) -> str:
        return self.concept(concept_id).category

    def behaviour_of(self, concept_id: str) -> str | None:
        return self.concept(concept_id).behaviour

    @property
    def short_hash(self) -> str:
        return self.sha256[:16]


def load_lexicon(path: str | Path | None = None) -> Lexicon:
    """Read and validate a lexicon file (JSON Lines, one concept per line)."""
    file = Path(path) if path is not None else DEFAULT_LEXICON
    try:
        payload = file.read_bytes()
    except OSError as exc:
        raise UsageError(
            f"cannot read the clinical lexicon {file}: {exc.strerror or exc}",
            hint="pass an existing concepts.jsonl, or omit the option to use the shipped one",
        ) from None
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            f"{file}: not UTF-8 at byte {exc.start}", hint="save the lexicon as UTF-8"
        ) from None
    concepts: list[Concept] = []
    seen_ids: dict[str, int] = {}
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        concept = _parse_concept(line, file, line_number)
        if concept.id in seen_ids:
            raise InvalidInputError(
                f"{file}, line {line_number}: concept id {concept.id!r} already defined on "
                f"line {seen_ids[concept.id]}",
                hint="merge the two lines or rename one id",
            )
        seen_ids[concept.id] = line_number
        concepts.append(concept)
    if not concepts:
        raise InvalidInputError(f"{file}: the lexicon has no concepts", hint="add concept lines")
    categories = {concept.id: concept.category for concept in concepts}
    for concept in concepts:
        if concept.parent is None:
            continue
        if categories.get(concept.parent) != concept.category:
            raise InvalidInputError(
                f"{file}, line {seen_ids[concept.id]}: parent {concept.parent!r} of "
                f"{concept.id!r} is not a concept of category {concept.category!r}",
                hint="name an existing concept of the same category, or drop 'parent'",
            )
    return Lexicon(tuple(concepts), hashlib.sha256(payload).hexdigest(), str(file))


def _parse_concept(line: str, file: Path, line_number: int) -> Concept:
    where = f"{file}, line {line_number}"
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"{where}, column {exc.colno}: invalid JSON ({exc.msg})",
            hint="each line must be one JSON object",
        ) from None
    if not isinstance(record, dict):
        raise InvalidInputError(f"{where}: expected a JSON object", hint="one concept per line")
    unknown = set(record) - _CONCEPT_KEYS
    if unknown:
        raise InvalidInputError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))}",
            hint=f"allowed keys: {', '.join(sorted(_CONCEPT_KEYS))}",
        )
    concept_id = _required_text(record, "id", where)
    if not concept_id.replace("_", "").isalnum() or concept_id != concept_id.lower():
        raise InvalidInputError(
            f"{where}: concept id {concept_id!r} must be lower-case letters, digits and '_'",
            hint="e.g. invasive_lobular_carcinoma",
        )
    category = _required_text(record, "category", where)
    if category not in CATEGORIES:
        raise InvalidInputError(
            f"{where}: unknown category {category!r}", hint=f"use one of {', '.join(CATEGORIES)}"
        )
    value_kind = record.get("value")
    if value_kind is not None and value_kind not in VALUE_KINDS:
        raise InvalidInputError(
            f"{where}: unknown value kind {value_kind!r}",
            hint=f"use one of {', '.join(VALUE_KINDS)}, or leave 'value' out",
        )
    preferred = _required_text(record, "preferred", where)
    synonyms = record.get("synonyms", [])
    if not isinstance(synonyms, list):
        raise InvalidInputError(f"{where}: 'synonyms' must be a list", hint='e.g. ["DCIS"]')
    terms = [Term(preferred)]
    for index, synonym in enumerate(synonyms):
        terms.append(_parse_term(synonym, f"{where}, synonym {index}"))
    for term in terms:
        if term.requires_value and value_kind is None:
            raise InvalidInputError(
                f"{where}: term {term.text!r} requires a value but the concept has no value kind",
                hint="add a 'value' kind or drop 'requires_value'",
            )
    behaviour = record.get("behaviour")
    if behaviour is not None and (category != "diagnosis" or behaviour not in BEHAVIOURS):
        raise InvalidInputError(
            f"{where}: behaviour {behaviour!r} is not allowed here",
            hint=f"only diagnosis concepts carry a behaviour, one of {', '.join(BEHAVIOURS)}",
        )
    optional = {}
    for key in _OPTIONAL_TEXT_KEYS:
        if key in record:
            optional[key] = _required_text(record, key, where)
    source = _required_text(record, "source", where) if "source" in record else "curated"
    return Concept(
        concept_id,
        category,
        preferred,
        tuple(terms),
        value_kind,
        behaviour=behaviour,
        organs=_text_list(record, "organs", where),
        parent=optional.get("parent"),
        source=source,
        source_id=optional.get("source_id"),
        xrefs=_text_list(record, "xrefs", where),
    )


def _text_list(record: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    values = record.get(key, [])
    if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
        raise InvalidInputError(f"{where}: {key!r} must be a list of strings", hint='e.g. ["x"]')
    return tuple(values)


def _parse_term(synonym: Any, where: str) -> Term:
    if isinstance(synonym, str):
        if not synonym.strip():
            raise InvalidInputError(f"{where}: empty term", hint="remove it")
        return Term(synonym)
    if not isinstance(synonym, dict):
        raise InvalidInputError(
            f"{where}: a synonym is a string or an object", hint='e.g. {"text": "...", ...}'
        )
    unknown = set(synonym) - _TERM_KEYS
    if unknown:
        raise InvalidInputError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))}",
            hint=f"allowed keys: {', '.join(sorted(_TERM_KEYS))}",
        )
    text = _required_text(synonym, "text", where)
    value = synonym.get("value")
    if value is not None and not (isinstance(value, str) and value.strip()):
        raise InvalidInputError(f"{where}: 'value' must be a non-empty string", hint='e.g. "low"')
    flags = {}
    for flag in ("requires_value", "negated", "exact_case"):
        flag_value = synonym.get(flag, False)
        if not isinstance(flag_value, bool):
            raise InvalidInputError(f"{where}: {flag!r} must be true or false", hint="use JSON")
        flags[flag] = flag_value
    return Term(text, value, flags["requires_value"], flags["negated"], flags["exact_case"])


def _required_text(record: dict[str, Any], key: str, where: str) -> str:
    value = record.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"{where}: {key!r} must be a non-empty string", hint=f"add {key!r}")
    return value
