"""The HTTP side of the OpenAI-compatible backends (httpx): faults, keep-alive, https, proxies from the environment."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from chat_server import ChatServer, scripted_rating
from valueportrait.dataset import open_dataset
from valueportrait.runner.chat_backend import OpenAIChatBackend, OpenAIConfig
from valueportrait.runner.prompts import build_requests


@pytest.fixture(scope="module")
def requests_(built_dataset):
    data = open_dataset(built_dataset)
    return build_requests(data.items, data.prompts, variants=["v3"], limit=30)


def _pick(key: str) -> float:
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 16 ** 8


async def _rate_all(base_url, reqs, *, concurrency=4, ssl_context=None):
    config = OpenAIConfig(model="scripted", base_url=base_url, api_key="k", concurrency=concurrency, timeout=0.5,
                          max_attempts=3, backoff_base=0.01, ssl_context=ssl_context)
    async with OpenAIChatBackend(config) as backend:
        return await asyncio.gather(*(backend.rate(r) for r in reqs))


def test_outcomes_under_faults(requests_):
    kinds = ["500", "malformed", "drop", "close", "slow", "chunked", "gzip", None, None, None]

    def fault(key, attempt):
        return kinds[int(_pick(f"{key}:{attempt}") * len(kinds))] if attempt == 1 else None

    with ChatServer(fault=fault, slow_s=1.0, retry_after="0") as server:
        outcomes = asyncio.run(_rate_all(server.base_url, requests_))
    for req, out in zip(requests_, outcomes):
        assert out.status == "rated" and out.rating == scripted_rating(list(req.messages)), out
    # every attempt is accounted for: a connection the server closed after answering ("close") is not reused
    assert sum(o.attempts for o in outcomes) == sum(server.attempts.values())
    assert {e.outcome for e in server.events} >= {"500", "malformed", "drop", "close", "slow", "chunked", "gzip"}


def test_keep_alive_reuses_one_connection_per_slot(requests_):
    with ChatServer() as server:
        outcomes = asyncio.run(_rate_all(server.base_url, requests_, concurrency=3))
    assert all(o.attempts == 1 for o in outcomes)
    assert server.connections == 3 + 1  # 30 requests over 3 kept-alive connections, + the /props probe (slots)


def test_connection_closed_while_idle_is_not_reused(requests_):
    # the server closes each kept-alive connection after 0.1 s idle; the next request, 0.3 s later, must go out
    # on a fresh connection, not fail on the dead one
    with ChatServer(fault=lambda key, attempt: "idle-close") as server:
        async def go():
            config = OpenAIConfig(model="scripted", base_url=server.base_url, concurrency=1, max_attempts=1)
            async with OpenAIChatBackend(config) as backend:
                outs = []
                for r in requests_[:3]:
                    outs.append(await backend.rate(r))
                    await asyncio.sleep(0.3)
                return outs

        outcomes = asyncio.run(go())
    assert [o.status for o in outcomes] == ["rated"] * 3 and server.connections == 3 + 1  # + the /props probe


def test_https_with_a_local_certificate(tmp_path, requests_):
    import shutil
    import ssl
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a test certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    with ChatServer(ssl_context=server_ctx) as server:
        assert server.base_url.startswith("https://")

        async def go(verify):
            return await _rate_all(server.base_url, requests_[:4], concurrency=2, ssl_context=verify)

        trusted = ssl.create_default_context(cafile=str(cert))
        outcomes = asyncio.run(go(trusted))
        assert [o.status for o in outcomes] == ["rated"] * 4
        # the self-signed certificate is refused, and that stops the run (no retries: it cannot get better)
        from valueportrait.runner.outcome import FatalBackendError

        with pytest.raises(FatalBackendError, match="TLS certificate of https://127.0.0.1:.* is not trusted"):
            asyncio.run(go(ssl.create_default_context()))
        assert server.attempts.total() == 4


def test_connection_refused_is_retried_then_failed(requests_):
    # port 9 (discard) has no listener on the test machine: every attempt is a connection error
    outcomes = asyncio.run(_rate_all("http://127.0.0.1:9/v1", requests_[:1], concurrency=1))
    assert outcomes[0].status == "failed" and outcomes[0].attempts == 3
    assert "gave up after 3 attempts; last error: connection error: ConnectError" in outcomes[0].error


def _clear_proxies(monkeypatch):
    for var in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
                "NO_PROXY"):
        monkeypatch.delenv(var, raising=False)


def test_proxy_from_the_environment(requests_, monkeypatch):
    """httpx reads HTTP_PROXY / NO_PROXY: a request to an unresolvable host goes through the proxy (here the
    scripted server, which answers the absolute-form request itself); NO_PROXY bypasses it."""
    _clear_proxies(monkeypatch)
    with ChatServer() as proxy, ChatServer() as direct:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        outcomes = asyncio.run(_rate_all("http://upstream.invalid/v1", requests_[:3], concurrency=2))
        assert [o.rating for o in outcomes] == [scripted_rating(list(r.messages)) for r in requests_[:3]]
        assert proxy.attempts.total() == 3
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        outcomes = asyncio.run(_rate_all(direct.base_url, requests_[:2], concurrency=2))
        assert [o.status for o in outcomes] == ["rated"] * 2
        assert direct.attempts.total() == 2 and proxy.attempts.total() == 3
