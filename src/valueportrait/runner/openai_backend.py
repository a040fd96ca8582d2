"""Backend for any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, Ollama, llama.cpp, OpenRouter...).

Requests are sent with :mod:`httpx` (async; one single-connection client per concurrent slot; proxies from the
environment, ``HTTP(S)_PROXY`` / ``NO_PROXY``, as httpx handles them). Each attempt
has a deadline of ``timeout`` seconds (the whole exchange), and the whole request, its retries and the waits
between them included, one of ``deadline`` seconds. An attempt that timed out is not abandoned at once: its
exchange stays open during the wait before the retry, and an answer that arrives then is used and the request is
not sent again (a slow server would otherwise answer, and bill, the same request twice). A request is retried,
up to ``max_attempts``
attempts in all, on what is usually transient: HTTP 408 / 409 / 425 / 429 / 5xx, timeouts, connection and
protocol errors, and 200 responses whose body is not the expected JSON. The wait before retry ``k``
(k = 1, 2, ...) is

    ``d_k = min(backoff_max, backoff_base * 2**(k-1))``,  waited as ``d_k / 2 + U(0, d_k / 2)`` (jitter),

unless the server sent ``Retry-After`` (seconds or an HTTP date) or ``retry-after-ms``: then that long (capped
at ``retry_after_max``). Other 4xx answers fail the request at once; 401 / 403 / 404 and an untrusted TLS
certificate stop the whole run (:class:`FatalBackendError`: a bad key, an unknown model, a wrong URL or a
certificate fail every request alike).

A server that says how many requests it works on at once (llama.cpp's ``/props``: ``total_slots``) gets no more
than that in flight; the others wait here, untimed, instead of in the server's queue, where the wait would count
against ``timeout`` (a one-slot server and the default concurrency 8 left about 7.5 s for each answer).

The API key is sent in the ``Authorization`` header only. It is never logged or stored, and any echo of it in
a server's error message is replaced by ``***`` before the message is kept.
"""

from __future__ import annotations

import asyncio
import random
import ssl
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import httpx

from valueportrait.secrets import scrub, url_secrets
from .endpoint import check_base_url, endpoint_url
from .retry import backoff_delay, retry_after_seconds
from .outcome import FatalBackendError, Outcome
from .prompts import Request

DEFAULT_BASE_URL = "https://api.openai.com/v1"
RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
FATAL_STATUS = frozenset({401, 403, 404})


@dataclass
class OpenAIConfig:
    """Settings of the chat-completions backend (the key is kept out of ``repr``)."""

    model: str
    base_url: str = DEFAULT_BASE_URL
    api_key: str | None = field(default=None, repr=False)
    temperature: float = 0.0
    max_tokens: int = 64
    seed: int | None = 42
    timeout: float = 60.0
    max_attempts: int = 6
    backoff_base: float = 1.0
    backoff_max: float = 30.0
    retry_after_max: float = 120.0
    concurrency: int = 8
    #: TLS settings for https (e.g. a private CA); default: httpx's (certifi, SSL_CERT_FILE / SSL_CERT_DIR).
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False)
    #: Seconds one request may take in all, retries and the waits between them included (None: no limit).
    deadline: float | None = 180.0
    #: Unparseable answers among the last 30 that stop the run (0: never); see :mod:`.failfast`.
    max_unparseable: int = 20

    def __post_init__(self) -> None:
        check_base_url(self.base_url)  # an ftp:// URL or a port 'notaport' is refused before anything is sent


async def server_slots(base_url: str, headers: dict, ssl_context) -> int | None:
    """The number of requests the server works on at once, when it says: llama.cpp's ``GET /props`` has
    ``total_slots``. None for servers without it (OpenAI, vLLM, Ollama: they queue or batch themselves) and for a
    base URL with a query (a hosted API's, never llama.cpp's)."""
    if "?" in base_url:
        return None
    root = base_url.rstrip("/").removesuffix("/v1")
    try:
        async with httpx.AsyncClient(headers=headers, timeout=2.0, verify=ssl_context) as client:
            resp = await client.get(root + "/props")
        slots = resp.json().get("total_slots") if resp.status_code == 200 else None
    except (httpx.HTTPError, ValueError, AttributeError):
        return None
    return slots if isinstance(slots, int) and not isinstance(slots, bool) and slots > 0 else None


class _Retry(Exception):
    def __init__(self, message: str, wait: float | None = None):
        super().__init__(message)
        self.wait = wait


class OpenAIBackend:
    """The HTTP side shared by the OpenAI-compatible backends: a pool of clients, retries, backoff, redaction.

    A subclass names its endpoint (``path``), builds the JSON ``body`` of a request, reads the answer out of a 200
    response (``read``; a ValueError / KeyError / IndexError / TypeError there is a malformed body, retried) and
    turns that answer into an :class:`Outcome` (``outcome``). Use as an async context manager.
    """

    #: The endpoint under ``base_url``.
    path = "/chat/completions"
    #: What a well-formed answer is, for the error message of a malformed one.
    expected_body = "chat-completions JSON"
    #: How a retry waits its backoff; tests put a recorder here to check the schedule without waiting it out.
    sleep = staticmethod(asyncio.sleep)

    def __init__(self, config: OpenAIConfig, *, rng: random.Random | None = None):
        self.config = config
        self._rng = rng or random.Random()
        self._clients: list[httpx.AsyncClient] = []
        self._idle: asyncio.Queue[httpx.AsyncClient] | None = None
        self.url = endpoint_url(config.base_url, self.path)  # a query (?api-version=) stays after the path
        self.shown_url = self.url.split("?", 1)[0]  # in messages: the query may hold a key
        self._secrets = (config.api_key, *url_secrets(config.base_url))
        self._clock = time.monotonic
        #: Called with the (scrubbed) message of every failed attempt; may raise to stop the run (runner.failfast).
        self.on_retry: Callable[[str], None] | None = None
        #: The server's parallel slots when it says (llama.cpp's /props ``total_slots``), else None.
        self.slots: int | None = None
        self._slots: asyncio.Semaphore | None = None

    async def __aenter__(self):
        # One single-connection client per concurrent slot, handed out from a queue: httpx's shared connection
        # pool slows down sharply with many concurrent requests (encode/httpx#3215); small pools do not.
        headers = {"Content-Type": "application/json"}
        if self.config.api_key:
            headers["Authorization"] = f"Bearer {self.config.api_key}"
        self._idle = asyncio.Queue()
        # one SSL context for all clients: loading the CA bundle costs ~40 ms each time
        ssl_context = self.config.ssl_context or httpx.create_ssl_context()
        self.slots = await server_slots(self.config.base_url, headers, ssl_context)
        if self.slots is not None and self.slots < self.config.concurrency:
            # a request waiting for a slot here is not timed: a server's own queue would count against --timeout
            self._slots = asyncio.Semaphore(self.slots)
        for _ in range(max(1, self.config.concurrency)):
            # the attempt's deadline is kept by rate(); httpx only bounds connecting and sending
            timeout = httpx.Timeout(self.config.timeout, read=None, pool=None)
            client = httpx.AsyncClient(headers=headers, timeout=timeout, verify=ssl_context,
                                       limits=httpx.Limits(max_connections=1, max_keepalive_connections=1))
            self._clients.append(client)
            self._idle.put_nowait(client)
        return self

    async def __aexit__(self, *exc) -> None:
        clients, self._clients, self._idle = self._clients, [], None
        await asyncio.gather(*(c.aclose() for c in clients), return_exceptions=True)

    def redact(self, text: str | None) -> str | None:
        """``text`` through :func:`valueportrait.secrets.scrub`: the API key and anything shaped like a secret
        (Authorization values, URL userinfo, key-like query parameters) and every query value of the base URL
        replaced by ``***``."""
        return None if text is None else scrub(text, *self._secrets)

    def body(self, request: Request) -> dict:
        raise NotImplementedError

    def read(self, payload: Any, request: Request) -> Any:
        raise NotImplementedError

    def outcome(self, answer: Any, *, attempts: int, latency_s: float) -> Outcome:
        raise NotImplementedError

    async def rate(self, request: Request) -> Outcome:
        """Send one request with retries; never raises for a per-request failure (it returns ``failed``)."""
        got = await self.fetch(request)
        if isinstance(got, Outcome):
            return got
        answer, attempts, latency_s = got
        return self.outcome(answer, attempts=attempts, latency_s=latency_s)

    async def fetch(self, request: Any, body: dict | None = None) -> tuple[Any, int, float] | Outcome:
        """One exchange with retries: (the answer :meth:`read` took from the response, attempts, seconds), or the
        ``failed`` :class:`Outcome`. ``body``: sent instead of :meth:`body` of ``request``."""
        assert self._idle is not None, f"use `async with {type(self).__name__}(...)`"
        cfg = self.config
        start = self._clock()
        end = None if cfg.deadline is None else start + cfg.deadline
        last_error, note = "no attempt made", ""
        attempt = 0
        while attempt < cfg.max_attempts:
            budget = cfg.timeout if end is None else min(cfg.timeout, end - self._clock())
            if budget <= 0:
                note = f" (the request's deadline of {cfg.deadline:g} s, retries included, ran out)"
                break
            attempt += 1
            if self._slots is not None:  # the server's own slots (llama.cpp): wait for one here, untimed
                await self._slots.acquire()
            client = await self._idle.get()  # the attempt's clock starts once it has a connection slot
            task = asyncio.create_task(client.post(self.url, json=body or self.body(request)))
            try:
                try:
                    answer = await self._settle(task, budget, request)
                except _Retry as exc:
                    last_error = self.redact(str(exc))
                    if self.on_retry is not None:
                        self.on_retry(last_error)
                    if attempt == cfg.max_attempts:
                        break
                    wait = min(exc.wait, cfg.retry_after_max) if exc.wait is not None else \
                        backoff_delay(attempt, cfg.backoff_base, cfg.backoff_max, self._rng)
                    if end is not None and self._clock() + wait >= end:
                        note = f" (the request's deadline of {cfg.deadline:g} s, retries included, ran out)"
                        break
                    answer = await self._late_answer(task, wait, request)
                    if answer is _NONE:
                        continue
            except _Fail as exc:
                return Outcome("failed", error=self.redact(str(exc)), attempts=attempt,
                               latency_s=self._clock() - start)
            finally:  # the slot is held until the exchange is over: answered, or cancelled before a retry
                if not task.done():
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
                self._idle.put_nowait(client)
                if self._slots is not None:
                    self._slots.release()
            return answer, attempt, self._clock() - start
        return Outcome("failed", error=f"gave up after {attempt} attempts; last error: {last_error}{note}",
                       attempts=attempt, latency_s=self._clock() - start)

    async def _settle(self, task: asyncio.Task, budget: float, request: Request) -> Any:
        """The answer of an attempt, or :class:`_Retry` / :class:`_Fail` / :class:`FatalBackendError`; a
        timed-out exchange is left running (the caller may still take its answer: :meth:`_late_answer`)."""
        done, _ = await asyncio.wait({task}, timeout=budget)
        if not done:
            raise _Retry(f"timeout after {budget:g} s (TimeoutError)")
        return self._answer(task, request)

    async def _late_answer(self, task: asyncio.Task, wait: float, request: Request) -> Any:
        """Wait ``wait`` s before the retry; if the timed-out exchange ``task`` answers well meanwhile, that
        answer (the request is then not sent again), else :data:`_NONE`."""
        if task.done():  # it failed (refused, an HTTP error...): nothing can arrive
            await self.sleep(wait)
            return _NONE
        start = self._clock()
        await asyncio.wait({task}, timeout=wait)
        if task.done() and not task.cancelled():
            try:
                return self._answer(task, request)
            except (_Retry, _Fail, FatalBackendError):
                await self.sleep(max(0.0, wait - (self._clock() - start)))  # a late failure: retried as planned
        return _NONE

    def _answer(self, task: asyncio.Task, request: Request) -> Any:
        """The answer read from a finished exchange, or the error it stands for."""
        try:
            resp = task.result()
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise _Retry(f"timeout after {self.config.timeout:g} s ({type(exc).__name__})") from None
        except httpx.RequestError as exc:  # connection, protocol, decoding errors
            if "CERTIFICATE_VERIFY_FAILED" in str(exc):  # retrying cannot help, and every request would hit it
                raise FatalBackendError(f"the TLS certificate of {self.shown_url} is not trusted ({exc}); for a private "
                                        "CA set SSL_CERT_FILE to its certificate bundle") from None
            raise _Retry(f"connection error: {type(exc).__name__}: {exc}") from None
        if resp.status_code != 200:
            message = f"HTTP {resp.status_code} from {self.shown_url}: {_error_text(resp)}"
            if resp.status_code in RETRY_STATUS or resp.status_code >= 500:
                raise _Retry(message, retry_after_seconds(resp.headers))
            if resp.status_code in FATAL_STATUS:
                hint = {401: "check the API key (--api-key-env)", 403: "check the key's permissions",
                        404: "check --base-url and --model"}[resp.status_code]
                raise FatalBackendError(self.redact(f"{message} ({hint})"))
            raise _Fail(message)
        try:
            return self.read(resp.json(), request)
        except (ValueError, KeyError, IndexError, TypeError):
            raise _Retry(f"malformed response body (not {self.expected_body}): {resp.text[:200]!r}") from None


class _Fail(Exception):
    """A request that will not succeed by retrying (e.g. HTTP 400)."""


#: No late answer came (:meth:`OpenAIBackend._late_answer`).
_NONE = object()


def _error_text(resp: httpx.Response) -> str:
    try:
        err = resp.json().get("error")
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])[:300]
    except (ValueError, AttributeError):
        pass
    return resp.text[:300] or resp.reason_phrase
