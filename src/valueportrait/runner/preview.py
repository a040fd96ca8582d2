"""What a run will do before it does it: requests, prompt tokens, cost and time (the pre-run header, ``--dry-run``).

Prompt tokens are counted with the model's own tokenizer where the run has one (the transformers backend: the
exact context it scores, chat template included); otherwise they are estimated at 4 characters a token (labelled
so: OpenAI's rule of thumb for English; a real tokenizer differs by 10-30%). A chat answer costs at most
``max_tokens`` output tokens; the cost line gives that upper bound and the cost of a bare phrase (6 tokens).
Prices are per million tokens, as providers list them (``--price-in``, ``--price-out``). Once requests are
answered, the progress bar gives the time left at the rate so far.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from .prompts import Request

CHARS_PER_TOKEN = 4.0
#: Output tokens of a bare answer phrase ("not like me at all" is 5-6 tokens in common tokenizers).
PHRASE_TOKENS = 6


@dataclass(frozen=True)
class RunPreview:
    """Counts of a run before it starts. ``todo``: requests not done yet (a resume skips the others)."""

    requests: int
    todo: int
    prompt_tokens: int
    counted: bool
    max_output_tokens: int | None

    def lines(self, *, price_in: float | None = None, price_out: float | None = None) -> list[str]:
        how = "counted with the model's tokenizer" if self.counted else \
            f"estimated at {CHARS_PER_TOKEN:g} characters a token (no tokenizer here)"
        out = [f"Requests: {self.requests} in the run, {self.todo} to send now",
               f"Prompt tokens to send: {self.prompt_tokens:,} ({how})"]
        if self.max_output_tokens:
            out.append(f"Output tokens: at most {self.todo * self.max_output_tokens:,} (max_tokens "
                       f"{self.max_output_tokens} a request); about {self.todo * PHRASE_TOKENS:,} if every answer "
                       "is a bare phrase")
        if price_in is not None or price_out is not None:
            cin = self.prompt_tokens * (price_in or 0.0) / 1e6
            hi = (self.todo * (self.max_output_tokens or 0)) * (price_out or 0.0) / 1e6
            lo = (self.todo * (PHRASE_TOKENS if self.max_output_tokens else 0)) * (price_out or 0.0) / 1e6
            out.append(f"Cost: about ${cin + lo:,.4f} (at most ${cin + hi:,.4f}) at ${price_in or 0:g} / "
                       f"${price_out or 0:g} per million input / output tokens")
        return out


def preview(requests: Sequence[Request], done: set, *, count: Callable[[Request], int] | None = None,
            max_output_tokens: int | None = None) -> RunPreview:
    """Counts for ``requests`` less those in ``done``; ``count``: tokens of a request's prompt (else estimated)."""
    todo = [r for r in requests if r.key not in done]
    if count is not None:
        tokens = sum(count(r) for r in todo)
    else:
        chars = sum(len(m["content"]) for r in todo for m in r.messages)
        tokens = int(round(chars / CHARS_PER_TOKEN))
    return RunPreview(len(requests), len(todo), tokens, count is not None, max_output_tokens)
