"""The requests of a run: one chat (persona system message + the variant's prompt) per item x variant x persona.

Prompts come from the dataset's ``prompts`` config (the paper's 6 variants x 2 templates, as released). An item
uses the template of its source (``reddit`` for Reddit / Dear Abby, ``sharegpt`` for ShareGPT / LMSYS). The
placeholders are filled as upstream's ``create_prompt`` does (``{title}``, then ``{text}``, then ``{content}``
replaced in turn, ``{content}`` being the response), so a prompt here is byte-identical to the ``prompt`` field
of upstream's output files (checked in ``tests/test_runner_prompts.py``).

A persona is sent as a system message made from :data:`PERSONA_TEMPLATE`; without a persona (and without
``--system-prompt``) the request is the user message alone, exactly as upstream sent it. ``--system-prompt``
(:func:`system_prompt_of`) puts a text first in the system message; ``none`` sends an empty one, so a chat
template that inserts a default system prompt when there is none (SmolLM2's "You are a helpful AI assistant
named SmolLM...") does not.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd

from valueportrait.scale import VARIANTS
from valueportrait.errors import InputError
from valueportrait.instrument import Instrument
from valueportrait.table_files import read_table

#: The system message of a persona run; ``{persona}`` is the persona's text (e.g. "a 34-year-old woman from
#: Texas who works as a nurse"). Changing it changes the ratings: the run directory records it.
PERSONA_TEMPLATE = (
    "Take on the following persona and answer every question as this person would, from their point of view "
    "and with their values: {persona}"
)


@dataclass(frozen=True)
class Persona:
    """A persona: ``label`` is stored with every rating (e.g. the demographic group), ``text`` goes in the prompt."""

    label: str
    text: str

    def system_message(self, template: str = PERSONA_TEMPLATE) -> str:
        return template.replace("{persona}", self.text)


@dataclass(frozen=True)
class Request:
    """One request of a run: an item under a prompt variant, optionally as a persona."""

    item_id: str
    variant: str
    persona: str | None
    messages: tuple[dict[str, str], ...]

    @property
    def key(self) -> tuple[str, str, str | None]:
        """What identifies the request in a run directory: (item_id, variant, persona label)."""
        return (self.item_id, self.variant, self.persona)

    @property
    def prompt(self) -> str:
        """The user message (upstream's ``prompt``)."""
        return self.messages[-1]["content"]


def render_prompt(template: str, *, title: str | None, text: str, content: str, options: str = "") -> str:
    """Fill a prompt template as upstream's ``create_prompt`` does (sequential replacement), ``{options}`` first
    (the instrument's answer phrases, :meth:`~valueportrait.instrument.Instrument.options_text`; Value Portrait's
    released templates list their options literally and have no ``{options}``).

    >>> render_prompt("T: {title} | {text} -> {content}", title="a", text="b", content="c")
    'T: a | b -> c'
    >>> render_prompt("{text} / {options}", title=None, text="b", content="c", options="ja, nein")
    'b / ja, nein'
    """
    out = template.replace("{options}", options) if "{options}" in template else template
    if "{title}" in out:
        out = out.replace("{title}", title if isinstance(title, str) else "")
    return out.replace("{text}", text).replace("{content}", content)


def parse_variants(spec: str | Iterable[str] | None, known: Sequence[str] = VARIANTS) -> list[str]:
    """``"all"`` / None -> every variant of ``known`` (the instrument's ``variant_names``; default the paper's
    6); ``"v1,v2_reversed"`` -> those, in the instrument's order, checked."""
    if spec is None or spec == "all":
        return list(known)
    names = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec) if s.strip()]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise InputError(f"unknown prompt variant(s) {unknown or names!r}; expected 'all' or a comma-separated "
                         f"list of {', '.join(known)}")
    return [v for v in known if v in names]


def load_personas(path: str | Path) -> list[Persona]:
    """Read personas from a file: ``.jsonl`` / ``.json`` (objects with ``label`` and ``text``, or a JSON object
    ``{label: text}``) or ``.csv`` / ``.tsv`` (columns ``label`` and ``text``).

    Labels must be unique and non-empty; they are what the ratings are grouped by.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"personas file {str(path)!r} not found; expected a .jsonl, .json or .csv file with "
                         "fields 'label' and 'text'")
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".json", ".csv", ".tsv"):
        raise InputError(f"{path}: unsupported personas file type {suffix!r}; use .jsonl, .json, .csv or .tsv")
    obj = None
    if suffix == ".json":  # also {label: text}, which is no table
        try:
            obj = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: invalid JSON ({exc}); expected objects with 'label' and 'text'") from None
    if isinstance(obj, dict) and obj and all(isinstance(v, str) for v in obj.values()):
        frame = pd.DataFrame({"label": list(obj), "text": list(obj.values())}, dtype=object)
        where = [f"entry {n}" for n in range(1, len(obj) + 1)]
    else:
        frame, where = read_table(path, what="personas file")
    rows = list(zip(where, frame.to_dict(orient="records")))
    personas: list[Persona] = []
    seen: set[str] = set()
    for where, row in rows:
        if not isinstance(row, dict) or not isinstance(row.get("label"), str) or not isinstance(row.get("text"), str) \
                or not row["label"].strip() or not row["text"].strip():
            raise InputError(f"{path}, {where}: expected non-empty string fields 'label' and 'text', got {row!r}. "
                             'Example line: {"label": "women 30-39", "text": "a woman in her thirties"}')
        label = row["label"].strip()
        if label in seen:
            raise InputError(f"{path}, {where}: duplicate persona label {label!r}; labels must be unique")
        seen.add(label)
        personas.append(Persona(label, row["text"].strip()))
    if not personas:
        raise InputError(f"{path}: no personas found; expected at least one entry with 'label' and 'text'")
    return personas


def system_prompt_of(option: str | None) -> str | None:
    """``--system-prompt``: ``default`` / None -> None (no system message: a chat template may add its own),
    ``none`` -> ``""`` (an empty system message), any other text -> that text.

    >>> system_prompt_of("default") is None, system_prompt_of("none"), system_prompt_of("Be brief.")
    (True, '', 'Be brief.')
    """
    if option is None or option == "default":
        return None
    return "" if option == "none" else option


def build_requests(items: pd.DataFrame, prompts: pd.DataFrame, *, variants: Iterable[str],
                   personas: Iterable[Persona | None] = (None,), limit: int | None = None,
                   persona_template: str = PERSONA_TEMPLATE, system_prompt: str | None = None,
                   instrument: Instrument | None = None) -> list[Request]:
    """Every request of a run, persona by persona, variant by variant, items in dataset order.

    ``items`` and ``prompts`` are the dataset's configs; ``limit`` keeps the first ``limit`` items (a smoke test);
    ``system_prompt`` (:func:`system_prompt_of`) opens the system message, before a persona's text;
    ``instrument`` (the dataset's, ``data.instrument``) fills ``{options}`` with its answer phrases, in each
    variant's order, and names the variants there are.
    """
    variants = list(variants)
    if instrument is not None:
        parse_variants(variants, instrument.variant_names)
    options = {v: instrument.options_text(v) if instrument is not None else "" for v in variants}
    table = {(v, t): text for v, t, text in zip(prompts["variant"], prompts["template"], prompts["text"])}
    rows = items.iloc[:limit] if limit is not None else items
    out: list[Request] = []
    for persona in personas:
        parts = [system_prompt] if system_prompt is not None else []
        if persona:
            parts.append(persona.system_message(persona_template))
        text = "\n\n".join(p for p in parts if p)
        system = ({"role": "system", "content": text},) if parts else ()
        for variant in variants:
            for item_id, template, title, text, response in zip(rows["item_id"], rows["template"], rows["title"],
                                                                rows["text"], rows["response"]):
                if (variant, template) not in table:
                    raise InputError(f"the dataset's prompts config has no {template!r} template for variant "
                                     f"{variant!r} (item {item_id}); rebuild the dataset")
                prompt = render_prompt(table[variant, template], title=title, text=text, content=response,
                                       options=options[variant])
                out.append(Request(item_id, variant, persona.label if persona else None,
                                   (*system, {"role": "user", "content": prompt})))
    return out


def fingerprint(items: pd.DataFrame, prompts: pd.DataFrame) -> str:
    """sha256 of everything that shapes the requests: the items' ids and texts and the prompt templates."""
    h = hashlib.sha256()
    for frame, cols in ((items, ["item_id", "template", "title", "text", "response"]),
                        (prompts, ["variant", "template", "text"])):
        for row in frame[cols].itertuples(index=False):
            h.update(json.dumps([None if not isinstance(x, str) else x for x in row]).encode())
            h.update(b"\n")
    return h.hexdigest()
