"""What the log-likelihood backends share: the plain-text prompt and the outcome of 6 phrase log-likelihoods.

Both the local backend (:mod:`.transformers_backend`, with ``--chat-template off``) and the completions backend
(:mod:`.completions_backend`) score the plain prompt; lm-eval's task scores the same context (its
``doc_to_text`` ends in ``"\\n\\nAnswer:"`` and each choice is ``" " + phrase``), so the three compute the same
numbers for the same model (``tests/test_realmodel.py`` checks it on the real model).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from valueportrait.ratings.likert import distribution_from_loglik

from .outcome import Outcome

#: How log-likelihood ratings are obtained; stored in the manifest (a run only resumes with the same method).
SCORING = "loglik-sum:6-phrases:expected-value"
PLAIN_SUFFIX = "\n\nAnswer:"


def plain_context(messages: Sequence[dict[str, str]]) -> str:
    """The prompt as plain text, without a chat template: the messages' non-empty contents, then ``"\\n\\nAnswer:"``.

    >>> plain_context([{"role": "user", "content": "Q?"}])
    'Q?\\n\\nAnswer:'
    """
    return "\n\n".join(m["content"] for m in messages if m["content"]) + PLAIN_SUFFIX


def loglik_outcome(loglik: Sequence[float], *, latency_s: float, attempts: int = 1) -> Outcome:
    """The outcome of a request scored by the 6 phrase log-likelihoods: ``rated`` with the distribution, the
    expected and the argmax rating; ``failed`` when a log-likelihood is not finite."""
    ll = np.asarray(loglik, dtype=np.float64)
    if not np.all(np.isfinite(ll)):
        return Outcome("failed", error=f"non-finite log-likelihoods {ll.tolist()}", attempts=attempts,
                       latency_s=latency_s)
    p, rating, argmax = distribution_from_loglik(ll)
    return Outcome("rated", rating=rating, distribution=[float(x) for x in p], loglik=[float(x) for x in ll],
                   argmax=argmax, attempts=attempts, latency_s=latency_s)
