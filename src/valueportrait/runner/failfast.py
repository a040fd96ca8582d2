"""Fail fast: stop a run that cannot work, and show the first error of each kind while it runs.

A down server, a wrong ``--base-url`` or a host that does not resolve would otherwise make every request
retry with backoff (about 26 s each with the defaults) and the whole run take hours to end with the cause
only inside ``records.jsonl``. :class:`FailFast` watches the errors of a run and stops it (raising
:class:`RunStopped`, which the engine turns into an ``Error: ...`` with exit status 1) when

- the first :data:`FIRST_ATTEMPTS` attempts all failed to connect (connection refused, name not resolved,
  connect timeout) and the server has not answered once; or
- the first :data:`FIRST_REQUESTS` finished requests all failed, with the same kind of error (e.g. ``HTTP
  500`` every time), and none succeeded.

Once one request has succeeded the run is never stopped by these rules (failed requests are retried by the
next run). Every message is passed through :func:`valueportrait.secrets.scrub` first.

>>> error_kind("gave up after 6 attempts; last error: connection error: ConnectError: [Errno 111] refused")
'connection error: ConnectError'
>>> error_kind("HTTP 500 from http://127.0.0.1/v1/chat/completions: boom"), error_kind("timeout after 60 s (ReadTimeout)")
('HTTP 500', 'timeout (ReadTimeout)')
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Callable, Sequence

from valueportrait.secrets import scrub

from .outcome import FatalBackendError

__all__ = ["FIRST_ATTEMPTS", "FIRST_REQUESTS", "FailFast", "RunStopped", "error_kind", "is_connect_failure"]

#: Attempts that may all fail to connect before the run stops.
FIRST_ATTEMPTS = 8
#: Finished requests that may all fail the same way before the run stops.
FIRST_REQUESTS = 8

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
    """Watch one run's errors (see the module docstring). ``echo`` prints a line on screen; ``secrets`` are
    scrubbed from every line (besides what :func:`~valueportrait.secrets.scrub` finds by shape)."""

    def __init__(self, echo: Callable[[str], None], *, secrets: Sequence[str | None] = (),
                 first_attempts: int = FIRST_ATTEMPTS, first_requests: int = FIRST_REQUESTS):
        self.echo = echo
        self.secrets = tuple(s for s in secrets if s)
        self.first_attempts = first_attempts
        self.first_requests = first_requests
        self.seen: set[str] = set()
        self.attempt_kinds: list[str] = []
        self.failed: Counter[str] = Counter()
        self.succeeded = 0

    def _announce(self, kind: str, message: str, what: str) -> None:
        if kind not in self.seen:
            self.seen.add(kind)
            self.echo(f"First {kind} error ({what}): {scrub(message, *self.secrets)}")

    def attempt_failed(self, message: str) -> None:
        """One attempt of a request failed (the backend's hook; it retries unless that was the last attempt)."""
        kind = error_kind(message)
        self._announce(kind, message, "attempt failed")
        if self.succeeded:
            return
        self.attempt_kinds.append(kind)
        early = self.attempt_kinds[:self.first_attempts]
        if len(early) == self.first_attempts and all(map(is_connect_failure, early)):
            raise RunStopped(f"the first {self.first_attempts} attempts all failed to connect ({kind}), so every "
                             f"request would: {scrub(message, *self.secrets)}; check that the server is running "
                             "and that --base-url is right")

    def finished(self, status: str, error: str | None) -> None:
        """One request finished (``rated``, ``unparseable`` or ``failed``)."""
        if status != "failed":
            self.succeeded += 1
            return
        kind = error_kind(error)
        self._announce(kind, error or "", "request failed")
        if self.succeeded:
            return
        self.failed[kind] += 1
        total = sum(self.failed.values())
        if total >= self.first_requests and len(self.failed) == 1:
            raise RunStopped(f"the first {total} requests all failed the same way ({kind}): "
                             f"{scrub(error or '', *self.secrets)}")
