"""The checks a publish makes before anything is sent: repo ids, versions, the changelog, the cards, the
metric folder, the planned files (unchanged since planning) and the target's tags (no silent moves, no
publishing below a newer version). Each raises :class:`~valueportrait.errors.PublishError` saying what to do.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..changelog import read_changelog
from ..dataset import DATASET_VERSION
from ..errors import DatasetError, PublishError
from ..io import read_json
from ..selection import PAPER_VERSION, selection_departures
from .card_metadata import metadata_problems


#: The files of an evaluate metric Space besides the metric script (and any helper modules it imports).
METRIC_SPACE_FILES = ("Dockerfile", "README.md", "app.py", "requirements.txt")
#: The metric script in ``metric/``; on the Space it is named after the repo (``evaluate.load("ORG/NAME")``
#: fetches ``NAME.py``).
METRIC_SCRIPT = "metric.py"

_VERSION_RE = re.compile(r"^\d+\.\d+\.\d+$")
_TAG_RE = re.compile(r"^v(\d+)\.(\d+)\.(\d+)$")
_HUB_REPO_RE = re.compile(r"^[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*$")
_EVALUATE_REQUIREMENT_RE = re.compile(r"^(evaluate\b|git\+https://github\.com/huggingface/evaluate)")


# --------------------------------------------------------------------------------------------------------
# Repo ids and versions
# --------------------------------------------------------------------------------------------------------
def is_git_url(repo_id: str) -> bool:
    return repo_id.startswith("file://")


def check_repo_id(repo_id: str) -> str:
    """``ORG/NAME`` (Hub) or ``file:///path/to/repo.git`` (local git target); else :class:`PublishError`."""
    if is_git_url(repo_id):
        if not urlsplit(repo_id).path.startswith("/"):
            raise PublishError(f"--repo-id {repo_id!r}: a git target must be an absolute file URL, e.g. "
                               "file:///srv/git/valueportrait.git")
        return repo_id
    if not _HUB_REPO_RE.match(repo_id):
        raise PublishError(f"--repo-id {repo_id!r} is not a Hub repo id: expected ORG/NAME (letters, digits, "
                           "'-', '_', '.'), e.g. my-org/valueportrait, or a file:///path/to/repo.git git target.")
    return repo_id


def repo_name(repo_id: str) -> str:
    """The NAME of ``ORG/NAME``, or of ``file:///path/NAME.git``."""
    if is_git_url(repo_id):
        return urlsplit(repo_id).path.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
    return repo_id.split("/")[1]


def check_version(version: str) -> str:
    """``X.Y.Z``, else :class:`PublishError`."""
    if not _VERSION_RE.match(version or ""):
        raise PublishError(f"--version {version!r} is not a version: expected X.Y.Z, e.g. 1.0.0 (the tag "
                           "becomes vX.Y.Z).")
    return version


def version_key(tag: str) -> tuple[int, int, int] | None:
    """``v1.2.3`` -> ``(1, 2, 3)``; None for a tag that is not a version."""
    m = _TAG_RE.match(tag)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def check_build_version(folder: Path, version: str) -> dict[str, Any]:
    """The folder's ``build_info.json``, whose ``dataset_version`` must equal ``version`` and whose selection must
    be the paper's (:data:`~valueportrait.selection.PAPER_SELECTION`) when ``version`` is a release of the paper's
    benchmark: the first (:data:`~valueportrait.selection.PAPER_VERSION`) or the one this package builds
    (:data:`~valueportrait.dataset.DATASET_VERSION`), both built with the paper's selection."""
    if not folder.is_dir():
        raise PublishError(f"no dataset folder at {str(folder)!r}. Build one with `valueportrait build --raw RAW "
                           f"--out {folder}`.")
    info_path = folder / "build_info.json"
    info = read_json(info_path, error=PublishError, what="the build_info.json of a folder written by "
                     "`valueportrait build`", fix="Rebuild the folder.")
    if not isinstance(info, dict):
        raise PublishError(f"{str(info_path)!r} is not a JSON object. Rebuild the folder.")
    built = info.get("dataset_version")
    departures = selection_departures(info.get("selection") or {})
    if departures and version in (PAPER_VERSION, DATASET_VERSION):
        raise PublishError(
            f"{str(folder)!r} was built with a selection other than the paper's ({'; '.join(departures)}): it is not "
            f"version {version}, the paper's benchmark, and a tag v{version} would say it is. Publish a build with "
            "the paper's selection (`valueportrait build` without --threshold / --alpha / --mode / --correlations / "
            "--correction); users re-select at scoring time (`valueportrait score --threshold ...`, the metric's "
            "threshold=...). A later dataset version may change the selection (with its changelog entry).")
    modified = info.get("modified_release") or []
    if modified and version in (PAPER_VERSION, DATASET_VERSION):
        files = ", ".join(str(m.get("file")) for m in modified[:5] if isinstance(m, dict))
        more = f" and {len(modified) - 5} more" if len(modified) > 5 else ""
        raise PublishError(
            f"{str(folder)!r} was built from a raw release that differs from the pinned one ({len(modified)} "
            f"file(s): {files}{more}; build_info.json 'modified_release'): it is not version {version}, the "
            f"paper's benchmark, and a tag v{version} would say it is. Rebuild from the pinned release "
            "(`valueportrait build --strict` refuses a modified one), or publish the modified build under another "
            "repo and version with its own changelog entry.")
    if built != version:
        raise PublishError(
            f"--version {version} does not match the folder: {str(info_path)!r} says dataset_version "
            f"{built!r}. The version has one source, valueportrait.dataset.DATASET_VERSION, stamped at build time. "
            f"To publish this build, pass --version {built}. To publish {version}, set DATASET_VERSION = "
            f"\"{version}\", add a '## {version} (YYYY-MM-DD)' entry to cards/CHANGELOG.md, rebuild, then publish.")
    return info


def changelog_entry(changelog: str | Path | None, version: str) -> tuple[str | None, str]:
    """(date, text) of ``version``'s changelog entry (:func:`valueportrait.changelog.read_changelog`)."""
    try:
        entries = read_changelog(changelog, version)
    except DatasetError as exc:
        raise PublishError(str(exc)) from None
    entry = next(e for e in entries if e.version == version)
    return entry.date, entry.body


# --------------------------------------------------------------------------------------------------------
# Cards and the metric folder
# --------------------------------------------------------------------------------------------------------
def _load_card(card_cls: Any, card_path: Path, what: str, fix: str) -> Any:
    """The card, parsed by huggingface_hub's ``card_cls`` (DatasetCard, SpaceCard)."""
    try:
        return card_cls.load(card_path)
    except Exception as exc:
        raise PublishError(f"{card_path}: the {what} does not parse with huggingface_hub.{card_cls.__name__} "
                           f"({type(exc).__name__}: {exc}). {fix}") from None


def check_dataset_card(card_path: Path, present: set[str]) -> Any:
    """Parse a dataset card with :class:`huggingface_hub.DatasetCard` and check the metadata the Hub needs.

    Required: ``license``, ``pretty_name`` and ``configs`` naming every config of the dataset, each with
    ``data_files`` that exist in the folder (``present``: the folder's files, posix paths); the whole YAML within
    the Hub's vocabularies (:func:`.card_metadata.metadata_problems`, offline). Returns the card's metadata.
    """
    from huggingface_hub import DatasetCard

    from ..dataset import CONFIGS

    where, rebuild = str(card_path), "Rebuild the folder with `valueportrait build`."
    card = _load_card(DatasetCard, card_path, "dataset card", rebuild)
    meta = card.data.to_dict()
    missing = [k for k in ("license", "pretty_name", "configs") if not meta.get(k)]
    if missing:
        raise PublishError(f"{where}: the card's YAML front matter lacks {', '.join(missing)}. Expected e.g.\n"
                           "---\nlicense: mit\npretty_name: Value Portrait\nconfigs:\n- config_name: items\n"
                           f"  data_files:\n  - split: test\n    path: items/test-00000-of-00001.parquet\n---\n{rebuild}")
    problems = metadata_problems(meta)
    if problems:
        raise PublishError(f"{where}: the card's YAML does not conform to the Hub's dataset metadata (checked "
                           f"offline with datasets' vocabularies): {'; '.join(problems)}. {rebuild}")
    configs = {c.get("config_name"): c for c in meta["configs"] if isinstance(c, dict)}
    absent = [c for c in CONFIGS if c not in configs]
    if absent:
        raise PublishError(f"{where}: the card's `configs` lacks {', '.join(absent)} "
                           f"(has {', '.join(map(str, configs))}). {rebuild}")
    for name, conf in configs.items():
        files = conf.get("data_files") or []
        paths = [f["path"] if isinstance(f, dict) else f for f in (files if isinstance(files, list) else [files])]
        for p in (x for path in paths for x in ([path] if isinstance(path, str) else path)):
            if "*" not in p and p not in present:
                raise PublishError(f"{where}: config {name!r} names data file {p!r}, which is not in the folder. "
                                   f"{rebuild}")
    return card


def check_metric_card(card_path: Path, present: set[str] | None = None) -> Any:
    """Parse a metric Space card with :class:`huggingface_hub.SpaceCard` and check what a Space needs.

    The Space is a Docker Space (the folder's Dockerfile runs app.py's standard-library server). Required YAML:
    ``title``, ``sdk: docker``, ``app_port`` (the port the Dockerfile's app listens on) and ``tags`` including
    ``evaluate`` and ``metric`` (how evaluate metric Spaces are found); with ``present`` (the folder's files)
    the Dockerfile must be one of them. Returns the card.
    """
    from huggingface_hub import SpaceCard

    where = str(card_path)
    card = _load_card(SpaceCard, card_path, "metric card", "Fix its YAML front matter (between the --- lines).")
    meta = card.data.to_dict()
    example = ("---\ntitle: Value Portrait\nemoji: 🧭\ncolorFrom: blue\ncolorTo: green\nsdk: docker\n"
               "app_port: 7860\npinned: false\ntags:\n- evaluate\n- metric\ndescription: >-\n  ...\n---")
    missing = [k for k in ("title", "sdk", "app_port", "tags") if not meta.get(k)]
    if missing:
        raise PublishError(f"{where}: the Space card's YAML lacks {', '.join(missing)}. Expected e.g.\n{example}")
    if meta["sdk"] != "docker":
        raise PublishError(f"{where}: sdk is {meta['sdk']!r}; the metric Space is a Docker Space (sdk: docker): "
                           "its Dockerfile runs app.py, a standard-library server.")
    if not isinstance(meta["app_port"], int):
        raise PublishError(f"{where}: app_port is {meta['app_port']!r}; expected the port number app.py listens on "
                           "in the container (7860).")
    tags = meta["tags"] if isinstance(meta["tags"], list) else [meta["tags"]]
    lacking = [t for t in ("evaluate", "metric") if t not in tags]
    if lacking:
        raise PublishError(f"{where}: tags {tags} lack {', '.join(lacking)}; an evaluate metric Space is tagged "
                           "evaluate and metric.")
    if present is not None and "Dockerfile" not in present:
        raise PublishError(f"{where}: the metric folder has no Dockerfile; a Docker Space (sdk: docker) is built "
                           "from it. Add the Dockerfile of the package's metric/ folder.")
    return card


def check_metric_folder(folder: Path) -> None:
    """The folder holds a metric Space's files, and its requirements.txt lists evaluate."""
    if not folder.is_dir():
        raise PublishError(f"no metric folder at {str(folder)!r}; pass --metric-dir DIR (the repo's metric/ folder).")
    needed = (*METRIC_SPACE_FILES, METRIC_SCRIPT)
    absent = [n for n in needed if not (folder / n).is_file()]
    if absent:
        raise PublishError(f"the metric folder {str(folder)!r} lacks {', '.join(absent)}; a metric Space needs "
                           f"{', '.join(needed)}.")
    reqs = [ln.strip() for ln in (folder / "requirements.txt").read_text(encoding="utf-8").splitlines()]
    if not any(_EVALUATE_REQUIREMENT_RE.match(ln) for ln in reqs):
        raise PublishError(f"{str(folder / 'requirements.txt')!r} does not list evaluate; the Space's app.py "
                           "needs it (add a line `evaluate>=0.4.3`).")


def check_wheel(wheel: Path, version: str) -> Path:
    """A built wheel of this package at ``version`` (``valueportrait-<version>-*.whl``), for the Space to install."""
    if not wheel.is_file():
        raise PublishError(f"no wheel at {str(wheel)!r}; build one with `python -m build` (it writes dist/).")
    if not (wheel.name.startswith(f"valueportrait-{version}-") and wheel.suffix == ".whl"):
        raise PublishError(f"{wheel.name!r} is not a wheel of valueportrait {version} (the version publishing it); "
                           f"expected valueportrait-{version}-py3-none-any.whl. Rebuild with `python -m build`.")
    return wheel


__all__ = ["METRIC_SCRIPT", "METRIC_SPACE_FILES", "changelog_entry", "check_build_version", "check_dataset_card",
           "check_wheel", "check_metric_card", "check_metric_folder", "check_repo_id", "check_version", "is_git_url",
           "repo_name", "version_key"]
