"""A ROI mapping and answers that hold every Metric B case, and deterministic judges."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

COLUMNS = ("row_index", "anonymous_id", "image_path", "image", "variant",
           "paired_anonymous_id", "b3_paired_anonymous_id", "pair_id", "label", "slide_id",
           "x", "y", "magnification", "patch_size", "question")
Q = "Is tissue visible in this ROI? Answer briefly"

# The organisers' example mapping (id, variant, paired, b3 paired, pair id, label) ...
EXAMPLE = [
    ("000000", "original", "none", "000004", "background_000002", "background"),
    ("000001", "perturbed", "000012", "none", "tissue_pair_000005", "tissue"),
    ("000002", "original", "000005", "000007", "tissue_pair_000001", "tissue"),
    ("000003", "original", "none", "000008", "background_000004", "background"),
    ("000004", "original", "000014", "000000", "tissue_pair_000004", "tissue"),
    ("000005", "perturbed", "000002", "none", "tissue_pair_000001", "tissue"),
    ("000006", "perturbed", "000011", "none", "tissue_pair_000003", "tissue"),
    ("000007", "original", "none", "000002", "background_000000", "background"),
    ("000008", "original", "000016", "000003", "tissue_pair_000000", "tissue"),
    ("000009", "original", "none", "000011", "background_000005", "background"),
    ("000010", "original", "000013", "000017", "tissue_pair_000002", "tissue"),
    ("000011", "original", "000006", "000009", "tissue_pair_000003", "tissue"),
    ("000012", "original", "000001", "000015", "tissue_pair_000005", "tissue"),
    ("000013", "perturbed", "000010", "none", "tissue_pair_000002", "tissue"),
    ("000014", "perturbed", "000004", "none", "tissue_pair_000004", "tissue"),
    ("000015", "original", "none", "000012", "background_000003", "background"),
    ("000016", "perturbed", "000008", "none", "tissue_pair_000000", "tissue"),
    ("000017", "original", "none", "000010", "background_000001", "background"),
]
# ... and rows for the remaining cases.
EXTRA = [
    ("000018", "original", "none", "none", "tissue_single", "tissue"),  # in no pair
    ("000019", "original", "none", "000003", "tissue_no_perturbed", "tissue"),  # B3 only
    ("000020", "perturbed", "none", "none", "background_perturbed", "background"),  # not B1
    ("000021", "original", "none", "000003", "odd_label", "Tissue"),  # outside the set
    ("000022", "original", "000023", "000007", "tissue_pair_other_q", "tissue"),
    ("000023", "perturbed", "000022", "none", "tissue_pair_other_q", "tissue"),
]
OTHER_Q = "Describe the tissue in this ROI."


def mapping_rows() -> list[dict[str, str]]:
    rows = []
    for index, (rid, variant, paired, b3, pair, label) in enumerate(EXAMPLE + EXTRA):
        rows.append({
            "row_index": str(index), "anonymous_id": rid,
            "image_path": f"<your_path>/rois/roi_{rid}.jpg", "image": f"roi_{rid}.jpg",
            "variant": variant, "paired_anonymous_id": paired, "b3_paired_anonymous_id": b3,
            "pair_id": pair, "label": label, "slide_id": "PIT_01_00019_01", "x": "0",
            "y": "0", "magnification": "5x", "patch_size": "256",
            "question": OTHER_Q if rid in ("000022", "000023") else Q,
        })
    return rows


def write_mapping(path: Path, rows: list[dict[str, str]] | None = None) -> Path:
    rows = mapping_rows() if rows is None else rows
    lines = ["\t".join(COLUMNS)]
    for row in rows:
        values = [row[c] for c in COLUMNS]
        if row["anonymous_id"] == "000000":  # padded values are stripped by the reader
            values[3] = " roi_000000.jpg  "
            values[14] = Q + " "
        lines.append("\t".join(values))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


TEXTS = ["No tissue, background only.", "Tissue is visible.", "Tissue is visible",
         "Adenocarcinoma, moderately differentiated.", "Cannot be assessed."]


def answer_items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for index, row in enumerate(mapping_rows()):
        rid = row["anonymous_id"]
        if rid in ("000009", "000013"):  # missing answers
            continue
        item: dict[str, Any] = {"id": rid, "image": row["image"], "question": row["question"],
                                "answer": TEXTS[index % len(TEXTS)]}
        if rid == "000011":
            item["image"] = "roi_000099.jpg"  # mismatched image
        if rid == "000015":
            item["question"] = Q + " "  # the answer's side is compared as given
        if rid == "000016":
            item["answer"] = 0  # falsy: read as ""
        if rid == "000017":
            item["answer"] = None
        if rid == "000004":
            item["answer"] = "  padded answer  "
        items.append(item)
    items.append({"id": "999999", "image": "x.jpg", "question": Q, "answer": "unknown id"})
    return items


def write_answers(path: Path, items: list[dict[str, Any]] | None = None) -> Path:
    path.write_text(json.dumps(answer_items() if items is None else items, indent=2),
                    encoding="utf-8")
    return path


BACKGROUND_REPLIES = ["<answer>CORRECT</answer>", "thinking done\n<answer> incorrect </answer>",
                      "I cannot decide.", None,
                      "<answer>Correct</answer> or maybe <answer>INCORRECT</answer>"]
SIMILARITY_REPLIES = ["<answer>SAME</answer>", "<ANSWER>different</ANSWER>", "no tag here",
                      None, "<answer>maybe</answer>"]


def judge_content(prompt: str, sample_index: int, salt: int = 0) -> str | None:
    """A deterministic verdict text for (prompt, sample index): every kind, unparseable and
    None included."""
    digest = hashlib.sha256(f"{salt}|{sample_index}|{prompt}".encode()).digest()
    replies = SIMILARITY_REPLIES if "Answer A:" in prompt else BACKGROUND_REPLIES
    return replies[digest[0] % len(replies)]


@dataclass
class Reply:
    content: str | None
    reasoning: str
    raw: str


@dataclass
class FakeFields:
    values: dict[str, object]

    def fields(self) -> dict[str, object]:
        return dict(self.values)

    def describe(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.values.items())

    def __getattr__(self, name: str) -> object:
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass
class FakeJudge:
    """A duck-typed judge: verdicts from `judge_content`, prompts counted."""

    salt: int = 0
    calls: int = 0
    batches: list[tuple[int, int]] = field(default_factory=list)
    identity: FakeFields = field(default_factory=lambda: FakeFields({
        "backend": "fake", "model": "fake-judge", "file_hash": "0" * 64, "revision": None,
        "precision": "none", "base_url": None}))
    settings: FakeFields = field(default_factory=lambda: FakeFields({
        "max_new_tokens": 32768, "enable_thinking": True, "seed": 12345}))

    def generate(self, prompts: list[str], *, sample_index: int = 0) -> list[Reply]:
        self.calls += len(prompts)
        self.batches.append((sample_index, len(prompts)))
        out = []
        for prompt in prompts:
            content = judge_content(prompt, sample_index, self.salt)
            raw = f"<think>looked at it</think>{content or ''}"
            out.append(Reply(content, "looked at it", raw))
        return out


class ReferenceJudgeModel:
    """The organisers' `judge_model(prompt)` fed by the same verdicts: the k-th call with one
    prompt reads sample index k mod voting (their votes on one prompt are consecutive calls)."""

    def __init__(self, voting: int, salt: int = 0) -> None:
        self.voting = voting
        self.salt = salt
        self.counts: Counter[str] = Counter()

    def __call__(self, prompt: str) -> tuple[str | None, str]:
        index = self.counts[prompt] % self.voting
        self.counts[prompt] += 1
        return judge_content(prompt, index, self.salt), "looked at it"


def assert_same_as_the_template(result: Any, reference: dict[str, Any]) -> None:
    """Metric B's parts, per-row scores, missing lists and question mismatches equal what the
    literal transcription of the organisers' scorer gave (`grounding_literal.run_visual`)."""
    import pytest

    for name in ("B1", "B2", "B3", "B"):
        assert result.means[name] == pytest.approx(reference[name], abs=1e-12), name
    for name in ("B1", "B2", "B3"):
        assert result.scores[name] == pytest.approx(reference["details"][name]["scores"]), name
    missing = result.missing()
    assert [ids[0] for ids in missing["B1"]] == \
        reference["details"]["B1"]["missing_background_original_ids"]
    assert missing["B2"] == [[p["original_id"], p["perturbed_id"]]
                             for p in reference["details"]["B2"]["missing_pairs"]]
    assert missing["B3"] == [[p["tissue_id"], p["background_id"]]
                             for p in reference["details"]["B3"]["missing_pairs"]]
    assert result.to_dict()["question_mismatch_pairs"] == [
        [p["tissue_id"], p["background_id"]]
        for p in reference["details"]["B3"]["question_mismatch_pairs"]
    ]
