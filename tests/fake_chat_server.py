"""A deterministic OpenAI-compatible chat-completions server on 127.0.0.1, for tests.

`FakeChatServer(reply)` serves POST `/v1/chat/completions` from a thread on a free port;
`reply(prompt, body)` gives the answer text, or a (reasoning, content) pair (content None: a
reply cut off while still thinking, with `finish_reason="length"`). How the reasoning
travels is chosen per server: in `reasoning_content` (vLLM, SGLang) or inline as
`<think>...</think>` (llama.cpp, Ollama). It counts requests, remembers their bodies and
headers, measures how many were in flight at once, and can be told to fail: `fail(500, 2)`
answers the next two requests with HTTP 500, `delay_s` holds every answer back.

    with FakeChatServer(lambda prompt, body: "<answer>YES</answer>") as server:
        judge = load_judge(f"openai:{server.base_url}", model="fake")
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = str | tuple[str, str | None] | None
ReplyFunction = Callable[[str, dict[str, Any]], Reply]


class FakeChatServer:
    """One fake server; use as a context manager, or call start() and stop()."""

    def __init__(
        self,
        reply: ReplyFunction,
        *,
        reasoning: str = "field",
        delay_s: float = 0.0,
        model: str = "fake-judge",
        finish_reason: str = "stop",
    ) -> None:
        if reasoning not in ("field", "tags"):
            raise ValueError("reasoning travels in 'field' or 'tags'")
        self.reply = reply
        self.reasoning = reasoning
        self.delay_s = delay_s
        self.model = model
        self.finish_reason = finish_reason
        """What every completion says it stopped for ("length": the token budget ran out)."""
        self.requests = 0
        """Requests answered, failures included."""
        self.completions = 0
        """Requests answered with a completion."""
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._failures: deque[tuple[int, dict[str, str], str]] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._base_url: str | None = None

    # -- control --------------------------------------------------------------------------------

    def fail(self, status: int, times: int = 1, *, retry_after: str | None = None,
             body: str = "") -> None:
        """Answer the next `times` requests with HTTP `status` (and this body and header)."""
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        with self._lock:
            self._failures.extend([(status, headers, body)] * times)

    @property
    def base_url(self) -> str:
        """The /v1 root to give a judge (kept after stop(), for messages and signatures)."""
        if self._base_url is None:
            raise RuntimeError("the server was never started")
        return self._base_url

    def start(self) -> FakeChatServer:
        server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        server.daemon_threads = True
        self._server = server
        host, port = server.server_address[:2]
        self._base_url = f"http://{host}:{port}/v1"
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeChatServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- serving --------------------------------------------------------------------------------

    def _message(self, answer: Reply) -> dict[str, Any]:
        if answer is None:
            return {"role": "assistant", "content": None}
        reasoning, content = answer if isinstance(answer, tuple) else ("", answer)
        if self.reasoning == "tags":
            if content is None:  # still thinking when the budget ran out
                return {"role": "assistant", "content": f"<think>\n{reasoning}"}
            text = f"<think>\n{reasoning}\n</think>\n\n{content}" if reasoning else content
            return {"role": "assistant", "content": text}
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if reasoning:
            message["reasoning_content"] = reasoning
        return message

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return  # quiet

            counted = False
            """Whether this request is still counted in flight."""

            def _leave(self) -> None:
                if self.counted:
                    with fake._lock:
                        fake.in_flight -= 1
                    self.counted = False

            def _send(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
                # out of flight before the client can read the answer and send its next
                # request, so that the count never holds a request already answered
                self._leave()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                with fake._lock:
                    fake.requests += 1
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                    self.counted = True
                    fake.headers.append(dict(self.headers.items()))
                    failure = fake._failures.popleft() if fake._failures else None
                try:
                    if fake.delay_s:
                        time.sleep(fake.delay_s)
                    if self.path != "/v1/chat/completions":
                        self._send(404, b'{"error": "not found"}', {})
                        return
                    if failure is not None:
                        status, headers, text = failure
                        error = text or json.dumps({"error": f"injected {status}"})
                        self._send(status, error.encode("utf-8"), headers)
                        return
                    body = json.loads(raw.decode("utf-8"))
                    with fake._lock:
                        fake.bodies.append(body)
                    prompt = body["messages"][-1]["content"]
                    answer = fake.reply(prompt, body)
                    document = {
                        "id": f"chatcmpl-{fake.requests}",
                        "object": "chat.completion",
                        "model": body.get("model", fake.model),
                        "choices": [
                            {
                                "index": 0,
                                "message": fake._message(answer),
                                "finish_reason": fake.finish_reason,
                            }
                        ],
                    }
                    with fake._lock:
                        fake.completions += 1
                    self._send(200, json.dumps(document).encode("utf-8"), {})
                finally:
                    self._leave()

        return Handler
