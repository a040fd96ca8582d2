"""What a backend returns for one request, and its conversion to a run-log record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .prompts import Request
from .rundir import now


@dataclass
class Outcome:
    """The result of one request.

    ``status``: ``rated``, ``unparseable`` (an answer, but no Likert phrase in it) or ``failed``.
    ``rating``: 1..6 (the expected value under ``distribution`` for the local backend), None unless rated.
    ``distribution``: probabilities of ratings 1..6 (local backend), with ``loglik`` the summed log-likelihood
    of each phrase and ``argmax`` the most likely rating.
    """

    status: str
    rating: float | None = None
    raw: str | None = None
    distribution: list[float] | None = None
    loglik: list[float] | None = None
    argmax: int | None = None
    error: str | None = None
    attempts: int = 1
    latency_s: float = 0.0

    def record(self, request: Request) -> dict[str, Any]:
        return {
            "item_id": request.item_id, "variant": request.variant, "persona": request.persona,
            "status": self.status, "rating": self.rating, "raw": self.raw, "distribution": self.distribution,
            "loglik": self.loglik, "argmax": self.argmax, "error": self.error, "attempts": self.attempts,
            "latency_s": round(self.latency_s, 6), "finished_at": now(),
        }


class FatalBackendError(Exception):
    """An error that every further request would hit too (bad key, unknown model, wrong URL): stop the run."""
