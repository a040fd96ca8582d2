"""A lean HTTP/1.1 transport for httpx: one keep-alive connection on asyncio streams, parsed by h11.

httpx's default transport (httpcore + anyio) costs about 1.5 ms of CPU per request; at the concurrency a local
inference server allows (32-64 requests in flight, tens of ms each) that, not the server, caps the run. This
transport does the same HTTP/1.1 exchange with h11 (httpx's own HTTP/1.1 parser) straight on asyncio streams,
about 0.3 ms per request, behind the same ``httpx.AsyncClient`` API. It holds one connection (the backend uses
one client per concurrent slot) and reopens it when the server has closed it: before reuse, an idle connection
with anything readable on it (the server's end of stream, as httpcore checks too) is dropped. A request is never resent here: a connection closed before the
answer is an ``httpx.RemoteProtocolError`` for the caller's retry logic, so every attempt is counted. It supports ``http`` and ``https``
(with the client's SSL context), not proxies: :func:`proxy_for` tells the backend when to use httpx's own
transport instead. Errors are httpx's exception classes, so callers handle them as usual. Deadlines are the
caller's (the backend wraps each attempt in ``asyncio.timeout``); only the connect timeout is applied here.
"""

from __future__ import annotations

import asyncio
import select
import ssl
import urllib.request

import h11
import httpx


def proxy_for(url: str) -> str | None:
    """The proxy the environment (``HTTP(S)_PROXY``, ``NO_PROXY``) sets for ``url``, or None."""
    parsed = httpx.URL(url)
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parsed.scheme) or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass(parsed.host):
        return None
    return proxy


class H11Transport(httpx.AsyncBaseTransport):
    """One HTTP/1.1 keep-alive connection for an ``httpx.AsyncClient``."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None, connect_timeout: float | None = 30.0):
        self._ssl_context = ssl_context
        self._connect_timeout = connect_timeout
        self._origin: tuple[str, str, int] | None = None
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._conn: h11.Connection | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        origin = (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))
        body = await request.aread()
        if self._conn is None or self._origin != origin or self._is_stale():
            await self._open(origin, request)
        try:
            return await self._exchange(request, body)
        except _ClosedBeforeAnswer:
            raise httpx.RemoteProtocolError("server closed the connection without an answer",
                                            request=request) from None

    def _is_stale(self) -> bool:
        """An idle connection is unusable when anything is readable on it: the server's end of stream (a closed
        keep-alive connection, possibly not yet seen by the event loop) or bytes nobody asked for."""
        if self._reader.at_eof() or self._reader._buffer:  # noqa: SLF001 - asyncio keeps no public accessor
            return True
        sock = self._writer.get_extra_info("socket")
        if sock is None:
            return False
        try:
            readable, _, _ = select.select([sock.fileno()], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)

    async def _open(self, origin: tuple[str, str, int], request: httpx.Request) -> None:
        self._drop()
        scheme, host, port = origin
        if scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {scheme!r}", request=request)
        ctx = (self._ssl_context or ssl.create_default_context()) if scheme == "https" else None
        try:
            async with asyncio.timeout(self._connect_timeout):
                self._reader, self._writer = await asyncio.open_connection(
                    host, port, ssl=ctx, server_hostname=host if ctx else None, limit=2 ** 20)
        except TimeoutError:
            raise httpx.ConnectTimeout(f"connecting to {host}:{port} timed out", request=request) from None
        except OSError as exc:
            raise httpx.ConnectError(f"cannot connect to {host}:{port}: {exc}", request=request) from None
        self._conn = h11.Connection(h11.CLIENT)
        self._origin = origin

    async def _exchange(self, request: httpx.Request, body: bytes) -> httpx.Response:
        conn, reader, writer = self._conn, self._reader, self._writer
        done = False
        got_bytes = False
        try:
            headers = [(k, v) for k, v in request.headers.raw if k.lower() != b"content-length"]
            headers.append((b"Content-Length", str(len(body)).encode()))
            data = conn.send(h11.Request(method=request.method, target=request.url.raw_path, headers=headers))
            data += conn.send(h11.Data(data=body)) if body else b""
            data += conn.send(h11.EndOfMessage())
            try:
                writer.write(data)
                await writer.drain()
            except OSError:
                raise _ClosedBeforeAnswer() from None
            response: h11.Response | None = None
            chunks: list[bytes] = []
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    try:
                        received = await reader.read(65536)
                    except OSError as exc:
                        if not got_bytes:
                            raise _ClosedBeforeAnswer() from None
                        raise httpx.ReadError(f"connection lost while reading: {exc}", request=request) from None
                    if not received and not got_bytes:
                        raise _ClosedBeforeAnswer()
                    got_bytes = got_bytes or bool(received)
                    conn.receive_data(received)
                elif isinstance(event, h11.Response):
                    response = event
                elif isinstance(event, h11.InformationalResponse):
                    continue
                elif isinstance(event, h11.Data):
                    chunks.append(bytes(event.data))
                elif isinstance(event, h11.EndOfMessage):
                    break
                elif isinstance(event, h11.ConnectionClosed):
                    raise httpx.RemoteProtocolError("server closed the connection mid-answer", request=request)
        except h11.RemoteProtocolError as exc:
            if not got_bytes:
                raise _ClosedBeforeAnswer() from None
            raise httpx.RemoteProtocolError(f"invalid HTTP answer: {exc}", request=request) from None
        except h11.LocalProtocolError as exc:
            raise httpx.LocalProtocolError(str(exc), request=request) from None
        else:
            done = True
        finally:
            if not done:  # error or cancellation mid-exchange: the connection's state is unknown
                self._drop()
        if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
            conn.start_next_cycle()
        else:
            self._drop()
        return httpx.Response(response.status_code, headers=response.headers, stream=httpx.ByteStream(b"".join(chunks)),
                              request=request, extensions={"http_version": b"HTTP/1.1",
                                                           "reason_phrase": bytes(response.reason)})

    def _drop(self) -> None:
        """Forget the connection and close its socket (no await: safe while being cancelled)."""
        writer, self._writer, self._reader, self._conn, self._origin = self._writer, None, None, None, None
        if writer is not None:
            writer.close()

    async def aclose(self) -> None:
        writer = self._writer
        self._drop()
        if writer is not None:
            try:
                await writer.wait_closed()
            except OSError:
                pass


class _ClosedBeforeAnswer(Exception):
    """The server closed the connection (or reset it) before sending any byte of an answer."""
