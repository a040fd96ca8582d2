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
from ..table_files import read_table

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
    any table :func:`valueportrait.io.read_table` reads (CSV, TSV, JSON records, JSON lines) with columns
    ``persona, attribute, group``; errors name the file and the line or record.
    """
    path = Path(path)
    where = f"persona map {str(path)!r}"
    if not path.is_file():
        raise InputError(f"{where} not found; expected a JSON file {{persona: 'attribute=group'}} "
                         "or a CSV / TSV / JSON lines file with columns persona, attribute, group")
    if path.suffix.lower() == ".json":
        try:
            obj = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise InputError(f"{where} could not be read as JSON: {exc}") from None
        if isinstance(obj, dict) and all(isinstance(v, (str, dict)) for v in obj.values()):
            return {str(persona): _group_of(v, f"{where}, persona {persona!r}: ") for persona, v in obj.items()}
    frame, rows = read_table(path, what="persona map")
    missing = [c for c in ("persona", "attribute", "group") if c not in frame.columns]
    if missing:
        raise InputError(f"{where} lacks column(s) {missing}; expected persona, attribute, group")
    out = {}
    for row, p, a, g in zip(rows, frame["persona"], frame["attribute"], frame["group"]):
        if not (p.strip() and a.strip() and g.strip()):
            raise InputError(f"{where}, {row}: persona, attribute and group must all be given, got {p!r}, {a!r}, "
                             f"{g!r}")
        out[p] = (a.strip(), g.strip())
    return out


def _group_of(value: str | dict, where: str) -> tuple[str, str]:
    """A JSON persona map's value, ``"attribute=group"`` or ``{"attribute": .., "group": ..}``."""
    if isinstance(value, dict):
        if not {"attribute", "group"} <= set(value):
            raise InputError(f"{where}expected keys attribute, group; got {sorted(value)}")
        return str(value["attribute"]), str(value["group"])
    return parse_group_label(value, where=where)


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
