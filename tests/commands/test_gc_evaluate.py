"""`reg-eval gc-evaluate` as the container runs it: exit codes, stdout, and stderr order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from reg_eval.commands.gc_evaluate import gc_evaluate_command

GROUND_TRUTH = [
    {"id": "PIT_01_00001_01.tiff", "report": "Prostate, needle biopsy;\n  Acinar adenocarcinoma"},
    {"id": "PIT_01_00002_01.tiff", "report": "Lung, wedge biopsy;\n  Invasive adenocarcinoma"},
]


def build_app() -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)

    @app.callback()
    def root() -> None:
        """Evaluation tools."""

    app.command("gc-evaluate")(gc_evaluate_command)
    return app


@pytest.fixture
def folders(tmp_path: Path) -> dict[str, Path]:
    gt = tmp_path / "ground_truth"
    gt.mkdir()
    (gt / "gt.json").write_text(json.dumps(GROUND_TRUTH))
    input_dir = tmp_path / "input"
    input_dir.mkdir()
    return {"gt": gt, "input": input_dir, "output": tmp_path / "output" / "metrics.json"}


def run(folders: dict[str, Path], tiny_bert_dir: Path, tiny_ruler_dir: Path, *extra: str):
    args = [
        "gc-evaluate", "--input", str(folders["input"]), "--ground-truth", str(folders["gt"]),
        "--output", str(folders["output"]), "--profile", "offline",
        "--emb-model", str(tiny_bert_dir), "--key-model", str(tiny_ruler_dir),
        "--device", "cpu", "--bootstrap", "20",
        "--cache-dir", str(folders["output"].parent.parent / "cache"), *extra,
    ]
    return CliRunner().invoke(build_app(), args)


def test_a_valid_upload_writes_metrics_and_prints_the_signature(
    folders: dict[str, Path], tiny_bert_dir: Path, tiny_ruler_dir: Path
) -> None:
    items = [{"id": c["id"], "report": c["report"]} for c in GROUND_TRUTH]
    (folders["input"] / "predictions.json").write_text(json.dumps(items))
    result = run(folders, tiny_bert_dir, tiny_ruler_dir)
    assert result.exit_code == 0, result.stderr
    metrics = json.loads(folders["output"].read_text())
    assert set(metrics) == {"case", "aggregates"}
    # identical reports of 4+ tokens: BLEU and ROUGE are exactly 1 (scoring notes)
    assert metrics["aggregates"]["bleu"] == 1.0 and metrics["aggregates"]["rouge"] == 1.0
    assert "phase: prediction-file" in result.stdout
    signature = (folders["output"].parent / "signature.txt").read_text().strip()
    assert f"signature: {signature}" in result.stdout


def test_refused_submission_ends_stderr_with_the_first_error(
    folders: dict[str, Path], tiny_bert_dir: Path, tiny_ruler_dir: Path
) -> None:
    (folders["input"] / "predictions.json").write_text(
        '[{"id": "PIT_01_00002_01.tiff", "report": "Lung"}, {"id": "PIT_01_00001_01.tif", '
        '"report": "Prostate"}]'
    )
    result = run(folders, tiny_bert_dir, tiny_ruler_dir)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    last = lines[-1]
    assert last.startswith("error: submission not valid (1 error): E010")
    assert "PIT_01_00001_01.tiff" in last
    assert 'rename it to "PIT_01_00001_01.tiff"' in last  # the hint travels in the last line
    assert any(line.startswith("W001") or "W001" in line for line in lines[:-1])
    assert "Traceback" not in result.output
    assert not folders["output"].exists()


def test_missing_ground_truth_is_a_usage_error_with_the_message_last(
    folders: dict[str, Path], tiny_bert_dir: Path, tiny_ruler_dir: Path
) -> None:
    (folders["input"] / "predictions.json").write_text("[]")
    (folders["gt"] / "gt.json").unlink()
    result = run(folders, tiny_bert_dir, tiny_ruler_dir)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1].startswith("error: no JSON file")


def test_profile_comes_from_the_environment_when_not_given() -> None:
    result = CliRunner().invoke(
        build_app(), ["gc-evaluate", "--help"],
        env={"REG_EVAL_GC_PROFILE": "offline", "COLUMNS": "250"},
    )
    assert result.exit_code == 0
    assert "REG_EVAL_GC_PROFILE" in result.stdout


# -- the container definition (no Docker engine here: check what can be checked) -------------

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "evaluation" / "Dockerfile"


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    instructions = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, rest = stripped.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def test_dockerfile_copies_files_that_exist() -> None:
    copies = [rest for keyword, rest in dockerfile_instructions() if keyword == "COPY"]
    assert copies
    for rest in copies:
        *sources, _dest = rest.split()
        for source in sources:
            assert (REPO / source).exists(), source


def test_dockerfile_entry_command_parses_as_gc_evaluate_options() -> None:
    import subprocess

    instructions = dict(dockerfile_instructions())
    entrypoint = json.loads(instructions["ENTRYPOINT"])
    cmd = json.loads(instructions["CMD"])
    assert entrypoint == ["reg-eval", "gc-evaluate"]
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert 'reg-eval = "reg_eval.cli:main"' in pyproject
    single = typer.Typer(add_completion=False)
    single.command()(gc_evaluate_command)
    command = typer.main.get_command(single)
    context = command.make_context("gc-evaluate", list(cmd))
    assert context.params["input_dir"] == Path("/input")
    assert context.params["ground_truth"] == Path("/opt/ml/input/data/ground_truth")
    assert context.params["output"] == Path("/output/metrics.json")
    assert context.params["no_cache"] is True
    with pytest.raises(Exception, match="No such option"):
        command.make_context("gc-evaluate", ["--no-such-option"])
    # the build script is valid shell and verifies what it fetched
    script = REPO / "evaluation" / "fetch-models.sh"
    assert subprocess.run(["bash", "-n", str(script)], check=False).returncode == 0
    assert "reg-eval models verify" in script.read_text(encoding="utf-8")
    for keyword, rest in dockerfile_instructions():
        if keyword == "ENV" and "REG_EVAL_OFFLINE" in rest:
            break
    else:
        pytest.fail("the container must run with REG_EVAL_OFFLINE=1")


def test_dockerfile_names_the_phase_so_an_upload_cannot_pose_as_a_job_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    instructions = dockerfile_instructions()
    args = dict(rest.split("=", 1) for keyword, rest in instructions if keyword == "ARG")
    assert args["PHASE"] in ("prediction-file", "algorithm")
    env = " ".join(rest for keyword, rest in instructions if keyword == "ENV")
    assert "REG_EVAL_GC_PHASE=${PHASE}" in env
    monkeypatch.setenv("REG_EVAL_GC_PHASE", args["PHASE"])
    single = typer.Typer(add_completion=False)
    single.command()(gc_evaluate_command)
    command = typer.main.get_command(single)
    cmd = json.loads(dict(instructions)["CMD"])
    assert command.make_context("gc-evaluate", list(cmd)).params["phase"] == args["PHASE"]
