"""The base URL of an OpenAI-compatible server: checked at once, and joined with an endpoint path.

``--base-url`` must be ``http://`` or ``https://`` with a host and, if given, a numeric port (1-65535): anything
else is refused before the dataset is opened, not retried request after request (an ``ftp://`` URL was retried
48 times, a port ``notaport`` ended in an internal error). A query string (Azure-style ``?api-version=...``)
stays after the endpoint's path. Every query value is a secret for scrubbing
(:func:`valueportrait.secrets.url_secrets`), and no error here shows one.

>>> endpoint_url("https://x.openai.azure.com/openai/deployments/d?api-version=2024-02-01", "/chat/completions")
'https://x.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-02-01'
>>> endpoint_url("http://127.0.0.1:8000/v1/", "/completions")
'http://127.0.0.1:8000/v1/completions'
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from valueportrait.errors import RunError

__all__ = ["check_base_url", "endpoint_url", "shown_url"]

SCHEMES = ("http", "https")


def shown_url(url: str) -> str:
    """``url`` safe to show: user info and every query value replaced by ``***``.

    >>> shown_url("https://me:pw@host:8443/v1?api-version=2024&key=k")
    'https://***@host:8443/v1?api-version=***&key=***'
    """
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
    except ValueError:
        return "***"
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    query = "&".join(f"{q.split('=', 1)[0]}=***" if "=" in q else "***" for q in parts.query.split("&") if q)
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def check_base_url(url: str) -> None:
    """Raise :class:`RunError` unless ``url`` is an ``http(s)://`` URL with a host and a valid port."""
    shown = shown_url(url)
    fix = "give it as http://HOST[:PORT]/PATH or https://HOST[:PORT]/PATH, e.g. http://localhost:8000/v1"
    try:
        parts = urlsplit(url)
        port = parts.port  # ValueError for 'notaport' or a number out of range
    except ValueError as exc:
        reason = "a port that is not a number from 1 to 65535" if "port" in str(exc).lower() else str(exc)
        raise RunError(f"--base-url {shown} is not a valid URL ({reason}); {fix}") from None
    if parts.scheme.lower() not in SCHEMES:
        raise RunError(f"--base-url {shown} has the scheme {parts.scheme or '(none)'!r}; the OpenAI-compatible backends "
                       f"speak only http and https: {fix}")
    if not parts.hostname:
        raise RunError(f"--base-url {shown} has no host; {fix}")
    if port == 0:
        raise RunError(f"--base-url {shown} has port 0, which no server listens on; {fix}")
    if parts.fragment:
        raise RunError(f"--base-url {shown} has a fragment ('#...'), which is never sent to a server; remove it")


def endpoint_url(base_url: str, path: str) -> str:
    """``path`` appended to the path of ``base_url``, its query (if any) kept after it."""
    parts = urlsplit(base_url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + path, parts.query, ""))
