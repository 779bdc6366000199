"""Report text -> clinical facts, with spaCy phrase matchers built from the lexicon.

Matching is on lower-cased tokens, so case never matters (except for the few terms marked
`exact_case`). Hyphens and runs of white space
between the words of a term are optional on both sides: "core-needle biopsy", "core needle
biopsy" and "core -\\n needle biopsy" are one term. Where matches overlap, the longest wins
("low-grade dysplasia" over "low grade", "non-small cell carcinoma" over "small cell
carcinoma"). An organ named inside a procedure term ("thyroid lobectomy") is also read as
the organ. spaCy is imported only when the first report is read.

Before matching, template debris (`[REDACTED]`, `[specific diagnosis]`, `<organ>`,
`{{grade}}`, `____`) is blanked out, so a placeholder never yields a fact. A value read after
a term consumes its characters ("Margins: free of carcinoma" is a margin status, not a
carcinoma). Biomarkers in a list share one result ("positive for CK7, CK20 and TTF-1").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from reg_eval.clinical.facts import Fact
from reg_eval.clinical.lexicon import Concept, Lexicon, Term, load_lexicon
from reg_eval.clinical.negation import negated_flags, uncertain_flags
from reg_eval.clinical.values import READERS, first_number, read_status, value_end
from reg_eval.errors import InvalidInputError

if TYPE_CHECKING:
    from spacy.language import Language

_JOINERS = r"^[\s\-‐‑–]+$"
"""Tokens allowed (and skipped) between the words of a term: hyphens and white space."""
_EXTRA_INFIXES = (
    r"(?<=[A-Za-z])(?=[0-9])",  # "CIN3" -> "CIN", "3"
    r"(?<=[0-9a-d])(?=[pyc]?[NM][0-9xX])",  # "pT2aN1M0" -> "pT", "2a", "N", "1", "M", "0"
    r"(?<=[0-9])[-/+=](?=[0-9])",  # "3+4=7", "2/3"
    r"(?<=[A-Za-z])[-/](?=[0-9])",  # "CIN-3"
)
_ID_SEPARATOR = "#"
NUMBER_SLOT = "{n}"
"""In a term, any number: "{n} of {n} lymph nodes"."""
_DEBRIS = re.compile(
    r"\[[^\[\]\n]{0,80}\]|<[^<>\n]{0,80}>|\{\{[^{}\n]{0,80}\}\}|_{3,}|\b[xX]{3,}\b"
)
"""Template placeholders a generated report may leave in: they state nothing."""
_STATUS_KINDS = ("status", "margin")
"""Value kinds that say the polarity themselves: "ER: negative" is ER=negative, not not:ER."""
_LIST_GLUE = re.compile(r"^[\s,/]*(?:(?:and|or|&)\s*)?[\s,/]*$", re.IGNORECASE)
_RESULT_BEFORE = re.compile(
    r"\b(positive|negative|immunoreactive|non-?reactive|reactive|loss|lost|retained|intact)"
    r"(?:\s+(?:staining|stain|immunostaining|expression|reactivity|immunoreactivity))?"
    r"\s+(?:for|of)\s*$",
    re.IGNORECASE,
)
_REACTIVITY = {"immunoreactive": "positive", "reactive": "positive", "nonreactive": "negative"}


def mask_debris(text: str) -> str:
    """Template debris blanked with spaces (offsets are kept)."""
    return _DEBRIS.sub(lambda found: " " * len(found.group(0)), text)


def blank_pipeline() -> Language:
    """spacy.blank("en") whose tokenizer also splits letters from digits ("CIN3")."""
    import spacy
    from spacy.util import compile_infix_regex

    nlp = spacy.blank("en")
    infixes = [*nlp.Defaults.infixes, *_EXTRA_INFIXES]
    nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    return nlp


def _words(nlp: Language, text: str, exact_case: bool = False) -> list[str | None]:
    """The words a term is matched on: no hyphens or white space, None for a number slot."""
    words: list[str | None] = []
    for index, piece in enumerate(text.split(NUMBER_SLOT)):
        if index:
            words.append(None)
        for token in _kept(nlp.make_doc(piece)):
            word = token.text.replace("’", "'")
            words.append(word if exact_case else word.lower())
    return words


def _kept(doc: Any) -> list[Any]:
    """Tokens that are not white space or a bare hyphen (those join the words of a term)."""
    return [t for t in doc if not t.is_space and not _JOINER.match(t.text)]


_JOINER = re.compile(_JOINERS)
Span = tuple[int, int, str]
"""(start character, end character, term id) of one match in a report."""


class FactExtractor:
    """Reads the facts of reports; one instance per lexicon, built on first use.

    Terms are found with spaCy's PhraseMatcher on the report's words with hyphens and white
    space left out, so "core-needle biopsy", "core needle biopsy" and "core -\\n needle
    biopsy" are one term; terms with a number slot use a small token Matcher.
    """

    def __init__(self, lexicon: Lexicon | None = None) -> None:
        self.lexicon = lexicon if lexicon is not None else load_lexicon()
        self._nlp: Language | None = None
        self._matchers: tuple[Any, ...] | None = None
        self._terms: dict[str, tuple[Concept, Term]] = {}

    def extract(self, text: str) -> list[Fact]:
        return self.extract_many([text])[0]

    def extract_many(self, texts: Sequence[str]) -> list[list[Fact]]:
        nlp = self._pipeline()
        return [self._facts(mask_debris(text), text, nlp) for text in texts]

    def _pipeline(self) -> Language:
        if self._nlp is None:
            from spacy.matcher import Matcher, PhraseMatcher
            from spacy.tokens import Doc

            nlp = blank_pipeline()
            by_lower = PhraseMatcher(nlp.vocab, attr="LOWER")
            by_case = PhraseMatcher(nlp.vocab, attr="ORTH")
            slots = Matcher(nlp.vocab)
            for term_id, words, exact_case in self._patterns(nlp):
                if None in words:
                    pattern = [
                        {"LIKE_NUM": True} if w is None else {"ORTH" if exact_case else "LOWER": w}
                        for w in words
                    ]
                    slots.add(term_id, [pattern])
                else:
                    phrase = Doc(nlp.vocab, words=[str(w) for w in words])
                    (by_case if exact_case else by_lower).add(term_id, [phrase])
            # Only matchers that hold patterns: spaCy warns (W036) on an empty one.
            self._matchers = tuple(m for m in (by_lower, by_case, slots) if len(m))
            self._nlp = nlp
        return self._nlp

    def _patterns(self, nlp: Language) -> Iterable[tuple[str, list[str | None], bool]]:
        owners: dict[tuple[str, ...], str] = {}
        for concept in self.lexicon.concepts:
            for index, term in enumerate(concept.terms):
                words = _words(nlp, term.text, term.exact_case)
                key = tuple("#" if w is None else w.lower() for w in words)
                owner = owners.setdefault(key, concept.id)
                if owner != concept.id:
                    raise InvalidInputError(
                        f"{self.lexicon.source}: term {term.text!r} of concept {concept.id!r} "
                        f"is also a term of {owner!r}",
                        hint="a term may name only one concept; remove it from one of them",
                    )
                term_id = f"{concept.id}{_ID_SEPARATOR}{index}"
                self._terms[term_id] = (concept, term)
                yield term_id, words, term.exact_case

    def _matches(self, text: str, nlp: Language) -> list[Span]:
        """Non-overlapping term matches, longest first (then leftmost), in text order."""
        from spacy.tokens import Doc

        assert self._matchers is not None
        kept = _kept(nlp.make_doc(text))
        if not kept:
            return []
        words = Doc(nlp.vocab, words=[t.text.replace("’", "'") for t in kept])
        found = [m for matcher in self._matchers for m in matcher(words)]
        found.sort(key=lambda m: (m[1] - m[2], m[1]))
        taken = [False] * len(kept)
        chosen: list[tuple[int, int, str]] = []
        for match_id, start, end in found:
            if any(taken[start:end]):
                continue
            for i in range(start, end):
                taken[i] = True
            chosen.append((start, end, nlp.vocab.strings[match_id]))
        chosen += self._sites_within(chosen, found, nlp)
        spans = []
        for start, end, term_id in chosen:
            last = kept[end - 1]
            spans.append((kept[start].idx, last.idx + len(last.text), term_id))
        return sorted(spans)

    def _sites_within(
        self, chosen: list[tuple[int, int, str]], found: list[Any], nlp: Language
    ) -> list[tuple[int, int, str]]:
        """Organ terms inside a chosen procedure term ("thyroid lobectomy", "endometrial
        biopsy"): the procedure names its site too, so the organ is a fact of its own.
        Longest first, as for the other matches."""
        procedures = [(s, e) for s, e, t in chosen if self._category(t) == "procedure"]
        if not procedures:
            return []
        sites: list[tuple[int, int, str]] = []
        for match_id, start, end in found:
            term_id = nlp.vocab.strings[match_id]
            if self._category(term_id) != "organ":
                continue
            inside = any(s <= start and end <= e and (s, e) != (start, end) for s, e in procedures)
            if inside and not any(start < e and s < end for s, e, _ in sites):
                sites.append((start, end, term_id))
        return sites

    def _category(self, term_id: str) -> str:
        return self._terms[term_id][0].category

    def _facts(self, text: str, original: str, nlp: Language) -> list[Fact]:
        found: list[tuple[int, int, Concept, Term, str | None]] = []
        consumed_until = -1
        for start_char, end_char, term_id in self._matches(text, nlp):
            if start_char < consumed_until:
                continue
            concept, term = self._terms[term_id]
            value = term.value
            if value is None and concept.value_kind is not None:
                kind = concept.value_kind
                if NUMBER_SLOT in term.text:
                    matched = text[start_char:end_char]
                    value = READERS[kind](matched[first_number(matched) :])
                else:
                    following = text[end_char:]
                    value = READERS[kind](following)
                    if value is not None:
                        consumed_until = end_char + value_end(kind, following)
            if term.requires_value and value is None:
                continue
            found.append((start_char, end_char, concept, term, value))
        found = _merge_restatements(text, found)
        spans = [(start, end) for start, end, *_ in found]
        negated = negated_flags(text, spans)
        uncertain = uncertain_flags(text, spans)
        facts = []
        for index, (start, end, concept, term, value) in enumerate(found):
            is_negated = term.negated or negated[index]
            is_uncertain = uncertain[index]
            if concept.value_kind in _STATUS_KINDS:
                if value is None and concept.category == "biomarker":
                    value = _listed_result(text, found, index)
                if value is None and is_negated:
                    value = "negative"
                if value is not None:
                    is_negated = is_uncertain = False
            if is_uncertain:
                is_negated = False
            facts.append(
                Fact(
                    concept.id,
                    concept.category,
                    value,
                    is_negated,
                    original[start:end],
                    start,
                    is_uncertain,
                )
            )
        return facts


_OPEN_BRACKET = re.compile(r"\s*\(\s*")
_CLOSE_BRACKET = re.compile(r"\s*\)")


def _merge_restatements(
    text: str, found: list[tuple[int, int, Concept, Term, str | None]]
) -> list[tuple[int, int, Concept, Term, str | None]]:
    """ "Lymphovascular invasion (LVI): not identified", "Estrogen receptor (ER): 90%": the
    bracketed abbreviation restates the concept, so the two are one fact whose words end at
    the closing bracket and whose value, if any, follows it."""
    merged: list[tuple[int, int, Concept, Term, str | None]] = []
    index = 0
    while index < len(found):
        start, end, concept, term, value = found[index]
        if index + 1 < len(found):
            next_start, next_end, next_concept, _term, next_value = found[index + 1]
            opening = _OPEN_BRACKET.fullmatch(text, end, next_start)
            closing = _CLOSE_BRACKET.match(text, next_end)
            if next_concept.id == concept.id and opening and closing:
                value = value if value is not None else next_value
                if value is None and concept.value_kind is not None:
                    value = READERS[concept.value_kind](text[closing.end() :])
                merged.append((start, closing.end(), concept, term, value))
                index += 2
                continue
        merged.append((start, end, concept, term, value))
        index += 1
    return merged


def _listed_result(
    text: str, found: Sequence[tuple[int, int, Concept, Term, str | None]], index: int
) -> str | None:
    """The result of a marker named in a list: "positive for CK7, CK20 and TTF-1" (before),
    "CK7 and CK20 are positive" (after). Only other markers may stand between."""
    start, end = found[index][0], found[index][1]
    position = index
    while position > 0:
        previous = found[position - 1]
        if previous[2].category != "biomarker" or not _LIST_GLUE.match(text[previous[1] : start]):
            break
        position -= 1
        start = previous[0]
    result = _RESULT_BEFORE.search(text[max(0, start - 60) : start])
    if result is not None:
        word = result.group(1).lower().replace("-", "")
        return _REACTIVITY.get(word) or read_status(" " + word)
    position = index
    while position + 1 < len(found):
        following = found[position + 1]
        if following[2].category != "biomarker" or not _LIST_GLUE.match(text[end : following[0]]):
            break
        position += 1
        end = following[1]
    if position == index:
        return None
    return read_status(re.sub(r"^\s*(?:are|were|both|all)\b", "", text[end : end + 60]))
