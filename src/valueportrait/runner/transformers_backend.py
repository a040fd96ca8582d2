"""Local backend: a causal LM from ``transformers`` rates an item by the likelihood of each Likert phrase.

No text is sampled. For the prompt (the chat template applied per ``--chat-template``: by default when the tokenizer
has one; :mod:`.local_model` holds the settings and the loading, GGUF files included) the model scores
each of the 6 answer phrases as a continuation; with ``ll_r`` the summed log-probability of the tokens of the
phrase of rating ``r``:

    ``p_r = exp(ll_r) / sum_s exp(ll_s)``  (the distribution over the 6 answers, kept in the record),
    ``rating = sum_r r * p_r``  (expected value),  ``argmax = argmax_r ll_r``.

The prompt is run once (its KV cache kept), then the 6 continuations as one batch on that cache, instead of 6
full passes over prompt + phrase (:meth:`loglikelihoods_separate`, the reference). Nothing is unparseable. With
``--batch-size`` > 1 that many prompts share one forward pass (right-padded, unmasked: causal attention keeps
the pads out), then their 6 x batch_size continuations a second one (pads masked); the engine keeps batch_size
requests in flight and the backend gathers them into batches.

Without a chat template the context is :func:`.loglik.plain_context` and each continuation ``" " + phrase``;
with one, the rendered chat with the generation prompt and the bare phrase. Context and continuation are
tokenized separately and concatenated (as lm-evaluation-harness does). Needs ``valueportrait[transformers]``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Sequence

import numpy as np

from valueportrait.errors import RunError
from valueportrait.scale import PHRASES

from .batching import BatchGatherer
from .local_model import LocalSettings, default_threads, load_model, load_tokenizer, resolve_dtype
from .loglik import SCORING, loglik_outcome, plain_context
from .outcome import FatalBackendError, Outcome
from .prompts import Request

class TransformersBackend(BatchGatherer):
    """Scores requests with a local causal LM. ``model`` is a Hub id, a folder or a ``.gguf`` file; ``model_obj`` /
    ``tokenizer`` let a caller pass already-loaded objects; ``settings``: dtype, threads, chat template."""

    def __init__(self, model: str | None = None, *, device: str | None = None, model_obj: Any = None,
                 tokenizer: Any = None, batch_size: int = 1, settings: LocalSettings = LocalSettings()):
        if batch_size < 1:
            raise RunError(f"--batch-size must be at least 1, got {batch_size}")
        self.name = model
        self.device = device
        self.model = model_obj
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        self.settings = settings
        self.model_loaded = False
        self.dtype: str | None = None
        self.threads: int | None = None
        self._phrase_ids: dict[bool, list[list[int]]] = {}
        BatchGatherer.__init__(self)

    @property
    def concurrency(self) -> int:
        """Requests the engine should keep in flight: one batch."""
        return self.batch_size

    # -- loading -------------------------------------------------------------------------------------------
    def load(self, *, weights: bool = True) -> "TransformersBackend":
        """Load the model and tokenizer (unless given; only the tokenizer without ``weights``: a dry run), in the
        settings' dtype; set torch's threads on CPU."""
        try:
            import torch
        except ImportError:
            raise RunError("the transformers backend needs torch and transformers: "
                           "pip install 'valueportrait[transformers]'") from None
        if self.device is None:
            self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.dtype = resolve_dtype(self.settings.dtype, self.device)
        if weights and self.model is None:
            self.model, self.tokenizer = load_model(self.name, self.dtype)
        elif self.tokenizer is None:
            self.tokenizer = load_tokenizer(self.name)
        if self.settings.chat_template == "on" and not getattr(self.tokenizer, "chat_template", None):
            raise RunError(f"--chat-template on: the tokenizer of {self.name!r} has no chat template; use "
                           "--chat-template off (the plain prompt) or auto")
        if self.device == "cpu":
            self.threads = self.settings.threads or default_threads()
            if weights:
                torch.set_num_threads(self.threads)
        if weights:
            if self.settings.dtype != "auto":
                self.model = self.model.to(getattr(torch, self.dtype))
            self.dtype = str(self.model.dtype).removeprefix("torch.")
            self.model.to(self.device).eval()
            self.model_loaded = True
        return self

    def describe(self) -> dict[str, Any]:
        """The settings this backend scores with, once loaded: device, dtype, threads, chat template on/off."""
        return {"device": self.device, "dtype": self.dtype, "threads": self.threads,
                "chat_template": "on" if self.uses_chat_template else "off"}

    async def __aenter__(self) -> "TransformersBackend":
        if self.model is None or not self.model_loaded:
            if self.model is not None:
                self.device = self.device or str(next(self.model.parameters()).device)
            await asyncio.to_thread(self.load)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.stop_batches()

    # -- tokens --------------------------------------------------------------------------------------------
    @property
    def uses_chat_template(self) -> bool:
        """``--chat-template``: on / off as asked; auto: whether the tokenizer has a template."""
        if self.settings.chat_template != "auto":
            return self.settings.chat_template == "on"
        return bool(getattr(self.tokenizer, "chat_template", None))

    def context_ids(self, messages: Sequence[dict[str, str]]) -> list[int]:
        """Token ids of the prompt up to where the answer starts."""
        tok = self.tokenizer
        if self.uses_chat_template:
            text = tok.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=True)
            return list(tok(text, add_special_tokens=False)["input_ids"])
        return list(tok(plain_context(messages))["input_ids"])

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
        """Summed log-probability of each answer phrase (ratings 1..6) after the prompt."""
        return self.loglikelihoods_batch([messages])[0]

    def loglikelihoods_batch(self, batch: Sequence[Sequence[dict[str, str]]]) -> np.ndarray:
        """(len(batch), 6) log-likelihoods: one pass over the prompts (right-padded to one length), then the 6
        continuations of every prompt as one batch on the prompts' KV cache.

        The first pass has no attention mask: under the causal mask a prompt's real tokens never see the pads that
        follow them, and an unmasked causal pass takes the fused attention kernels (a padding mask sends CPU
        attention down a path about 50x slower). Only the logits at each prompt's last token are computed
        (``logits_to_keep``), not a vocabulary-sized row per position. The second pass masks the pads out of
        the cache and counts each continuation's positions on from its prompt's length."""
        import torch

        ctxs = [self.context_ids(m) for m in batch]
        conts = self.phrase_ids()
        dev, b, n = self.device, len(ctxs), len(conts)
        lengths = torch.tensor([len(c) for c in ctxs], dtype=torch.long, device=dev)
        width = int(lengths.max())
        ids = torch.full((b, width), self.pad_id, dtype=torch.long, device=dev)
        for i, c in enumerate(ctxs):
            ids[i, :len(c)] = torch.tensor(c, device=dev)
        rows = torch.arange(b, device=dev)
        with torch.inference_mode():
            keep, where = self._last_logits(lengths - 1)
            out = self.model(ids, use_cache=True, **keep)
            first = torch.log_softmax(out.logits[rows, where].float(), dim=-1)
            ll = first[:, [c[0] for c in conts]]
            longest = max(len(c) for c in conts)
            if longest > 1:
                # Inputs are each phrase but its last token, right-padded: a pad only follows real tokens, so
                # under the causal mask it changes nothing that is read. Rows: prompt 0 x phrases 1..6, ...
                inp = torch.zeros((n, longest - 1), dtype=torch.long, device=dev)
                tgt = torch.zeros((n, longest - 1), dtype=torch.long, device=dev)
                real = torch.zeros((n, longest - 1), dtype=torch.bool, device=dev)
                for i, c in enumerate(conts):
                    k = len(c) - 1
                    if k:
                        inp[i, :k] = torch.tensor(c[:-1], device=dev)
                        tgt[i, :k] = torch.tensor(c[1:], device=dev)
                        real[i, :k] = True
                cache = out["cache"] if "cache" in out else out["past_key_values"]
                cache.batch_repeat_interleave(n)
                steps = torch.arange(longest - 1, device=dev)
                prompt_mask = (torch.arange(width, device=dev)[None, :] < lengths[:, None]).long()
                mask = torch.cat([prompt_mask.repeat_interleave(n, 0),
                                  torch.ones((b * n, longest - 1), dtype=torch.long, device=dev)], dim=1)
                logits = self.model(inp.repeat(b, 1), use_cache=False, attention_mask=mask,
                                    position_ids=lengths.repeat_interleave(n)[:, None] + steps,
                                    **{self._cache_arg: cache}).logits
                logp = torch.log_softmax(logits.float(), dim=-1).gather(-1, tgt.repeat(b, 1).unsqueeze(-1))
                ll = ll + (logp.squeeze(-1) * real.repeat(b, 1)).sum(dim=1).view(b, n)
        return ll.double().cpu().numpy()

    def _last_logits(self, last: Any) -> tuple[dict[str, Any], Any]:
        """Forward keywords that compute logits only at the positions ``last`` (one per row), and the index of
        each row's position among the logits returned; without ``logits_to_keep`` support, every position."""
        import inspect

        import torch

        if "logits_to_keep" not in inspect.signature(self.model.forward).parameters:
            return {}, last
        kept, where = torch.unique(last, return_inverse=True)
        return {"logits_to_keep": kept}, where

    @property
    def pad_id(self) -> int:
        """The token right-padding short prompts (never read: causal attention and the mask keep pads out)."""
        pad = getattr(self.tokenizer, "pad_token_id", None)
        return int(pad) if pad is not None else 0

    @property
    def _cache_arg(self) -> str:
        """The forward keyword of the KV cache: ``cache`` (transformers >= 5.2x), else ``past_key_values``."""
        import inspect

        return "cache" if "cache" in inspect.signature(self.model.forward).parameters else "past_key_values"

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

    def rate_batch_sync(self, requests: Sequence[Request]) -> list[Outcome]:
        """Outcomes of ``requests``, scored in one batch (a prompt too long for the model fails alone)."""
        start = time.perf_counter()
        limit = self.max_length()
        outcomes: list[Outcome | None] = [None] * len(requests)
        for i, request in enumerate(requests):
            try:
                n_tokens = len(self.context_ids(request.messages)) + max(len(c) for c in self.phrase_ids())
            except Exception as exc:  # the chat template refused the messages: every request would fail alike
                raise FatalBackendError(
                    f"the tokenizer's chat template rejected the messages ({type(exc).__name__}: {str(exc)[:200]}); "
                    "a persona needs a template that accepts a system message") from None
            if limit is not None and n_tokens > limit:
                outcomes[i] = Outcome("failed", error=f"prompt + answer of {n_tokens} tokens exceed the model's "
                                                      f"context of {limit} tokens")
        todo = [i for i, o in enumerate(outcomes) if o is None]
        if todo:
            try:
                ll = self.loglikelihoods_batch([requests[i].messages for i in todo])
            except (RuntimeError, IndexError) as exc:  # e.g. out of memory
                ll = None
                error = f"{type(exc).__name__}: {str(exc)[:300]}"
            for row, i in enumerate(todo):
                outcomes[i] = Outcome("failed", error=error) if ll is None else loglik_outcome(ll[row], latency_s=0)
        elapsed = time.perf_counter() - start
        for o in outcomes:
            o.latency_s = elapsed
        return outcomes


__all__ = ["PHRASES", "SCORING", "TransformersBackend", "loglik_outcome", "plain_context"]
