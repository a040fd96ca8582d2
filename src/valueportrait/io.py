"""Files in and out, once: atomic writes and the folder swap, JSON-safe values, safe file names, table files.

- :func:`atomic_write_text` / :func:`atomic_write_json`: a temporary file in the target's folder, fsynced, then
  :func:`os.replace`: a reader sees the old file or the new one, never half of one. The file's mode follows the
  umask (``0o666 & ~umask``), as a plain ``open`` would give, not :mod:`tempfile`'s private ``0o600``.
- :func:`replace_folder`: a complete folder moved into place, an existing one removed only after the swap.
- :func:`json_safe`: NaN / inf -> ``None``, numpy scalars and arrays -> Python values, recursively.
- :func:`safe_name`: a label (model, persona, group) as one file-name component; :func:`inside`: the path of
  a name in a folder, refused unless it lies inside the folder.
- :func:`read_json`: a JSON file, or an error naming it (tables: :mod:`valueportrait.table_files`).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError

__all__ = ["atomic_write_json", "atomic_write_text", "fsync_dir", "inside", "json_safe", "read_json", "replace_folder",
           "safe_name"]

def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def fsync_dir(folder: str | Path) -> None:
    """fsync a folder (after a rename in it), where the platform allows; errors are ignored."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path`` atomically; create missing parent folders.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> p = atomic_write_text(Path(tempfile.mkdtemp()) / "a" / "b.txt", "hello\\n")
    >>> p.read_text()
    'hello\\n'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
    return path


def atomic_write_json(path: str | Path, obj: Any) -> Path:
    """Write ``json_safe(obj)`` as JSON (indent 2, keys in their order, UTF-8, final newline) atomically.

    >>> import tempfile
    >>> from pathlib import Path
    >>> atomic_write_json(Path(tempfile.mkdtemp()) / "x.json", {"a": float("nan")}).read_text()
    '{\\n  "a": null\\n}\\n'
    """
    text = json.dumps(json_safe(obj), indent=2, sort_keys=False, ensure_ascii=False, allow_nan=False)
    return atomic_write_text(path, text + "\n")


def replace_folder(tmp: str | Path, out: str | Path) -> Path:
    """Move the complete folder ``tmp`` to ``out``; an existing ``out`` is removed only after the swap.

    ``tmp`` must be a sibling of ``out`` (same file system). Its mode is set to follow the umask
    (``0o777 & ~umask``), since :func:`tempfile.mkdtemp` makes private ``0o700`` folders. If the swap fails,
    the old ``out`` is put back.
    """
    tmp, out = Path(tmp), Path(out)
    os.chmod(tmp, 0o777 & ~_umask())
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        out.rename(old)
        try:
            tmp.rename(out)
        except BaseException:
            old.rename(out)
            raise
        shutil.rmtree(old)
    else:
        tmp.rename(out)
    fsync_dir(out.parent)
    return out


def read_json(path: str | Path, *, error: type[Exception] = InputError, what: str = "JSON file",
              fix: str = "") -> Any:
    """Parse the JSON file ``path``; a missing, unreadable or invalid file raises ``error`` naming the file, what
    it should be (``what``) and the ``fix``.

    >>> read_json("/nonexistent/x.json", what="a leaderboard.json", fix="Score again.")
    Traceback (most recent call last):
    valueportrait.errors.InputError: '/nonexistent/x.json' is missing (expected a leaderboard.json). Score again.
    """
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{str(path)!r} is missing (expected {what}). {fix}".rstrip()) from None
    except (OSError, ValueError) as exc:  # JSONDecodeError, UnicodeDecodeError, a 4,300-digit integer
        raise error(f"{str(path)!r} is not readable JSON ({exc}); expected {what}. {fix}".rstrip()) from None


def json_safe(obj: Any) -> Any:
    """``obj`` with NaN / inf / NA -> ``None``, numpy scalars -> Python numbers, arrays and tuples -> lists.

    >>> import numpy as np
    >>> json_safe({"a": np.float64("nan"), "b": [np.int64(3), np.inf, (1.5, None)], "c": np.bool_(True)})
    {'a': None, 'b': [3, None, [1.5, None]], 'c': True}
    """
    if obj is None or isinstance(obj, (str, bool)):
        return obj
    if isinstance(obj, Mapping):
        return {k if isinstance(k, str) else str(json_safe(k)): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if obj is pd.NA or obj is pd.NaT:
        return None
    return obj


_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")
#: The longest label :func:`safe_name` keeps whole (longer ones are cut and hashed).
MAX_NAME = 120


def safe_name(text: str) -> str:
    """``text`` as one file-name component: letters, digits, ``. _ + -`` only; no ``..``, no leading dot.

    Other characters (separators, spaces, control characters) become ``-``. When cleaning changed the text,
    or it is longer than :data:`MAX_NAME` characters (cut there: room is left for ``_<variant>_results.json``
    within a file system's 255 bytes), a short hash of the original is appended, so distinct labels stay
    distinct files. Upstream's model names
    (``gpt-4o-2024-11-20``, ``Qwen2.5-72B-Instruct``, ``my_model``) are kept as they are.

    >>> safe_name("gpt-4o-2024-11-20"), safe_name("my_model.v2")
    ('gpt-4o-2024-11-20', 'my_model.v2')
    >>> safe_name("../../evil"), safe_name("a/b"), safe_name("a-b")
    ('evil-0fbfd372', 'a-b-c14cddc0', 'a-b')
    >>> len(safe_name("m" * 300))
    129
    """
    text = str(text)
    clean = re.sub(r"\.{2,}", "-", _UNSAFE.sub("-", text)).strip("-.")
    if clean == text and 0 < len(clean) <= MAX_NAME:
        return clean
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    clean = clean[:MAX_NAME].rstrip("-.")
    return f"{clean}-{digest}" if clean else digest


def inside(folder: str | Path, name: str | Path) -> Path:
    """``folder / name``, checked to lie inside ``folder`` once both are resolved (``..``, absolute names and
    symbolic links followed); :class:`InputError` otherwise. Every write of a data-derived name goes through it.

    >>> inside("/tmp/out", "m_scores.json").as_posix()
    '/tmp/out/m_scores.json'
    >>> inside("/tmp/out", "../evil_scores.json")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    valueportrait.errors.InputError: refusing to write '../evil_scores.json': it resolves to .../evil_scores.json, ...
    """
    base = Path(folder).resolve()
    path = (base / name).resolve()
    if path == base or not path.is_relative_to(base):
        raise InputError(f"refusing to write {str(name)!r}: it resolves to {path}, outside the output folder {base}")
    return Path(folder) / name
