"""One run at a time per run directory: an advisory lock (:func:`fcntl.flock`) on ``RUN_DIR/.lock``.

A second ``valueportrait run`` on the same folder stops at once with an error naming the process that holds
it (pid, host, start time), instead of sending (and paying for) the same requests twice. The kernel releases a
``flock`` when its process ends, however it ends (``kill -9`` included), so a lock left behind by a dead run
never blocks the next one: the file stays, only its content (the last holder) is informative.

``flock`` is advisory and works between processes of one machine; on a network file system that does not
support it, two hosts are not kept apart (the lock file's host name tells who ran last).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from datetime import datetime, timezone
from pathlib import Path

from valueportrait.errors import RunError

__all__ = ["LOCK_FILE", "RunLock", "now"]

#: The lock file's name inside a run directory.
LOCK_FILE = ".lock"


def now() -> str:
    """The current UTC time as ISO 8601 with milliseconds (what a run directory records)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _holder(fh) -> str:
    """Who holds the lock, from the file's content (written by the holder when it took the lock)."""
    try:
        fh.seek(0)
        info = json.loads(fh.read() or "{}")
    except (OSError, ValueError):
        info = {}
    if not isinstance(info, dict) or "pid" not in info:
        return "another process (it has not written its pid yet)"
    return f"process {info.get('pid')} on host {info.get('host')!s} (started {info.get('started_at', '?')})"


class RunLock:
    """An exclusive lock on a run directory, held from :meth:`acquire` until :meth:`release` (or process end)."""

    def __init__(self, path: Path, fh):
        self.path = path
        self._fh = fh

    @classmethod
    def acquire(cls, run_dir: str | Path) -> "RunLock":
        """Lock ``run_dir`` (which must exist) or raise :class:`RunError` naming the holder, without waiting."""
        path = Path(run_dir) / LOCK_FILE
        fh = open(path, "a+", encoding="utf-8")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fh)
            fh.close()
            raise RunError(f"{run_dir} is in use by another run: {holder}. Two runs on one folder would send "
                           "the same requests twice; wait for it to finish (or stop it), or choose another --out."
                           ) from None
        except OSError as exc:  # pragma: no cover - a file system without flock
            fh.close()
            raise RunError(f"cannot lock {path} ({exc}); run on a local file system, or choose another --out") \
                from None
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started_at": now()}) + "\n")
        fh.flush()
        return cls(path, fh)

    def release(self) -> None:
        if not self._fh.closed:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()

    def __enter__(self) -> "RunLock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()
