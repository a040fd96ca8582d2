"""Which human group each persona plays: ``"attribute=group"`` labels, persona maps, and their checks.

A persona run labels each rating with the persona the model played (``persona`` column of a ratings
table). A label ``"sex=Female"`` names its group itself; other labels ("a woman") need a persona map.
:func:`resolve_personas` turns the personas into a ``persona, attribute, group`` table and checks every
group against the groups the human side has (demographics or a norms table).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd

from ..errors import InputError

__all__ = ["parse_group_label", "read_persona_map", "resolve_personas"]


def parse_group_label(label: str, *, where: str = "") -> tuple[str, str]:
    """``"attribute=group"`` -> ``(attribute, group)``.

    >>> parse_group_label("sex=Female")
    ('sex', 'Female')
    """
    if not isinstance(label, str) or "=" not in label:
        raise InputError(f"{where}expected 'attribute=group' (e.g. 'sex=Female'), got {label!r}")
    attr, group = (s.strip() for s in label.split("=", 1))
    if not attr or not group:
        raise InputError(f"{where}expected 'attribute=group' with both parts, got {label!r}")
    return attr, group


def read_persona_map(path: str | Path) -> dict[str, tuple[str, str]]:
    """Read a persona map: persona label -> (attribute, group).

    Formats: JSON ``{"persona label": "attribute=group", ...}`` (or values ``{"attribute": .., "group": ..}``);
    CSV / JSON lines with columns ``persona, attribute, group``.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"persona map {str(path)!r} not found; expected a JSON file {{persona: 'attribute=group'}} "
                         "or a CSV file with columns persona, attribute, group")
    try:
        if path.suffix.lower() == ".json":
            obj = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(obj, dict):
                raise InputError(f"persona map {str(path)!r}: expected a JSON object "
                                 '{"persona label": "attribute=group"}')
            out = {}
            for persona, v in obj.items():
                if isinstance(v, dict):
                    if not {"attribute", "group"} <= set(v):
                        raise InputError(f"persona map {str(path)!r}, persona {persona!r}: expected keys attribute, "
                                         f"group; got {sorted(v)}")
                    out[str(persona)] = (str(v["attribute"]), str(v["group"]))
                else:
                    out[str(persona)] = parse_group_label(v, where=f"persona map {str(path)!r}, persona {persona!r}: ")
            return out
        frame = (pd.read_json(path, lines=True, dtype=str) if path.suffix.lower() == ".jsonl"
                 else pd.read_csv(path, dtype=str, keep_default_na=False))
    except (ValueError, pd.errors.ParserError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"persona map {str(path)!r} could not be read: {exc}") from None
    missing = [c for c in ("persona", "attribute", "group") if c not in frame.columns]
    if missing:
        raise InputError(f"persona map {str(path)!r} lacks column(s) {missing}; expected persona, attribute, group")
    return {str(p): (str(a), str(g)) for p, a, g in zip(frame["persona"], frame["attribute"], frame["group"])}


def resolve_personas(personas: Sequence[str], persona_map: Mapping[str, Any] | None,
                     groups: Mapping[str, Sequence[str]], source: str = "the demographics") -> pd.DataFrame:
    """persona, attribute, group for each persona; labels ``attribute=group`` need no map.

    Parameters
    ----------
    groups : mapping attribute -> group labels
        The human groups available (from the demographics, or a norms table).
    source : str
        What ``groups`` came from, for messages.

    Raises
    ------
    InputError
        A persona with no group (not in the map and not ``attribute=group``), an unknown attribute, or an
        unknown group -- naming the available ones.
    """
    rows = []
    for persona in personas:
        if persona_map is not None and persona in persona_map:
            v = persona_map[persona]
            attr, group = parse_group_label(v, where=f"persona {persona!r}: ") if isinstance(v, str) else v
        elif isinstance(persona, str) and "=" in persona:
            attr, group = parse_group_label(persona)
        else:
            raise InputError(f"persona {persona!r} has no human group: label personas 'attribute=group' (e.g. "
                             f"'sex=Female') or map them with a persona map (--persona-map FILE)")
        if attr not in groups:
            raise InputError(f"persona {persona!r} names attribute {attr!r}, which {source} does not have; "
                             f"attributes: {', '.join(groups)}")
        if group not in groups[attr]:
            raise InputError(f"persona {persona!r}: no group {group!r} of {attr!r} in {source}; groups: "
                             f"{', '.join(f'{g!r}' for g in groups[attr])}")
        rows.append({"persona": persona, "attribute": attr, "group": group})
    return pd.DataFrame(rows, columns=["persona", "attribute", "group"])
