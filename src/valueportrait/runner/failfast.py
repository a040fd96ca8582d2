"""Fail fast: stop a run that cannot work or has stopped working, and show the first error of each kind.

A down server, a wrong ``--base-url``, a server that dies or hangs mid-run, or a model that never answers with a
Likert phrase would otherwise make every remaining request retry with backoff (about 26 s each with the
defaults) or be paid for in vain, and the run end hours later with the cause only inside ``records.jsonl``.
:class:`FailFast` watches every attempt and every finished request for the whole run and stops it (raising
:class:`RunStopped`, which the engine turns into an ``Error: ...`` with exit status 1) when

1. the first :attr:`Rules.first_attempts` attempts all failed to connect (connection refused, name not
   resolved, connect timeout) and the server has not answered once;
2. the last :attr:`Rules.last_requests` finished requests all failed, with the same kind of error (e.g.
   ``HTTP 500`` every time), at any point of the run (after a success, only requests that failed after all
   their retries count: one refused for its own content, an HTTP 400 or a prompt too long, does not);
3. nothing has succeeded for :attr:`Rules.stall_s` seconds (since the last success, or the start) and the last
   ``min(Rules.stall_attempts, max(2, concurrency))`` attempts all failed the same way (not ``HTTP 429``, which
   asks to wait): a server that died or hangs mid-run; or
4. :attr:`Rules.max_unparseable` of the last :attr:`Rules.window` answers could not be read as a rating (the
   model does not answer with a Likert phrase: each answer would be paid for in vain); the error shows
   examples and the fix (``--max-unparseable``; 0 turns the rule off).

Every message is passed through :func:`valueportrait.secrets.scrub` first. The clock is injectable
(``clock=``), so the rules are tested without sleeping.

>>> error_kind("gave up after 6 attempts; last error: connection error: ConnectError: [Errno 111] refused")
'connection error: ConnectError'
>>> error_kind("HTTP 500 from http://127.0.0.1/v1/chat/completions: boom"), error_kind("timeout after 60 s (ReadTimeout)")
('HTTP 500', 'timeout (ReadTimeout)')
"""

from __future__ import annotations

import re
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable, Sequence

from valueportrait.secrets import scrub

from .outcome import FatalBackendError

__all__ = ["FIRST_ATTEMPTS", "FIRST_REQUESTS", "FailFast", "Rules", "RunStopped", "error_kind", "is_connect_failure"]

#: Attempts that may all fail to connect before the run stops.
FIRST_ATTEMPTS = 8
#: Finished requests in a row that may all fail the same way before the run stops.
FIRST_REQUESTS = 8


@dataclass(frozen=True)
class Rules:
    """When :class:`FailFast` stops a run (see the module docstring for each rule)."""

    first_attempts: int = FIRST_ATTEMPTS
    last_requests: int = FIRST_REQUESTS
    stall_attempts: int = 8
    stall_s: float = 30.0
    #: Unparseable answers among the last ``window`` answers that stop the run (0: never).
    max_unparseable: int = 20
    window: int = 30
    #: Requests in flight at once (rule 3 needs ``min(stall_attempts, max(2, concurrency))`` failed attempts).
    concurrency: int = 8


_GAVE_UP = re.compile(r"^gave up after \d+ attempts?; last error: ")
_KINDS = (
    (re.compile(r"^HTTP (\d{3})\b"), lambda m: f"HTTP {m.group(1)}"),
    (re.compile(r"^timeout after [^(]*\((\w+)\)"), lambda m: f"timeout ({m.group(1)})"),
    (re.compile(r"^connection error: (\w+)"), lambda m: f"connection error: {m.group(1)}"),
    (re.compile(r"^malformed response body"), lambda m: "malformed response body"),
)


class RunStopped(FatalBackendError):
    """The run was stopped by :class:`FailFast`: every request would fail the same way."""


def error_kind(message: str | None) -> str:
    """The kind of a request error, from the backends' messages: ``HTTP 500``, ``timeout (ReadTimeout)``,
    ``connection error: ConnectError``, ``malformed response body``; else the text before the first colon."""
    text = _GAVE_UP.sub("", str(message or "").strip())
    for pattern, kind in _KINDS:
        m = pattern.match(text)
        if m:
            return kind(m)
    return text.split(":", 1)[0][:80] or "unknown error"


def is_connect_failure(kind: str) -> bool:
    """The server was never reached: connection refused, a name that does not resolve, a connect timeout."""
    return kind in ("connection error: ConnectError", "timeout (ConnectTimeout)")


class FailFast:
    """Watch one run's attempts and requests (see the module docstring). ``echo`` prints a line on screen;
    ``secrets`` are scrubbed from every line (besides what :func:`~valueportrait.secrets.scrub` finds by shape);
    ``clock`` gives seconds (default :func:`time.monotonic`)."""

    def __init__(self, echo: Callable[[str], None], *, secrets: Sequence[str | None] = (), rules: Rules = Rules(),
                 clock: Callable[[], float] = time.monotonic):
        self.echo = echo
        self.secrets = tuple(s for s in secrets if s)
        self.rules = rules
        self.clock = clock
        self.seen: set[str] = set()
        self.attempt_kinds: list[str] = []  # before the first success (rule 1)
        self.recent: deque[str | None] = deque(maxlen=rules.last_requests)  # kinds of the last requests (None: ok)
        self.answers: deque[bool] = deque(maxlen=max(1, rules.window))  # the last answers: unparseable or not
        self.examples: deque[str] = deque(maxlen=3)
        self.succeeded = 0
        self.last_progress = clock()  # the start, then the last success
        self.streak_kind: str | None = None
        self.streak = 0

    def _scrub(self, text: str | None) -> str:
        return scrub(text or "", *self.secrets)

    def _announce(self, kind: str, message: str, what: str) -> None:
        if kind not in self.seen:
            self.seen.add(kind)
            self.echo(f"First {kind} error ({what}): {self._scrub(message)}")

    def attempt_failed(self, message: str) -> None:
        """One attempt of a request failed (the backend's hook; it retries unless that was the last attempt)."""
        kind = error_kind(message)
        self._announce(kind, message, "attempt failed")
        if not self.succeeded:
            self.attempt_kinds.append(kind)
            early = self.attempt_kinds[:self.rules.first_attempts]
            if len(early) == self.rules.first_attempts and all(map(is_connect_failure, early)):
                raise RunStopped(f"the first {self.rules.first_attempts} attempts all failed to connect ({kind}), so "
                                 f"every request would: {self._scrub(message)}; check that the server is running "
                                 "and that --base-url is right")
        self.streak = self.streak + 1 if kind == self.streak_kind else 1
        self.streak_kind = kind
        needed = min(self.rules.stall_attempts, max(2, self.rules.concurrency))
        idle = self.clock() - self.last_progress
        if kind != "HTTP 429" and self.streak >= needed and idle >= self.rules.stall_s:
            since = "since the last answer" if self.succeeded else "since the run started"
            raise RunStopped(f"nothing has succeeded for {idle:.0f} s ({since}) and the last {self.streak} attempts "
                             f"all failed the same way ({kind}): {self._scrub(message)}; the server seems to have "
                             "gone away or stopped answering: check it (and --base-url, --timeout)")

    def finished(self, status: str, error: str | None, raw: str | None = None) -> None:
        """One request finished (``rated``, ``unparseable`` or ``failed``; ``raw``: the answer's text)."""
        if status == "failed":
            kind = error_kind(error)
            self._announce(kind, error or "", "request failed")
            if self.succeeded and not str(error or "").startswith("gave up after"):
                self.recent.append(None)  # its own fault (HTTP 400, a prompt too long): the server answered
                return
            self.recent.append(kind)
            n = self.rules.last_requests
            if len(self.recent) == n and len(set(self.recent)) == 1:
                which = "first" if not self.succeeded else "last"
                raise RunStopped(f"the {which} {n} requests all failed the same way ({kind}): "
                                 f"{self._scrub(error)}")
            return
        self.succeeded += 1
        self.last_progress = self.clock()
        self.streak_kind, self.streak = None, 0
        self.recent.append(None)
        self._answer(status == "unparseable", raw)

    def _answer(self, unparseable: bool, raw: str | None) -> None:
        limit = self.rules.max_unparseable
        if limit <= 0:
            return
        self.answers.append(unparseable)
        if unparseable:
            text = self._scrub(raw).strip().replace("\n", " ")
            example = repr(text[:80] + ("..." if len(text) > 80 else ""))
            if example not in self.examples:  # distinct examples only
                self.examples.append(example)
        bad = sum(self.answers)
        if bad >= limit:
            raise RunStopped(
                f"{bad} of the last {len(self.answers)} answers could not be read as a rating (no Likert phrase; "
                f"e.g. {', '.join(self.examples)}). Every further answer would likely be paid for in vain. Check "
                "--model, the persona/prompt and --max-tokens (an answer cut short cannot be read), or score by "
                "log-likelihood with --backend openai-completions (never unparseable). To go on anyway, raise "
                f"--max-unparseable (now {limit} of the last {self.rules.window}; 0 turns this check off)")

