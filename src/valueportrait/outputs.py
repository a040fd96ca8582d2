"""The one output rule: what a command may create or replace, written whole or not at all.

Every command that writes (build, score, compare --json, plot, report, deviation, run --export-upstream) goes
through this module. An output path (the ``--out`` of a command) is accepted when

1. it names a file or folder of its own: not ``.``, ``..`` or empty, each name at most 255 bytes;
2. it is not, does not hold, and does not lie inside an input of the call, and does not hold the current folder;
3. if it exists: ``overwrite`` is on, it is not a symbolic link, this tool wrote it (a folder: its marker file
   :data:`MARKER` naming the command and the files; a file: :func:`file_is_ours`), and a folder holds nothing
   else; otherwise :class:`OutputExistsError` says which rule refused it, and nothing is changed.

:func:`output_folder` and :func:`output_file` apply the rule, then write into a hidden staging sibling
(``.<name>.tmp-<pid>-*``) that replaces the output only once complete (the previous output is removed only after
the swap). A folder is locked for the whole call (``.<name>.lock`` beside it: a second writer stops at once,
naming the first). A full disk or another write failure is :class:`OutputWriteError` (``no space left on ...``)
and the previous output stays as it was. Staging folders of killed writers are removed or reported
(:func:`clean_stale`).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import glob
import json
import os
import re
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable, Collection, Iterator, Sequence
from pathlib import Path

from .errors import OutputExistsError, OutputWriteError, ValuePortraitError
from .io import fsync_dir, replace_folder

__all__ = ["GENERATOR", "MARKER", "check_output", "clean_stale", "file_is_ours", "marker_names", "output_file",
           "output_folder", "write_error"]

#: The marker file inside every output folder this tool writes (JSON: ``written_by``, ``command``, ``files``).
MARKER = ".valueportrait-output.json"
#: The generator mark in the files this tool writes (JSON key ``generator``, HTML ``<meta name="generator">``,
#: the ``Creator`` of a PNG / SVG / PDF chart).
GENERATOR = "valueportrait"
#: When this process started (near enough): a staging folder without a pid is stale only when older.
_STARTED = time.time()

Names = Callable[[Path], "Collection[str] | None"]


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
        if given is None or "://" in str(given) or not Path(given).expanduser().exists():
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
    ``allow_empty`` (nothing in it can be lost). Raises :class:`OutputExistsError` saying which rule refused it.
    """
    out = Path(out)
    what = "folder" if folder else "file"
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
        raise OutputExistsError(f"the output {what} {str(out)!r} exists; pass --overwrite to replace it (it is "
                                f"replaced only once the new output is complete) or choose another {option}.")
    if not folder:
        if not file_is_ours(out):
            raise OutputExistsError(f"--overwrite replaces only a file that valueportrait wrote, and {str(out)!r} "
                                    "has no valueportrait generator mark. Nothing was changed; remove the file "
                                    f"yourself or choose another {option}.")
        return
    allowed = (names or (lambda p: marker_names(p, command)))(out)
    if allowed is None:
        raise OutputExistsError(f"--overwrite replaces only a folder that `valueportrait {command}` wrote, and "
                                f"{str(out)!r} has no {'readable marker' if names else MARKER} of one. Nothing was "
                                f"changed; remove the folder yourself or choose another {option}.")
    foreign = sorted(p.name for p in out.iterdir() if p.name not in allowed)
    if foreign:
        raise OutputExistsError(f"{str(out)!r} was written by `valueportrait {command}` but now also holds "
                                f"{', '.join(foreign[:5])}{' ...' if len(foreign) > 5 else ''}, which --overwrite "
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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def clean_stale(out: str | Path, *, names: Names | None = None, what: str = "run") -> list[str]:
    """Remove the staging folders (``.<name>.tmp-<pid>-*``, ``.<name>.old-<pid>``) and files
    (``.<name>.tmp-<pid>-*.tmp``) a killed writer of ``out`` left beside it; report those it keeps.

    A leftover is removed when its process is gone (a name without a pid: when it predates this process) and,
    with ``names``, a folder holds only names ``names(folder)`` allows. A ``.old`` folder while ``out`` is missing
    is the only copy of the previous output: it is kept, and the warning says how to restore it. Each removal or
    kept leftover is a warning (``what``: "build", "score" ... in its text); returns their texts.
    """
    out = Path(out)
    said: list[str] = []
    pattern = re.compile(rf"\.{re.escape(out.name)}\.(tmp|old)-(\d+)?.*")
    for path in sorted(out.parent.glob(f".{glob.escape(out.name)}.*-*")):
        m = pattern.fullmatch(path.name)
        if m is None or path.is_symlink() or not (path.is_dir() or path.is_file() and ".tmp" in path.name):
            continue
        kind, pid = m.group(1), int(m.group(2)) if m.group(2) else None
        if pid == os.getpid():
            continue
        allowed = names(path) if names is not None and path.is_dir() else None
        if pid is not None and _alive(pid):
            said.append(f"{str(path)!r} belongs to a {what} still running (pid {pid}); it is left alone.")
        elif pid is None and path.stat().st_mtime >= _STARTED:
            said.append(f"{str(path)!r} may belong to a {what} still running; it is left alone.")
        elif names is not None and path.is_dir() and any(p.name not in (allowed or ()) for p in path.iterdir()):
            said.append(f"{str(path)!r} looks like a leftover of an interrupted {what} but holds files a {what} does "
                        "not write; it is left alone: check it and remove it yourself.")
        elif kind == "old" and not out.exists():
            said.append(f"{str(path)!r} holds the previous output of {str(out)!r} (a {what} was interrupted while "
                        f"swapping it); restore it with: mv {str(path)!r} {str(out)!r}")
        else:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
            said.append(f"removed {str(path)!r}, left by an interrupted {what}.")
    for text in said:
        warnings.warn(text, stacklevel=3)
    return said


@contextlib.contextmanager
def _lock(out: Path, command: str) -> Iterator[None]:
    """Hold ``.<name>.lock`` beside ``out`` (``flock``, released when the process ends however it ends)."""
    path = out.with_name(f".{out.name}.lock")
    while True:
        fh = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held across the yield
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise OutputExistsError(f"{str(out)!r} is being written by {holder}; two writers of one output would mix "
                                    "their files. Wait for it to finish, or choose another --out.") from None
        try:
            same = os.fstat(fh.fileno()).st_ino == path.stat().st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        fh.close()  # the holder before us removed the file after we opened it: lock the new one
    fh.seek(0)
    fh.truncate()
    fh.write(f"`valueportrait {command}` (pid {os.getpid()})\n")
    fh.flush()
    try:
        yield
    finally:
        path.unlink(missing_ok=True)
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        fh.close()


@contextlib.contextmanager
def output_folder(out: str | Path, *, overwrite: bool, command: str,
                  inputs: Sequence[str | os.PathLike[str] | None] = (), names: Names | None = None,
                  marker: bool = True, what: str | None = None) -> Iterator[Path]:
    """Apply the output rule to the folder ``out``, lock it, and yield an empty staging folder to write into.

    When the block ends without an error the staging folder (with the :data:`MARKER` listing its files, unless
    ``marker`` is off because ``names`` recognises the folder another way) replaces ``out``; on an error it is
    removed and ``out`` is untouched. A full disk raises :class:`OutputWriteError`.

    >>> import tempfile
    >>> from pathlib import Path
    >>> out = Path(tempfile.mkdtemp()) / "results"
    >>> with output_folder(out, overwrite=False, command="score") as tmp:
    ...     _ = (tmp / "a.csv").write_text("x\\n")
    >>> sorted(p.name for p in out.iterdir())
    ['.valueportrait-output.json', 'a.csv']
    """
    out = Path(out)
    check_output(out, overwrite=overwrite, command=command, inputs=inputs, names=names)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(exc, out) from None
    with _lock(out, command):
        clean_stale(out, names=names, what=what or command)
        check_output(out, overwrite=overwrite, command=command, inputs=inputs, names=names)  # again, under the lock
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-{os.getpid()}-", dir=out.parent))
        try:
            yield tmp
            if marker:
                files = sorted(p.name for p in tmp.iterdir())
                (tmp / MARKER).write_text(json.dumps({"written_by": GENERATOR, "command": command, "files": files},
                                                     indent=2) + "\n", encoding="utf-8")
            if out.exists() and not overwrite and any(out.iterdir()):
                raise OutputExistsError(f"the output folder {str(out)!r} appeared while `valueportrait {command}` "
                                        "ran; nothing was replaced. Run again with --overwrite, or choose another "
                                        "--out.")
            replace_folder(tmp, out)
        except BaseException as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            if isinstance(exc, OSError) and not isinstance(exc, ValuePortraitError):
                raise write_error(exc, out) from None
            raise


@contextlib.contextmanager
def output_file(out: str | Path, *, overwrite: bool, command: str,
                inputs: Sequence[str | os.PathLike[str] | None] = (), option: str = "--out") -> Iterator[Path]:
    """Apply the output rule to the file ``out`` and yield a temporary sibling path (same suffix) to write.

    When the block ends without an error the temporary file (which must carry the :data:`GENERATOR` mark, see
    :func:`file_is_ours`, so a later ``--overwrite`` may replace it) is fsynced and replaces ``out`` (mode from
    the umask); on an error it is removed and ``out`` is untouched. A full disk raises :class:`OutputWriteError`.
    """
    out = Path(out)
    check_output(out, overwrite=overwrite, command=command, inputs=inputs, folder=False, option=option)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        clean_stale(out, what=command)
        fd, name = tempfile.mkstemp(prefix=f".{out.name}.tmp-{os.getpid()}-", suffix=f".tmp{out.suffix}",
                                    dir=out.parent)
        os.close(fd)
    except OSError as exc:
        raise write_error(exc, out) from None
    tmp = Path(name)
    try:
        yield tmp
        mask = os.umask(0o022)
        os.umask(mask)
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, out)
        fsync_dir(out.parent)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and not isinstance(exc, ValuePortraitError):
            raise write_error(exc, out) from None
        raise
