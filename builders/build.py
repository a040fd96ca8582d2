"""Build the Hub-ready dataset folder from the raw release: parquet per config, build_info.json, the card.

The tables are made once in memory (:func:`valueportrait.dataset.from_release`); then the ``datasets``
builder of :mod:`valueportrait.dataset_script.valueportrait` writes each config as parquet, cast to its
declared Features, and the files are laid out as a no-code Hub repository::

    OUT/README.md                                 dataset card (YAML front matter: configs, dataset_info)
    OUT/build_info.json                           settings, cross-check, reliability, input sha256
    OUT/<config>/test-00000-of-00001.parquet      one per config

Everything is written into a temporary sibling of OUT and renamed into place only when complete, so a
failed build never leaves a half-written folder and never touches an existing one. The output depends only
on the input files and the settings (no dates, no paths): two builds give byte-identical files.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

from valueportrait.dataset import CONFIGS, SPLIT, ValuePortraitData, from_release
from valueportrait.errors import DatasetError, OutputExistsError
from valueportrait.selection import DEFAULT_ALPHA, DEFAULT_THRESHOLD, Mode

#: Names of the files a build writes besides the parquet files.
CARD_FILE = "README.md"
BUILD_INFO_FILE = "build_info.json"

Progress = Callable[[str], None]


def parquet_path(config: str) -> str:
    """Path of a config's parquet file inside the built folder."""
    return f"{config}/{SPLIT}-00000-of-00001.parquet"


def build_dataset(raw: str | Path | None, out: str | Path, *, correlations: Literal["published", "computed"] | None = None,
                  threshold: float = DEFAULT_THRESHOLD, alpha: float = DEFAULT_ALPHA, mode: Mode = "pos",
                  overwrite: bool = False, progress: Progress | None = None) -> Path:
    """Build the dataset from the raw release (``raw`` or ``$VALUEPORTRAIT_RAW``) into the folder ``out``.

    Parameters
    ----------
    raw : folder of the upstream release, or None to use ``$VALUEPORTRAIT_RAW``.
    out : the dataset folder to write. It must not exist unless ``overwrite``; it is replaced only once the
        new build is complete.
    correlations, threshold, alpha, mode : the selection settings, see :func:`valueportrait.dataset.from_release`.
    progress : called with a short message before each stage (the CLI shows them).

    Returns
    -------
    The folder's path. (To get the tables as well, call :func:`from_release` and :func:`write_dataset`.)
    """
    out = Path(out)
    check_output_folder(out, overwrite)
    say = progress or (lambda msg: None)
    say("reading the raw release and computing correlations")
    data = from_release(raw, correlations=correlations, threshold=threshold, alpha=alpha, mode=mode)
    write_dataset(data, out, overwrite=overwrite, progress=progress)
    return out


def check_output_folder(out: Path, overwrite: bool) -> None:
    """Raise :class:`OutputExistsError` if ``out`` exists (and ``overwrite`` is off) or is not a folder."""
    if out.exists() and not overwrite:
        raise OutputExistsError(
            f"the output folder {str(out)!r} exists; pass --overwrite to replace it (it is replaced only once the "
            "new build is complete) or choose another --out."
        )
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"{str(out)!r} exists and is not a folder; remove it or choose another --out.")


def write_dataset(data: ValuePortraitData, out: str | Path, *, overwrite: bool = False,
                  progress: Progress | None = None) -> None:
    """Write ``data`` as a no-code Hub dataset folder (atomically: temporary sibling folder, then rename)."""
    out = Path(out)
    check_output_folder(out, overwrite)
    say = progress or (lambda msg: None)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        infos = {}
        for config in CONFIGS:
            say(f"writing config {config}")
            infos[config] = _write_config(data, config, tmp)
        (tmp / BUILD_INFO_FILE).write_text(json.dumps(data.build_info, indent=2, sort_keys=True, allow_nan=False) + "\n",
                                           encoding="utf-8")
        say("rendering the dataset card")
        from valueportrait.builders.card import render_card

        (tmp / CARD_FILE).write_text(render_card(data, infos), encoding="utf-8")
        _replace(tmp, out, overwrite)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _write_config(data: ValuePortraitData, config: str, tmp: Path):
    """Run the datasets builder for one config into a scratch folder; move its parquet file into place.

    Returns the builder's :class:`datasets.DatasetInfo` (features, split sizes) with ``download_size`` set to
    the parquet file's size.
    """
    import datasets

    from valueportrait.dataset_script.valueportrait import ValuePortrait

    work = tmp / ".work"
    try:
        with _quiet_datasets():
            builder = ValuePortrait(config_name=config, data=data, cache_dir=str(work / "cache"))
            builder.download_and_prepare(str(work / config), file_format="parquet",
                                         download_mode=datasets.DownloadMode.FORCE_REDOWNLOAD)
        written = sorted((work / config).glob("*.parquet"))
        if len(written) != 1:
            raise DatasetError(f"the datasets builder wrote {len(written)} parquet files for config {config!r}, "
                               "expected exactly 1; please report this as a bug.")
        target = tmp / parquet_path(config)
        target.parent.mkdir(parents=True, exist_ok=True)
        written[0].replace(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    info = builder.info
    info.download_size = target.stat().st_size
    return info


@contextlib.contextmanager
def _quiet_datasets() -> Iterator[None]:
    """Silence the builder's own progress bars and info logs while it writes (the CLI shows its own)."""
    import datasets

    bars = datasets.is_progress_bar_enabled()
    level = datasets.logging.get_verbosity()
    datasets.disable_progress_bars()
    datasets.logging.set_verbosity(logging.ERROR)
    try:
        yield
    finally:
        datasets.logging.set_verbosity(level)
        if bars:
            datasets.enable_progress_bars()


def _replace(tmp: Path, out: Path, overwrite: bool) -> None:
    """Move the complete build ``tmp`` to ``out``; an existing ``out`` is removed only after the swap."""
    if out.exists():
        if not overwrite:
            raise OutputExistsError(f"the output folder {str(out)!r} appeared during the build; nothing was replaced.")
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
