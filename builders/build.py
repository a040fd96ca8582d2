"""Build the Hub-ready dataset folder from the raw release: parquet per config, build_info.json, the card.

The tables are made once in memory (:func:`valueportrait.dataset.from_release`); then the ``datasets``
builder of :mod:`valueportrait.dataset_script.valueportrait` writes each config as parquet, cast to its
declared Features, and the files are laid out as a no-code Hub repository::

    OUT/README.md                                 dataset card (YAML front matter: configs, dataset_info)
    OUT/build_info.json                           settings, cross-check, reliability, input sha256
    OUT/<config>/test-00000-of-00001.parquet      one per config

With demographics (:func:`attach_demographics`, ``valueportrait build --demographics FILE``) the
``participants`` config gains one string column per attribute and a 7th config, ``human_group_norms``, is
written; ``build_info.json`` gets a ``demographics`` entry (attributes, group sizes, norms settings). Without
them the folder is exactly the six configs.

Everything is written into a temporary sibling of OUT and renamed into place only when complete, so a
failed build never leaves a half-written folder and never touches an existing one. The output depends only
on the input files and the settings (no dates, no paths): two builds give byte-identical files.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from valueportrait.dataset import SPLIT, ValuePortraitData, from_release
from valueportrait.errors import DatasetError, OutputExistsError
from valueportrait.io import replace_folder
from valueportrait.selection import DEFAULT_ALPHA, DEFAULT_THRESHOLD, Mode

#: Names of the files a build writes besides the parquet files.
CARD_FILE = "README.md"
BUILD_INFO_FILE = "build_info.json"

Progress = Callable[[str], None]

if TYPE_CHECKING:
    from valueportrait.demographics import Demographics


def parquet_path(config: str) -> str:
    """Path of a config's parquet file inside the built folder."""
    return f"{config}/{SPLIT}-00000-of-00001.parquet"


def build_dataset(raw: str | Path | None, out: str | Path, *, correlations: Literal["published", "computed"] | None = None,
                  threshold: float = DEFAULT_THRESHOLD, alpha: float = DEFAULT_ALPHA, mode: Mode = "pos",
                  overwrite: bool = False, progress: Progress | None = None,
                  demographics: Demographics | None = None, norms_n_boot: int = 1000, norms_ci: float = 0.95,
                  norms_seed: int = 0, min_raters: int = 5, changelog: str | Path | None = None) -> Path:
    """Build the dataset from the raw release (``raw`` or ``$VALUEPORTRAIT_RAW``) into the folder ``out``.

    Parameters
    ----------
    raw : folder of the upstream release, or None to use ``$VALUEPORTRAIT_RAW``.
    out : the dataset folder to write. It must not exist unless ``overwrite``; it is replaced only once the
        new build is complete.
    correlations, threshold, alpha, mode : the selection settings, see :func:`valueportrait.dataset.from_release`.
    progress : called with a short message before each stage (the CLI shows them).
    demographics : the raters' demographics (:func:`valueportrait.demographics.read_demographics`), or None.
        When given, see :func:`attach_demographics` (``norms_*`` and ``min_raters`` are its settings).
    changelog : the changelog the card shows (default: the package's ``cards/CHANGELOG.md``); it must have an
        entry for the dataset version.

    Returns
    -------
    The folder's path. (To get the tables as well, call :func:`from_release` and :func:`write_dataset`.)
    """
    out = Path(out)
    check_output_folder(out, overwrite)
    say = progress or (lambda msg: None)
    say("reading the raw release and computing correlations")
    data = from_release(raw, correlations=correlations, threshold=threshold, alpha=alpha, mode=mode)
    if demographics is not None:
        say("joining the demographics and computing the group norms")
        data = attach_demographics(data, demographics, n_boot=norms_n_boot, ci=norms_ci, seed=norms_seed,
                                   min_raters=min_raters)
    write_dataset(data, out, overwrite=overwrite, progress=progress, changelog=changelog)
    return out


def attach_demographics(data: ValuePortraitData, demo: Demographics, *, n_boot: int = 1000, ci: float = 0.95,
                        seed: int = 0, min_raters: int = 5) -> ValuePortraitData:
    """``data`` with the demographics joined: attribute columns in ``participants``, the ``human_group_norms``
    config and ``build_info["demographics"]``.

    The norms are :func:`valueportrait.demographics.human_group_norms` of the build's own selection
    (bootstrap over raters with ``n_boot`` replicates, level ``ci``, ``seed``; groups with fewer than
    ``min_raters`` raters get a null row with a note). Unknown ids are dropped and participants without a row
    counted, with a :class:`~valueportrait.demographics.DemographicsWarning` each. Pure: returns a new object.
    """
    import warnings
    from dataclasses import replace

    from valueportrait.demographics import (DemographicsWarning, check_participants, demographics_build_info,
                                            human_group_norms, join_demographics)

    demo = check_participants(demo, data.participants["participant_id"].tolist())  # warns once, here
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DemographicsWarning)  # the same warnings again from the checks below
        participants = join_demographics(data.participants, demo)
        norms = human_group_norms(data, demo, n_boot=n_boot, ci=ci, seed=seed, min_raters=min_raters)
    info = {**data.build_info, "demographics": demographics_build_info(demo, data.participants, norms)}
    return replace(data, participants=participants, human_group_norms=norms, build_info=info)


def check_output_folder(out: Path, overwrite: bool) -> None:
    """Raise :class:`OutputExistsError` if ``out`` exists (and ``overwrite`` is off) or is not a folder."""
    if out.exists() and not overwrite:
        raise OutputExistsError(
            f"the output folder {str(out)!r} exists; pass --overwrite to replace it (it is replaced only once the "
            "new build is complete) or choose another --out."
        )
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"{str(out)!r} exists and is not a folder; remove it or choose another --out.")


def write_steps(configs: Sequence[str]) -> int:
    """How many times :func:`write_dataset` calls ``progress`` for a build with these configs: once per config,
    once for the card (a progress bar's total)."""
    return len(configs) + 1


def write_dataset(data: ValuePortraitData, out: str | Path, *, overwrite: bool = False,
                  progress: Progress | None = None, changelog: str | Path | None = None) -> None:
    """Write ``data`` as a no-code Hub dataset folder (atomically: temporary sibling folder, then rename).

    ``changelog`` is the changelog the card shows (default: the package's ``cards/CHANGELOG.md``); it must
    have an entry for ``build_info["dataset_version"]``, else :class:`DatasetError` before anything is written.
    """
    from valueportrait.builders.card import read_changelog

    out = Path(out)
    check_output_folder(out, overwrite)
    entries = read_changelog(changelog, data.build_info.get("dataset_version"))
    say = progress or (lambda msg: None)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        infos = {}
        for config in data.configs:
            say(f"writing config {config}")
            infos[config] = _write_config(data, config, tmp)
        (tmp / BUILD_INFO_FILE).write_text(json.dumps(data.build_info, indent=2, sort_keys=True, allow_nan=False) + "\n",
                                           encoding="utf-8")
        say("rendering the dataset card")
        from valueportrait.builders.card import render_card

        (tmp / CARD_FILE).write_text(render_card(data, infos, changelog=entries), encoding="utf-8")
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
    if out.exists() and not overwrite:
        raise OutputExistsError(f"the output folder {str(out)!r} appeared during the build; nothing was replaced. "
                                "Run again with --overwrite, or choose another --out.")
    replace_folder(tmp, out)
