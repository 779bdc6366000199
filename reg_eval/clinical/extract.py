"""Report text -> clinical facts, with a spaCy entity ruler built from the lexicon.

Matching is on lower-cased tokens, so case never matters. Hyphens and runs of white space
between the words of a term are optional on both sides: "core-needle biopsy", "core needle
biopsy" and "core -\\n needle biopsy" are one term. Where matches overlap, the longest wins
("low-grade dysplasia" over "low grade", "non-small cell carcinoma" over "small cell
carcinoma"). spaCy is imported only when the first report is read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from reg_eval.clinical.facts import Fact
from reg_eval.clinical.lexicon import Concept, Lexicon, Term, load_lexicon
from reg_eval.clinical.negation import negated_flags
from reg_eval.clinical.values import READERS
from reg_eval.errors import InvalidInputError

if TYPE_CHECKING:
    from spacy.language import Language

_JOINERS = r"^[\s\-‐‑–]+$"
"""Tokens allowed (and skipped) between the words of a term: hyphens and white space."""
_EXTRA_INFIXES = (
    r"(?<=[A-Za-z])(?=[0-9])",  # "CIN3" -> "CIN", "3"
    r"(?<=[0-9])[-/+=](?=[0-9])",  # "3+4=7", "2/3"
    r"(?<=[A-Za-z])[-/](?=[0-9])",  # "CIN-3"
)
_POSSESSIVE = ("'s", "’s")
_ID_SEPARATOR = "#"


def blank_pipeline() -> Language:
    """spacy.blank("en") whose tokenizer also splits letters from digits ("CIN3")."""
    import spacy
    from spacy.util import compile_infix_regex

    nlp = spacy.blank("en")
    infixes = [*nlp.Defaults.infixes, *_EXTRA_INFIXES]
    nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    return nlp


def term_pattern(nlp: Language, text: str) -> list[dict[str, Any]]:
    """Token pattern for one term: lower-cased words, hyphens/space between them optional."""
    words = [t.lower_ for t in nlp.make_doc(text) if not t.is_space and t.text not in "-‐‑–"]
    pattern: list[dict[str, Any]] = []
    for index, word in enumerate(words):
        if index:
            pattern.append({"TEXT": {"REGEX": _JOINERS}, "OP": "*"})
        if word in _POSSESSIVE:
            pattern.append({"LOWER": {"IN": list(_POSSESSIVE)}})
        else:
            pattern.append({"LOWER": word})
    return pattern


class FactExtractor:
    """Reads the facts of reports; one instance per lexicon, built on first use."""

    def __init__(self, lexicon: Lexicon | None = None) -> None:
        self.lexicon = lexicon if lexicon is not None else load_lexicon()
        self._nlp: Language | None = None
        self._terms: dict[str, tuple[Concept, Term]] = {}

    def extract(self, text: str) -> list[Fact]:
        return self.extract_many([text])[0]

    def extract_many(self, texts: Sequence[str]) -> list[list[Fact]]:
        nlp = self._pipeline()
        return [self._facts(doc) for doc in nlp.pipe(texts, batch_size=256)]

    def _pipeline(self) -> Language:
        if self._nlp is None:
            nlp = blank_pipeline()
            ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": True})
            ruler.add_patterns(list(self._patterns(nlp)))  # type: ignore[attr-defined]
            self._nlp = nlp
        return self._nlp

    def _patterns(self, nlp: Language) -> Iterable[dict[str, Any]]:
        owners: dict[tuple[str, ...], str] = {}
        for concept in self.lexicon.concepts:
            for index, term in enumerate(concept.terms):
                pattern = term_pattern(nlp, term.text)
                words = tuple(str(step.get("LOWER")) for step in pattern if "LOWER" in step)
                owner = owners.setdefault(words, concept.id)
                if owner != concept.id:
                    raise InvalidInputError(
                        f"{self.lexicon.source}: term {term.text!r} of concept {concept.id!r} "
                        f"is also a term of {owner!r}",
                        hint="a term may name only one concept; remove it from one of them",
                    )
                term_id = f"{concept.id}{_ID_SEPARATOR}{index}"
                self._terms[term_id] = (concept, term)
                yield {"label": concept.category, "pattern": pattern, "id": term_id}

    def _facts(self, doc: Any) -> list[Fact]:
        text: str = doc.text
        found: list[tuple[int, int, Concept, Term, str | None]] = []
        for entity in doc.ents:
            concept, term = self._terms[entity.ent_id_]
            value = term.value
            if value is None and concept.value_kind is not None:
                value = READERS[concept.value_kind](text[entity.end_char :])
            if term.requires_value and value is None:
                continue
            found.append((entity.start_char, entity.end_char, concept, term, value))
        flags = negated_flags(text, [(start, end) for start, end, *_ in found])
        return [
            Fact(concept.id, concept.category, value, term.negated or flag, text[start:end], start)
            for (start, end, concept, term, value), flag in zip(found, flags, strict=True)
        ]
