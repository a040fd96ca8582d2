"""Local backend: a causal LM from ``transformers`` rates an item by the likelihood of each Likert phrase.

No text is sampled. For the prompt (the chat template applied when the tokenizer has one) the model scores
each of the 6 answer phrases as a continuation; with ``ll_r`` the summed log-probability of the tokens of the
phrase of rating ``r``:

    ``p_r = exp(ll_r) / sum_s exp(ll_s)``  (the distribution over the 6 answers, kept in the record),
    ``rating = sum_r r * p_r``  (expected value),  ``argmax = argmax_r ll_r``.

The prompt is run once (its KV cache kept) and the 6 continuations are then scored together as one batch of 6
short sequences on that cache, instead of 6 full passes over prompt + phrase (:meth:`loglikelihoods_separate`,
kept as the reference and for the benchmark). There are no parse failures by construction.

Without a chat template the context is ``[system text + "\\n\\n"] + prompt + "\\n\\nAnswer:"`` and each
continuation is ``" " + phrase``; with one, the context is the rendered chat with the generation prompt and the
continuation is the bare phrase. Context and continuation are tokenized separately and concatenated (as
lm-evaluation-harness does), so the context's tokens are exactly shared.

Needs the ``transformers`` extra (``pip install valueportrait[transformers]``).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Sequence

import numpy as np

from valueportrait.errors import RunError
from valueportrait.ratings.likert import distribution_from_loglik
from valueportrait.scale import PHRASES

from .outcome import FatalBackendError, Outcome
from .prompts import Request

#: How ratings are obtained; stored in the manifest (a run only resumes with the same method).
SCORING = "loglik-sum:6-phrases:expected-value"
PLAIN_SUFFIX = "\n\nAnswer:"


class TransformersBackend:
    """Scores requests with a local causal LM. ``model`` is a Hub id or a folder; ``model_obj`` / ``tokenizer``
    let a caller pass already-loaded objects."""

    def __init__(self, model: str | None = None, *, device: str | None = None, model_obj: Any = None,
                 tokenizer: Any = None):
        self.name = model
        self.device = device
        self.model = model_obj
        self.tokenizer = tokenizer
        self._phrase_ids: dict[bool, list[list[int]]] = {}

    # -- loading -------------------------------------------------------------------------------------------
    def load(self) -> "TransformersBackend":
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError:
            raise RunError("the transformers backend needs torch and transformers: "
                           "pip install 'valueportrait[transformers]'") from None
        if self.device is None:
            self.device = "cuda" if torch.cuda.is_available() else "cpu"
        try:
            if self.tokenizer is None:
                self.tokenizer = AutoTokenizer.from_pretrained(self.name)
            if self.model is None:
                self.model = AutoModelForCausalLM.from_pretrained(self.name, dtype="auto")
        except (OSError, ValueError) as exc:
            raise RunError(f"could not load the model {self.name!r} with transformers: {exc}. Expected a Hub model id "
                           "(e.g. Qwen/Qwen2.5-0.5B-Instruct, downloaded beforehand when offline) or a local folder "
                           "with config.json, the weights and the tokenizer; check --model.") from None
        self.model.to(self.device).eval()
        return self

    async def __aenter__(self) -> "TransformersBackend":
        if self.model is None or self.tokenizer is None:
            await asyncio.to_thread(self.load)
        else:
            self.device = self.device or str(next(self.model.parameters()).device)
            self.model.eval()
        return self

    async def __aexit__(self, *exc) -> None:
        return None

    # -- tokens --------------------------------------------------------------------------------------------
    @property
    def uses_chat_template(self) -> bool:
        return bool(getattr(self.tokenizer, "chat_template", None))

    def context_ids(self, messages: Sequence[dict[str, str]]) -> list[int]:
        """Token ids of the prompt up to where the answer starts."""
        tok = self.tokenizer
        if self.uses_chat_template:
            text = tok.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=True)
            return list(tok(text, add_special_tokens=False)["input_ids"])
        text = "\n\n".join(m["content"] for m in messages) + PLAIN_SUFFIX
        return list(tok(text)["input_ids"])

    def phrase_ids(self) -> list[list[int]]:
        """Token ids of the 6 answers (ratings 1..6) as continuations."""
        chat = self.uses_chat_template
        if chat not in self._phrase_ids:
            ids = [list(self.tokenizer(p if chat else " " + p, add_special_tokens=False)["input_ids"])
                   for p in PHRASES]
            if any(not x for x in ids):
                raise RunError(f"the tokenizer of {self.name!r} turns the Likert phrase(s) "
                               f"{[p for p, x in zip(PHRASES, ids) if not x]} into no tokens, so their likelihood "
                               "cannot be scored; use a model with a text tokenizer, or --backend openai")
            self._phrase_ids[chat] = ids
        return self._phrase_ids[chat]

    # -- scoring -------------------------------------------------------------------------------------------
    def loglikelihoods(self, messages: Sequence[dict[str, str]]) -> np.ndarray:
        """Summed log-probability of each answer phrase (ratings 1..6) after the prompt: one pass over the
        prompt, then the 6 continuations as one batch on its KV cache."""
        import torch

        ctx = self.context_ids(messages)
        conts = self.phrase_ids()
        dev = self.device
        with torch.inference_mode():
            out = self.model(torch.tensor([ctx], device=dev), use_cache=True)
            first = torch.log_softmax(out.logits[0, -1].float(), dim=-1)
            ll = torch.stack([first[c[0]] for c in conts])
            longest = max(len(c) for c in conts)
            if longest > 1:
                n = len(conts)
                # Inputs are each phrase but its last token, right-padded: a pad only follows real tokens, so
                # under the causal mask it changes nothing that is read.
                inp = torch.zeros((n, longest - 1), dtype=torch.long, device=dev)
                tgt = torch.zeros((n, longest - 1), dtype=torch.long, device=dev)
                mask = torch.zeros((n, longest - 1), dtype=torch.bool, device=dev)
                for i, c in enumerate(conts):
                    k = len(c) - 1
                    if k:
                        inp[i, :k] = torch.tensor(c[:-1], device=dev)
                        tgt[i, :k] = torch.tensor(c[1:], device=dev)
                        mask[i, :k] = True
                cache = out.past_key_values
                cache.batch_repeat_interleave(n)
                logits = self.model(inp, past_key_values=cache, use_cache=False).logits.float()
                logp = torch.log_softmax(logits, dim=-1).gather(-1, tgt.unsqueeze(-1)).squeeze(-1)
                ll = ll + (logp * mask).sum(dim=1)
        return ll.double().cpu().numpy()

    def loglikelihoods_separate(self, messages: Sequence[dict[str, str]]) -> np.ndarray:
        """The same numbers by 6 independent full passes over prompt + phrase (reference computation)."""
        import torch

        ctx = self.context_ids(messages)
        out = []
        with torch.inference_mode():
            for c in self.phrase_ids():
                ids = torch.tensor([ctx + c], device=self.device)
                logp = torch.log_softmax(self.model(ids).logits[0].float(), dim=-1)
                pos = torch.arange(len(ctx) - 1, len(ctx) - 1 + len(c), device=self.device)
                out.append(float(logp[pos, torch.tensor(c, device=self.device)].sum()))
        return np.array(out, dtype=np.float64)

    def max_length(self) -> int | None:
        """The model's context length (``max_position_embeddings``), if its config says."""
        return getattr(getattr(self.model, "config", None), "max_position_embeddings", None)

    def rate_sync(self, request: Request) -> Outcome:
        start = time.perf_counter()
        try:
            n_tokens = len(self.context_ids(request.messages)) + max(len(c) for c in self.phrase_ids())
        except Exception as exc:  # the chat template refused the messages: every request would fail alike
            raise FatalBackendError(
                f"the tokenizer's chat template rejected the messages ({type(exc).__name__}: {str(exc)[:200]}); "
                "a persona needs a template that accepts a system message") from None
        limit = self.max_length()
        if limit is not None and n_tokens > limit:
            return Outcome("failed", error=f"prompt + answer of {n_tokens} tokens exceed the model's context of "
                                           f"{limit} tokens", latency_s=time.perf_counter() - start)
        try:
            ll = self.loglikelihoods(request.messages)
        except (RuntimeError, IndexError) as exc:  # e.g. out of memory
            return Outcome("failed", error=f"{type(exc).__name__}: {str(exc)[:300]}",
                           latency_s=time.perf_counter() - start)
        if not np.all(np.isfinite(ll)):
            return Outcome("failed", error=f"non-finite log-likelihoods {ll.tolist()}",
                           latency_s=time.perf_counter() - start)
        p, rating, argmax = distribution_from_loglik(ll)
        return Outcome("rated", rating=rating, distribution=[float(x) for x in p],
                       loglik=[float(x) for x in ll], argmax=argmax, latency_s=time.perf_counter() - start)

    async def rate(self, request: Request) -> Outcome:
        return await asyncio.to_thread(self.rate_sync, request)


__all__ = ["PHRASES", "SCORING", "TransformersBackend", "distribution_from_loglik"]
