"""A rule-based stand-in for the Metric B judge, served as an OpenAI-compatible chat endpoint.

For the offline demo only: it reads the organisers' two prompts and answers by rule, with the
same `<answer>LABEL</answer>` format as the real judge. Background prompt: CORRECT when the
answer says "no tissue" or "background only", else INCORRECT. Similarity prompt: SAME
when the two answers are equal after lower-casing and removing punctuation, else DIFFERENT.
Its verdicts say nothing about a real judge's; they make the demo run without a GPU.

    python scripts/demo_judge_server.py --port-file PORT_FILE   # serves on 127.0.0.1
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MODEL = "demo-rules"


def _between(text: str, start: str, end: str) -> str:
    _, found, rest = text.partition(start)
    return rest.partition(end)[0].strip() if found else ""


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def verdict(prompt: str) -> tuple[str, str]:
    """(label, reason) for one of the two Metric B prompts."""
    if "Answer A:" in prompt:
        a = _between(prompt, "Answer A:\n", "\n\nAnswer B:")
        b = _between(prompt, "Answer B:\n", "\n\nTask:")
        same = _plain(a) == _plain(b)
        return ("SAME" if same else "DIFFERENT",
                "the answers are equal once case and punctuation are ignored" if same
                else "the answers differ")
    answer = _plain(_between(prompt, "Model Answer:\n", "\n\n        Task:"))
    ok = "no tissue" in answer or "background only" in answer
    return ("CORRECT" if ok else "INCORRECT",
            "the answer says there is no tissue" if ok else "the answer claims tissue content")


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def _send(self, status: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._send(200, {"object": "list", "data": [{"id": MODEL, "object": "model"}]})
        else:
            self._send(404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send(404, {"error": {"message": "not found"}})
            return
        length = int(self.headers.get("Content-Length", "0"))
        request = json.loads(self.rfile.read(length) or b"{}")
        messages = request.get("messages") or [{}]
        prompt = str(messages[-1].get("content", ""))
        label, reason = verdict(prompt)
        self._send(200, {
            "id": "demo", "object": "chat.completion", "created": int(time.time()),
            "model": request.get("model", MODEL),
            "choices": [{"index": 0, "finish_reason": "stop", "message": {
                "role": "assistant", "content": f"<answer>{label}</answer>",
                "reasoning_content": reason}}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        })


DEFAULT_PORT = 8765
"""A fixed port by default: the server's address is part of a served judge's identity, so
the verdict cache of the demo hits across runs only while the address stays the same."""


def bind(port: int) -> ThreadingHTTPServer:
    """Listen on 127.0.0.1:`port`; when it is taken, on a free port (the cache then misses)."""
    try:
        return ThreadingHTTPServer(("127.0.0.1", port), Handler)
    except OSError:
        if port == 0:
            raise
        print(f"port {port} is taken; serving on a free port (the judge cache, keyed by the "
              "server address, will not hit)", file=sys.stderr)
        return ThreadingHTTPServer(("127.0.0.1", 0), Handler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port to listen on (default {DEFAULT_PORT}; a free one when it "
                        "is taken; 0 picks a free one)")
    parser.add_argument("--port-file", type=Path, help="write the port here once listening")
    args = parser.parse_args()
    server = bind(args.port)
    if args.port_file:
        args.port_file.write_text(f"{server.server_address[1]}\n", encoding="utf-8")
    server.serve_forever()


if __name__ == "__main__":
    main()
