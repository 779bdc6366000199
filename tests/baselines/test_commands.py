"""The `synth` and `baseline` command functions, mounted on a local app as the CLI does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from reg_eval.commands.baseline import baseline_app
from reg_eval.commands.synth import parse_patch_range, synth_command
from reg_eval.errors import UsageError

app = typer.Typer()
app.command("synth")(synth_command)
app.add_typer(baseline_app, name="baseline")
runner = CliRunner()


def test_parse_patch_range() -> None:
    assert parse_patch_range("64..512") == (64, 512)
    assert parse_patch_range("32") == (32, 32)
    with pytest.raises(UsageError):
        parse_patch_range("a..b")


def test_synth_then_baseline(tmp_path: Path) -> None:
    bench = tmp_path / "bench"
    args = ["synth", "--out", str(bench), "--n-train", "40", "--n-test", "10", "--dim", "8",
            "--patches", "4..8", "--difficulty", "0", "--seed", "2"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "40 train + 10 test" in result.output
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "--force" in again.output
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0

    out = tmp_path / "pred.json"
    result = runner.invoke(app, [
        "baseline", "run", "knn", "--features", str(bench / "features"),
        "--train", str(bench / "train.json"), "--test-ids", str(bench / "test.json"),
        "--out", str(out), "--k", "3", "--vote", "--standardise",
    ])
    assert result.exit_code == 0, result.output
    assert len(json.loads(out.read_text())) == 10
    refused = runner.invoke(app, [
        "baseline", "run", "majority", "--features", str(bench / "features"),
        "--train", str(bench / "train.json"), "--test-ids", str(bench / "test.json"),
        "--out", str(out),
    ])
    assert refused.exit_code == 2
    assert "already exists" in refused.output and "Traceback" not in refused.output


def test_bad_input_exit_codes(tmp_path: Path) -> None:
    result = runner.invoke(app, ["synth", "--out", str(tmp_path / "b"), "--patches", "9..3"])
    assert result.exit_code == 2 and "MIN <= MAX" in result.output
    (tmp_path / "feats").mkdir()
    train = tmp_path / "train.json"
    train.write_text('[{"id": "PIT_01_00001_01.tiff", "report": "x"}]')
    result = runner.invoke(app, [
        "baseline", "run", "majority", "--features", str(tmp_path / "feats"), "--train", str(train),
        "--test-ids", str(train), "--out", str(tmp_path / "p.json"),
    ])
    assert result.exit_code == 2
    assert "PIT_01_00001_01.tiff" in result.output and "Traceback" not in result.output


def test_train_then_generate(tmp_path: Path) -> None:
    bench = tmp_path / "bench"
    assert runner.invoke(app, ["synth", "--out", str(bench), "--n-train", "40", "--n-test",
                               "10", "--dim", "8", "--patches", "4..8", "--seed", "2"]
                         ).exit_code == 0
    run_dir = tmp_path / "run"
    train = ["baseline", "train", "--method", "knn", "--features", str(bench / "features"),
             "--train", str(bench / "train.json"), "--out", str(run_dir), "--k", "3",
             "--vote", "--quiet"]
    result = runner.invoke(app, train)
    assert result.exit_code == 0, result.output
    assert "trained knn on 40 slides (dim 8)" in result.output
    assert json.loads((run_dir / "config.json").read_text())["options"]["k"] == 3
    again = runner.invoke(app, train)
    assert again.exit_code == 2 and "--force" in again.output

    out = tmp_path / "pred.json"
    generate = ["baseline", "generate", "--run", str(run_dir), "--features",
                str(bench / "features"), "--ids", str(bench / "test.json"), "--out", str(out),
                "--quiet"]
    result = runner.invoke(app, generate)
    assert result.exit_code == 0, result.output
    assert f"{out}: valid — 10 cases, 0 errors" in result.output
    assert len(json.loads(out.read_text())) == 10
    refused = runner.invoke(app, generate)
    assert refused.exit_code == 2 and "already exists" in refused.output
    assert runner.invoke(app, [*generate, "--force"]).exit_code == 0


def test_train_and_generate_errors(tmp_path: Path) -> None:
    (tmp_path / "feats").mkdir()
    train = tmp_path / "train.json"
    train.write_text('[{"id": "PIT_01_00001_01.tiff", "report": "x"}]')
    result = runner.invoke(app, [
        "baseline", "train", "--method", "gpt", "--features", str(tmp_path / "feats"),
        "--train", str(train), "--out", str(tmp_path / "run"),
    ])
    assert result.exit_code == 2 and "unknown method 'gpt'" in result.output
    result = runner.invoke(app, [
        "baseline", "train", "--method", "knn", "--features", str(tmp_path / "feats"),
        "--train", str(train), "--out", str(tmp_path / "run"),
    ])
    assert result.exit_code == 2 and "PIT_01_00001_01.tiff" in result.output
    assert not (tmp_path / "run").exists()
    result = runner.invoke(app, [
        "baseline", "generate", "--run", str(tmp_path / "run"), "--features",
        str(tmp_path / "feats"), "--out", str(tmp_path / "p.json"),
    ])
    assert result.exit_code == 2 and "does not exist" in result.output
    assert "Traceback" not in result.output


def test_quiet_prefix_lm_commands_print_no_progress_bar(
    tmp_path: Path, tiny_llama_dir: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    bench = tmp_path / "bench"
    assert runner.invoke(app, ["synth", "--out", str(bench), "--n-train", "8", "--n-test",
                               "3", "--dim", "8", "--patches", "4..8", "--seed", "2"]
                         ).exit_code == 0
    run_dir = tmp_path / "run"
    capfd.readouterr()
    train = runner.invoke(app, [
        "baseline", "train", "--method", "prefix-lm", "--features", str(bench / "features"),
        "--train", str(bench / "train.json"), "--out", str(run_dir), "--lm",
        str(tiny_llama_dir), "--max-steps", "1", "--batch-size", "4", "--prefix-tokens", "2",
        "--mlp-hidden", "8", "--device", "cpu", "--quiet"])
    assert train.exit_code == 0, train.output
    out = tmp_path / "pred.json"
    generate = runner.invoke(app, [
        "baseline", "generate", "--run", str(run_dir), "--features", str(bench / "features"),
        "--ids", str(bench / "test.json"), "--out", str(out), "--max-new-tokens", "4",
        "--device", "cpu", "--quiet"])
    assert generate.exit_code in (0, 1), generate.output  # random tiny LM: reports may fail
    assert out.is_file()
    printed = capfd.readouterr()
    for text in (train.stderr, generate.stderr, printed.err, printed.out):
        assert "it/s" not in text and "Loading weights" not in text and "%|" not in text
