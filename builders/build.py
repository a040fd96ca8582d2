"""Build the Hub-ready dataset folder from the raw release: parquet per config, build_info.json, the card.

The tables are made once in memory (:func:`valueportrait.builders.release.from_release`); then the ``datasets``
builder of :mod:`valueportrait.dataset_script.valueportrait` writes each config as parquet, cast to its
declared Features, and the files are laid out as a no-code Hub repository::

    OUT/README.md                                 dataset card (YAML front matter: configs, dataset_info)
    OUT/build_info.json                           settings, cross-check, reliability, input sha256
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
import glob
import json
import logging
import os
import re
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from valueportrait.builders.raw_release import ENV_VAR
from valueportrait.dataset import CONFIGS, OPTIONAL_CONFIGS, ValuePortraitData, parquet_path
from valueportrait.errors import DatasetError, OutputExistsError
from valueportrait.io import replace_folder
from valueportrait.settings import Build

from .assemble import attach_demographics, build_tables

#: Names of the files a build writes besides the parquet files.
CARD_FILE = "README.md"
BUILD_INFO_FILE = "build_info.json"

#: ``progress(message, done, total)`` of :func:`build_dataset`.
Progress = Callable[[str, int, int], None]

def build_dataset(out: str | Path, build: Build = Build(), *, overwrite: bool = False,
                  progress: Progress | None = None) -> ValuePortraitData:
    """Build the dataset from the raw release into the folder ``out``, with the settings ``build``.

    Parameters
    ----------
    out : the dataset folder to write. It must not exist unless ``overwrite`` (checked before any work); it
        is replaced only once the new build is complete.
    build : :class:`~valueportrait.settings.Build`: the raw release (``raw``, or None for
        ``$VALUEPORTRAIT_RAW``), the selection (None fields: 0.3, 0.05, ``pos``, published correlations when the
        release has them, see :func:`valueportrait.builders.release.from_release`), the raters'
        ``demographics`` (a :class:`~valueportrait.settings.DemographicsFile`, read before the long part, or a
        read :class:`~valueportrait.demographics.Demographics`; see
        :func:`~valueportrait.builders.assemble.attach_demographics`, whose settings are ``norms`` and
        ``min_raters``), the card's ``changelog`` (default: the package's
        ``cards/CHANGELOG.md``; it must have an entry for the dataset version) and ``allow_partial`` (build from
        a release missing survey groups or published tables).
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
    check_output_folder(out, overwrite, inputs=(build.raw if build.raw is not None else os.environ.get(ENV_VAR), file))
    if demographics is not None and not isinstance(demographics, Demographics):  # a bad file fails before the long part
        demographics = demographics_of(demographics)
    configs = CONFIGS + (OPTIONAL_CONFIGS if demographics is not None else ())
    total = 1 + (demographics is not None) + len(configs) + 1  # read, [demographics], one per config, the card
    done = 0

    def say(message: str) -> None:
        nonlocal done
        if progress is not None:
            progress(message, min(done, total), total)
        done += 1

    say("reading the raw release and computing correlations")
    data = build_tables(replace(build, demographics=None))
    if demographics is not None:
        say("joining the demographics and computing the group norms")
        data = attach_demographics(data, demographics, norms=build.norms, min_raters=build.min_raters)
    write_dataset(data, out, overwrite=overwrite, progress=say, changelog=build.changelog)
    if progress is not None:
        progress("done", total, total)
    return data


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


def write_dataset(data: ValuePortraitData, out: str | Path, *, overwrite: bool = False,
                  progress: Callable[[str], None] | None = None, changelog: str | Path | None = None) -> None:
    """Write ``data`` as a no-code Hub dataset folder (atomically: temporary sibling folder, then rename).

    ``changelog`` is the changelog the card shows (default: the package's ``cards/CHANGELOG.md``); it must
    have an entry for ``build_info["dataset_version"]``, else :class:`DatasetError` before anything is written.
    """
    from valueportrait.changelog import read_changelog

    out = Path(out)
    check_output_folder(out, overwrite)
    entries = read_changelog(changelog, data.build_info.get("dataset_version"))
    say = progress or (lambda msg: None)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = make_temp_folder(out)
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
