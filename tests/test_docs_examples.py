"""The copy-paste examples of docs/integrations.md and docs/python-api.md, executed.

As both pages say: the `python` blocks of a page run in order, in one namespace, in an empty
folder, with no network; `profile="offline"` gains `emb_model=`, `key_model=` and
`cache_dir=` arguments pointing at tiny models; a block after `<!-- not run: ... -->` is
skipped. The slow test runs the blocks unchanged with the real offline models.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "docs" / "integrations.md", REPO / "docs" / "python-api.md"]
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)
NOT_RUN = "<!-- not run:"
OFFLINE_ARGUMENT = 'profile="offline"'
SUBSTITUTE = 'profile="offline", **_DOC_TEST_MODELS'

RUNNER = """
import json, sys
blocks = json.load(open(sys.argv[1], encoding="utf-8"))
namespace = {"__name__": "__doc_example__", "_DOC_TEST_MODELS": json.loads(sys.argv[2])}
for n, block in enumerate(blocks):
    print(f"--- block {n}", flush=True)
    exec(compile(block, f"{sys.argv[3]} python block {n}", "exec"), namespace)
print("ALL BLOCKS RAN")
from reg_eval.cache import default_cache_root
print("DEFAULT CACHE ROOT", default_cache_root())
"""


def python_blocks(doc: Path) -> list[str]:
    """The `python` blocks of a page, without those marked as not run."""
    text = doc.read_text(encoding="utf-8")
    blocks = []
    for match in FENCE.finditer(text):
        if match.group(1) != "python":
            continue
        before = text[: match.start()].rstrip().splitlines()
        if before and before[-1].startswith(NOT_RUN):
            continue
        blocks.append(match.group(2))
    return blocks


def offline_env(tmp_path: Path, cache_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HF_HOME=str(tmp_path / "hf-home"),
        HF_HUB_OFFLINE="1",
        HF_DATASETS_OFFLINE="1",
        HF_EVALUATE_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        REG_EVAL_OFFLINE="1",
        REG_EVAL_CACHE_DIR=str(cache_dir),
        HOME=str(tmp_path / "home"),
        XDG_CACHE_HOME=str(tmp_path / "home" / ".cache"),
        HTTP_PROXY="http://127.0.0.1:9",
        HTTPS_PROXY="http://127.0.0.1:9",
        NO_PROXY="",
    )
    return env


def run_blocks(doc: Path, blocks: list[str], models: dict[str, str], tmp_path: Path,
               cache_dir: Path) -> subprocess.CompletedProcess[str]:
    work = tmp_path / "work"
    work.mkdir()
    blocks_file = tmp_path / "blocks.json"
    blocks_file.write_text(json.dumps(blocks), encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-c", RUNNER, str(blocks_file), json.dumps(models), doc.name],
        capture_output=True, text=True, cwd=work, env=offline_env(tmp_path, cache_dir),
        timeout=600,
    )


def test_every_page_has_runnable_examples_and_says_how_they_are_tested() -> None:
    for doc in DOCS:
        blocks = python_blocks(doc)
        assert len(blocks) >= 3, doc
        assert sum(OFFLINE_ARGUMENT in block for block in blocks) >= 2, doc
        text = doc.read_text(encoding="utf-8")
        assert "tests/test_docs_examples.py" in text and OFFLINE_ARGUMENT in text
    integrations = (REPO / "docs" / "integrations.md").read_text(encoding="utf-8")
    assert NOT_RUN in integrations and "GRPOTrainer(" in integrations


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.name)
def test_doc_examples_run_with_tiny_models(
    doc: Path, tmp_path: Path, tiny_bert_dir: Path, tiny_ruler_dir: Path
) -> None:
    blocks = [block.replace(OFFLINE_ARGUMENT, SUBSTITUTE) for block in python_blocks(doc)]
    models = {
        "emb_model": str(tiny_bert_dir),
        "key_model": str(tiny_ruler_dir),
        "cache_dir": str(tmp_path / "feature-cache"),
    }
    # The default cache is empty and downloads are forbidden: a block that escaped the
    # substitution would try to fetch the real offline model and fail.
    done = run_blocks(doc, blocks, models, tmp_path, tmp_path / "empty-default-cache")
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-4000:])
    assert "ALL BLOCKS RAN" in done.stdout
    assert not (tmp_path / "empty-default-cache" / "models" / "assets").exists()


def temporary_cache_with_shared_models(shared: Path, tmp_path: Path) -> Path:
    """A fresh cache root whose prepared offline models link to those in `shared`.

    Features computed by the examples go to the fresh root: the user's own cache (the one
    `shared` names) only ever gains the offline models, fetched once as `slow` says.
    """
    from reg_eval.models.environment import models_dir
    from reg_eval.models.inventory import fetch_profile_models
    from reg_eval.models.offline import offline_emb_folder, sentence_model_folder
    from reg_eval.profiles import get_profile

    fetch_profile_models(get_profile("offline"), shared)
    root = tmp_path / "cache"
    models_dir(root).mkdir(parents=True)
    for folder in (offline_emb_folder(shared), sentence_model_folder(shared)):
        (models_dir(root) / folder.name).symlink_to(folder, target_is_directory=True)
    return root


@pytest.mark.slow
@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.name)
def test_doc_examples_run_unchanged_with_the_offline_models(doc: Path, tmp_path: Path) -> None:
    from reg_eval.cache import DB_NAME, default_cache_root

    shared = default_cache_root()
    cache_root = temporary_cache_with_shared_models(shared, tmp_path)
    done = run_blocks(doc, python_blocks(doc), {}, tmp_path, cache_root)
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-4000:])
    assert "ALL BLOCKS RAN" in done.stdout
    # The examples' cache was the temporary one, never the user's, and they used it.
    assert f"DEFAULT CACHE ROOT {cache_root}" in done.stdout
    assert (cache_root / DB_NAME).is_file()
