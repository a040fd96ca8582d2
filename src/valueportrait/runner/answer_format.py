"""``--answer-format constrained``: ask the server for exactly one of the 6 phrases, and read what it sends back.

The request carries OpenAI's structured-output spelling, ``response_format`` with a JSON schema whose one field
``answer`` is an enum of the 6 phrases::

    {"type": "json_schema", "json_schema": {"name": "likert_answer", "strict": true, "schema": {...}}}

Which servers honour it (their documentation, December 2026): OpenAI (structured outputs), vLLM (also its own
``guided_choice`` / ``structured_outputs``), SGLang, llama.cpp's ``llama-server`` (JSON schema -> grammar),
Ollama's OpenAI-compatible endpoint (>= 0.5). ``transformers serve`` ignores ``response_format`` (it logs
"Ignoring unsupported fields"), and some servers answer HTTP 400. Either way the backend falls back to free text
(read by the strict parser, :func:`valueportrait.ratings.likert.parse_likert`) and says so once, loudly: a
constrained answer is JSON of the schema, so an answer that is not tells that the server did not constrain it.
"""

from __future__ import annotations

import json
import re

from valueportrait.instrument import Instrument
from valueportrait.scale import LIKERT

#: The JSON schema of a constrained answer: {"answer": one of the 6 phrases}.
SCHEMA = {"type": "object", "properties": {"answer": {"type": "string", "enum": list(LIKERT)}},
          "required": ["answer"], "additionalProperties": False}
RESPONSE_FORMAT = {"type": "json_schema", "json_schema": {"name": "likert_answer", "strict": True, "schema": SCHEMA}}
#: HTTP statuses with which a server refuses a request it does not understand (here: ``response_format``).
REFUSED = re.compile(r"^HTTP (400|415|422)\b")


def _phrases(instrument: Instrument | None) -> dict[str, int]:
    """phrase -> rating of ``instrument``'s scale, the most "like me" first (Value Portrait's :data:`LIKERT`)."""
    if instrument is None:
        return LIKERT
    s = instrument.scale
    return {p: s.rating_of(p) for p in s.options()}


def response_format(instrument: Instrument | None = None) -> dict:
    """:data:`RESPONSE_FORMAT`, its enum the answer phrases of ``instrument`` (default Value Portrait's)."""
    if instrument is None:
        return RESPONSE_FORMAT
    schema = {**SCHEMA, "properties": {"answer": {"type": "string", "enum": list(_phrases(instrument))}}}
    return {"type": "json_schema", "json_schema": {"name": "likert_answer", "strict": True, "schema": schema}}


def read_constrained(text: str, instrument: Instrument | None = None) -> int | None:
    """The rating of a constrained answer (``{"answer": "like me"}`` -> 5), None when ``text`` is not one
    (``instrument``: whose phrases; default Value Portrait's).

    >>> read_constrained('{"answer": "somewhat like me"}'), read_constrained("Like me.")
    (4, None)
    """
    try:
        obj = json.loads(text)
    except (TypeError, ValueError):
        return None
    phrases = _phrases(instrument)
    if isinstance(obj, dict) and set(obj) == {"answer"} and obj["answer"] in phrases:
        return phrases[obj["answer"]]
    return None


def refused(error: str | None) -> bool:
    """Whether a failed request's error is the server refusing the request's form (HTTP 400 / 415 / 422)."""
    return bool(error) and bool(REFUSED.match(error.removeprefix("gave up after ")))
