"""Step 1 of a publish: read a local folder, check it, and return the :class:`PublishPlan` (no network).

A plan lists every file with its size, sha256 and git blob id, the commit message and the tag; ``--dry-run``
prints it and :func:`valueportrait.hub.targets.execute` runs exactly it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..errors import PublishError
from ..secrets import scrub
from . import checks

#: Branch that every publish commits to (the Hub's default branch).
BRANCH = "main"


@dataclass(frozen=True)
class PlannedFile:
    """One file to publish: where it goes in the repo, where it is read from, and its fingerprints."""

    path: str  #: path in the repo (posix)
    source: Path  #: local file it is read from
    size: int  #: bytes
    sha256: str  #: hex sha256 of the content (what the Hub's LFS stores)
    git_blob: str  #: hex git blob id, sha1(b"blob <size>\\0" + content) (what git stores)
    #: the bytes to publish when they are not the source's own (the dataset card with its usage snippet rendered
    #: for the target repo and tag); None: the source file as it is
    content: bytes | None = field(default=None, repr=False)
    source_sha256: str | None = None  #: with ``content``: the source's sha256 when the content was made from it

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "size": self.size, "sha256": self.sha256}

    def data(self) -> bytes:
        """The bytes to publish."""
        return self.content if self.content is not None else self.source.read_bytes()

    def current(self) -> tuple[int, str, str]:
        """The fingerprint of what would be published now (compare with the planned one): the source file's
        (:func:`fingerprint`), or for rendered content, that content's while its source is unchanged."""
        now = fingerprint(self.source)
        if self.content is None or now[1] != self.source_sha256:
            return now
        return self.size, self.sha256, self.git_blob


@dataclass(frozen=True)
class PublishPlan:
    """Everything a publish will do, computed without network. ``execute`` runs exactly this."""

    repo_id: str  #: ``ORG/NAME`` on the Hub, or a ``file://`` URL of a git repository
    repo_type: Literal["dataset", "space"]
    files: tuple[PlannedFile, ...]
    commit_title: str
    commit_description: str
    tag: str | None = None
    tag_message: str | None = None
    version: str | None = None
    force: bool = False
    endpoint: str | None = None
    private: bool | None = None
    space_sdk: str | None = None
    branch: str = BRANCH

    @property
    def target_kind(self) -> Literal["git", "hub"]:
        return "git" if checks.is_git_url(self.repo_id) else "hub"

    @property
    def commit_message(self) -> str:
        """The full git commit message: title, blank line, description."""
        return f"{self.commit_title}\n\n{self.commit_description}".rstrip() + "\n"

    @property
    def total_size(self) -> int:
        return sum(f.size for f in self.files)

    def where(self) -> str:
        """The target in words, with any credentials of the endpoint masked."""
        if self.target_kind == "git":
            return f"git repository {self.repo_id}"
        return f"Hub {self.repo_type} repo {self.repo_id} at {scrub(self.endpoint or default_endpoint())}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready plan (what ``--dry-run --json`` prints). Holds no secret."""
        return {
            "repo_id": self.repo_id, "repo_type": self.repo_type, "target": self.target_kind,
            "endpoint": scrub(self.endpoint) if self.endpoint else None, "branch": self.branch,
            "version": self.version, "tag": self.tag, "tag_message": self.tag_message, "force": self.force,
            "private": self.private, "space_sdk": self.space_sdk,
            "commit_title": self.commit_title, "commit_description": self.commit_description,
            "files": [f.to_dict() for f in self.files], "total_size": self.total_size,
        }

    def render(self) -> str:
        """Human-readable plan: target, commit message, tag and every file with size and sha256."""
        lines = [f"Target:  {self.where()}, branch {self.branch}"]
        if self.version:
            lines.append(f"Version: {self.version}")
        if self.tag:
            policy = "moved if it exists (--force)" if self.force else "refused if it exists at other content"
            lines.append(f"Tag:     {self.tag} ({policy})")
            lines.append(f"         message: {self.tag_message}")
        lines.append("Commit:  " + self.commit_title)
        lines += [("         " + line).rstrip() for line in self.commit_description.splitlines()]
        lines.append(f"Files:   {len(self.files)}, {self.total_size:,} bytes")
        width = max(len(f"{f.size:,}") for f in self.files)
        lines += [f"  {f.size:>{width},}  {f.sha256}  {f.path}" for f in self.files]
        lines.append(f"Branch {self.branch} will hold exactly these files (others removed, .gitattributes kept); "
                     "no commit is made if it already does.")
        return "\n".join(lines)


def default_endpoint() -> str:
    """The Hub endpoint huggingface_hub uses (``$HF_ENDPOINT``, else https://huggingface.co)."""
    from huggingface_hub import constants

    return constants.ENDPOINT


def fingerprint(path: Path) -> tuple[int, str, str]:
    """(size, sha256, git blob id) of a file, read once in 1 MiB chunks."""
    size = path.stat().st_size
    sha256 = hashlib.sha256()
    blob = hashlib.sha1(f"blob {size}\0".encode())
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            sha256.update(chunk)
            blob.update(chunk)
    return size, sha256.hexdigest(), blob.hexdigest()


def planned_file(path_in_repo: str, source: Path, content: bytes | None = None) -> PlannedFile:
    """A file to publish: ``source`` as it is, or ``content`` made from it (fingerprinted instead)."""
    size, sha256, blob = fingerprint(source)
    if content is None:
        return PlannedFile(path=path_in_repo, source=source.resolve(), size=size, sha256=sha256, git_blob=blob)
    return PlannedFile(path=path_in_repo, source=source.resolve(), size=len(content),
                       sha256=hashlib.sha256(content).hexdigest(),
                       git_blob=hashlib.sha1(f"blob {len(content)}\0".encode() + content).hexdigest(),
                       content=content, source_sha256=sha256)


#: The built card's usage snippet loads the local folder ``"valueportrait"``; published, it loads the repo at its tag.
_LOCAL_LOAD = re.compile(r'load_dataset\("valueportrait", ([^)\n]*)\)')
_LOCAL_NOTE = ('(`"valueportrait"` is the folder written by `valueportrait build --out ./valueportrait`, or the Hub '
               'repo id it\nwas published under.)')


def card_for_repo(card: str, repo_id: str, tag: str) -> str:
    """The dataset card as published to ``repo_id`` at ``tag``: its usage snippet's ``load_dataset`` calls name
    the repo and pin the revision, e.g. ``load_dataset("ORG/NAME", "items", split="test", revision="v1.1.0")``."""
    card = _LOCAL_LOAD.sub(lambda m: f'load_dataset("{repo_id}", {m.group(1)}, revision="{tag}")', card)
    return card.replace(_LOCAL_NOTE, f"(Revision `{tag}` of `{repo_id}`: pinned, so the numbers never change under "
                                     "you; without `revision=` you get `main`, the newest version.)")


def folder_files(folder: Path) -> list[Path]:
    """Every regular file under ``folder``, sorted, skipping hidden files/folders and caches."""
    out = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).parts
        if any(part.startswith(".") or part == "__pycache__" for part in rel) or not p.is_file():
            continue
        out.append(p)
    return out


def plan_dataset(folder: str | Path, repo_id: str, version: str, *, force: bool = False,
                 endpoint: str | None = None, private: bool | None = None,
                 changelog: str | Path | None = None) -> PublishPlan:
    """Check a built dataset folder and plan its publication as revision ``v<version>``.

    The version has one source: ``valueportrait.dataset.DATASET_VERSION``, which ``valueportrait build``
    stamps into ``build_info.json``. ``version`` must equal that stamp (so a folder is never tagged with a
    version it was not built as) and must have an entry in the changelog (``changelog``, by default the
    package's ``cards/CHANGELOG.md``, the same file the dataset card shows).
    """
    folder = Path(folder).expanduser()
    checks.check_repo_id(repo_id)
    checks.check_version(version)
    info = checks.check_build_version(folder, version)
    date, entry = checks.changelog_entry(changelog, version)

    paths = folder_files(folder)
    present = {p.relative_to(folder).as_posix() for p in paths}
    if "README.md" not in present:
        raise PublishError(f"{str(folder)!r} has no README.md dataset card. Rebuild it with `valueportrait build`.")
    checks.check_dataset_card(folder / "README.md", present)
    # On the Hub the card's usage snippet names this repo and tag (a git target gets the card as built).
    card = None if checks.is_git_url(repo_id) else card_for_repo(
        (folder / "README.md").read_text(encoding="utf-8"), repo_id, f"v{version}").encode("utf-8")
    files = tuple(planned_file(rel, p, card if rel == "README.md" else None)
                  for p in paths for rel in [p.relative_to(folder).as_posix()])

    upstream = info.get("upstream") or {}
    selection = info.get("selection") or {}
    settings = ", ".join(f"{k}={selection[k]}" for k in sorted(selection))
    info_sha = next(f.sha256 for f in files if f.path == "build_info.json")
    short = (upstream.get("commit") or "unknown")[:7]
    # a survey build (build --survey) names its instrument and survey where a release build names upstream
    name, source = survey_source(info) if info.get("survey") else (
        "Value Portrait", f"upstream {upstream.get('repository', 'unknown')}@{short}")
    body = [
        f"Dataset version {version}{f' ({date})' if date else ''}, built by `valueportrait build`.",
        "",
        f"Source: {source}" if info.get("survey") else
        f"Upstream: {upstream.get('repository', 'unknown')}@{upstream.get('commit', 'unknown')}",
        "Selection: " + (settings or "unknown"),
        f"Inputs: {len(info.get('inputs') or {})} {'survey' if info.get('survey') else 'upstream'} files, sha256 in "
        f"build_info.json (build_info.json sha256 {info_sha})",
        "",
        "Changelog:",
        entry,
    ]
    tag_message = f"{name} dataset {version}: {source}, selection {settings}"
    return PublishPlan(repo_id=repo_id, repo_type="dataset", files=files,
                       commit_title=f"{name} dataset v{version} ({source.split(',')[0] if info.get('survey') else f'upstream {short}'})",
                       commit_description="\n".join(body), tag=f"v{version}", tag_message=tag_message,
                       version=version, force=force, endpoint=endpoint, private=private)


def survey_source(info: dict) -> tuple[str, str]:
    """A survey build's name (its instrument's) and where it comes from, for the commit and the tag."""
    i, s = info.get("instrument") or {}, info["survey"]
    return i.get("name", "Survey"), f"survey {s.get('folder')}, {s.get('raters')} raters, {i.get('language')}"


def default_metric_dir() -> Path:
    """The installed package's metric folder (``valueportrait.metric``), found through importlib.resources.

    Under any install (regular, editable, strict editable) this is the folder the package imports the metric
    from; under a strict editable install it is setuptools' link tree, whose files are the repo's own.
    """
    from importlib.resources import files

    return Path(str(files("valueportrait.metric")))


#: A ``valueportrait`` line of the Space's requirements.txt (with or without a version specifier).
_PACKAGE_REQUIREMENT = re.compile(r"^valueportrait(?![\w.-])[^\n]*$", re.M)


def plan_metric(folder: str | Path | None, repo_id: str, *, endpoint: str | None = None,
                private: bool | None = None, wheel: str | Path | None = None) -> PublishPlan:
    """Check the metric folder and plan its upload as a Docker Space that ``evaluate.load(repo_id)`` finds.

    ``folder`` None means the installed package's metric folder (:func:`default_metric_dir`). Uploaded:
    ``README.md`` (the Space card), ``Dockerfile``, ``app.py``, ``requirements.txt``, the metric script as
    ``<NAME>.py`` (evaluate fetches the script named after the repo) and any other module of the folder (helpers
    the script imports), but not ``__init__.py``.

    The Space installs the package its requirements name, rendered here so that it is the one planning this:
    with ``wheel`` (a built ``valueportrait-<this version>-*.whl``) the wheel is uploaded and requirements.txt
    installs it (``./<wheel name>``); without, requirements.txt pins ``valueportrait==<this version>``.
    """
    from .. import __version__

    folder = default_metric_dir() if folder is None else Path(folder).expanduser()
    checks.check_repo_id(repo_id)
    checks.check_metric_folder(folder)
    name = checks.repo_name(repo_id)
    script_name = f"{name}.py"
    sources = {n: folder / n for n in checks.METRIC_SPACE_FILES}
    sources[script_name] = folder / checks.METRIC_SCRIPT
    for p in sorted(folder.glob("*.py")):
        if p.name not in ("__init__.py", "app.py", checks.METRIC_SCRIPT):
            if p.name == script_name:
                raise PublishError(f"{str(p)!r} would clash with the metric script, uploaded as {script_name}; "
                                   "rename the helper module.")
            sources[p.name] = p
    if wheel is not None:
        wheel = checks.check_wheel(Path(wheel).expanduser(), __version__)
        sources[wheel.name] = wheel
    checks.check_metric_card(folder / "README.md", set(sources))
    installs = f"./{wheel.name}" if wheel is not None else f"valueportrait=={__version__}"
    requirements = _PACKAGE_REQUIREMENT.sub(installs, (folder / "requirements.txt").read_text(encoding="utf-8"))
    if installs not in requirements:
        requirements = requirements.rstrip("\n") + f"\n{installs}\n"
    files = tuple(planned_file(n, sources[n], requirements.encode() if n == "requirements.txt" else None)
                  for n in sorted(sources))
    script = next(f for f in files if f.path == script_name)
    body = "\n".join([
        f"The evaluate metric of the valueportrait package {__version__}: evaluate.load({repo_id!r}).",
        f"Metric script {checks.METRIC_SCRIPT} as {script_name}, sha256 {script.sha256}.",
        f"The Space installs {installs}.",
    ])
    return PublishPlan(repo_id=repo_id, repo_type="space", files=files,
                       commit_title=f"Value Portrait metric (valueportrait {__version__})",
                       commit_description=body, endpoint=endpoint, private=private, space_sdk="docker")


__all__ = ["BRANCH", "PlannedFile", "PublishPlan", "default_endpoint", "default_metric_dir", "fingerprint",
           "folder_files", "plan_dataset", "plan_metric", "planned_file", "card_for_repo"]
