"""The chat backend: ``POST {base_url}/chat/completions``, the answer's Likert phrase is the rating.

HTTP, retries, backoff, slots and key handling are :class:`.openai_backend.OpenAIBackend`'s; the answer is read
as free text (:func:`valueportrait.ratings.likert.parse_likert`, strict or lenient) or, with ``--answer-format
constrained``, as the answer the server was constrained to (:mod:`.answer_format`). Which way of asking a
server honours is settled on the run's first request (the others wait): ``response_format`` (JSON schema), then,
when the server ignores or refuses it, ``transformers serve``'s ``generation_config`` with ``sequence_bias``
(when the model's tokenizer is here), else free text with one warning.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any, Callable

from valueportrait.instrument import Instrument
from valueportrait.ratings.likert import parse_likert

from .answer_format import read_constrained, read_phrase, refused, response_format, transformers_serve_fields
from .openai_backend import OpenAIBackend, OpenAIConfig
from .outcome import Outcome
from .prompts import Request


class OpenAIChatBackend(OpenAIBackend):
    """Rates requests through ``POST {base_url}/chat/completions``: the answer's Likert phrase is the rating.

    ``answer_format``: ``free`` (the text, read with the parser's ``parse_rule``) or ``constrained`` (the server
    asked for one of the phrases of ``instrument``, default Value Portrait's 6, :mod:`.answer_format`; free text again, with one warning through
    ``on_warning``, when the server refuses or ignores every way of asking)."""

    #: The ways of asking for a constrained answer, in the order tried: request fields, how the answer reads.
    SPELLINGS = ("json-schema-enum", "sequence-bias")

    def __init__(self, config: OpenAIConfig, *, rng: random.Random | None = None, answer_format: str = "free",
                 parse_rule: str = "strict", instrument: Instrument | None = None):
        super().__init__(config, rng=rng)
        self.answer_format, self.parse_rule = answer_format, parse_rule
        #: Whose answer phrases free text is read with (None: Value Portrait's).
        self.instrument = instrument
        self.constrained = answer_format == "constrained"
        #: How the server is asked (a :data:`SPELLINGS` entry; None: free text). Settled on the first request.
        self.spelling: str | None = "json-schema-enum" if self.constrained else None
        self.settled = not self.constrained
        #: Why a constrained run fell back to free text (None while it has not).
        self.fallback: str | None = None
        self.on_warning: Callable[[str], None] | None = None
        self._lock = asyncio.Lock()
        self._fields: dict | None = None

    @property
    def scoring(self) -> str:
        """How ratings are obtained (recorded in the manifest)."""
        return "generation+constrained:json-schema-enum" if self.constrained else f"generation+parse:{self.parse_rule}"

    @property
    def constrained_as(self) -> str | None:
        """How a constrained run's answers were obtained (recorded per session): a spelling, or the fallback."""
        if not self.constrained or not self.settled:
            return None
        return self.spelling or "free-text-fallback"

    def body(self, request: Request, spelling: Any = "current") -> dict:
        """The request's JSON, asking for a constrained answer as ``spelling`` says (default: as the run does now;
        None: free text)."""
        spelling = self.spelling if spelling == "current" else spelling
        body = {"model": self.config.model, "messages": list(request.messages),
                "temperature": self.config.temperature, "max_tokens": self.config.max_tokens}
        if self.config.seed is not None:
            body["seed"] = self.config.seed
        if spelling == "json-schema-enum":
            body["response_format"] = response_format(self.instrument)
        elif spelling == "sequence-bias":
            body.update(self._fields or {})
        return body

    def read(self, payload: Any, request: Request) -> str:
        message = payload["choices"][0]["message"]
        content = message.get("content") if isinstance(message, dict) else None
        return content if isinstance(content, str) else ""

    def outcome(self, answer: str, *, attempts: int, latency_s: float, spelling: Any = "current") -> Outcome:
        """``answer`` read as ``spelling`` asked for it (default: as the run does now), else as free text."""
        spelling = self.spelling if spelling == "current" else spelling
        if spelling is not None:
            rating = _READ[spelling](answer, self.instrument)
            if rating is not None:
                return Outcome("rated", rating=float(rating), raw=self.redact(answer), attempts=attempts,
                               latency_s=latency_s)
        rating = parse_likert(answer, rule=self.parse_rule, instrument=self.instrument)
        return Outcome("rated" if rating is not None else "unparseable",
                       rating=float(rating) if rating is not None else None, raw=self.redact(answer),
                       attempts=attempts, latency_s=latency_s)

    async def rate(self, request: Request) -> Outcome:
        """Rate ``request`` (never raises for a per-request failure); the first one settles how to ask."""
        if not self.settled:
            async with self._lock:  # the first request settles how to ask; the others wait for it
                if not self.settled:
                    return await self._choose_spelling(request)
        got = await self.fetch(request, self.body(request, self.spelling))
        if isinstance(got, Outcome):
            return got
        answer, attempts, latency_s = got
        return self.outcome(answer, attempts=attempts, latency_s=latency_s, spelling=self.spelling)

    async def _choose_spelling(self, request: Request) -> Outcome:
        """Ask for ``request``'s answer in each spelling in turn until the server honours one (it is then kept for
        the run); else fall back to free text, with a warning. A failure for another reason settles nothing."""
        why: list[str] = []
        free: Any = None  # an answer given without constraint (the server ignored response_format)
        for spelling in self.SPELLINGS:
            if spelling == "sequence-bias":
                self._fields = await asyncio.to_thread(transformers_serve_fields, self.config.model, self.instrument)
                if self._fields is None:
                    why.append(f"no tokenizer of {self.config.model!r} on this machine to ask as transformers serve "
                               "takes it (generation_config with sequence_bias)")
                    break
            got = await self.fetch(request, self.body(request, spelling))
            if isinstance(got, Outcome):
                if not refused(got.error):
                    return got  # a timeout, a server error...: the next request tries again
                why.append(f"the server refused {_ASKED[spelling]} ({got.error[:200]})")
                free = None
                continue
            answer, attempts, latency_s = got
            if _READ[spelling](answer, self.instrument) is not None:
                self.spelling, self.settled = spelling, True
                if why and self.on_warning is not None:
                    self.on_warning(f"Note: --answer-format constrained: {'; '.join(why)}; asked with "
                                    f"{_ASKED[spelling]} instead, which it honours, for the rest of this run.")
                return self.outcome(answer, attempts=attempts, latency_s=latency_s, spelling=spelling)
            why.append(f"the server answered {answer[:60]!r}, not {_WANTED[spelling]} (it ignores "
                       f"{_ASKED[spelling]})")
            free = got if spelling == "json-schema-enum" else None  # a biased answer is not a free one
        self.spelling, self.settled = None, True
        self.fall_back("; ".join(why))
        got = free or await self.fetch(request, self.body(request, None))
        if isinstance(got, Outcome):
            return got
        answer, attempts, latency_s = got
        return self.outcome(answer, attempts=attempts, latency_s=latency_s)

    def fall_back(self, why: str) -> None:
        """Stop asking for constrained answers (once), and say why."""
        if self.fallback is None:
            self.fallback = why
            if self.on_warning is not None:
                self.on_warning(f"Warning: --answer-format constrained: {why}; falling back to free text read by "
                                f"the {self.parse_rule} parser for the rest of this run. Use a server that honours "
                                "response_format (OpenAI, vLLM, SGLang, llama.cpp, Ollama) or transformers serve "
                                "with the model's tokenizer here (docs/runner.md) for constrained answers.")


_ASKED = {"json-schema-enum": "response_format (a JSON schema)",
          "sequence-bias": "generation_config's sequence_bias (transformers serve)"}
_READ = {"json-schema-enum": read_constrained, "sequence-bias": read_phrase}
_WANTED = {"json-schema-enum": "the JSON asked for", "sequence-bias": "one of the 6 phrases alone"}


__all__ = ["OpenAIChatBackend", "OpenAIConfig"]
