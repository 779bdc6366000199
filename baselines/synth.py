"""A synthetic REG-like benchmark: templated reports and patch bags that depend on them.

Generative model, per slide:
  1. Its report is drawn from a catalogue of distinct grammar reports with Zipf-like
     frequencies, so that, as in REG, most report texts recur exactly.
  2. Each finding has a latent class (organ, diagnosis, grade) whose prototype is
     organ vector + diagnosis offset + grade offset, all drawn from the seed and the class
     name (so a class looks the same in train and test).
  3. Patches: a fraction is informative (a finding's prototype), the rest background
     tissue shared by all classes; each patch gets Gaussian noise; the whole slide gets a
     slide offset and an institution offset (stain and scanner shifts).
`difficulty` in [0, 1] lowers the informative fraction and raises all three noises.
Nothing about the latent class is written into the feature files.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from reg_eval.errors import UsageError
from reg_eval.io.feature_h5 import write_feature_file
from reg_eval.io.writers import atomic_folder
from reg_eval_baselines.report_grammar import Report, sample_report

FORMAT = "reg-eval synthetic benchmark v1"
INSTITUTIONS = (1, 2, 3, 4, 5)
INSTITUTION_WEIGHTS = (0.3, 0.2, 0.2, 0.15, 0.15)
PATCH_SIZE_LEVEL0 = 512
N_BACKGROUND = 3
REFERENCE_DIM = 64
ORGAN_SCALE, DIAGNOSIS_SCALE, GRADE_SCALE = 1.0, 0.8, 0.5


@dataclass(frozen=True)
class SynthConfig:
    n_train: int = 2000
    n_test: int = 500
    dim: int = 256
    min_patches: int = 64
    max_patches: int = 512
    difficulty: float = 0.5
    seed: int = 0
    distinct_fraction: float = 0.15

    def check(self) -> None:
        if self.n_train < 1 or self.n_test < 0:
            raise UsageError(
                f"--n-train {self.n_train} / --n-test {self.n_test}: need at least one "
                "training case and no negative count"
            )
        if self.dim < 1:
            raise UsageError(f"--dim {self.dim}: the feature dimension must be positive")
        if not 1 <= self.min_patches <= self.max_patches:
            raise UsageError(
                f"--patches {self.min_patches}..{self.max_patches}: need 1 <= MIN <= MAX",
                hint="for example --patches 64..512",
            )
        if not 0.0 <= self.difficulty <= 1.0:
            raise UsageError(f"--difficulty {self.difficulty}: must lie in 0..1")
        if self.n_train + self.n_test > 99_999:
            raise UsageError("at most 99,999 cases: slide numbers have five digits")


@dataclass(frozen=True)
class NoiseLevels:
    informative_fraction: float
    patch_sigma: float
    slide_sigma: float
    institution_sigma: float

    @classmethod
    def at(cls, difficulty: float, dim: int) -> NoiseLevels:
        """Slide-level noise grows as dim**0.25: nearest-neighbour separation grows as
        sqrt(dim) / sigma**2, so a difficulty means about the same at every dimension."""
        dim_factor = (dim / REFERENCE_DIM) ** 0.25
        return cls(
            informative_fraction=0.9 - 0.6 * difficulty,
            patch_sigma=0.5 + 1.5 * difficulty,
            slide_sigma=(0.05 + 0.95 * difficulty) * dim_factor,
            institution_sigma=0.5 * difficulty * dim_factor,
        )


@dataclass(frozen=True)
class SynthCase:
    slide_id: str
    split: str  # "train" or "test"
    institution: int
    report: Report


@dataclass(frozen=True)
class SynthSummary:
    out_dir: Path
    n_train: int
    n_test: int
    distinct_train_reports: int
    distinct_reports: int
    test_reports_seen_in_train: int


def _label_rng(seed: int, domain: int, label: str) -> np.random.Generator:
    """A generator fixed by the seed and a name, independent of the order of use."""
    digest = int.from_bytes(hashlib.sha256(label.encode("utf-8")).digest()[:8], "little")
    return np.random.default_rng([seed, domain, digest])


def _catalogue(rng: np.random.Generator, size: int) -> list[Report]:
    """`size` distinct reports (fewer if the grammar runs dry), common ones first found."""
    found: dict[str, Report] = {}
    for _ in range(200 * size):
        report = sample_report(rng)
        found.setdefault(report.text, report)
        if len(found) == size:
            break
    return list(found.values())


def make_cases(config: SynthConfig) -> list[SynthCase]:
    """Reports, ids, splits and institutions; ids sorted within each split."""
    config.check()
    rng = np.random.default_rng([config.seed, 0])
    total = config.n_train + config.n_test
    catalogue = _catalogue(rng, max(len(INSTITUTIONS), round(config.distinct_fraction * total)))
    weights = 1.0 / np.arange(1, len(catalogue) + 1) ** 1.1
    first_uses = list(range(min(len(catalogue), total)))
    rest = rng.choice(len(catalogue), size=total - len(first_uses), p=weights / weights.sum())
    picks = rng.permutation(np.concatenate([first_uses, rest]).astype(np.int64))
    slide_numbers = rng.choice(99_999, size=total, replace=False) + 1
    institutions = rng.choice(
        INSTITUTIONS, size=total, p=np.asarray(INSTITUTION_WEIGHTS) / sum(INSTITUTION_WEIGHTS)
    )
    crops = np.where(rng.random(total) < 0.9, 1, 2)
    cases = []
    for index in range(total):
        slide_id = (
            f"PIT_{int(institutions[index]):02d}_{int(slide_numbers[index]):05d}_"
            f"{int(crops[index]):02d}.tiff"
        )
        split = "train" if index < config.n_train else "test"
        cases.append(
            SynthCase(slide_id, split, int(institutions[index]), catalogue[int(picks[index])])
        )
    return sorted(cases, key=lambda case: (case.split != "train", case.slide_id))


def class_prototype(config: SynthConfig, latent: tuple[str, str, str]) -> np.ndarray:
    organ, diagnosis, grade = latent
    vector = ORGAN_SCALE * _label_rng(config.seed, 1, f"organ|{organ}").standard_normal(
        config.dim
    )
    vector += DIAGNOSIS_SCALE * _label_rng(
        config.seed, 1, f"diagnosis|{organ}|{diagnosis}"
    ).standard_normal(config.dim)
    vector += GRADE_SCALE * _label_rng(
        config.seed, 1, f"grade|{organ}|{diagnosis}|{grade}"
    ).standard_normal(config.dim)
    return vector


def slide_bag(config: SynthConfig, case: SynthCase) -> tuple[np.ndarray, np.ndarray]:
    """(features float32 (N, D), coords int64 (N, 2)) of one slide, fixed by seed and id."""
    noise = NoiseLevels.at(config.difficulty, config.dim)
    rng = _label_rng(config.seed, 2, case.slide_id)
    n = int(rng.integers(config.min_patches, config.max_patches + 1))
    findings = case.report.findings
    prototypes = np.stack([class_prototype(config, f.latent) for f in findings])
    share = np.array([0.6] + [0.4 / (len(findings) - 1)] * (len(findings) - 1)) if len(
        findings
    ) > 1 else np.ones(1)
    background = np.stack(
        [_label_rng(config.seed, 1, f"background|{b}").standard_normal(config.dim)
         for b in range(N_BACKGROUND)]
    )
    informative = rng.random(n) < noise.informative_fraction
    finding_of_patch = rng.choice(len(findings), size=n, p=share)
    background_of_patch = rng.integers(N_BACKGROUND, size=n)
    means = np.where(
        informative[:, None], prototypes[finding_of_patch], background[background_of_patch]
    )
    institution_shift = noise.institution_sigma * _label_rng(
        config.seed, 1, f"institution|{case.institution}"
    ).standard_normal(config.dim)
    slide_shift = noise.slide_sigma * rng.standard_normal(config.dim)
    features = means + institution_shift + slide_shift
    features += noise.patch_sigma * rng.standard_normal((n, config.dim))
    side = int(np.ceil(np.sqrt(2 * n)))
    cells = np.sort(rng.choice(side * side, size=n, replace=False))
    coords = np.stack([cells % side, cells // side], axis=1).astype(np.int64) * PATCH_SIZE_LEVEL0
    return features.astype(np.float32), coords


def write_trident_h5(
    path: Path, features: np.ndarray, coords: np.ndarray, *, name: str, metadata: dict[str, object]
) -> None:
    """One slide's bag in the feature-file layout (`reg_eval.io.feature_h5`), named after a
    synthetic encoder of its width, with the generator's metadata."""
    encoder = f"synthetic-{features.shape[1]}"
    write_feature_file(
        path, features, coords, name=name,
        file_attrs={"encoder": encoder, "metadata": metadata},
        features_attrs={"encoder": encoder},
        coords_attrs={
            "patch_size": PATCH_SIZE_LEVEL0 // 2,
            "patch_size_level0": PATCH_SIZE_LEVEL0,
            "level0_magnification": 40,
            "target_magnification": 20,
        },
    )


def _submission_json(cases: list[SynthCase]) -> str:
    records = [{"id": case.slide_id, "report": case.report.text} for case in cases]
    return json.dumps(records, ensure_ascii=False, indent=2) + "\n"


def _prepare_target(out_dir: Path, force: bool) -> None:
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise UsageError(f"{out_dir} exists and is not a folder", hint="choose another --out")
    if not any(out_dir.iterdir()):
        return
    if not force:
        raise UsageError(
            f"{out_dir} already exists and is not empty",
            hint="pass --force to replace an earlier synthetic benchmark, or choose another --out",
        )
    if not (out_dir / "synth.json").is_file():
        raise UsageError(
            f"{out_dir} is not empty and holds no synth.json, so it is not an earlier "
            "synthetic benchmark; --force will not replace it",
            hint="choose an empty or new folder for --out",
        )


def write_benchmark(out_dir: Path, config: SynthConfig, *, force: bool = False) -> SynthSummary:
    """Write features/<stem>.h5, train.json, test.json, manifest.csv and synth.json.

    Everything is built in a sibling temporary folder, fsynced and moved into place at the
    end (reg_eval.io.writers.atomic_folder), so an interrupted run leaves no half-written
    benchmark behind.
    """
    config.check()
    out_dir = Path(out_dir)
    _prepare_target(out_dir, force)
    cases = make_cases(config)
    with atomic_folder(out_dir, force=force) as staging:
        (staging / "features").mkdir()
        metadata = {"generator": FORMAT, "seed": config.seed, "difficulty": config.difficulty}
        manifest_lines = ["id,path,split"]
        for case in cases:
            stem = case.slide_id.removesuffix(".tiff")
            features, coords = slide_bag(config, case)
            write_trident_h5(
                staging / "features" / f"{stem}.h5", features, coords, name=stem,
                metadata=metadata,
            )
            manifest_lines.append(f"{case.slide_id},features/{stem}.h5,{case.split}")
        train = [c for c in cases if c.split == "train"]
        test = [c for c in cases if c.split == "test"]
        (staging / "train.json").write_text(_submission_json(train), encoding="utf-8")
        (staging / "test.json").write_text(_submission_json(test), encoding="utf-8")
        (staging / "manifest.csv").write_text("\n".join(manifest_lines) + "\n", encoding="utf-8")
        train_texts = {c.report.text for c in train}
        summary = SynthSummary(
            out_dir=out_dir,
            n_train=len(train),
            n_test=len(test),
            distinct_train_reports=len(train_texts),
            distinct_reports=len({c.report.text for c in cases}),
            test_reports_seen_in_train=sum(c.report.text in train_texts for c in test),
        )
        described = {
            "format": FORMAT,
            "config": asdict(config),
            "noise": asdict(NoiseLevels.at(config.difficulty, config.dim)),
            "counts": {k: v for k, v in asdict(summary).items() if k != "out_dir"},
        }
        (staging / "synth.json").write_text(
            json.dumps(described, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
    return summary
