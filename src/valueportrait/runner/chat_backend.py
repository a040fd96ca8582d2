"""The chat backend: ``POST {base_url}/chat/completions``, the answer's Likert phrase is the rating.

HTTP, retries, backoff, slots and key handling are :class:`.openai_backend.OpenAIBackend`'s; the answer is read
as free text (:func:`valueportrait.ratings.likert.parse_likert`, strict or lenient) or, with ``--answer-format
constrained``, as the JSON the server was constrained to (:mod:`.answer_format`).
"""

from __future__ import annotations

import random
from typing import Any, Callable

from valueportrait.instrument import Instrument
from valueportrait.ratings.likert import parse_likert

from .answer_format import read_constrained, refused, response_format
from .openai_backend import OpenAIBackend, OpenAIConfig
from .outcome import Outcome
from .prompts import Request


class OpenAIChatBackend(OpenAIBackend):
    """Rates requests through ``POST {base_url}/chat/completions``: the answer's Likert phrase is the rating.

    ``answer_format``: ``free`` (the text, read with the parser's ``parse_rule``) or ``constrained`` (the server
    asked for one of the 6 phrases, :mod:`.answer_format`; free text again, with one warning through
    ``on_warning``, when the server refuses or ignores that)."""

    def __init__(self, config: OpenAIConfig, *, rng: random.Random | None = None, answer_format: str = "free",
                 parse_rule: str = "strict", instrument: Instrument | None = None):
        super().__init__(config, rng=rng)
        self.answer_format, self.parse_rule = answer_format, parse_rule
        #: Whose answer phrases free text is read with (None: Value Portrait's).
        self.instrument = instrument
        self.constrained = answer_format == "constrained"
        #: Why a constrained run fell back to free text (None while it has not).
        self.fallback: str | None = None
        self.on_warning: Callable[[str], None] | None = None

    @property
    def scoring(self) -> str:
        """How ratings are obtained (recorded in the manifest)."""
        return "generation+constrained:json-schema-enum" if self.constrained else f"generation+parse:{self.parse_rule}"

    def body(self, request: Request) -> dict:
        body = {"model": self.config.model, "messages": list(request.messages),
                "temperature": self.config.temperature, "max_tokens": self.config.max_tokens}
        if self.config.seed is not None:
            body["seed"] = self.config.seed
        if self.constrained and self.fallback is None:
            body["response_format"] = response_format(self.instrument)
        return body

    def read(self, payload: Any, request: Request) -> str:
        message = payload["choices"][0]["message"]
        content = message.get("content") if isinstance(message, dict) else None
        return content if isinstance(content, str) else ""

    def fall_back(self, why: str) -> None:
        """Stop asking for constrained answers (once), and say why."""
        if self.fallback is None:
            self.fallback = why
            if self.on_warning is not None:
                self.on_warning(f"Warning: --answer-format constrained: {why}; falling back to free text read by "
                                f"the {self.parse_rule} parser for the rest of this run. Use a server that honours "
                                "response_format (OpenAI, vLLM, SGLang, llama.cpp, Ollama; docs/runner.md) for "
                                "constrained answers.")

    def outcome(self, answer: str, *, attempts: int, latency_s: float) -> Outcome:
        if self.constrained:
            rating = read_constrained(answer, self.instrument)
            if rating is not None:
                return Outcome("rated", rating=float(rating), raw=self.redact(answer), attempts=attempts,
                               latency_s=latency_s)
            self.fall_back(f"the server answered {answer[:60]!r}, not the JSON asked for (it ignores "
                           "response_format)")
        rating = parse_likert(answer, rule=self.parse_rule, instrument=self.instrument)
        return Outcome("rated" if rating is not None else "unparseable",
                       rating=float(rating) if rating is not None else None, raw=self.redact(answer),
                       attempts=attempts, latency_s=latency_s)

    async def rate(self, request: Request) -> Outcome:
        outcome = await super().rate(request)
        if self.constrained and self.fallback is None and outcome.status == "failed" and refused(outcome.error):
            self.fall_back(f"the server refused response_format ({outcome.error[:200]})")
            outcome = await super().rate(request)
        return outcome


__all__ = ["OpenAIChatBackend", "OpenAIConfig"]
