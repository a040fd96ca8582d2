"""Scrub secrets out of text before it reaches a user, a log, a record or a file.

One function, :func:`scrub`, for every error text that may carry what a remote echoed back (an error page, a
git message, an exception's ``str``): Hugging Face tokens (``hf_...``), OpenAI-style API keys (``sk-...``),
``Authorization:`` header values, the ``user:password@`` part of URLs, key-like query parameters
(``?api_key=``, ``&token=``...), and any secret the caller names (a token that has no recognisable shape).
Dependency-free on purpose: every layer can use it.

>>> scrub("401 for https://user:pw@hub.example.org/api?token=abc&x=1: Authorization: Bearer hf_abcdefgh12345678")
'401 for https://***@hub.example.org/api?token=***&x=1: Authorization: ***'
>>> scrub("server said: my-custom-secret", "my-custom-secret")
'server said: ***'
"""

from __future__ import annotations

import re

MASK = "***"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization / Proxy-Authorization headers, as text ("Authorization: Bearer x") or a dict repr
    # ("'authorization': 'Bearer x'"); the scheme word goes with the credential.
    (re.compile(r"""(?i)\b((?:proxy-)?authorization['"]?\s*[:=]\s*['"]?)(?:(?:bearer|basic|token|digest)\s+)?"""
                r"""[^\s'",;}]+"""), r"\1" + MASK),
    # userinfo of any URL: scheme://user:password@host -> scheme://***@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@"), r"\1" + MASK + "@"),
    # key-like query parameters
    (re.compile(r"(?i)([?&](?:api[_-]?key|access[_-]?token|auth|token|key|secret|password|passwd|sig|signature)=)"
                r"[^&#\s'\"]+"), r"\1" + MASK),
    # token shapes: Hugging Face user/org tokens, OpenAI-style keys
    (re.compile(r"\bhf_[A-Za-z0-9]{8,}"), MASK),
    (re.compile(r"\bsk-[A-Za-z0-9_-]{16,}"), MASK),
)


def scrub(text: str, *extra_secrets: str | None) -> str:
    """``text`` with every secret replaced by ``***``: the ``extra_secrets`` given (empty or None ones are
    ignored) and anything shaped like a token, an Authorization header value, URL userinfo or a key-like query
    parameter."""
    text = str(text)
    for secret in sorted((s for s in extra_secrets if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def scrub_fields(record: dict, *extra_secrets: str | None) -> dict:
    """``record`` with :func:`scrub` applied to every text value (a log record, a manifest); others as they are.

    >>> scrub_fields({"error": "HTTP 401: Incorrect API key provided: abc123", "rating": None}, "abc123")
    {'error': 'HTTP 401: Incorrect API key provided: ***', 'rating': None}
    """
    return {k: scrub(v, *extra_secrets) if isinstance(v, str) else v for k, v in record.items()}


def url_secrets(url: str | None) -> tuple[str, ...]:
    """What to scrub by name for a URL, where its shape is lost (a server's echo): the password in its userinfo,
    the ``user:password`` Basic credential httpx makes of it, and the value of every query parameter (a base
    URL's query often carries a key: ``?api_key=...``, ``?code=...``, Azure's ``?api-version=`` too), both as
    written and decoded.

    The user name alone is not a secret, and a value shorter than 4 characters is not scrubbed by name (it
    would mask ordinary words); the ``user:password@`` shape and key-like parameters are masked in any case.

    >>> url_secrets("http://me:pw123@host/v1"), url_secrets("http://host/v1"), url_secrets("http://a:b@host")
    (('pw123', 'bWU6cHcxMjM='), (), ())
    >>> url_secrets("https://host/v1?api_key=T0k%2Fen&v=1")
    ('T0k%2Fen', 'T0k/en')
    """
    import base64
    from urllib.parse import unquote, urlsplit

    try:
        parts = urlsplit(url or "")
        user, password = unquote(parts.username or ""), unquote(parts.password or "")
    except ValueError:
        return ()
    out: list[str] = []
    if len(password) >= 4:
        out += [password, base64.b64encode(f"{user}:{password}".encode()).decode("ascii")]
    for pair in parts.query.split("&"):
        value = pair.split("=", 1)[1] if "=" in pair else pair
        for form in (value, unquote(value.replace("+", " "))):
            if len(form) >= 4 and form not in out:
                out.append(form)
    return tuple(out)


__all__ = ["MASK", "scrub", "scrub_fields", "url_secrets"]
