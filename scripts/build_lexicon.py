"""Rebuild the clinical lexicon (concepts.jsonl) from the curated seed and a Disease Ontology file.

    python scripts/build_lexicon.py SEED DOID_OBO --output concepts.jsonl [--subset doid_subset.obo]
    python scripts/build_lexicon.py SEED DOID_OBO --check concepts.jsonl

SEED is `reg_eval/data/lexicon/seed.txt` (format below). DOID_OBO is a Human Disease
Ontology file in OBO format (CC0). The shipped lexicon was built from the release's
`subsets/NCIthesaurus.obo` (see SOURCES.md); the extract `doid_subset.obo` written by
--subset holds exactly the stanzas that build used and gives the same output. Another
release or file (the full `doid.obo`) can link other terms. The output depends only on the
two files: the same inputs give byte-identical output.

What the ontology adds to a seed concept:
- the link: a concept with `doid=DOID:n` in the seed, or a diagnosis without one whose
  preferred term is the name (else an exact synonym) of exactly one ontology term not
  already linked to an earlier concept,
  gets `"source": "DOID"`, `"source_id": "DOID:n"` and the term's NCI Thesaurus ids as
  `xrefs` ("NCIT:C4194"); other concepts are `"source": "curated"`. `doid=none` refuses a link.
  ICD-O and other non-open cross-references are never read.
- terms: the ontology name and EXACT synonyms, after the curated terms, unless a term is
  already used by any concept of the seed, names an organ the concept's own name does not
  (those are organ-specific diseases: "breast fibroadenoma"), is a population or inheritance
  qualifier ("childhood", "adult", "familial", ...), holds brackets, commas, slashes or
  digits, is longer than six words, or is an abbreviation of four letters or fewer.

Seed format, one concept a line:

    [diagnosis]                          category of the lines that follow
    @organs breast                       default organ systems ("-" for none)
    @behaviour malignant                 default behaviour of diagnoses ("-" for none)
    @skip term | term                    ontology terms never to add (wrong or misleading here)
    id: preferred | synonym | term [value=low] | term [negated] ;; key=value key=value

Term flags in brackets: `value=...`, `negated`, `requires_value`, `exact_case` (comma
separated). A term may hold `{n}`, any number ("{n} of {n} lymph nodes"). Keys after
";;": `value` (value kind), `behaviour`, `organs` (comma separated), `parent`, `doid`, `xref`.
Lines starting with "#" are comments.

Exit codes: 0 ok (or --check found the file equal), 1 invalid seed/ontology or --check found
a difference, 2 usage or I/O error.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

_FLAG_RE = re.compile(r"\s*\[([^\]]*)\]\s*$")
_POPULATION_WORDS = {
    "adult",
    "childhood",
    "pediatric",
    "paediatric",
    "juvenile",
    "familial",
    "hereditary",
    "inherited",
    "congenital",
    "syndrome",
    "nos",
    "stage",
    "recurrent",
    "refractory",
    "metastatic",
    "primary",
    "secondary",
}
_MAX_WORDS = 6


class SeedError(ValueError):
    """A seed or ontology line that cannot be read (exit code 1)."""


@dataclass
class SeedConcept:
    id: str
    category: str
    terms: list[dict[str, object] | str]
    line: int
    value: str | None = None
    behaviour: str | None = None
    organs: list[str] = field(default_factory=list)
    parent: str | None = None
    doid: str | None = None
    xrefs: list[str] = field(default_factory=list)


@dataclass
class OboTerm:
    id: str
    name: str
    exact: list[str]
    ncit: list[str]
    stanza: str


def normalise(text: str) -> str:
    """How the extractor compares terms: case, hyphens and spacing do not matter."""
    text = text.lower().replace("’", "'")
    text = re.sub(r"[\-‐‑–]", " ", text)
    return " ".join(text.split())


def _term_text(term: dict[str, object] | str) -> str:
    return term if isinstance(term, str) else str(term["text"])


def parse_seed(text: str) -> list[SeedConcept]:
    concepts: list[SeedConcept] = []
    category: str | None = None
    organs: list[str] = []
    behaviour: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            category, organs, behaviour = line[1:-1].strip(), [], None
            continue
        if line.startswith("@"):
            key, _, rest = line[1:].partition(" ")
            rest = rest.strip()
            if key == "skip":
                continue
            if key == "organs":
                organs = [] if rest == "-" else [o.strip() for o in rest.split(",") if o.strip()]
            elif key == "behaviour":
                behaviour = None if rest == "-" else rest
            else:
                raise SeedError(f"line {number}: unknown directive @{key}")
            continue
        if category is None:
            raise SeedError(f"line {number}: concept before any [category] line")
        head, sep, body = line.partition(":")
        if not sep or not re.fullmatch(r"[a-z0-9_]+", head.strip()):
            raise SeedError(f"line {number}: expected 'id: term | term ;; key=value'")
        body, _, keys = body.partition(";;")
        concept = SeedConcept(head.strip(), category, [], number)
        concept.organs = list(organs)
        concept.behaviour = behaviour if category == "diagnosis" else None
        for item in body.split("|"):
            concept.terms.append(_parse_term(item, number))
        if not concept.terms:
            raise SeedError(f"line {number}: concept {concept.id} has no term")
        for pair in keys.split():
            key, eq, value = pair.partition("=")
            if not eq or not value:
                raise SeedError(f"line {number}: expected key=value, got {pair!r}")
            if key == "value":
                concept.value = value
            elif key == "behaviour":
                concept.behaviour = value
            elif key == "organs":
                concept.organs = [] if value == "-" else value.split(",")
            elif key == "parent":
                concept.parent = value
            elif key == "doid":
                concept.doid = value
            elif key == "xref":
                concept.xrefs.extend(value.split(","))
            else:
                raise SeedError(f"line {number}: unknown key {key!r}")
        concepts.append(concept)
    return concepts


def _parse_term(item: str, number: int) -> dict[str, object] | str:
    flags_match = _FLAG_RE.search(item)
    text = item[: flags_match.start()] if flags_match else item
    text = text.strip()
    if not text:
        raise SeedError(f"line {number}: empty term")
    if not flags_match:
        return text
    term: dict[str, object] = {"text": text}
    for flag in flags_match.group(1).split(","):
        flag = flag.strip()
        if flag.startswith("value="):
            term["value"] = flag.removeprefix("value=")
        elif flag in ("negated", "requires_value", "exact_case"):
            term[flag] = True
        else:
            raise SeedError(f"line {number}: unknown term flag {flag!r}")
    return term


def parse_obo(text: str) -> tuple[str, dict[str, OboTerm]]:
    """(data-version, id -> term) of the [Term] stanzas that are not obsolete."""
    version = ""
    terms: dict[str, OboTerm] = {}
    blocks = re.split(r"\n(?=\[)", text)
    for block in blocks:
        if not block.startswith("[Term]"):
            for line in block.splitlines():
                if line.startswith("data-version:"):
                    version = line.partition(":")[2].strip()
            continue
        fields: dict[str, list[str]] = {}
        for line in block.splitlines()[1:]:
            key, sep, value = line.partition(": ")
            if sep:
                fields.setdefault(key, []).append(value)
        if "id" not in fields or "name" not in fields:
            raise SeedError(f"ontology stanza without id or name: {block[:60]!r}")
        if fields.get("is_obsolete") == ["true"]:
            continue
        exact = [
            m.group(1)
            for s in fields.get("synonym", [])
            if (m := re.match(r'"((?:[^"\\]|\\.)*)"\s+EXACT\b', s))
        ]
        ncit = sorted(
            {"NCIT:" + x.split(":", 1)[1] for x in fields.get("xref", []) if x.startswith("NCI:")}
        )
        term_id = fields["id"][0]
        terms[term_id] = OboTerm(term_id, fields["name"][0], exact, ncit, block.rstrip("\n"))
    return version, terms


def _index(terms: dict[str, OboTerm]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    by_name: dict[str, set[str]] = {}
    by_synonym: dict[str, set[str]] = {}
    for term in terms.values():
        by_name.setdefault(normalise(term.name), set()).add(term.id)
        for synonym in term.exact:
            by_synonym.setdefault(normalise(synonym), set()).add(term.id)
    return by_name, by_synonym


def _link(
    concept: SeedConcept,
    terms: dict[str, OboTerm],
    indexes: tuple[dict[str, set[str]], dict[str, set[str]]],
    taken: set[str],
) -> OboTerm | None:
    if concept.doid == "none":
        return None
    if concept.doid is not None:
        if concept.doid not in terms:
            raise SeedError(f"line {concept.line}: {concept.doid} is not in the ontology file")
        return terms[concept.doid]
    if concept.category != "diagnosis":
        return None
    preferred = normalise(_term_text(concept.terms[0]))
    for index in indexes:
        found = index.get(preferred, set()) - taken
        if len(found) == 1:
            return terms[next(iter(found))]
        if found:
            return None
    return None


def _acceptable(text: str, own: str, organ_words: set[str]) -> bool:
    if re.search(r"[(),/\[\]\d;:]", text) or " - " in text:
        return False
    words = normalise(text).split()
    if len(words) > _MAX_WORDS or _POPULATION_WORDS & set(words):
        return False
    if len(text) <= 4 and text.upper() == text:
        return False
    own_words = set(normalise(own).split())
    return not any(word in organ_words and word not in own_words for word in words)


def build(seed_text: str, obo_text: str) -> tuple[list[dict[str, object]], list[str], str]:
    """(concept records, ids of the ontology terms used, ontology data-version)."""
    concepts = parse_seed(seed_text)
    skipped = {
        normalise(term)
        for line in seed_text.splitlines()
        if line.startswith("@skip ")
        for term in line.removeprefix("@skip ").split("|")
        if term.strip()
    }
    version, terms = parse_obo(obo_text)
    indexes = _index(terms)
    used_terms: dict[str, str] = {}
    seen_ids: set[str] = set()
    for concept in concepts:
        if concept.id in seen_ids:
            raise SeedError(f"line {concept.line}: concept id {concept.id} defined twice")
        seen_ids.add(concept.id)
        for term in concept.terms:
            key = normalise(_term_text(term))
            owner = used_terms.setdefault(key, concept.id)
            if owner != concept.id:
                raise SeedError(
                    f"line {concept.line}: term {_term_text(term)!r} of {concept.id} is "
                    f"also a term of {owner}"
                )
    organ_words = {
        word
        for concept in concepts
        if concept.category == "organ"
        for term in concept.terms
        for word in normalise(_term_text(term)).split()
    } | {
        "gastric",
        "pulmonary",
        "renal",
        "hepatic",
        "cutaneous",
        "colonic",
        "rectal",
        "prostatic",
        "ovarian",
        "uterine",
        "cervical",
        "thyroid",
        "pancreatic",
        "esophageal",
        "oesophageal",
        "testicular",
        "vulvar",
        "vaginal",
        "laryngeal",
        "oral",
        "nasal",
        "intestinal",
        "bladder",
        "urinary",
        "mammary",
        "endometrial",
        "brain",
        "spinal",
        "cerebral",
        "bone",
        "bronchial",
        "biliary",
        "salivary",
        "mediastinal",
        "thymic",
        "peritoneal",
        "pleural",
        "penile",
        "anal",
        "adrenal",
        "pituitary",
        "ocular",
    }
    linked: list[str] = []
    records: list[dict[str, object]] = []
    for concept in concepts:
        term = _link(concept, terms, indexes, set(linked))
        synonyms = list(concept.terms[1:])
        if term is not None:
            linked.append(term.id)
            preferred = _term_text(concept.terms[0])
            for text in [term.name, *term.exact]:
                key = normalise(text)
                if (
                    key in used_terms
                    or key in skipped
                    or not _acceptable(text, preferred, organ_words)
                ):
                    continue
                used_terms[key] = concept.id
                synonyms.append(text)
        record: dict[str, object] = {
            "id": concept.id,
            "category": concept.category,
            "preferred": _term_text(concept.terms[0]),
            "synonyms": synonyms,
        }
        if concept.value:
            record["value"] = concept.value
        if concept.behaviour:
            record["behaviour"] = concept.behaviour
        if concept.organs:
            record["organs"] = concept.organs
        if concept.parent:
            record["parent"] = concept.parent
        if term is not None:
            record["source"] = "DOID"
            record["source_id"] = term.id
        else:
            record["source"] = "curated"
        xrefs = sorted({*(term.ncit if term else []), *concept.xrefs})
        if xrefs:
            record["xrefs"] = xrefs
        records.append(record)
    return records, sorted(set(linked)), version


def render(records: list[dict[str, object]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def render_subset(obo_text: str, used: list[str], version: str) -> str:
    _version, terms = parse_obo(obo_text)
    header = (
        "format-version: 1.2\n"
        f"data-version: {version}\n"
        "remark: the Human Disease Ontology terms used by reg_eval's clinical lexicon, "
        "extracted by scripts/build_lexicon.py (CC0 1.0, https://disease-ontology.org)\n"
    )
    return header + "".join(f"\n{terms[term_id].stanza}\n" for term_id in used)


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(temporary, 0o666 & ~umask)
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seed", type=Path, help="the curated seed (seed.txt)")
    parser.add_argument("ontology", type=Path, help="a Human Disease Ontology release (.obo)")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--output", type=Path, help="write concepts.jsonl here (atomically)")
    target.add_argument("--check", type=Path, help="exit 1 when this file differs from the build")
    parser.add_argument("--subset", type=Path, help="also write the ontology terms used, as OBO")
    args = parser.parse_args(argv)
    try:
        seed_text = args.seed.read_text(encoding="utf-8")
        obo_text = args.ontology.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: cannot read input: {exc}", file=sys.stderr)
        return 2
    try:
        records, used, version = build(seed_text, obo_text)
    except SeedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    text = render(records)
    if args.check is not None:
        try:
            current = args.check.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"error: cannot read {args.check}: {exc}", file=sys.stderr)
            return 2
        if current != text:
            print(f"{args.check} differs from the build of {args.seed} + {args.ontology}")
            return 1
        print(
            f"{args.check} is the build of {args.seed} + {args.ontology} ({len(records)} concepts)"
        )
        return 0
    try:
        _write_atomically(args.output, text)
        if args.subset is not None:
            _write_atomically(args.subset, render_subset(obo_text, used, version))
    except OSError as exc:
        print(f"error: cannot write: {exc}", file=sys.stderr)
        return 2
    linked = sum(1 for r in records if r["source"] == "DOID")
    print(f"wrote {args.output}: {len(records)} concepts, {linked} linked to {version or 'DOID'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
