"""When to retry an HTTP request: the server's ``Retry-After`` / ``retry-after-ms``, else exponential backoff with
jitter (used by :mod:`.openai_backend`).

>>> import random
>>> 0.5 <= backoff_delay(1, 1.0, 30.0, random.Random(0)) <= 1.0, backoff_delay(9, 1.0, 30.0, random.Random(0)) <= 30
(True, True)
"""

from __future__ import annotations

import email.utils
import random
from datetime import datetime, timezone

import httpx

__all__ = ["backoff_delay", "retry_after_seconds"]


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """Seconds asked for by ``retry-after-ms`` or ``Retry-After`` (delta-seconds or HTTP date), else None."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Wait before retry number ``attempt`` (1-based): exponential, capped, with equal jitter."""
    d = min(cap, base * 2 ** (attempt - 1))
    return d / 2 + rng.uniform(0, d / 2)
