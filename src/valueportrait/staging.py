"""Writes whole or not at all, under the one output rule (:mod:`valueportrait.outputs`).

:func:`output_folder` and :func:`output_file` apply the rule, then write into a hidden staging sibling
(``.<name>.tmp-<pid>-*``) that replaces the output only once complete (the previous output is removed only after
the swap). A folder is locked for the whole call (``.<name>.lock`` beside it: a second writer stops at once,
naming the first). A full disk or another write failure is :class:`~valueportrait.errors.OutputWriteError`
(``no space left on ...``) and the previous output stays as it was. Staging leftovers of killed writers are
removed or reported (:func:`clean_stale`).
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import json
import os
import re
import shutil
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

from .errors import OutputExistsError, ValuePortraitError
from .io import fsync_dir, replace_folder
from .outputs import GENERATOR, MARKER, OVERWRITE_FLAGS, Names, check_output, write_error

__all__ = ["clean_dead_scratch", "clean_stale", "output_file", "output_folder", "scratch_folder"]

#: When this process started (near enough): a staging folder without a pid is stale only when older.
_STARTED = time.time()


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


def scratch_folder(prefix: str, parent: str | Path | None = None) -> Path:
    """A new private scratch folder ``<parent>/<prefix><pid>-<random>`` (default parent: the system temp
    folder), after removing those of the same ``prefix`` whose process is gone (:func:`clean_dead_scratch`):
    a ``kill -9`` leaks one, the next call removes it."""
    parent = Path(parent or tempfile.gettempdir())
    clean_dead_scratch(prefix, parent)
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=parent))


def clean_dead_scratch(prefix: str, parent: str | Path | None = None) -> list[Path]:
    """Remove the folders ``<parent>/<prefix><pid>-*`` of processes that are gone (this user's only; a folder
    that cannot be removed is left); returns those removed."""
    parent = Path(parent or tempfile.gettempdir())
    removed = []
    pattern = re.compile(rf"{re.escape(prefix)}(\d+)-.*")
    for path in parent.glob(f"{glob.escape(prefix)}*-*"):
        m = pattern.fullmatch(path.name)
        if m is None or path.is_symlink() or not path.is_dir() or _alive(int(m.group(1))):
            continue
        try:
            if path.stat().st_uid != os.getuid():
                continue
        except OSError:
            continue
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            removed.append(path)
    return removed


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
                  marker: bool = True, what: str | None = None, option: str = "--out") -> Iterator[Path]:
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
    rule = {"overwrite": overwrite, "command": command, "inputs": inputs, "names": names, "option": option}
    flag = OVERWRITE_FLAGS.get(option, "--overwrite")
    check_output(out, **rule)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(exc, out) from None
    with _lock(out, command):
        clean_stale(out, names=names, what=what or command)
        check_output(out, **rule)  # again, under the lock
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-{os.getpid()}-", dir=out.parent))
        try:
            yield tmp
            if marker:
                files = sorted(p.name for p in tmp.iterdir())
                (tmp / MARKER).write_text(json.dumps({"written_by": GENERATOR, "command": command, "files": files},
                                                     indent=2) + "\n", encoding="utf-8")
            if out.exists() and not overwrite and any(out.iterdir()):
                raise OutputExistsError(f"the output folder {str(out)!r} appeared while `valueportrait {command}` "
                                        f"ran; nothing was replaced. Run again with {flag}, or choose another "
                                        f"{option}.")
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
