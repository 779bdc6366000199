"""The demo's rule-based judge server reads the organisers' prompts and answers in their format."""

from __future__ import annotations

import importlib.util
import json
import threading
import urllib.request
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

from reg_eval.reg2026.grounding_prompts import (
    BACKGROUND_LABELS,
    SIMILARITY_LABELS,
    background_prompt,
    similarity_prompt,
    verdict_value,
)

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "demo_judge_server.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("demo_judge_server", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rules_on_the_real_prompts() -> None:
    server = _load()
    q = "Is tissue visible in this ROI? Answer briefly"
    assert server.verdict(background_prompt(q, "No tissue, background only."))[0] == "CORRECT"
    assert server.verdict(background_prompt(q, "Tissue is visible."))[0] == "INCORRECT"
    no_tissue = "No tissue is visible; the region is background only, so nothing can be assessed."
    assert server.verdict(background_prompt(q, no_tissue))[0] == "CORRECT"
    assert server.verdict(similarity_prompt(q, "Tissue is visible.", "tissue is visible"))[0] \
        == "SAME"
    assert server.verdict(similarity_prompt(q, "Tissue is visible.", "No tissue."))[0] \
        == "DIFFERENT"


def test_served_replies_parse_as_verdicts() -> None:
    module = _load()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), module.Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        port = httpd.server_address[1]
        body = json.dumps({"model": "demo-rules", "messages": [
            {"role": "user", "content": background_prompt("q", "Background only.")}]})
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/v1/chat/completions", data=body.encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            reply = json.load(response)
        content = reply["choices"][0]["message"]["content"]
        assert verdict_value(content, BACKGROUND_LABELS) == 1.0
        assert verdict_value(content, SIMILARITY_LABELS) == -1.0
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_fixed_port_by_default_and_a_free_one_when_it_is_taken() -> None:
    module = _load()
    assert module.DEFAULT_PORT == 8765
    taken = ThreadingHTTPServer(("127.0.0.1", 0), module.Handler)
    try:
        port = taken.server_address[1]
        fallback = module.bind(port)
        try:
            assert fallback.server_address[1] not in (0, port)
        finally:
            fallback.server_close()
    finally:
        taken.server_close()
    again = module.bind(port)  # free now: the asked port is used
    try:
        assert again.server_address[1] == port
    finally:
        again.server_close()
