"""A real HTTP server on 127.0.0.1 speaking the OpenAI chat-completions protocol, for tests and benchmarks.

It runs an asyncio server in a background thread (or in the foreground: ``python tests/chat_server.py``).
Answers are scripted: by default the Likert phrase of rating ``scripted_rating(user message)``, a pure
function of the prompt, so a test knows the rating each request must end with. ``fault(key, attempt)`` may
inject, per request attempt: ``"429"`` (with ``Retry-After``), ``"500"``, ``"slow"`` (answer after
``slow_s``, longer than the client's timeout), ``"malformed"`` (200 with a broken JSON body), ``"drop"``
(connection closed without an answer), ``"close"`` (an answer with ``Connection: close``, then closed),
``"idle-close"`` (an answer, then the connection closed after 0.1 s idle, as a keep-alive timeout does),
``"chunked"`` / ``"gzip"`` (a
valid answer in chunked transfer encoding / gzip content encoding), ``"garbage"`` (a 200 answer with no Likert phrase), ``"401"``
(a bad key, echoed back in the message as OpenAI does) or ``"echo"`` (a 500 HTML error page, as a proxy might
serve, echoing the request's headers, the bare credential and ``echo_text``).

``paths`` keeps every request target as sent (its query too); ``answered`` counts, per request key, the answers
computed and written (a slow answer counts even when the client has left: it would have been billed).

With ``slots`` set, ``GET /props`` answers ``{"total_slots": slots}`` as llama.cpp's server does (the server
itself still answers every request at once; the probe is not in ``paths``).

With ``completions`` set (a function of the request body returning the response JSON), it serves
``/v1/completions`` too, under the same faults (a request's key is then the hash of its ``prompt``).
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import math
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

PHRASE_OF = {6: "very much like me", 5: "like me", 4: "somewhat like me", 3: "a little like me", 2: "not like me",
             1: "not like me at all"}


def request_key(messages: list[dict]) -> str:
    """Stable id of a chat request (hash of its messages)."""
    return hashlib.sha256(json.dumps(messages, sort_keys=True).encode()).hexdigest()[:16]


def scripted_rating(messages: list[dict]) -> int:
    """The rating the scripted model gives a request: 1..6 from the hash of its messages."""
    return int(request_key(messages), 16) % 6 + 1


def phrases_answer(phrases: tuple[str, ...]) -> Callable[[list[dict]], str]:
    """An ``answer`` in another scale's phrases (lowest rating first): the phrase of rating
    ``hash % len(phrases) + 1`` (docs/your-survey.md's German 5-point scale)."""
    return lambda messages: phrases[int(request_key(messages), 16) % len(phrases)]


@dataclass
class Event:
    t: float
    key: str
    attempt: int
    outcome: str
    authorization: str | None


@dataclass
class ChatServer:
    latency: float = 0.0
    latency_sigma: float = 0.0  # > 0: each answer waits latency * exp(N(0, sigma)) (lognormal, median latency)
    fault: Callable[[str, int], str | None] = lambda key, attempt: None
    slots: int | None = None
    retry_after: str = "1"
    slow_s: float = 2.0
    echo_text: str = ""
    answer: Callable[[list[dict]], str] = lambda messages: PHRASE_OF[scripted_rating(messages)]
    host: str = "127.0.0.1"
    port: int = 0
    ssl_context: object = None  # an ssl.SSLContext to serve https
    completions: Callable[[dict], dict] | None = None  # serves /v1/completions when set
    events: list[Event] = field(default_factory=list)
    attempts: Counter = field(default_factory=Counter)
    answered: Counter = field(default_factory=Counter)
    paths: list = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    connections: int = 0
    _writers: set = field(default_factory=set)
    _tasks: set = field(default_factory=set)
    _idle_close: set = field(default_factory=set)

    # -- lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> str:
        """Serve in a background thread; return the base URL (``http://127.0.0.1:PORT/v1``).

        ``port=0`` (the default) takes a free port. A port that cannot be bound (taken by another process) raises
        OSError naming it, before anything is served."""
        ready = threading.Event()
        failed: list[BaseException] = []
        self._loop = asyncio.new_event_loop()

        def serve():
            asyncio.set_event_loop(self._loop)
            try:
                self._server = self._loop.run_until_complete(
                    asyncio.start_server(self._handle, self.host, self.port, backlog=1024, ssl=self.ssl_context))
            except BaseException as exc:  # reported by start(), in the caller's thread
                failed.append(exc)
                ready.set()
                self._loop.close()
                return
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, name="chat-server", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise OSError(f"the scripted server did not start listening on {self.host}:{self.port} within 10 s")
        if failed:
            self._thread.join(10)
            raise OSError(f"the scripted server cannot listen on {self.host}:{self.port} ({failed[0]}): the port is "
                          "taken by another process; stop it, or use port 0 for a free port") from failed[0]
        self._started = True
        return self.base_url

    @property
    def base_url(self) -> str:
        return f"{'https' if self.ssl_context else 'http'}://{self.host}:{self.port}/v1"

    def stop(self) -> None:
        if not getattr(self, "_started", False):
            return  # never listened (start() raised): nothing to close
        self._started = False

        async def close():
            self._server.close()
            for w in list(self._writers):
                w.close()
            tasks = list(self._tasks)
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def __enter__(self) -> "ChatServer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- HTTP ------------------------------------------------------------------------------------------------
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(writer)
        self._tasks.add(asyncio.current_task())
        try:
            while True:
                if writer in self._idle_close:
                    self._idle_close.discard(writer)
                    try:
                        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 0.1)
                    except TimeoutError:
                        break
                else:
                    head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {k.strip().lower(): v.strip() for k, v in
                           (ln.split(":", 1) for ln in lines[1:] if ":" in ln)}
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                keep = await self._respond(method, path, headers, body, writer)
                if not keep or headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            self._writers.discard(writer)
            self._tasks.discard(asyncio.current_task())
            writer.close()

    def _send(self, writer, status: int, payload: bytes, extra: dict[str, str] | None = None) -> None:
        reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests",
                  500: "Internal Server Error"}[status]
        hdrs = {"Content-Type": "application/json", "Content-Length": str(len(payload)), **(extra or {})}
        writer.write(f"HTTP/1.1 {status} {reason}\r\n".encode() + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
                     .encode() + b"\r\n" + payload)

    async def _respond(self, method, path, headers, body, writer) -> bool:
        if method == "GET" and path == "/props":  # llama.cpp's server properties (the runner's slot probe)
            if self.slots:
                self._send(writer, 200, json.dumps({"total_slots": self.slots}).encode())
            else:
                self._send(writer, 404, json.dumps({"error": {"message": "no route GET /props"}}).encode())
            return True
        self.paths.append(path)
        route = path.split("?", 1)[0]
        chat = route.endswith("/chat/completions")
        if method != "POST" or not (chat or (self.completions and route.endswith("/completions"))):
            self._send(writer, 404, json.dumps({"error": {"message": f"no route {method} {path}"}}).encode())
            return True
        req = json.loads(body)
        key = request_key(req["messages"] if chat else req["prompt"])
        self.attempts[key] += 1
        attempt = self.attempts[key]
        auth = headers.get("authorization")
        fault = self.fault(key, attempt)
        self.events.append(Event(time.monotonic(), key, attempt, fault or "ok", auth))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)

        def ok() -> bytes:  # the well-formed answer
            if not chat:
                return json.dumps(self.completions(req)).encode()
            return self._completion(req, self.answer(req["messages"]))

        try:
            if self.latency:
                spread = math.exp(random.Random(f"{key}:{attempt}").gauss(0, self.latency_sigma)) \
                    if self.latency_sigma else 1.0
                await asyncio.sleep(self.latency * spread)
            if fault == "429":
                self._send(writer, 429, json.dumps({"error": {"message": "rate limited"}}).encode(),
                           {"Retry-After": self.retry_after})
            elif fault == "401":
                # like OpenAI's "Incorrect API key provided: sk-..." (the client must not keep the key)
                msg = f"Incorrect API key provided: {(auth or '').removeprefix('Bearer ')}"
                self._send(writer, 401, json.dumps({"error": {"message": msg}}).encode())
            elif fault == "500":
                # echo the Authorization header, as a careless server might: the client must redact it
                msg = f"internal error (request auth: {auth})"
                self._send(writer, 500, json.dumps({"error": {"message": msg}}).encode())
            elif fault == "echo":
                credential = (auth or "").split(" ", 1)[-1]
                page = (f"<html><body><h1>500 Internal Server Error</h1><pre>credential {credential} rejected; "
                        f"{self.echo_text}\nPOST {path}\n" + "".join(f"{k}: {v}\n" for k, v in headers.items())
                        + "</pre></body></html>")
                self._send(writer, 500, page.encode(), {"Content-Type": "text/html"})
            elif fault == "slow":
                await asyncio.sleep(self.slow_s)
                self._send(writer, 200, ok())
                self.answered[key] += 1
            elif fault == "malformed":
                self._send(writer, 200, b'{"id": "x", "choices": [{"message": {"content": "like m')
            elif fault == "drop":
                return False
            elif fault == "close":  # answer with "Connection: close", then close
                self._send(writer, 200, ok(), {"Connection": "close"})
                await writer.drain()
                return False
            elif fault == "idle-close":  # answer; close the connection if idle for 0.1 s (a keep-alive timeout)
                self._send(writer, 200, ok())
                await writer.drain()
                self._idle_close.add(writer)
                return True
            elif fault == "chunked":  # the answer in chunked transfer encoding
                body = ok()
                half = len(body) // 2
                chunks = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in (body[:half], body[half:])) + b"0\r\n\r\n"
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                             + chunks)
            elif fault == "gzip":  # the answer gzip-compressed (Content-Encoding: gzip)
                body = gzip.compress(ok())
                self._send(writer, 200, body, {"Content-Encoding": "gzip"})
            elif fault == "garbage":
                self._send(writer, 200, self._completion(req, "As an AI, I don't have thoughts of my own."))
            else:
                self._send(writer, 200, ok())
                self.answered[key] += 1
            await writer.drain()
            return True
        finally:
            self.in_flight -= 1

    @staticmethod
    def _completion(req: dict, content: str) -> bytes:
        return json.dumps({
            "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()), "model": req["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        }).encode()


if __name__ == "__main__":  # pragma: no cover - manual use: a local endpoint for trying the runner
    import argparse

    ap = argparse.ArgumentParser(description="Scripted chat-completions server on 127.0.0.1")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--latency", type=float, default=0.0, help="seconds (the median with --latency-sigma)")
    ap.add_argument("--latency-sigma", type=float, default=0.0, help="lognormal spread of the latency")
    ap.add_argument("--phrases", default=None, help="another scale's answer phrases, lowest rating first, comma "
                                                     "separated (default: Value Portrait's six)")
    args = ap.parse_args()
    server = ChatServer(latency=args.latency, latency_sigma=args.latency_sigma, port=args.port)
    if args.phrases:
        server.answer = phrases_answer(tuple(p.strip() for p in args.phrases.split(",")))
    print(f"serving {server.start()}  (Ctrl-C to stop)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()
