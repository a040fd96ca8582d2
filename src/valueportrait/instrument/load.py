"""Reading an instrument description: a YAML (or JSON, which is YAML) file or text -> :class:`Instrument`.
Every problem is an :class:`~valueportrait.errors.InputError` naming the file and the field."""

from __future__ import annotations

from pathlib import Path

from valueportrait.errors import InputError

from .model import Instrument


def load_instrument(path_or_text: str | Path) -> Instrument:
    """The instrument described by a YAML file (a :class:`~pathlib.Path`, or a string naming a file) or by
    YAML text (a string holding a newline).

    >>> load_instrument("name: x\\n")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    valueportrait.errors.InputError: <text>: version: expected a value, found nothing. Add `version:` here.
    """
    import yaml

    if isinstance(path_or_text, Path) or "\n" not in str(path_or_text):
        path = Path(path_or_text).expanduser()
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError(f"{source}: no such instrument file. Give the path of an instrument.yaml "
                             "(docs/your-survey.md shows one).") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{source}: cannot be read as UTF-8 text ({type(exc).__name__}: {exc}). Save it as "
                             "UTF-8.") from None
    else:
        source, text = "<text>", str(path_or_text)
    try:
        d = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{source}:{where}: not valid YAML ({problem}). Fix the syntax there (indentation, "
                         "a missing ':' or an unquoted ': ' inside a text).") from None
    return Instrument.from_dict(d, source)
