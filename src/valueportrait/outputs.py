"""The one output rule: what a command may create or replace.

Every command that writes (build, score, compare --json, plot, report, deviation, run --export-upstream) goes
through this module. An output path (the ``--out`` of a command) is accepted when

1. it names a file or folder of its own: not ``.``, ``..`` or empty, each name at most 255 bytes;
2. it is not, does not hold, and does not lie inside an input of the call, and does not hold the current folder;
3. if it exists: ``overwrite`` is on, it is not a symbolic link, this tool wrote it (a folder: its marker file
   :data:`MARKER` naming the command and the files; a file: :func:`file_is_ours`), and a folder holds nothing
   else; otherwise :class:`OutputExistsError` says which rule refused it, and nothing is changed.

:mod:`valueportrait.staging` applies the rule and writes whole or not at all. A full disk or another write
failure is :class:`OutputWriteError` (:func:`write_error`: ``no space left on ...``).
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable, Collection, Sequence
from pathlib import Path

from .errors import OutputExistsError, OutputWriteError

__all__ = ["GENERATOR", "MARKER", "OVERWRITE_FLAGS", "Names", "check_output", "file_is_ours", "marker_names", "write_error"]

#: The marker file inside every output folder this tool writes (JSON: ``written_by``, ``command``, ``files``).
MARKER = ".valueportrait-output.json"
#: The generator mark in the files this tool writes (JSON key ``generator``, HTML ``<meta name="generator">``,
#: the ``Creator`` of a PNG / SVG / PDF chart).
GENERATOR = "valueportrait"

Names = Callable[[Path], "Collection[str] | None"]
#: The flag that allows an overwrite, by output option (``--overwrite`` for the others).
OVERWRITE_FLAGS = {"--export-upstream": "--overwrite-export"}


def marker_names(folder: Path, command: str | None = None) -> set[str] | None:
    """The names ``folder`` may hold (its marker's ``files`` and the marker itself), or None when no readable
    marker of this tool (of ``command``, when given) is there."""
    try:
        info = json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or info.get("written_by") != GENERATOR or not isinstance(info.get("files"), list):
        return None
    if command is not None and info.get("command") != command:
        return None
    return {MARKER, *map(str, info["files"])}


def file_is_ours(path: str | Path) -> bool:
    """True when the file carries this tool's generator mark: a JSON object with ``"generator": "valueportrait
    ..."``, an HTML page with ``<meta name="generator" content="valueportrait ...">``, or a PNG / SVG / PDF whose
    metadata names ``valueportrait`` (looked for in its first and last 64 KiB)."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(1 << 16)
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(size - (1 << 16), 0))
            tail = fh.read()
    except OSError:
        return False
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            obj = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(obj, dict) and str(obj.get("generator", "")).startswith(GENERATOR)
    if suffix in (".html", ".htm"):
        return f'<meta name="generator" content="{GENERATOR}'.encode() in head
    return GENERATOR.encode() in head or GENERATOR.encode() in tail


def _own_name(out: Path, what: str, option: str) -> None:
    if out.name in ("", ".", ".."):
        raise OutputExistsError(f"{option} {str(out)!r} does not name a {what} of its own; give the {what}'s own "
                                f"name, e.g. {option} ./{'results' if what == 'folder' else 'results.json'} (it is "
                                "created, or replaced with --overwrite).")
    for part in out.parts:
        if len(os.fsencode(part)) > 255:
            raise OutputExistsError(f"{option}: the name {part[:40]!r}... is {len(os.fsencode(part))} bytes long; "
                                    "file systems allow at most 255 per name. Choose a shorter name.")


def _not_an_input(out: Path, inputs: Sequence[str | os.PathLike[str] | None], option: str, command: str) -> None:
    target = out.resolve()
    for given in inputs:
        if not isinstance(given, (str, os.PathLike)) or "://" in str(given) \
                or not Path(given).expanduser().exists():
            continue  # nothing given, a URL or a Hub repo id: nothing local to protect
        source = Path(given).expanduser().resolve()
        if target == source or source.is_relative_to(target):
            raise OutputExistsError(f"{option} {str(out)!r} {'is' if target == source else 'holds'} the input "
                                    f"{str(given)!r}; writing it would replace an input of `valueportrait "
                                    f"{command}`. Choose an {option} outside it.")
        if target.is_relative_to(source):
            raise OutputExistsError(f"{option} {str(out)!r} lies inside the input {str(given)!r}; `valueportrait "
                                    f"{command}` never writes into its inputs. Choose an {option} outside it.")


def check_output(out: str | Path, *, overwrite: bool, command: str, inputs: Sequence[str | os.PathLike[str] | None] = (),
                 folder: bool = True, option: str = "--out", names: Names | None = None,
                 allow_empty: bool = True) -> None:
    """Refuse ``out`` unless the output rule (module docstring) allows ``command`` to write it.

    ``inputs`` are the call's input paths (None entries and URLs are skipped). ``names(path)`` gives the names an
    existing folder of this command may hold, or None when this tool did not write it (default: its
    :data:`MARKER`, :func:`marker_names`). An existing empty folder is accepted without ``overwrite`` when
    ``allow_empty`` (nothing in it can be lost). ``option`` names the command's option in the messages (and
    its overwrite flag, :data:`OVERWRITE_FLAGS`). Raises :class:`OutputExistsError` saying which rule refused it.
    """
    out = Path(out)
    what = "folder" if folder else "file"
    flag = OVERWRITE_FLAGS.get(option, "--overwrite")
    _own_name(out, what, option)
    _not_an_input(out, inputs, option, command)
    if not out.exists() and not out.is_symlink():
        return
    if Path.cwd().resolve().is_relative_to(out.resolve()):
        raise OutputExistsError(f"{option} {str(out)!r} is (or holds) the current folder, which `valueportrait "
                                f"{command}` cannot replace; run it from another folder, or choose another {option}.")
    if out.is_symlink():
        raise OutputExistsError(f"{option} {str(out)!r} is a symbolic link; an output is never written through a "
                                f"link. Remove the link, or give the {what} it points to, or choose another {option}.")
    if folder and not out.is_dir() or not folder and not out.is_file():
        raise OutputExistsError(f"{str(out)!r} exists and is not a {what}; remove it or choose another {option}.")
    if folder and allow_empty and not any(out.iterdir()):
        return
    if not overwrite:
        raise OutputExistsError(f"the output {what} {str(out)!r} exists; pass {flag} to replace it (it is "
                                f"replaced only once the new output is complete) or choose another {option}.")
    if not folder:
        if not file_is_ours(out):
            raise OutputExistsError(f"{flag} replaces only a file that valueportrait wrote, and {str(out)!r} "
                                    "has no valueportrait generator mark. Nothing was changed; remove the file "
                                    f"yourself or choose another {option}.")
        return
    allowed = (names or (lambda p: marker_names(p, command)))(out)
    if allowed is None:
        raise OutputExistsError(f"{flag} replaces only a folder that `valueportrait {command}` wrote, and "
                                f"{str(out)!r} has no {'readable marker' if names else MARKER} of one. Nothing was "
                                f"changed; remove the folder yourself or choose another {option}.")
    foreign = sorted(p.name for p in out.iterdir() if p.name not in allowed)
    if foreign:
        raise OutputExistsError(f"{str(out)!r} was written by `valueportrait {command}` but now also holds "
                                f"{', '.join(foreign[:5])}{' ...' if len(foreign) > 5 else ''}, which {flag} "
                                f"would delete. Move them out first, or choose another {option}.")


def write_error(exc: OSError, out: str | Path) -> OutputWriteError:
    """The clear error for a failed write of ``out`` (a full disk, a quota, a read-only or missing folder)."""
    where = str(out)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        text = (f"no space left on the device of {where!r} (while writing {exc.filename or where}); nothing was "
                "replaced and any previous output is unchanged. Free some space, or choose another --out.")
    elif exc.errno == errno.ENAMETOOLONG:
        text = f"cannot write {where!r}: a file name is too long ({exc.strerror}); choose a shorter --out or name."
    else:
        text = (f"cannot write {where!r} ({exc.strerror or exc}); nothing was replaced and any previous output is "
                "unchanged. Check the folder's permissions and free space, or choose another --out.")
    return OutputWriteError(text)
