"""``--answer-format constrained``: ask the server for exactly one of the 6 phrases, and read what it sends back.

The request carries OpenAI's structured-output spelling, ``response_format`` with a JSON schema whose one field
``answer`` is an enum of the 6 phrases::

    {"type": "json_schema", "json_schema": {"name": "likert_answer", "strict": true, "schema": {...}}}

Which servers honour it (their documentation, December 2026): OpenAI (structured outputs), vLLM (also its own
``guided_choice`` / ``structured_outputs``), SGLang, llama.cpp's ``llama-server`` (JSON schema -> grammar),
Ollama's OpenAI-compatible endpoint (>= 0.5). A constrained answer is JSON of the schema, so an answer that is
not tells that the server did not constrain it.

``transformers serve`` ignores ``response_format`` (it logs "Ignoring unsupported fields") but takes a request's
``generation_config`` (a JSON string of ``generate`` arguments), and with it ``sequence_bias``: the backend then
asks again with :func:`sequence_bias`, a bias on the tokens of the 6 phrases (read with the model's own tokenizer,
which must be on this machine: ``--model`` a local folder or a Hub id in the cache) that makes greedy decoding
(``--temperature 0``) write one of the phrases and stop. A server that refuses both (HTTP 400 / 415 / 422) or
ignores both makes the backend fall back to free text (read by the strict parser,
:func:`valueportrait.ratings.likert.parse_likert`), and it says so once, loudly.
"""

from __future__ import annotations

import json
import re

from valueportrait.instrument import Instrument
from valueportrait.scale import LIKERT

#: Logits added per token of a phrase already written (see :func:`sequence_bias`).
MARGIN = 100.0

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


def sequence_bias(phrase_ids: list[list[int]], eos_ids: list[int]) -> list[list]:
    """``sequence_bias`` for ``generate`` (a list of ``[token ids, bias]``) under which greedy decoding writes one
    of the phrases (their token ids ``phrase_ids``) and then an end token (``eos_ids``), and nothing else.

    Every prefix of length L of a phrase followed by an end token gets a bias of ``MARGIN * 2**(L-1)`` on its last
    token, applied when the L-1 tokens before it were just generated. After k tokens of a phrase, the tokens that
    continue some phrase get at least ``MARGIN * 2**k``; any other token gets only biases of shorter matches, at
    most ``MARGIN * (2**k - 1)`` in all (one match per length). So a continuation wins by at least ``MARGIN``
    logits more than the model's own preference: 100, far beyond the spread of a language model's logits.

    >>> sequence_bias([[7, 8], [7]], [0])
    [[[7], 100.0], [[7, 0], 200.0], [[7, 8], 200.0], [[7, 8, 0], 400.0]]
    """
    prefixes = {tuple(ids[:n]) for phrase in phrase_ids for eos in eos_ids
                for ids in [list(phrase) + [eos]] for n in range(1, len(ids) + 1)}
    return [[list(p), MARGIN * 2 ** (len(p) - 1)] for p in sorted(prefixes)]


def transformers_serve_fields(model: str, instrument: Instrument | None = None) -> dict | None:
    """The request fields with which ``transformers serve`` constrains ``model``'s answer to the phrases of
    ``instrument`` (default Value Portrait's 6; ``generation_config`` with :func:`sequence_bias`); None when the
    model's tokenizer is not on this machine."""
    try:
        from transformers import AutoTokenizer, GenerationConfig

        tok = AutoTokenizer.from_pretrained(model, local_files_only=True)
    except Exception:  # noqa: BLE001 - no transformers, not a model id, not in the cache: no such spelling
        return None
    eos = {tok.eos_token_id} - {None}
    try:
        gen = GenerationConfig.from_pretrained(model, local_files_only=True).eos_token_id
        eos |= set(gen if isinstance(gen, list) else [gen]) - {None}
    except Exception:  # noqa: BLE001 - no generation_config.json: the tokenizer's end token
        pass
    if not eos:
        return None
    ids = [tok(p[0].upper() + p[1:], add_special_tokens=False)["input_ids"]  # "Like me": an answer's first word
           for p in _phrases(instrument)]
    return {"generation_config": json.dumps({"sequence_bias": sequence_bias(ids, sorted(eos))})}


def read_phrase(text: str, instrument: Instrument | None = None) -> int | None:
    """The rating of an answer that is exactly one of the 6 phrases, in any case (``"Like me"`` -> 5), else None.

    >>> read_phrase("Somewhat like me"), read_phrase("Like me, mostly.")
    (4, None)
    """
    phrases = {p.lower(): r for p, r in _phrases(instrument).items()}
    return phrases.get(text.strip().lower()) if isinstance(text, str) else None
