"""A build's output folder: which folder a build may write or replace (:func:`check_output_folder`: never its
inputs, never a folder it did not write), the stale temporary siblings killed builds leave
(:func:`clean_stale_temp_folders`), and the temporary sibling a build writes into (:func:`make_temp_folder`)."""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

from valueportrait.errors import OutputExistsError

#: Names of the files a build writes besides the parquet files.
CARD_FILE = "README.md"
BUILD_INFO_FILE = "build_info.json"


def check_output_folder(out: Path, overwrite: bool, inputs: Sequence[str | os.PathLike[str] | None] = ()) -> None:
    """Refuse an output folder a build must not write, with :class:`OutputExistsError` saying why.

    ``out`` must be named as a folder (not ``.``/``..``), must neither lie inside nor contain any of ``inputs``
    (the raw release, the demographics file; None entries are skipped) or the current folder, and, if it exists,
    ``overwrite`` must be on and it must be a folder an earlier build wrote (its ``build_info.json`` marker)
    holding nothing a build does not write. Stale temporary folders of ``out`` left by killed builds are
    removed or reported (:func:`clean_stale_temp_folders`).
    """
    out = Path(out)
    if out.name in ("", ".", ".."):
        raise OutputExistsError(f"--out {str(out)!r} does not name a folder of its own; give the dataset folder's "
                                "own name, e.g. --out ./valueportrait (it is created, or replaced with --overwrite).")
    target = out.resolve()
    for given in inputs:
        if given is None or "://" in str(given):  # nothing given, or a URL (nothing local to protect)
            continue
        source = Path(given).expanduser().resolve()
        if target == source or source.is_relative_to(target):
            raise OutputExistsError(f"--out {str(out)!r} holds the input {str(given)!r}; a build into it would "
                                    "replace its input. Choose an --out outside it.")
        if target.is_relative_to(source):
            raise OutputExistsError(f"--out {str(out)!r} lies inside the input {str(given)!r}; the build never "
                                    "writes into its inputs. Choose an --out outside it.")
    if target.parent.is_dir():
        clean_stale_temp_folders(out)
    if not out.exists() and not out.is_symlink():
        return
    if Path.cwd().resolve().is_relative_to(target):
        raise OutputExistsError(f"--out {str(out)!r} is (or holds) the current folder, which a build cannot "
                                "replace; run it from another folder, or choose another --out.")
    if not overwrite:
        raise OutputExistsError(
            f"the output folder {str(out)!r} exists; pass --overwrite to replace it (it is replaced only once the "
            "new build is complete) or choose another --out."
        )
    if out.is_symlink() or not out.is_dir():
        raise OutputExistsError(f"{str(out)!r} exists and is not a folder; remove it or choose another --out.")
    if not is_built_folder(out):
        raise OutputExistsError(
            f"--overwrite replaces only a folder that `valueportrait build` wrote, and {str(out)!r} has no readable "
            f"{BUILD_INFO_FILE} of a build. Nothing was changed; remove the folder yourself or choose another --out."
        )
    foreign = sorted(p.name for p in out.iterdir() if p.name not in _built_names(out))
    if foreign:
        raise OutputExistsError(
            f"{str(out)!r} was written by a build but now also holds {', '.join(foreign[:5])}"
            f"{' ...' if len(foreign) > 5 else ''}, which --overwrite would delete. Move them out first, or choose "
            "another --out."
        )


def is_built_folder(path: Path) -> bool:
    """True when ``path`` holds the ``build_info.json`` a build writes (a JSON object with the dataset version
    and the upstream release): the marker that lets ``--overwrite`` replace it."""
    try:
        info = json.loads((path / BUILD_INFO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(info, dict) and isinstance(info.get("dataset_version"), str) and isinstance(info.get("upstream"), dict)


def _built_names(folder: Path) -> set[str]:
    """Names a build writes at the top of its folder (or of its temporary folder)."""
    from valueportrait.dataset import CONFIGS, OPTIONAL_CONFIGS

    return {CARD_FILE, BUILD_INFO_FILE, ".work", *CONFIGS, *OPTIONAL_CONFIGS}


#: When this process started (near enough: when this module was imported).
_STARTED = time.time()


def clean_stale_temp_folders(out: Path) -> list[str]:
    """Remove the temporary folders an interrupted build of ``out`` left beside it; report those it keeps.

    ``.<name>.tmp-<pid>-*`` (a build in progress, see :func:`make_temp_folder`) and ``.<name>.old-<pid>`` (the
    previous build during the swap) are removed when their process is gone (or, for names without a pid, when
    they predate this process) and they hold only what a build writes. A ``.old`` folder while ``out`` is
    missing is the only copy of the previous build: it is kept, and the warning says how to restore it. Each
    removal or kept folder is a warning; returns their texts.
    """
    said = []
    pattern = re.compile(rf"\.{re.escape(out.name)}\.(tmp|old)-(\d+)?.*")
    for path in sorted(out.parent.glob(f".{glob.escape(out.name)}.*-*")):
        m = pattern.fullmatch(path.name)
        if m is None or path.is_symlink() or not path.is_dir():
            continue
        kind, pid = m.group(1), int(m.group(2)) if m.group(2) else None
        if pid == os.getpid():
            continue
        if pid is not None and _alive(pid):
            said.append(f"{str(path)!r} belongs to a build still running (pid {pid}); it is left alone.")
        elif pid is None and path.stat().st_mtime >= _STARTED:
            said.append(f"{str(path)!r} may belong to a build still running; it is left alone.")
        elif any(p.name not in _built_names(path) for p in path.iterdir()):
            said.append(f"{str(path)!r} looks like a leftover of an interrupted build but holds files a build does "
                        "not write; it is left alone: check it and remove it yourself.")
        elif kind == "old" and not out.exists():
            said.append(f"{str(path)!r} holds the previous build of {str(out)!r} (a build was interrupted while "
                        f"swapping it); restore it with: mv {str(path)!r} {str(out)!r}")
        else:
            shutil.rmtree(path)
            said.append(f"removed {str(path)!r}, left by an interrupted build.")
    for text in said:
        warnings.warn(text, stacklevel=3)
    return said


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def make_temp_folder(out: Path) -> Path:
    """A new empty hidden sibling of ``out`` for a build, ``.<name>.tmp-<pid>-*``: the pid tells a later build
    whether its writer is gone (:func:`clean_stale_temp_folders`). Its mode follows the umask once it is moved
    into place (:func:`valueportrait.io.replace_folder`)."""
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-{os.getpid()}-", dir=out.parent))


__all__ = ["BUILD_INFO_FILE", "CARD_FILE", "check_output_folder", "clean_stale_temp_folders", "is_built_folder",
           "make_temp_folder"]
