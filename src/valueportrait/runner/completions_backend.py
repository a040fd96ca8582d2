"""Log-likelihood scoring through any OpenAI-compatible ``/v1/completions`` server (vLLM, SGLang, ...).

The server is asked for the log-probabilities of the prompt's own tokens (``echo: true``, ``logprobs: 1``,
``max_tokens: 0``: nothing is generated) and each of the 6 Likert phrases is scored as a continuation of the
prompt, as the transformers backend does locally (:mod:`.transformers_backend`): with ``ll_r`` the summed
log-probability of the tokens of the phrase of rating ``r``,

    ``p_r = exp(ll_r) / sum_s exp(ll_s)``,  ``rating = sum_r r * p_r``,  ``argmax = argmax_r ll_r``,

kept in the record (distribution, loglik, argmax) exactly as there. No text is sampled, so nothing is
unparseable.

One HTTP request per item carries 7 prompts (the OpenAI API takes a list): the context alone and the context
followed by each phrase. A server that takes one prompt per request (llama.cpp's ``llama-server`` answers a list
with HTTP 500 and an empty message, or with fewer choices) gets the 7 prompts one request each, with
``max_tokens: 1`` (``0`` means "no limit" there; the generated token is cut off as below): before the first
request of a run, a probe (2 short prompts, then 1) finds out which the server takes, and says so. A server that
echoes no log-probabilities of the prompt's tokens (llama.cpp's today, ggml-org/llama.cpp#27174) stops the run
before anything is recorded, with that missing capability named. The context is the plain-text prompt (:func:`.loglik.plain_context`: the
messages' contents, then ``"\\n\\nAnswer:"``; no chat template, as lm-evaluation-harness scores multiple choice)
and each continuation is ``" " + phrase``. The context alone tells how many of the echoed tokens are the
prompt's; the phrase's tokens are the rest. When the server's tokenizer merges the end of the context with the
phrase (the first tokens of context + phrase are not the context's tokens), the phrase's log-probability is not
defined and the request fails with that message. Servers with prefix caching (vLLM, SGLang) compute the shared
context once.

HTTP, retries, backoff and key handling are those of the chat backend (:class:`.openai_backend.OpenAIBackend`).
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

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

    #: Whether the server takes one prompt per request (set by the probe before the first request).
    one_prompt: bool | None = None
    #: What the probe found, for the run's output (None: nothing to say).
    probe_note: str | None = None
    on_warning = None

    def body(self, request: Request | "_OnePrompt") -> dict:
        if isinstance(request, _OnePrompt):
            return {"model": self.config.model, "prompt": request.prompt, "echo": True, "logprobs": 1,
                    "max_tokens": 1, "temperature": 0.0}
        return {"model": self.config.model, "prompt": self.prompts(request), "echo": True, "logprobs": 1,
                "max_tokens": 0, "temperature": 0.0}

    async def rate(self, request: Request) -> Outcome:
        """Rate ``request``: one request with the 7 prompts, or 7 requests where the server takes one prompt."""
        if self.one_prompt is None:
            async with self._probe_lock:
                if self.one_prompt is None:
                    await self.probe()
        if not self.one_prompt:
            return await super().rate(request)
        answers, attempts, latency_s = [], 1, 0.0  # attempts: 1 + the retries of any of the 7
        for prompt in self.prompts(request):
            got = await self.fetch(_OnePrompt(prompt))
            if isinstance(got, Outcome):
                got.attempts += attempts - 1
                return got
            answers.append(got[0][0])
            attempts, latency_s = attempts + got[1] - 1, latency_s + got[2]
        return self.outcome(answers, attempts=attempts, latency_s=latency_s)

    async def probe(self) -> None:
        """Find out whether the server scores a list of prompts, and whether it echoes their log-probabilities:
        a request with 2 short prompts, and if that is refused (an HTTP error, fewer choices) one with 1. A server
        that is not reachable, or refuses the key or the model, is left to the run's requests to report."""
        prompts = ["Answer:", "Answer: yes"]
        listed = await self._probe_post({**self.body(_OnePrompt(prompts[0])), "prompt": prompts})
        if isinstance(listed, dict) and len(listed.get("choices") or ()) == 2:
            self.one_prompt = False
            return self._check_echo(listed, prompts[0])
        single = await self._probe_post(self.body(_OnePrompt(prompts[0])))
        if not isinstance(single, dict):  # neither form answered: the run's own requests say why
            self.one_prompt = False
            return
        self._check_echo(single, prompts[0])
        self.one_prompt = True
        shown = f"{len(listed['choices'] or ())} choice(s)" if isinstance(listed, dict) else listed
        self.probe_note = (f"Note: the server at {self.shown_url} takes one prompt per request (a probe with 2 "
                           f"prompts got {shown}), as llama.cpp's server does: each item is sent as 7 requests "
                           "(the context, then context + each answer)")
        if self.on_warning is not None:
            self.on_warning(self.probe_note)

    async def _probe_post(self, body: dict) -> dict | str | None:
        """The JSON of a 200 answer to ``body``; else what came back ("HTTP 500: ''"), None when nothing did."""
        client = self._clients[0]
        try:
            resp = await asyncio.wait_for(client.post(self.url, json=body), self.config.timeout)
        except (httpx.HTTPError, TimeoutError):
            return None
        if resp.status_code in (401, 403, 404):
            return None  # the run's first request stops the run with the hint for it
        if resp.status_code != 200:
            return f"HTTP {resp.status_code}: {self.redact(resp.text[:100])!r}"
        try:
            payload = resp.json()
        except ValueError:
            return "a body that is not JSON"
        return payload if isinstance(payload, dict) else "a body that is not a JSON object"

    def _check_echo(self, payload: dict, prompt: str) -> None:
        lp = (payload.get("choices") or [{}])[0].get("logprobs")
        tokens = lp.get("tokens") if isinstance(lp, dict) else None
        if not tokens or not lp.get("token_logprobs") or prompt not in "".join(map(str, tokens)):
            raise FatalBackendError(
                f"the server at {self.shown_url} returns no log-probabilities of the prompt's own tokens (asked with "
                "echo: true, logprobs: 1; it gave those of generated tokens at most, as llama.cpp's server does: "
                "ggml-org/llama.cpp#27174), and this backend needs them to score the answers. Use a server that "
                "echoes prompt logprobs (vLLM, SGLang), or --backend openai with this one")

    async def __aenter__(self):
        self._probe_lock = asyncio.Lock()
        return await super().__aenter__()

    def read(self, payload: Any, request: Request | "_OnePrompt") -> list[tuple[list[str], list[float | None]]]:
        """(tokens, token log-probabilities) of each prompt, in prompt order; tokens a server generated despite
        ``max_tokens: 0`` (those starting at or after the prompt's end, by ``text_offset``) are cut off."""
        prompts = [request.prompt] if isinstance(request, _OnePrompt) else self.prompts(request)
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


class _OnePrompt:
    """One prompt of a request, sent alone (a server that takes one prompt per request)."""

    def __init__(self, prompt: str):
        self.prompt = prompt


__all__ = ["SCORING", "OpenAICompletionsBackend"]
