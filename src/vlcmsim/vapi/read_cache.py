"""Answers to repeated reads, kept while nothing was written.

Automation polls: the same session reads the same cluster list, depot list or
software spec again and again between writes. Such a read is answered with the
bytes of its last answer when

- its operation is marked `stored` (its answer is a function of the store and
  of the caller's session alone: no clock, no host's live state, no file),
- the same session asked the same path and query before, with a 200 answer,
- no transaction was committed to the store since that answer was made (the
  store's generation: on SQLite, the count of this process's commits; on
  PostgreSQL, which transactions had committed, read in the same round trip as
  the session — so a write through any worker is seen by the next read on any),
- the answer is younger than `ttl` (a bound on what nobody foresaw), and
- the session is still valid (it may have expired or logged out meanwhile).

Anything else goes the full way and may fill an entry. The cache is off when
each request must be seen (request log, --trace)."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from vlcmsim.vapi.http import Response


@dataclass(slots=True, frozen=True)
class Answer:
    generation: Hashable  # the store's generation before the read that made it began
    taken: float  # time.monotonic() then
    body: bytes
    headers: list[tuple[str, str]]  # as RSGI sends them
    raw_headers: list[tuple[bytes, bytes]]  # as ASGI does
    operation: str  # for /metrics, as the full way counts it


Key = tuple[str, str, str]  # session id, path, raw query string


class ReadCache:
    """
    cache = ReadCache(generation, check)  # check(session_id): the generation now, None if the session is not valid
    g = cache.generation()                # before a stored read begins
    cache.keep(session_id, path, query, g, response, operation)
    cache.lookup(session_id, path, query) # that answer while nothing was committed
    """

    def __init__(
        self,
        generation: Callable[[], Hashable],
        check: Callable[[str], Hashable | None],
        ttl: float = 1.0,
        size: int = 4096,
    ) -> None:
        self.generation = generation
        self.check = check
        self.ttl = ttl
        self.size = size
        self._answers: dict[Key, Answer] = {}
        self.hits = 0

    def lookup(self, session_id: str, path: str, query: str) -> Answer | None:
        key = (session_id, path, query)
        answer = self._answers.get(key)
        if answer is None:
            return None
        if time.monotonic() - answer.taken >= self.ttl:
            del self._answers[key]
            return None
        current = self.check(session_id)
        if current is None:  # expired or logged out: the full way answers why
            return None
        if current != answer.generation:
            del self._answers[key]
            return None
        self.hits += 1
        return answer

    def keep(
        self, session_id: str, path: str, query: str, generation: Hashable, response: Response, operation: str
    ) -> None:
        if response.status != 200 or response.file is not None:
            return
        if len(self._answers) >= self.size:  # polls repeat a few reads: a full cache is mostly stale
            self._answers.clear()
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers]
        self._answers[(session_id, path, query)] = Answer(
            generation, time.monotonic(), response.body, headers, list(response.headers), operation
        )
