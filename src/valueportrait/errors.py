"""One exception hierarchy for the whole package.

Every error says what was expected, what was found, where (file / record / field) and how to fix it.
Subclasses also extend the matching built-in so callers can catch either (as ``datasets`` does).
The CLI turns any :class:`ValuePortraitError` into ``Error: ...`` and exit status 1.
"""

from __future__ import annotations


class ValuePortraitError(Exception):
    """Base class of every error this package raises on purpose."""


class RawDataError(ValuePortraitError, ValueError):
    """The upstream release (``--raw`` / ``$VALUEPORTRAIT_RAW``) is missing a file or holds bad data."""


class RawDataNotFoundError(RawDataError, FileNotFoundError):
    """The raw release, or one of its files, cannot be found."""


class DatasetError(ValuePortraitError, ValueError):
    """A built Value Portrait dataset folder (or Hub repo) is missing, incomplete or inconsistent."""


class OutputExistsError(ValuePortraitError, FileExistsError):
    """An output folder or file exists and would be overwritten."""


class OutputWriteError(ValuePortraitError, OSError):
    """An output could not be written (a full disk, a quota, a read-only folder); the previous output is intact."""


class InputError(ValuePortraitError, ValueError):
    """Ratings, item ids or other user input passed to the scoring / statistics functions are invalid."""


class RunError(ValuePortraitError, RuntimeError):
    """A model run (API or local backend) cannot start or resume."""


class PublishError(ValuePortraitError, RuntimeError):
    """Publishing a dataset revision or the metric failed or was refused."""
