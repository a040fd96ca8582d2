"""Build the Hub-ready dataset folder from the raw release: parquet per config, build_info.json, the card.

The tables are made once in memory (:func:`valueportrait.builders.release.from_release`); then the ``datasets``
builder of :mod:`valueportrait.dataset_script.valueportrait` writes each config as parquet, cast to its
declared Features, and the files are laid out as a no-code Hub repository::

    OUT/README.md                                 dataset card (YAML front matter: configs, dataset_info)
    OUT/build_info.json                           settings, cross-check, reliability, input sha256, instrument
    OUT/instrument.yaml                           the instrument, for people (templates: the prompts config)
    OUT/<config>/test-00000-of-00001.parquet      one per config

With demographics (:func:`~valueportrait.builders.assemble.attach_demographics`, ``valueportrait build
--demographics FILE``) the
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
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

from valueportrait.builders.raw_release import ENV_VAR
from valueportrait.dataset import CONFIGS, OPTIONAL_CONFIGS, ValuePortraitData, parquet_path
from valueportrait.errors import DatasetError
from valueportrait.staging import output_folder
from valueportrait.settings import Build

from .assemble import attach_demographics, build_tables
from .outfolder import BUILD_INFO_FILE, CARD_FILE, INSTRUMENT_FILE, check_output_folder, names_if_built

#: ``progress(message, done, total)`` of :func:`build_dataset`.
Progress = Callable[[str, int, int], None]

def build_dataset(out: str | Path, build: Build = Build(), *, overwrite: bool = False,
                  progress: Progress | None = None) -> ValuePortraitData:
    """Build the dataset from the raw release into the folder ``out``, with the settings ``build``.

    Parameters
    ----------
    out : the dataset folder to write. It must not exist unless ``overwrite`` (checked before any work); it
        is replaced only once the new build is complete.
    build : :class:`~valueportrait.settings.Build`: a survey folder (``survey``: the build of
        :func:`~valueportrait.builders.survey_build.from_survey`), or the raw release (``raw``, or None for
        ``$VALUEPORTRAIT_RAW``), the selection (None fields: 0.3, 0.05, ``pos``, published correlations when the
        release has them, see :func:`valueportrait.builders.release.from_release`), the raters'
        ``demographics`` (a :class:`~valueportrait.settings.DemographicsFile`, read before the long part, or a
        read :class:`~valueportrait.demographics.Demographics`; see
        :func:`~valueportrait.builders.assemble.attach_demographics`, whose settings are ``norms`` and
        ``min_raters``), the card's ``changelog`` (default: the package's
        ``cards/CHANGELOG.md``; it must have an entry for the dataset version), ``allow_partial`` (build from
        a release missing survey groups or published tables) and ``strict`` (refuse a release folder whose files
        differ from the pinned release; default: a warning, :mod:`valueportrait.builders.pinned`).
    progress : called as ``progress(message, done, total)`` before each stage (``done`` stages of ``total``
        finished) and once more with ``done == total`` at the end (the CLI's progress bar).

    Returns
    -------
    The dataset as written (what ``valueportrait build`` summarises).
    """
    from valueportrait.demographics import Demographics, demographics_of
    from valueportrait.settings import DemographicsFile

    out = Path(out)
    demographics = build.demographics
    file = demographics.path if isinstance(demographics, DemographicsFile) else (
        demographics if isinstance(demographics, (str, Path)) else None)
    source = build.survey if build.survey is not None else build.raw if build.raw is not None else os.environ.get(ENV_VAR)
    check_output_folder(out, overwrite, inputs=(source, file))
    if demographics is not None and not isinstance(demographics, Demographics):  # a bad file fails before the long part
        demographics = demographics_of(demographics)
    from .reference import has_outputs

    from .raw_release import resolve_raw_dir

    optional = {"human_group_norms": demographics is not None,
                "reference_portraits": build.survey is None and has_outputs(resolve_raw_dir(build.raw))}
    configs = CONFIGS + tuple(c for c in OPTIONAL_CONFIGS if optional[c])
    total = 1 + (demographics is not None) + len(configs) + 1  # read, [demographics], one per config, the card
    done = 0

    def say(message: str) -> None:
        nonlocal done
        if progress is not None:
            progress(message, min(done, total), total)
        done += 1

    say(("reading the survey folder" if build.survey is not None else "reading the raw release")
        + ", computing correlations"
        + (" and scoring the released models" if optional["reference_portraits"] else ""))
    data = build_tables(replace(build, demographics=None))
    if demographics is not None:
        say("joining the demographics and computing the group norms")
        data = attach_demographics(data, demographics, norms=build.norms, min_raters=build.min_raters)
    write_dataset(data, out, overwrite=overwrite, progress=say, changelog=build.changelog)
    if progress is not None:
        progress("done", total, total)
    return data


#: The first lines of a build's instrument.yaml.
INSTRUMENT_HEADER = ("# The instrument this dataset measures with (also build_info.json's 'instrument'); its prompt\n"
                     "# templates are the dataset's prompts config. valueportrait.instrument.load_instrument reads it.\n")


def write_dataset(data: ValuePortraitData, out: str | Path, *, overwrite: bool = False,
                  progress: Callable[[str], None] | None = None, changelog: str | Path | None = None) -> None:
    """Write ``data`` as a no-code Hub dataset folder (atomically: temporary sibling folder, then rename).

    ``changelog`` is the changelog the card shows (default: the package's ``cards/CHANGELOG.md``); it must
    have an entry for ``build_info["dataset_version"]``, else :class:`DatasetError` before anything is written.
    A survey build (``build_info["survey"]``) gets the card of its instrument
    (:func:`~valueportrait.builders.survey_card.render_survey_card`) and needs no changelog entry.
    """
    from valueportrait.changelog import read_changelog

    out = Path(out)
    check_output_folder(out, overwrite)
    survey = "survey" in data.build_info  # a survey's card comes from its instrument, without the package's changelog
    entries = None if survey else read_changelog(changelog, data.build_info.get("dataset_version"))
    say = progress or (lambda msg: None)
    # the output rule again, the lock, staging and the swap; build_info.json is a build's marker
    with output_folder(out, overwrite=overwrite, command="build", names=names_if_built, marker=False) as tmp:
        infos = {}
        for config in data.configs:
            say(f"writing config {config}")
            infos[config] = _write_config(data, config, tmp)
        (tmp / BUILD_INFO_FILE).write_text(json.dumps(data.build_info, indent=2, sort_keys=True, allow_nan=False) + "\n",
                                           encoding="utf-8")
        (tmp / INSTRUMENT_FILE).write_text(INSTRUMENT_HEADER + data.instrument.to_yaml(templates=False),
                                           encoding="utf-8")
        say("rendering the dataset card")
        from valueportrait.builders.card import render_card
        from valueportrait.builders.survey_card import render_survey_card

        card = render_survey_card(data, infos) if survey else render_card(data, infos, changelog=entries)
        (tmp / CARD_FILE).write_text(card, encoding="utf-8")


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
