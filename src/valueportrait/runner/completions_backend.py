"""Log-likelihood scoring through any OpenAI-compatible ``/v1/completions`` server (vLLM, SGLang, ...).

The server is asked for the log-probabilities of the prompt's own tokens (``echo: true``, ``logprobs: 1``,
``max_tokens: 0``: nothing is generated) and each of the 6 Likert phrases is scored as a continuation of the
prompt, as the transformers backend does locally (:mod:`.transformers_backend`): with ``ll_r`` the summed
log-probability of the tokens of the phrase of rating ``r``,

    ``p_r = exp(ll_r) / sum_s exp(ll_s)``,  ``rating = sum_r r * p_r``,  ``argmax = argmax_r ll_r``,

kept in the record (distribution, loglik, argmax) exactly as there. No text is sampled, so nothing is
unparseable.

One HTTP request per item carries 7 prompts (the OpenAI API takes a list): the context alone and the context
followed by each phrase. The context is the plain-text prompt (:func:`.loglik.plain_context`: the
messages' contents, then ``"\\n\\nAnswer:"``; no chat template, as lm-evaluation-harness scores multiple choice)
and each continuation is ``" " + phrase``. The context alone tells how many of the echoed tokens are the
prompt's; the phrase's tokens are the rest. When the server's tokenizer merges the end of the context with the
phrase (the first tokens of context + phrase are not the context's tokens), the phrase's log-probability is not
defined and the request fails with that message. Servers with prefix caching (vLLM, SGLang) compute the shared
context once.

HTTP, retries, backoff and key handling are those of the chat backend (:class:`.openai_backend.OpenAIBackend`).
"""

from __future__ import annotations

from typing import Any

from valueportrait.scale import PHRASES

from .openai_backend import OpenAIBackend
from .outcome import FatalBackendError, Outcome
from .prompts import Request
from .loglik import loglik_outcome, plain_context

#: How ratings are obtained; stored in the manifest (a run only resumes with the same method).
SCORING = "loglik-sum:6-phrases:expected-value:plain-prompt"


class OpenAICompletionsBackend(OpenAIBackend):
    """Rates requests through ``POST {base_url}/completions`` by prompt log-probabilities (see the module doc)."""

    path = "/completions"
    expected_body = "completions JSON with echoed logprobs (tokens, token_logprobs) for each of the 7 prompts"

    @staticmethod
    def prompts(request: Request) -> list[str]:
        """The context alone, then context + ``" " + phrase`` for ratings 1..6."""
        context = plain_context(request.messages)
        return [context, *(context + " " + p for p in PHRASES)]

    def body(self, request: Request) -> dict:
        return {"model": self.config.model, "prompt": self.prompts(request), "echo": True, "logprobs": 1,
                "max_tokens": 0, "temperature": 0.0}

    def read(self, payload: Any, request: Request) -> list[tuple[list[str], list[float | None]]]:
        """(tokens, token log-probabilities) of each prompt, in prompt order; tokens a server generated despite
        ``max_tokens: 0`` (those starting at or after the prompt's end, by ``text_offset``) are cut off."""
        prompts = self.prompts(request)
        choices = sorted(payload["choices"], key=lambda c: c["index"])
        if len(choices) < len(prompts):  # every request would get the same: stop the run with the reason
            raise FatalBackendError(
                f"the server at {self.shown_url} answered {len(choices)} choice(s) for the {len(prompts)} prompts of a "
                "request: it takes one prompt per request (as llama.cpp's server does), and this backend sends "
                "the context and its 6 answers together. Use a server that scores a list of prompts with echoed "
                "log-probabilities (vLLM, SGLang), or --backend openai with this one")
        if [c["index"] for c in choices] != list(range(len(prompts))):
            raise ValueError("expected one choice per prompt")
        out = []
        for choice, prompt in zip(choices, prompts):
            lp = choice.get("logprobs")
            if not isinstance(lp, dict) or not lp.get("token_logprobs"):
                raise FatalBackendError(
                    f"the server at {self.shown_url} returned no log-probabilities of the prompt's tokens (asked with "
                    "echo: true, logprobs: 1); this backend needs them to score the answers. Use a server that "
                    "echoes prompt logprobs (vLLM, SGLang), or --backend openai with this one")
            tokens, logprobs = list(lp["tokens"]), list(lp["token_logprobs"])
            if len(tokens) != len(logprobs) or not tokens:
                raise ValueError("tokens and token_logprobs differ in length")
            keep = sum(1 for o in lp.get("text_offset") or () if o < len(prompt)) or len(tokens)
            out.append((tokens[:keep], logprobs[:keep]))
        return out

    def outcome(self, answer: list[tuple[list[str], list[float | None]]], *, attempts: int,
                latency_s: float) -> Outcome:
        (context, _), *continuations = answer
        n = len(context)
        loglik = []
        for rating, (tokens, logprobs) in enumerate(continuations, 1):
            if tokens[:n] != context or len(tokens) == n:
                return Outcome("failed", attempts=attempts, latency_s=latency_s, error=(
                    f"the server's tokens of prompt + {PHRASES[rating - 1]!r} do not start with the prompt's own "
                    f"{n} tokens (its tokenizer merges the prompt's end with the answer), so the answer's "
                    "log-probability is not defined; use --backend transformers or lm-eval with this model"))
            if any(x is None for x in logprobs[n:]):
                return Outcome("failed", attempts=attempts, latency_s=latency_s,
                               error="the server returned no log-probability for a token of the answer")
            loglik.append(float(sum(logprobs[n:])))
        return loglik_outcome(loglik, latency_s=latency_s, attempts=attempts)


__all__ = ["SCORING", "OpenAICompletionsBackend"]
