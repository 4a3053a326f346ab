"""Answers to repeated reads, kept while nothing was written.

Automation polls: the same session reads the same cluster list, depot list or
software spec again and again between writes. Such a read is answered with the
bytes of its last answer when

- its operation is marked `stored` (its answer is a function of the store and
  of the caller's session alone: no clock, no host's live state, no file),
- the same session asked the same path and query before, with a 200 answer,
- no transaction was committed to the store since that answer was made
  (`commits`: the store's own count, bumped after each commit returns),
- the answer is younger than `ttl` (a bound on what nobody foresaw), and
- the session is still valid (it may have expired or logged out meanwhile).

Anything else goes the full way and may fill an entry. The cache is off when
other processes write the store (PostgreSQL workers: their commits are not
counted here) and when each request must be seen (request log, --trace)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from vlcmsim.vapi.http import Response


@dataclass(slots=True, frozen=True)
class Answer:
    generation: int  # the commit count before the read that made it began
    taken: float  # time.monotonic() then
    body: bytes
    headers: list[tuple[str, str]]  # as RSGI sends them
    raw_headers: list[tuple[bytes, bytes]]  # as ASGI does
    operation: str  # for /metrics, as the full way counts it


Key = tuple[str, str, str]  # session id, path, raw query string


class ReadCache:
    def __init__(
        self, commits: Callable[[], int], session_valid: Callable[[str], bool], ttl: float = 1.0, size: int = 4096
    ) -> None:
        self.commits = commits
        self.session_valid = session_valid
        self.ttl = ttl
        self.size = size
        self._answers: dict[Key, Answer] = {}
        self.hits = 0

    def generation(self) -> int:
        """Taken before a read begins, and handed back to `keep` with its answer."""
        return self.commits()

    def lookup(self, session_id: str, path: str, query: str) -> Answer | None:
        answer = self._answers.get((session_id, path, query))
        if answer is None:
            return None
        if answer.generation != self.commits() or time.monotonic() - answer.taken >= self.ttl:
            del self._answers[(session_id, path, query)]
            return None
        if not self.session_valid(session_id):
            return None
        self.hits += 1
        return answer

    def keep(self, session_id: str, path: str, query: str, generation: int, response: Response, operation: str) -> None:
        if response.status != 200 or response.file is not None:
            return
        if len(self._answers) >= self.size:  # polls repeat a few reads: a full cache is mostly stale
            self._answers.clear()
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers]
        self._answers[(session_id, path, query)] = Answer(
            generation, time.monotonic(), response.body, headers, list(response.headers), operation
        )
