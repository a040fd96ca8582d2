"""Publish a built dataset folder as a tagged Hub dataset revision, and the evaluate metric as a Space.

Publishing is two steps with one object between them:

1. :func:`plan_dataset` / :func:`plan_metric` read the local folder, check it (version, changelog, card) and
   return a :class:`PublishPlan`: every file with its size and sha256, the commit message, the tag. Nothing
   is sent anywhere; ``--dry-run`` prints this object.
2. :func:`execute` makes a target's branch ``main`` hold exactly the plan's files (commit only if something
   differs; ``.gitattributes`` is kept), then tags the commit. A tag that already names exactly these files
   means there is nothing to do. It refuses to move an existing tag, or to publish below an existing newer
   version, unless the plan says ``force``; and it checks that no file changed since planning, so a dry run is
   exact by construction.

Two targets share these semantics: :class:`HubTarget` (``huggingface_hub.HfApi``: ``create_repo``,
``create_commit``, ``create_tag``) for ``ORG/NAME`` repo ids, and :class:`GitTarget` (the git CLI) for a
``file://`` URL of a git repository, which is what a Hub repo is underneath; the tests publish to it.

The token comes from ``HF_TOKEN`` or the huggingface_hub login (:func:`huggingface_hub.get_token`). It is
passed to ``HfApi`` and nowhere else: never printed, logged, put in a plan, a commit or a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from .errors import PublishError

#: Branch that every publish commits to (the Hub's default branch).
BRANCH = "main"
#: Files of the remote repo that a publish never deletes (the Hub maintains the LFS rules in it).
KEPT_REMOTE_FILES = frozenset({".gitattributes"})
#: Author of git-target commits and tags when the user's git config names none (set in the temp clone only).
GIT_FALLBACK_IDENTITY = ("valueportrait publish", "valueportrait-publish@localhost")
#: The files of an evaluate metric Space besides the metric script (and any helper modules it imports).
METRIC_SPACE_FILES = ("README.md", "app.py", "requirements.txt")
#: The metric script in ``metric/``; on the Space it is named after the repo (``evaluate.load("ORG/NAME")``
#: fetches ``NAME.py``).
METRIC_SCRIPT = "valueportrait.py"

_VERSION_RE = re.compile(r"^\d+\.\d+\.\d+$")
_HUB_REPO_RE = re.compile(r"^[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*$")
_CHANGELOG_HEADING_RE = re.compile(r"^##\s+v?(\d+\.\d+\.\d+)\s*(?:\((\d{4}-\d{2}-\d{2})\))?\s*$", re.MULTILINE)


# --------------------------------------------------------------------------------------------------------
# The plan
# --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlannedFile:
    """One file to publish: where it goes in the repo, where it is read from, and its fingerprints."""

    path: str  #: path in the repo (posix)
    source: Path  #: local file it is read from
    size: int  #: bytes
    sha256: str  #: hex sha256 of the content (what the Hub's LFS stores)
    git_blob: str  #: hex git blob id, sha1(b"blob <size>\\0" + content) (what git stores)

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "size": self.size, "sha256": self.sha256}


@dataclass(frozen=True)
class PublishPlan:
    """Everything a publish will do, computed without network. :func:`execute` runs exactly this."""

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
        return "git" if is_git_url(self.repo_id) else "hub"

    @property
    def commit_message(self) -> str:
        """The full git commit message: title, blank line, description."""
        return f"{self.commit_title}\n\n{self.commit_description}".rstrip() + "\n"

    @property
    def total_size(self) -> int:
        return sum(f.size for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready plan (what ``--dry-run --json`` prints). Holds no secret."""
        return {
            "repo_id": self.repo_id, "repo_type": self.repo_type, "target": self.target_kind,
            "endpoint": redact_url(self.endpoint) if self.endpoint else None, "branch": self.branch,
            "version": self.version, "tag": self.tag, "tag_message": self.tag_message, "force": self.force,
            "private": self.private, "space_sdk": self.space_sdk,
            "commit_title": self.commit_title, "commit_description": self.commit_description,
            "files": [f.to_dict() for f in self.files], "total_size": self.total_size,
        }

    def render(self) -> str:
        """Human-readable plan: target, commit message, tag and every file with size and sha256."""
        where = (f"git repository {self.repo_id}" if self.target_kind == "git" else
                 f"Hub {self.repo_type} repo {self.repo_id} at {redact_url(self.endpoint or default_endpoint())}")
        lines = [f"Target:  {where}, branch {self.branch}"]
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


@dataclass
class PublishResult:
    """What :func:`execute` did."""

    repo_created: bool
    commit: str  #: the commit the branch (and the tag) point at
    committed: bool  #: False when the branch already held the plan's files
    added: list[str] = field(default_factory=list)  #: files uploaded (new or changed)
    deleted: list[str] = field(default_factory=list)  #: remote files removed
    tag_action: Literal["created", "moved", "unchanged"] | None = None  #: "unchanged": already published

    def render(self, plan: PublishPlan) -> str:
        out = []
        if self.repo_created:
            out.append(f"Created the {plan.repo_type} repo {plan.repo_id}.")
        if self.tag_action == "unchanged":
            out.append(f"Already published: tag {plan.tag} names exactly these {len(plan.files)} files "
                       f"(commit {self.commit[:12]}); nothing to do.")
            return "\n".join(out)
        if self.committed:
            out.append(f"Committed {self.commit[:12]} to {plan.branch}: {plan.commit_title!r} "
                       f"({len(self.added)} file(s) uploaded, {len(self.deleted)} removed).")
        else:
            out.append(f"No changes: {plan.branch} already holds these {len(plan.files)} files at "
                       f"{self.commit[:12]}; no commit made.")
        if self.tag_action == "created":
            out.append(f"Tagged {self.commit[:12]} as {plan.tag}.")
        elif self.tag_action == "moved":
            out.append(f"Moved tag {plan.tag} to {self.commit[:12]} (--force).")
        return "\n".join(out)


# --------------------------------------------------------------------------------------------------------
# Helpers: ids, urls, hashing, changelog
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


def redact_url(url: str) -> str:
    """``url`` without any user:password part, so an endpoint can be shown."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return parts._replace(netloc=f"***@{host}").geturl()


def default_endpoint() -> str:
    from huggingface_hub import constants

    return constants.ENDPOINT


def token_source() -> str | None:
    """Where a Hub token would come from (``HF_TOKEN`` or ``huggingface_hub login``), or None. Never the token."""
    if os.environ.get("HF_TOKEN"):
        return "HF_TOKEN"
    from huggingface_hub import get_token

    return "huggingface_hub login" if get_token() else None


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


def planned_file(path_in_repo: str, source: Path) -> PlannedFile:
    size, sha256, blob = fingerprint(source)
    return PlannedFile(path=path_in_repo, source=source.resolve(), size=size, sha256=sha256, git_blob=blob)


def default_changelog() -> Path:
    """The changelog that ships with the package (``cards/CHANGELOG.md``)."""
    from importlib.resources import files

    return Path(str(files("valueportrait.cards") / "CHANGELOG.md"))


def changelog_entries(text: str) -> dict[str, tuple[str | None, str]]:
    """Parse a changelog: ``{version: (date or None, entry text)}`` from ``## X.Y.Z (YYYY-MM-DD)`` headings."""
    heads = list(_CHANGELOG_HEADING_RE.finditer(text))
    out: dict[str, tuple[str | None, str]] = {}
    for k, m in enumerate(heads):
        end = heads[k + 1].start() if k + 1 < len(heads) else len(text)
        body = text[m.end():end]
        body = re.split(r"^#{1,2}\s", body, maxsplit=1, flags=re.MULTILINE)[0]  # stop at the next section
        out[m.group(1)] = (m.group(2), body.strip())
    return out


# --------------------------------------------------------------------------------------------------------
# Planning
# --------------------------------------------------------------------------------------------------------
def _folder_files(folder: Path) -> list[Path]:
    """Every regular file under ``folder``, sorted, skipping hidden files/folders and caches."""
    out = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).parts
        if any(part.startswith(".") or part == "__pycache__" for part in rel) or not p.is_file():
            continue
        out.append(p)
    return out


def check_dataset_card(card_path: Path, present: set[str]) -> Any:
    """Parse a dataset card with :class:`huggingface_hub.DatasetCard` and check the metadata the Hub needs.

    Required: ``license``, ``pretty_name`` and ``configs`` naming every config of the dataset, each with
    ``data_files`` that exist in the folder (``present``: the folder's files, posix paths). Returns the card.
    """
    from huggingface_hub import DatasetCard

    from .dataset import CONFIGS

    where = str(card_path)
    try:
        card = DatasetCard.load(card_path)
    except Exception as exc:
        raise PublishError(f"{where}: the dataset card does not parse with huggingface_hub.DatasetCard "
                           f"({type(exc).__name__}: {exc}). Rebuild the folder with `valueportrait build`.") from None
    meta = card.data.to_dict()
    missing = [k for k in ("license", "pretty_name", "configs") if not meta.get(k)]
    if missing:
        raise PublishError(f"{where}: the card's YAML front matter lacks {', '.join(missing)}. Expected e.g.\n"
                           "---\nlicense: mit\npretty_name: Value Portrait\nconfigs:\n- config_name: items\n"
                           "  data_files:\n  - split: test\n    path: items/test-00000-of-00001.parquet\n---\n"
                           "Rebuild the folder with `valueportrait build`.")
    configs = {c.get("config_name"): c for c in meta["configs"] if isinstance(c, dict)}
    absent = [c for c in CONFIGS if c not in configs]
    if absent:
        raise PublishError(f"{where}: the card's `configs` lacks {', '.join(absent)} "
                           f"(has {', '.join(map(str, configs))}). "
                           "Rebuild the folder with `valueportrait build`.")
    for name, conf in configs.items():
        files = conf.get("data_files") or []
        paths = [f["path"] if isinstance(f, dict) else f for f in (files if isinstance(files, list) else [files])]
        for p in (x for path in paths for x in ([path] if isinstance(path, str) else path)):
            if "*" not in p and p not in present:
                raise PublishError(f"{where}: config {name!r} names data file {p!r}, which is not in the folder. "
                                   "Rebuild the folder with `valueportrait build`.")
    return card


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
    check_repo_id(repo_id)
    if not _VERSION_RE.match(version or ""):
        raise PublishError(f"--version {version!r} is not a version: expected X.Y.Z, e.g. 1.0.0 (the tag "
                           "becomes vX.Y.Z).")
    if not folder.is_dir():
        raise PublishError(f"no dataset folder at {str(folder)!r}. Build one with `valueportrait build --raw RAW "
                           f"--out {folder}`.")
    info_path = folder / "build_info.json"
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PublishError(f"{str(info_path)!r} is missing: {str(folder)!r} is not a folder written by "
                           "`valueportrait build`. Rebuild it.") from None
    except json.JSONDecodeError as exc:
        raise PublishError(f"{str(info_path)!r} is not valid JSON ({exc}). Rebuild the folder.") from None
    built = info.get("dataset_version")
    if built != version:
        raise PublishError(
            f"--version {version} does not match the folder: {str(info_path)!r} says dataset_version "
            f"{built!r}. The version has one source, valueportrait.dataset.DATASET_VERSION, stamped at build time. "
            f"To publish this build, pass --version {built}. To publish {version}, set DATASET_VERSION = "
            f"\"{version}\", add a '## {version} (YYYY-MM-DD)' entry to cards/CHANGELOG.md, rebuild, then publish.")
    changelog_path = Path(changelog) if changelog is not None else default_changelog()
    try:
        entries = changelog_entries(changelog_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PublishError(f"the changelog {str(changelog_path)!r} does not exist; pass --changelog FILE or restore "
                           "cards/CHANGELOG.md (it ships with the package).") from None
    if version not in entries:
        raise PublishError(
            f"version {version} has no entry in the changelog {str(changelog_path)!r} (it has "
            f"{', '.join(entries) or 'none'}). Add a section '## {version} (YYYY-MM-DD)' saying what changed for "
            "users (items, selection, scores), newest first, then rebuild so the card shows it.")
    date, entry = entries[version]

    paths = _folder_files(folder)
    present = {p.relative_to(folder).as_posix() for p in paths}
    if "README.md" not in present:
        raise PublishError(f"{str(folder)!r} has no README.md dataset card. Rebuild it with `valueportrait build`.")
    check_dataset_card(folder / "README.md", present)
    files = tuple(planned_file(p.relative_to(folder).as_posix(), p) for p in paths)

    upstream = info.get("upstream") or {}
    selection = info.get("selection") or {}
    info_sha = next(f.sha256 for f in files if f.path == "build_info.json")
    short = (upstream.get("commit") or "unknown")[:7]
    title = f"Value Portrait dataset v{version} (upstream {short})"
    body = [
        f"Dataset version {version}{f' ({date})' if date else ''}, built by `valueportrait build`.",
        "",
        f"Upstream: {upstream.get('repository', 'unknown')}@{upstream.get('commit', 'unknown')}",
        "Selection: " + (", ".join(f"{k}={selection[k]}" for k in sorted(selection)) or "unknown"),
        f"Inputs: {len(info.get('inputs') or {})} upstream files, sha256 in build_info.json "
        f"(build_info.json sha256 {info_sha})",
        "",
        "Changelog:",
        entry,
    ]
    tag_message = (f"Value Portrait dataset {version}: upstream {upstream.get('repository', 'unknown')}@{short}, "
                   "selection " + ", ".join(f"{k}={selection[k]}" for k in sorted(selection)))
    return PublishPlan(repo_id=repo_id, repo_type="dataset", files=files, commit_title=title,
                       commit_description="\n".join(body), tag=f"v{version}", tag_message=tag_message,
                       version=version, force=force, endpoint=endpoint, private=private)


def check_metric_card(card_path: Path, present: set[str] | None = None) -> Any:
    """Parse a metric Space card with :class:`huggingface_hub.SpaceCard` and check what a Space needs.

    Required YAML: ``title``, ``sdk: gradio``, ``sdk_version``, ``app_file`` (a file of the folder when
    ``present`` is given) and ``tags`` including ``evaluate`` and ``metric`` (how evaluate metric Spaces are
    found). Returns the card.
    """
    from huggingface_hub import SpaceCard

    where = str(card_path)
    try:
        card = SpaceCard.load(card_path)
    except Exception as exc:
        raise PublishError(f"{where}: the metric card does not parse with huggingface_hub.SpaceCard "
                           f"({type(exc).__name__}: {exc}). Fix its YAML front matter (between the --- "
                           "lines).") from None
    meta = card.data.to_dict()
    example = ("---\ntitle: Value Portrait\nemoji: 🧭\ncolorFrom: blue\ncolorTo: green\nsdk: gradio\n"
               "sdk_version: 4.44.1\napp_file: app.py\npinned: false\ntags:\n- evaluate\n- metric\n"
               "description: >-\n  ...\n---")
    missing = [k for k in ("title", "sdk", "sdk_version", "app_file", "tags") if not meta.get(k)]
    if missing:
        raise PublishError(f"{where}: the Space card's YAML lacks {', '.join(missing)}. Expected e.g.\n{example}")
    if meta["sdk"] != "gradio":
        raise PublishError(f"{where}: sdk is {meta['sdk']!r}; an evaluate metric Space uses sdk: gradio.")
    tags = meta["tags"] if isinstance(meta["tags"], list) else [meta["tags"]]
    lacking = [t for t in ("evaluate", "metric") if t not in tags]
    if lacking:
        raise PublishError(f"{where}: tags {tags} lack {', '.join(lacking)}; an evaluate metric Space is tagged "
                           "evaluate and metric.")
    if present is not None and meta["app_file"] not in present:
        raise PublishError(f"{where}: app_file {meta['app_file']!r} is not in the metric folder; add it or point "
                           "app_file at the folder's app.py.")
    return card


def plan_metric(folder: str | Path, repo_id: str, *, endpoint: str | None = None,
                private: bool | None = None) -> PublishPlan:
    """Check the metric folder and plan its upload as a gradio Space that ``evaluate.load(repo_id)`` finds.

    Uploaded: ``README.md`` (the Space card), ``app.py``, ``requirements.txt``, the metric script as
    ``<NAME>.py`` (evaluate fetches the script named after the repo) and any other module of the folder
    (helpers the script imports), but not ``__init__.py``.
    """
    from . import __version__

    folder = Path(folder).expanduser()
    check_repo_id(repo_id)
    if not folder.is_dir():
        raise PublishError(f"no metric folder at {str(folder)!r}; pass --metric-dir DIR (the repo's metric/ folder).")
    absent = [n for n in (*METRIC_SPACE_FILES, METRIC_SCRIPT) if not (folder / n).is_file()]
    if absent:
        raise PublishError(f"the metric folder {str(folder)!r} lacks {', '.join(absent)}; a metric Space needs "
                           f"{', '.join((*METRIC_SPACE_FILES, METRIC_SCRIPT))}.")
    reqs = [ln.strip() for ln in (folder / "requirements.txt").read_text(encoding="utf-8").splitlines()]
    if not any(re.match(r"^(evaluate\b|git\+https://github\.com/huggingface/evaluate)", ln) for ln in reqs):
        raise PublishError(f"{str(folder / 'requirements.txt')!r} does not list evaluate; the Space's app.py "
                           "needs it (add a line `evaluate>=0.4.3`).")
    name = (urlsplit(repo_id).path.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git") if is_git_url(repo_id)
            else repo_id.split("/")[1])
    script_name = f"{name}.py"
    sources = {n: folder / n for n in METRIC_SPACE_FILES}
    sources[script_name] = folder / METRIC_SCRIPT
    for p in sorted(folder.glob("*.py")):
        if p.name not in ("__init__.py", "app.py", METRIC_SCRIPT):
            if p.name == script_name:
                raise PublishError(f"{str(p)!r} would clash with the metric script, uploaded as {script_name}; "
                                   "rename the helper module.")
            sources[p.name] = p
    check_metric_card(folder / "README.md", set(sources))
    files = tuple(planned_file(n, sources[n]) for n in sorted(sources))
    script = next(f for f in files if f.path == script_name)
    title = f"Value Portrait metric (valueportrait {__version__})"
    body = "\n".join([
        f"The evaluate metric of the valueportrait package {__version__}: evaluate.load({repo_id!r}).",
        f"Metric script {METRIC_SCRIPT} as {script_name}, sha256 {script.sha256}.",
    ])
    return PublishPlan(repo_id=repo_id, repo_type="space", files=files, commit_title=title,
                       commit_description=body, endpoint=endpoint, private=private, space_sdk="gradio")


# --------------------------------------------------------------------------------------------------------
# Execution
# --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RemoteFile:
    """A file in a remote revision: its git blob id, and its sha256 when the remote stores it (LFS)."""

    path: str
    size: int
    git_blob: str | None = None
    sha256: str | None = None

    def same_as(self, f: PlannedFile) -> bool:
        if self.sha256 is not None:
            return self.sha256 == f.sha256
        return self.git_blob == f.git_blob


def diff(plan: PublishPlan, remote: dict[str, RemoteFile]) -> tuple[list[PlannedFile], list[str]]:
    """(files to upload, remote paths to delete) so that the remote holds exactly the plan's files."""
    adds = [f for f in plan.files if f.path not in remote or not remote[f.path].same_as(f)]
    wanted = {f.path for f in plan.files}
    deletes = sorted(p for p in remote if p not in wanted and p not in KEPT_REMOTE_FILES)
    return adds, deletes


def verify_sources(plan: PublishPlan) -> None:
    """Refuse to publish if any planned file changed or vanished since the plan was made."""
    for f in plan.files:
        try:
            size, sha256, _ = fingerprint(f.source)
        except FileNotFoundError:
            raise PublishError(f"{str(f.source)!r} disappeared since the publish plan was made; plan again.") from None
        if (size, sha256) != (f.size, f.sha256):
            raise PublishError(f"{str(f.source)!r} changed since the publish plan was made (sha256 {sha256}, planned "
                               f"{f.sha256}); plan again (run the dry run again to see the new plan).")


def _version_key(tag: str) -> tuple[int, int, int] | None:
    m = re.match(r"^v(\d+)\.(\d+)\.(\d+)$", tag)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def execute(plan: PublishPlan, target: Any) -> PublishResult:
    """Make ``target``'s branch hold exactly ``plan.files`` and tag it; see the module docstring.

    A tag that already names exactly these files means the version is published: nothing is done (``main`` is
    not touched either, so re-running an old publish never rolls ``main`` back). Every refusal (a source file
    changed since planning; the tag exists at other content; a newer version is already tagged) happens before
    anything is written, and ``force`` overrides the last two.
    """
    verify_sources(plan)
    with target:
        created = target.ensure_repo()
        branches, tags = target.refs()
        head = branches.get(plan.branch)
        tag_action = None
        if plan.tag:
            if plan.tag in tags:
                tag_adds, tag_deletes = diff(plan, target.files(tags[plan.tag]))
                if not tag_adds and not tag_deletes:
                    return PublishResult(repo_created=created, commit=tags[plan.tag], committed=False,
                                         tag_action="unchanged")
                if not plan.force:
                    raise PublishError(
                        f"tag {plan.tag} already exists in {plan.repo_id} at commit {tags[plan.tag][:12]}, with other "
                        f"content ({len(tag_adds)} file(s) differ, {len(tag_deletes)} extra). Published revisions are "
                        "pinned by users: bump the version (DATASET_VERSION, cards/CHANGELOG.md, rebuild), or pass "
                        "--force to move the tag.")
                tag_action = "moved"
            else:
                tag_action = "created"
            mine = _version_key(plan.tag)
            newer = sorted((t for t in tags if mine and (_version_key(t) or (0, 0, 0)) > mine), key=_version_key)
            if newer and not plan.force:
                raise PublishError(
                    f"{plan.repo_id} already has a newer version ({', '.join(newer)}); publishing {plan.tag} would "
                    f"make {plan.branch} (what users get without revision=) serve older data. Publish a version above "
                    f"{newer[-1]}, or pass --force to publish {plan.tag} anyway.")
        adds, deletes = diff(plan, target.files(head) if head else {})
        committed = bool(adds or deletes)
        commit = target.commit(plan, adds, deletes, parent=head) if committed else head
        if tag_action is not None:
            target.tag(plan.tag, plan.tag_message, commit, replace=tag_action == "moved")
    return PublishResult(repo_created=created, commit=commit, committed=committed, added=[f.path for f in adds],
                         deleted=deletes, tag_action=tag_action)


def make_target(plan: PublishPlan, *, token: str | None = None, api: Any = None) -> Any:
    """The target a plan publishes to: :class:`GitTarget` for ``file://`` ids, else :class:`HubTarget`."""
    if plan.target_kind == "git":
        return GitTarget(plan.repo_id)
    return HubTarget(plan, api=api if api is not None else hf_api(plan.endpoint, token))


def hf_api(endpoint: str | None, token: str | None) -> Any:
    """An authenticated :class:`huggingface_hub.HfApi` (``token`` from :func:`resolve_token`)."""
    from huggingface_hub import HfApi

    from . import __version__

    return HfApi(endpoint=endpoint, token=token, library_name="valueportrait", library_version=__version__)


def resolve_token() -> str:
    """The Hub token from ``HF_TOKEN`` or the huggingface_hub login; :class:`PublishError` if there is none."""
    from huggingface_hub import get_token

    token = get_token()
    if not token:
        raise PublishError("no Hugging Face token: set HF_TOKEN or run `hf auth login` (a token with write access "
                           "to the repo's namespace). The token is never printed or written.")
    return token


class HubTarget:
    """A repo on the Hugging Face Hub, through an ``HfApi``-like object (injectable for tests)."""

    def __init__(self, plan: PublishPlan, api: Any):
        self.plan = plan
        self.api = api
        self.repo_id = plan.repo_id
        self.repo_type = plan.repo_type

    def __enter__(self) -> HubTarget:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def ensure_repo(self) -> bool:
        if self.api.repo_exists(self.repo_id, repo_type=self.repo_type):
            return False
        kwargs: dict[str, Any] = {"repo_type": self.repo_type, "exist_ok": True, "private": self.plan.private}
        if self.plan.space_sdk:
            kwargs["space_sdk"] = self.plan.space_sdk
        self.api.create_repo(self.repo_id, **kwargs)
        return True

    def refs(self) -> tuple[dict[str, str], dict[str, str]]:
        refs = self.api.list_repo_refs(self.repo_id, repo_type=self.repo_type)
        return ({b.name: b.target_commit for b in refs.branches}, {t.name: t.target_commit for t in refs.tags})

    def files(self, revision: str) -> dict[str, RemoteFile]:
        out = {}
        for entry in self.api.list_repo_tree(self.repo_id, recursive=True, revision=revision, repo_type=self.repo_type):
            if hasattr(entry, "blob_id"):  # RepoFile; RepoFolder entries have no blob
                lfs = getattr(entry, "lfs", None)
                out[entry.path] = RemoteFile(path=entry.path, size=entry.size, git_blob=entry.blob_id,
                                             sha256=lfs.sha256 if lfs is not None else None)
        return out

    def commit(self, plan: PublishPlan, adds: list[PlannedFile], deletes: list[str], parent: str | None) -> str:
        from huggingface_hub import CommitOperationAdd, CommitOperationDelete

        ops: list[Any] = [CommitOperationAdd(path_in_repo=f.path, path_or_fileobj=str(f.source)) for f in adds]
        ops += [CommitOperationDelete(path_in_repo=p) for p in deletes]
        info = self.api.create_commit(self.repo_id, ops, commit_message=plan.commit_title,
                                      commit_description=plan.commit_description, repo_type=self.repo_type,
                                      revision=plan.branch, parent_commit=parent)
        return info.oid

    def tag(self, tag: str, message: str | None, commit: str, *, replace: bool) -> None:
        if replace:
            self.api.delete_tag(self.repo_id, tag=tag, repo_type=self.repo_type)
        self.api.create_tag(self.repo_id, tag=tag, tag_message=message, revision=commit, repo_type=self.repo_type)


class GitTarget:
    """A git repository at a ``file://`` URL, driven with the git CLI through a temporary clone.

    Same semantics as the Hub: the repo is created (``git init --bare``) if missing; one commit on ``main``
    per publish, none when nothing differs; annotated tags, moved only on ``replace``.
    """

    def __init__(self, url: str):
        self.url = url
        self.path = Path(unquote(urlsplit(url).path))
        self.work: Path | None = None
        self._tmp: str | None = None

    # -- git plumbing ---------------------------------------------------------------------------------
    def _git(self, *args: str, cwd: Path | None = None, input: str | None = None, check: bool = True) -> str:
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
        proc = subprocess.run(["git", *args], cwd=cwd or self.work, input=input, capture_output=True, text=True,
                              env=env)
        if check and proc.returncode != 0:
            raise PublishError(f"git {' '.join(args[:2])} failed on {self.url} (exit {proc.returncode}): "
                               f"{proc.stderr.strip() or proc.stdout.strip()}")
        return proc.stdout

    def __enter__(self) -> GitTarget:
        if shutil.which("git") is None:
            raise PublishError("the git target needs the git command line tool; install git.")
        self._tmp = tempfile.mkdtemp(prefix="valueportrait-publish-")
        return self

    def __exit__(self, *exc) -> None:
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
        self._tmp, self.work = None, None

    # -- target interface ------------------------------------------------------------------------------
    def ensure_repo(self) -> bool:
        created = False
        if not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._git("init", "--bare", "--quiet", "--initial-branch", BRANCH, str(self.path), cwd=self.path.parent)
            created = True
        elif not (self.path / "HEAD").is_file() and not (self.path / ".git").exists():
            raise PublishError(f"{str(self.path)!r} exists but is not a git repository; give the URL of a "
                               "repository (e.g. made with `git init --bare`) or of a path that does not exist yet.")
        self.work = Path(self._tmp) / "clone"
        self._git("clone", "--quiet", "--no-checkout", self.url, str(self.work), cwd=Path(self._tmp))
        name, email = GIT_FALLBACK_IDENTITY
        if not self._git("config", "--get", "user.name", check=False).strip():
            self._git("config", "user.name", name)
        if not self._git("config", "--get", "user.email", check=False).strip():
            self._git("config", "user.email", email)
        return created

    def refs(self) -> tuple[dict[str, str], dict[str, str]]:
        out = self._git("for-each-ref", "--format=%(refname) %(objectname) %(*objectname)",
                        "refs/remotes/origin", "refs/tags")
        branches, tags = {}, {}
        for line in out.splitlines():
            ref, obj, peeled = (line.split(" ") + [""])[:3]
            if ref.startswith("refs/remotes/origin/") and ref != "refs/remotes/origin/HEAD":
                branches[ref.removeprefix("refs/remotes/origin/")] = obj
            elif ref.startswith("refs/tags/"):
                tags[ref.removeprefix("refs/tags/")] = peeled or obj
        return branches, tags

    def files(self, revision: str) -> dict[str, RemoteFile]:
        out = {}
        for rec in self._git("ls-tree", "-r", "-l", "-z", "--full-tree", revision).split("\0"):
            if not rec:
                continue
            meta, path = rec.split("\t", 1)
            _mode, kind, blob, size = meta.split()
            if kind == "blob":
                out[path] = RemoteFile(path=path, size=int(size), git_blob=blob)
        return out

    def commit(self, plan: PublishPlan, adds: list[PlannedFile], deletes: list[str], parent: str | None) -> str:
        work = self.work
        if parent:
            self._git("checkout", "--quiet", "-B", plan.branch, parent)
        else:
            self._git("symbolic-ref", "HEAD", f"refs/heads/{plan.branch}")
        for p in deletes:
            self._git("rm", "--quiet", "--cached", "--ignore-unmatch", "--", p)
        for f in adds:
            dest = work / f.path
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f.source, dest)
            self._git("add", "--", f.path)
        self._git("commit", "--quiet", "--no-verify", "-F", "-", input=plan.commit_message)
        commit = self._git("rev-parse", "HEAD").strip()
        # What will be pushed must be exactly the plan (guards against a file changing during the copy).
        adds_now, deletes_now = diff(plan, self.files(commit))
        if adds_now or deletes_now:
            raise PublishError(f"the commit prepared for {self.url} differs from the plan "
                               f"({', '.join([f.path for f in adds_now] + deletes_now)}); nothing was pushed. "
                               "Plan again.")
        remote_was_empty = parent is None and not self.refs()[0]
        self._git("push", "--quiet", "origin", f"HEAD:refs/heads/{plan.branch}")
        if remote_was_empty and (self.path / "HEAD").is_file():
            # A fresh bare repo may default to another branch name; make main its default, as on the Hub.
            self._git("symbolic-ref", "HEAD", f"refs/heads/{plan.branch}", cwd=self.path)
        return commit

    def tag(self, tag: str, message: str | None, commit: str, *, replace: bool) -> None:
        self._git("tag", "--annotate", *(["--force"] if replace else []), "-m", message or tag, tag, commit)
        self._git("push", "--quiet", *(["--force"] if replace else []), "origin", f"refs/tags/{tag}")


def publish(plan: PublishPlan, *, token: str | None = None, api: Any = None) -> PublishResult:
    """Execute ``plan`` on its target (the Hub needs ``token`` or ``api``; the git target needs neither)."""
    if plan.target_kind == "hub" and api is None and token is None:
        token = resolve_token()
    return execute(plan, make_target(plan, token=token, api=api))


__all__ = ["PlannedFile", "PublishPlan", "PublishResult", "RemoteFile", "GitTarget", "HubTarget", "plan_dataset",
           "plan_metric", "execute", "publish", "diff", "changelog_entries", "check_dataset_card",
           "check_metric_card", "default_changelog", "token_source"]
