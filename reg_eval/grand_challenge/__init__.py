"""Evaluation on grand-challenge.org: read the platform's inputs, score, write metrics.json.

The platform mounts the submission at `/input`, the ground truth (the phase's "ground truth"
tarball, extracted) at `/opt/ml/input/data/ground_truth/`, and collects `/output/metrics.json`.

- A prediction-file phase puts the participant's upload at `/input/predictions.json` (or
  `.csv`, whatever its content). It is read as a reg-eval submission; a zip holding one JSON
  file is unpacked first.
- An algorithm phase puts the job list at `/input/predictions.json`: one entry per algorithm
  job, with its `pk`, its `inputs` (the slide image, whose name is the case id) and its
  `outputs`. The report of job `pk` is read from `/input/<pk>/output/<relative_path>` of the
  report output interface (or from the output's inline `value`).

Either way the cases pass the same checks as `reg-eval validate --ground-truth`, and a refused
submission is explained on stderr with the most important line last: the platform shows the
participant the last line of stderr.

Everything under `/input` is the participant's: paths are resolved and must stay inside it
(`reg_eval.io.jobs`), the upload is read once within the input limits (`reg_eval.io.limits`),
and a zip is read member by member with its real size counted (`reg_eval.io.upload_zip`).

The modules, one concept each: `inputs` (the platform's folders and which phase they hold),
`algorithm` (algorithm jobs' report outputs as a submission), `metrics` (the metrics.json
document) and `evaluation` (the run, from the folders to metrics.json and the signature).
"""

from __future__ import annotations

from reg_eval.grand_challenge.algorithm import REPORT_SLUG
from reg_eval.grand_challenge.evaluation import GC_PROFILE, GcOutcome, run_gc_evaluation
from reg_eval.grand_challenge.inputs import GROUND_TRUTH_DIR, INPUT_DIR, OUTPUT_FILE
from reg_eval.io.jobs import IMAGE_SLUG, SubmissionRejected

__all__ = [
    "GC_PROFILE",
    "GROUND_TRUTH_DIR",
    "IMAGE_SLUG",
    "INPUT_DIR",
    "OUTPUT_FILE",
    "REPORT_SLUG",
    "GcOutcome",
    "SubmissionRejected",
    "run_gc_evaluation",
]
