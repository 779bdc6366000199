"""A judge served over an OpenAI-compatible chat-completions API (vLLM, SGLang, llama.cpp
server, Ollama), spoken with the standard library only.

Requests go out concurrently from a thread pool; a 429, a 5xx, a refused or dropped
connection or a timeout is retried with exponential backoff (a server's `Retry-After` is
honoured); any other error stops the run with the server's own message. The API key is read
from an environment variable at each request and goes nowhere else: not into the identity,
the cache, a log line or an error message.
"""

from __future__ import annotations

import http.client
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import Any

from reg_eval.errors import UsageError
from reg_eval.judge.thinking import served_reply
from reg_eval.judge.types import GenerationSettings, JudgeIdentity, JudgeReply

DEFAULT_API_KEY_ENV = "REG_EVAL_JUDGE_API_KEY"
RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
"""Statuses worth asking again: rate limits, overload, a restarting server."""
MAX_BACKOFF_S = 60.0
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_ERROR_EXCERPT = 300
"""Characters of a server's error body quoted in a message."""


class ServedJudgeError(UsageError):
    """The server refused or kept failing; says which URL, what status, and what to do."""


def check_base_url(base_url: str) -> str:
    """An http(s) URL without credentials, query or fragment; trailing slashes dropped."""
    parts = urllib.parse.urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            "the judge server address is not an http(s) URL (it is not repeated here, as "
            "it may hold a key)",
            hint="give openai:http(s)://HOST[:PORT]/v1, the server's /v1 root, e.g. --judge "
            "openai:http://127.0.0.1:8000/v1; the API key goes in "
            f"${DEFAULT_API_KEY_ENV}",
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise UsageError(
            "the judge server address must not carry credentials, a query or a fragment",
            hint=f"put the API key in ${DEFAULT_API_KEY_ENV} (or the variable named by "
            "the api_key_env option) instead",
        )
    return base_url.strip().rstrip("/")


def request_body(
    model: str, prompt: str, settings: GenerationSettings, sample_index: int
) -> dict[str, Any]:
    """The chat-completions request for sample `sample_index` of one prompt.

    `top_k` and `chat_template_kwargs` are vLLM/SGLang extras (llama.cpp reads them too);
    sampling fields left None are not sent, so the server uses the model's defaults.
    """
    body: dict[str, Any] = {
        "model": model,
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": settings.max_new_tokens,
        "seed": settings.sample_seed(sample_index),
        "n": 1,
        "stream": False,
        "chat_template_kwargs": {"enable_thinking": settings.enable_thinking},
    }
    if settings.temperature is not None:
        body["temperature"] = settings.temperature
    if settings.top_p is not None:
        body["top_p"] = settings.top_p
    if settings.top_k is not None:
        body["top_k"] = settings.top_k
    return body


def parse_completion(document: object) -> JudgeReply:
    """The first choice's message as a reply; ValueError when the shape is not a completion."""
    if not isinstance(document, dict):
        raise ValueError("the response is not a JSON object")
    choices = document.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise ValueError("the response has no choices")
    message = choices[0].get("message")
    if not isinstance(message, dict):
        raise ValueError("the first choice has no message")
    content = message.get("content")
    reasoning = message.get("reasoning_content")
    if reasoning is None:
        reasoning = message.get("reasoning")  # newer vLLM releases name it so
    if content is not None and not isinstance(content, str):
        raise ValueError("the message content is not text")
    if reasoning is not None and not isinstance(reasoning, str):
        raise ValueError("the message reasoning is not text")
    finish_reason = choices[0].get("finish_reason")
    return served_reply(
        content, reasoning, finish_reason if isinstance(finish_reason, str) else None
    )


class OpenAIChatJudge:
    """Chat completions from one served model, several requests in flight at once."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        settings: GenerationSettings | None = None,
        concurrency: int = 8,
        timeout_s: float = 600.0,
        retries: int = 4,
        backoff_s: float = 1.0,
        api_key_env: str = DEFAULT_API_KEY_ENV,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not model:
            raise UsageError(
                "a served judge needs a model name",
                hint="pass --judge-model NAME (the name the server serves the model under)",
            )
        if concurrency < 1:
            raise UsageError("the judge concurrency must be at least 1")
        if timeout_s <= 0:
            raise UsageError("the judge timeout must be positive")
        if retries < 0:
            raise UsageError("the judge retries must be 0 or more")
        self.base_url = check_base_url(base_url)
        self.url = f"{self.base_url}/chat/completions"
        host = urllib.parse.urlsplit(self.base_url).hostname or ""
        # A server on this machine is reached directly, whatever proxy the environment names.
        self._opener = (
            urllib.request.build_opener(urllib.request.ProxyHandler({}))
            if host in LOOPBACK_HOSTS
            else urllib.request.build_opener()
        )
        self.model = model
        self.settings = settings or GenerationSettings()
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_s = backoff_s
        self.api_key_env = api_key_env
        self._sleep = sleep
        self.identity = JudgeIdentity(
            backend="openai",
            model=model,
            file_hash=None,
            revision=None,
            precision="served",
            base_url=self.base_url,
        )

    def __repr__(self) -> str:
        return f"OpenAIChatJudge({self.url!r}, model={self.model!r})"

    def generate(self, prompts: Sequence[str], *, sample_index: int = 0) -> list[JudgeReply]:
        """One reply per prompt, in order; the first request that fails for good stops all."""
        replies = dict(self.generate_each(prompts, sample_index=sample_index))
        return [replies[index] for index in range(len(prompts))]

    def generate_each(
        self, prompts: Sequence[str], *, sample_index: int = 0
    ) -> Iterator[tuple[int, JudgeReply]]:
        """(position, reply) as each request completes, `concurrency` in flight at a time.

        A server that keeps the requests of a continuous batch busy never waits for the slowest
        of a group, and the caller can store each reply as it comes. The first request that
        fails for good cancels those not yet sent and raises.
        """
        bodies = [request_body(self.model, p, self.settings, sample_index) for p in prompts]
        if len(bodies) <= 1 or self.concurrency == 1:
            for index, body in enumerate(bodies):
                yield index, self._complete(body)
            return
        pool = ThreadPoolExecutor(max_workers=min(self.concurrency, len(bodies)))
        try:
            pending = {pool.submit(self._complete, body): i for i, body in enumerate(bodies)}
            while pending:
                done, _rest = wait(pending, return_when=FIRST_COMPLETED)
                # Hand over every success before a failure raises, so none is lost.
                for future in sorted(done, key=lambda f: f.exception() is not None):
                    index = pending.pop(future)
                    yield index, future.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    # -- one request --------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        key = os.environ.get(self.api_key_env, "")
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _complete(self, body: dict[str, Any]) -> JudgeReply:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        last = ""
        retry_after: float | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                self._sleep(self._delay(attempt, retry_after))
            retry_after = None
            request = urllib.request.Request(
                self.url, data=data, headers=self._headers(), method="POST"
            )
            try:
                with self._opener.open(request, timeout=self.timeout_s) as response:
                    payload = response.read()
            except urllib.error.HTTPError as exc:
                detail = self._redact(_excerpt(exc))
                if exc.code not in RETRYABLE_STATUS:
                    raise ServedJudgeError(
                        f"judge server {self.url} answered HTTP {exc.code}: {detail}",
                        hint=_status_hint(exc.code, self.api_key_env),
                    ) from None
                last = f"HTTP {exc.code}: {detail}"
                retry_after = _retry_after(exc.headers.get("Retry-After"))
                continue
            except TimeoutError:
                last = f"no answer within {self.timeout_s:g} s"
                continue
            except (urllib.error.URLError, http.client.HTTPException, ConnectionError) as exc:
                reason = getattr(exc, "reason", exc)
                last = f"connection failed ({type(reason).__name__}: {reason})"
                continue
            try:
                return parse_completion(json.loads(payload.decode("utf-8")))
            except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
                raise ServedJudgeError(
                    f"judge server {self.url} sent something that is not a chat completion "
                    f"({exc})",
                    hint="check that the address is the server's OpenAI-compatible /v1 root",
                ) from None
        raise ServedJudgeError(
            f"judge server {self.url} gave up after {_attempts(self.retries + 1)}; last: {last}",
            hint="check that the server is up and serving the model given by --judge-model; "
            "raise the retries or the timeout for a slow or busy server",
        )

    def _redact(self, text: str) -> str:
        """A server's message with the API key blanked, should the server echo it."""
        key = os.environ.get(self.api_key_env, "")
        return text.replace(key, "[key]") if key else text

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff (1, 2, 4, ... times backoff_s), or the server's Retry-After."""
        delay = self.backoff_s * (2 ** (attempt - 1))
        if retry_after is not None:
            delay = max(delay, retry_after)
        return min(delay, MAX_BACKOFF_S)


def _attempts(count: int) -> str:
    return f"{count} attempt" + ("" if count == 1 else "s")


def _retry_after(value: str | None) -> float | None:
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return min(seconds, MAX_BACKOFF_S) if seconds is not None and seconds >= 0 else None


def _excerpt(exc: urllib.error.HTTPError) -> str:
    try:
        text = exc.read(4 * _ERROR_EXCERPT).decode("utf-8", errors="replace")
    except (OSError, http.client.HTTPException):
        text = ""
    text = " ".join(text.split())
    if len(text) > _ERROR_EXCERPT:
        text = text[:_ERROR_EXCERPT] + "..."
    return text or (exc.reason if isinstance(exc.reason, str) else "no message")


def _status_hint(status: int, api_key_env: str) -> str:
    if status in (401, 403):
        return f"set the server's API key in the environment variable {api_key_env}"
    if status == 404:
        return "check the address (the server's /v1 root) and the --judge-model name"
    return "check the model name and the generation settings the server accepts"
