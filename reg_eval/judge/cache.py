"""Judge verdicts remembered on disk, so a rerun, or a second submission, pays only for new
prompts.

An entry is keyed by the judge's identity, the generation settings, the exact prompt text and
the sample index: change any of them and the judge is asked again. The store is the project's
feature cache (one SQLite file in WAL mode, checksummed rows, safe for several processes at
once), under namespaces of their own; an API key is never part of any of it.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from reg_eval.judge.types import GenerationSettings, Judge, JudgeIdentity, JudgeReply

if TYPE_CHECKING:
    from reg_eval.cache import FeatureCache

DEFAULT_CHUNK = 64
"""Prompts handed to the judge at once; each chunk is stored as soon as it is answered, so an
interrupted run keeps what it paid for."""
CACHE_LAYOUT = 1
"""Bumped when what a key covers or how a reply is stored changes."""


def judge_namespace(identity: JudgeIdentity, settings: GenerationSettings) -> str:
    """The cache partition of one judge asked one way."""
    blob = json.dumps(
        {"layout": CACHE_LAYOUT, "identity": identity.fields(), "settings": settings.fields()},
        sort_keys=True,
        separators=(",", ":"),
    )
    return f"judge-v{CACHE_LAYOUT}-{hashlib.sha256(blob.encode('utf-8')).hexdigest()[:32]}"


def prompt_key(prompt: str, sample_index: int) -> str:
    """sha256 over the sample index and the prompt's exact bytes."""
    digest = hashlib.sha256(f"{sample_index}\x00".encode("ascii"))
    digest.update(prompt.encode("utf-8", errors="surrogatepass"))
    return digest.hexdigest()


def reply_to_bytes(reply: JudgeReply) -> bytes:
    payload = {"content": reply.content, "reasoning": reply.reasoning, "raw": reply.raw}
    return json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")


def reply_from_bytes(payload: bytes) -> JudgeReply:
    """The inverse of `reply_to_bytes`; ValueError for anything else."""
    try:
        value = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a judge reply: {exc}") from None
    if not isinstance(value, dict) or set(value) != {"content", "reasoning", "raw"}:
        raise ValueError("not a judge reply")
    content, reasoning, raw = value["content"], value["reasoning"], value["raw"]
    if not (content is None or isinstance(content, str)):
        raise ValueError("judge reply content is neither text nor null")
    if not isinstance(reasoning, str) or not isinstance(raw, str):
        raise ValueError("judge reply reasoning and raw text must be text")
    return JudgeReply(content=content, reasoning=reasoning, raw=raw)


class CachedJudge:
    """Any judge, asked only for the (prompt, sample) pairs the cache does not hold.

    Repeated prompts within one call are asked once. With `cache=None` nothing is stored,
    but the wrapper still removes duplicates and counts calls.
    """

    def __init__(
        self,
        judge: Judge,
        cache: FeatureCache | None,
        *,
        chunk_size: int = DEFAULT_CHUNK,
        progress: bool = False,
    ) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        self.judge = judge
        self.chunk_size = chunk_size
        self.progress = progress
        """Show a progress bar (on stderr) over the prompts the judge is asked."""
        self.cache = cache
        self.identity: JudgeIdentity = judge.identity
        self.settings: GenerationSettings = judge.settings
        self.calls = 0
        """Prompts actually sent to the wrapped judge (cache hits are not calls)."""
        self.hits = 0
        """Prompts answered from the cache."""
        self._lock = threading.Lock()

    @property
    def namespace(self) -> str:
        return judge_namespace(self.identity, self.settings)

    def generate(self, prompts: Sequence[str], *, sample_index: int = 0) -> list[JudgeReply]:
        """One reply per prompt, in order; only uncached distinct prompts reach the judge."""
        self.settings.sample_seed(sample_index)  # rejects a negative index up front
        distinct = list(dict.fromkeys(prompts))
        keys = {prompt: prompt_key(prompt, sample_index) for prompt in distinct}
        namespace = self.namespace
        found: dict[str, JudgeReply] = {}
        with self._lock:
            if self.cache is not None and distinct:
                from reg_eval.cache import read_decoded

                found = read_decoded(
                    self.cache, namespace, keys, reply_from_bytes,
                    reason="payload is not a judge reply",
                )
            self.hits += len(found)
        missing = [prompt for prompt in distinct if prompt not in found]
        if missing:
            self._ask(missing, keys, found, namespace, sample_index)
        return [found[prompt] for prompt in prompts]

    def _ask(
        self,
        missing: list[str],
        keys: dict[str, str],
        found: dict[str, JudgeReply],
        namespace: str,
        sample_index: int,
    ) -> None:
        """Ask the judge, storing replies a chunk at a time as they come: a judge with
        `generate_each` (the served one) streams them as they complete, others are asked one
        chunk at a time."""
        import sys

        from tqdm.auto import tqdm

        stream = getattr(self.judge, "generate_each", None)
        with tqdm(total=len(missing), desc="judge", unit="prompt", file=sys.stderr,
                  disable=not self.progress) as bar:
            if callable(stream):
                # Replies arrive as they complete; store them a chunk at a time.
                batch: list[tuple[str, JudgeReply]] = []
                seen = 0
                try:
                    for index, reply in stream(missing, sample_index=sample_index):
                        batch.append((missing[index], reply))
                        seen += 1
                        if len(batch) >= self.chunk_size:
                            self._store(batch, keys, found, namespace)
                            bar.update(len(batch))
                            batch = []
                finally:  # keep what was paid for, also when a later request fails
                    if batch:
                        self._store(batch, keys, found, namespace)
                        bar.update(len(batch))
                if seen != len(missing):
                    raise RuntimeError(f"the judge returned {seen} replies for {len(missing)}")
                return
            for start in range(0, len(missing), self.chunk_size):
                chunk = missing[start : start + self.chunk_size]
                replies = list(self.judge.generate(chunk, sample_index=sample_index))
                if len(replies) != len(chunk):
                    raise RuntimeError(
                        f"the judge returned {len(replies)} replies for {len(chunk)} prompts"
                    )
                self._store(list(zip(chunk, replies, strict=True)), keys, found, namespace)
                bar.update(len(chunk))

    def _store(
        self,
        answered: list[tuple[str, JudgeReply]],
        keys: dict[str, str],
        found: dict[str, JudgeReply],
        namespace: str,
    ) -> None:
        with self._lock:
            self.calls += len(answered)
            found.update(answered)
            if self.cache is not None:
                self.cache.put_many(
                    namespace,
                    {keys[prompt]: reply_to_bytes(reply) for prompt, reply in answered},
                )
