"""Get the upstream release without a checkout: a folder, an archive file or a URL, verified against sha256 sums.

``--raw`` (or ``$VALUEPORTRAIT_RAW``) may name

* a folder: the release root (holding ``data/`` and ``lm_evaluation/``), used as it is;
* an archive file (``.tar.gz``, ``.tgz``, ``.tar`` or ``.zip``) laid out as GitHub's archive of a commit (one top
  folder holding the release);
* an ``http://`` or ``https://`` URL of such an archive: downloaded once (httpx, with a progress bar) into the
  cache folder.

With neither, the default is GitHub's archive of the pinned commit (:data:`DEFAULT_URL`), or the URL in
``$VALUEPORTRAIT_RELEASE_URL`` (a mirror of that archive, for sites that cannot reach GitHub); either way the
files are verified against the pinned sums. An archive is
unpacked into the cache (``$VALUEPORTRAIT_CACHE``, else ``$XDG_CACHE_HOME/valueportrait``, else
``~/.cache/valueportrait``) and every file the build reads is checked against the sha256 sums shipped with the
package (``upstream_manifest.json``: path -> sha256 for the pinned commit, no data): a mismatch is an error naming
the file and both sums, and nothing is built. A folder is the user's and is not checked here: the build
compares its sums with the same manifest (:mod:`.pinned`: a warning and ``build_info["modified_release"]``, or an
error with ``--strict``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
import tempfile
import zipfile
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from valueportrait.errors import RawDataError, RawDataNotFoundError
from valueportrait.secrets import scrub

from .pins import ENV_VAR, UPSTREAM_COMMIT, UPSTREAM_REPO, sha256_of

__all__ = ["ARCHIVE_SUFFIXES", "DEFAULT_URL", "MIRROR_ENV", "cache_dir", "default_url", "fetch_release", "manifest", "manifest_mismatches"]

#: GitHub's archive of the pinned commit: the default source of the release.
DEFAULT_URL = f"{UPSTREAM_REPO}/archive/{UPSTREAM_COMMIT}.tar.gz"
#: Archive file names --raw accepts.
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")
CACHE_ENV = "VALUEPORTRAIT_CACHE"
#: A mirror of GitHub's archive of the pinned commit, used instead of :data:`DEFAULT_URL` when set.
MIRROR_ENV = "VALUEPORTRAIT_RELEASE_URL"


def cache_dir() -> Path:
    """Where downloads and unpacked releases are kept (``$VALUEPORTRAIT_CACHE`` > XDG > ``~/.cache``)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "valueportrait"


def default_url() -> str:
    """Where the release is downloaded from without ``--raw``: ``$VALUEPORTRAIT_RELEASE_URL``, else GitHub."""
    return os.environ.get(MIRROR_ENV) or DEFAULT_URL


def manifest() -> dict[str, str]:
    """path -> sha256 of every file the build reads, for the pinned commit (shipped with the package)."""
    text = resources.files("valueportrait.builders").joinpath("upstream_manifest.json").read_text(encoding="utf-8")
    return json.loads(text)["sha256"]


def manifest_mismatches(root: Path) -> dict[str, tuple[str | None, str]]:
    """Files of ``root`` whose sha256 differs from the pinned release: path -> (found or None if missing, expected)."""
    out = {}
    for rel, want in manifest().items():
        path = root / rel
        got = sha256_of(path) if path.is_file() else None
        if got != want:
            out[rel] = (got, want)
    return out


def is_url(value: str) -> bool:
    return urlsplit(str(value)).scheme in ("http", "https")


def is_archive(value: str | os.PathLike[str]) -> bool:
    return str(value).lower().endswith(ARCHIVE_SUFFIXES)


def fetch_release(raw: str | os.PathLike[str] | None, *, progress: bool = True) -> Path:
    """The release root for ``raw`` (folder, archive or URL; None: ``$VALUEPORTRAIT_RAW``, else the pinned archive
    from :func:`default_url`).

    Raises
    ------
    RawDataNotFoundError
        A download that fails (offline, wrong URL) or an archive that is missing.
    RawDataError
        An archive that is not laid out as one top folder, unsafe member paths, or a file whose sha256
        differs from the pinned release.
    """
    value = raw if raw is not None and str(raw) != "" else os.environ.get(ENV_VAR) or default_url()
    if is_url(str(value)):
        archive = _download(str(value), progress=progress)
    elif is_archive(value) and not Path(value).is_dir():
        archive = Path(value).expanduser()
        if not archive.is_file():
            raise RawDataNotFoundError(f"the release archive {str(archive)!r} does not exist; give a folder, an archive "
                                       f"file ({', '.join(ARCHIVE_SUFFIXES)}) or an http(s) URL with --raw or {ENV_VAR}")
    else:
        return Path(value).expanduser()  # a folder: raw_release.resolve_raw_dir checks its layout
    return _unpacked(archive)


def _download(url: str, *, progress: bool) -> Path:
    import httpx
    from tqdm.auto import tqdm

    shown = scrub(url)
    name = hashlib.sha256(url.encode()).hexdigest()[:16] + "-" + (Path(urlsplit(url).path).name or "release.tar.gz")
    target = cache_dir() / "downloads" / name
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh, httpx.stream("GET", url, follow_redirects=True, timeout=60.0) as resp:
            if resp.status_code != 200:
                raise RawDataNotFoundError(f"downloading the release from {shown} failed: HTTP {resp.status_code}. "
                                           f"Check the URL, or give a local copy with --raw DIR or {ENV_VAR}=DIR "
                                           f"(a checkout of {UPSTREAM_REPO} at commit {UPSTREAM_COMMIT[:7]}).")
            total = int(resp.headers.get("content-length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc="Downloading the release",
                      disable=not progress) as bar:
                for chunk in resp.iter_bytes(1 << 16):
                    fh.write(chunk)
                    bar.update(len(chunk))
        os.replace(tmp, target)
    except httpx.HTTPError as exc:
        raise RawDataNotFoundError(
            f"could not download the release from {shown}: {scrub(str(exc)) or type(exc).__name__}. Without network, "
            f"give a local copy with --raw DIR or {ENV_VAR}=DIR (a checkout of {UPSTREAM_REPO} at commit "
            f"{UPSTREAM_COMMIT[:7]}, or its archive file).") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def _unpacked(archive: Path) -> Path:
    """Unpack ``archive`` once into the cache (keyed by its sha256), verify it and return the release root."""
    digest = sha256_of(archive)
    dest = cache_dir() / "releases" / digest[:24]
    if not (dest / ".verified").is_file():
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.tmp-"))
        try:
            _extract(archive, tmp)
            root = _top_folder(tmp, archive)
            _verify(root, archive)
            (tmp / ".verified").write_text(root.name + "\n", encoding="utf-8")
            if dest.exists():
                shutil.rmtree(dest)
            os.replace(tmp, dest)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return dest / (dest / ".verified").read_text(encoding="utf-8").strip()


def _extract(archive: Path, into: Path) -> None:
    name = archive.name.lower()
    try:
        if name.endswith(".zip"):
            with zipfile.ZipFile(archive) as zf:
                for member in zf.namelist():
                    _check_member(member, archive)
                zf.extractall(into)
        else:
            with tarfile.open(archive) as tf:
                tf.extractall(into, filter="data")  # refuses absolute paths, '..', links out of the folder
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as exc:
        raise RawDataError(f"{archive}: not a readable {'zip' if name.endswith('.zip') else 'tar'} archive ({exc}); "
                           f"download it again or give the release folder with --raw DIR") from None


def _check_member(member: str, archive: Path) -> None:
    parts = Path(member).parts
    if member.startswith(("/", "\\")) or ".." in parts:
        raise RawDataError(f"{archive}: unsafe member path {member!r} (absolute or with '..'); not unpacked")


def _top_folder(tmp: Path, archive: Path) -> Path:
    tops = [p for p in tmp.iterdir() if not p.name.startswith(".")]
    if len(tops) == 1 and tops[0].is_dir() and (tops[0] / "data").is_dir():
        return tops[0]
    raise RawDataError(f"{archive}: expected GitHub's archive layout (one top folder holding data/ and lm_evaluation/); "
                       f"found {sorted(p.name for p in tops)[:10]}")


def _verify(root: Path, archive: Path) -> None:
    bad = manifest_mismatches(root)
    if bad:
        shown = "; ".join(f"{rel}: sha256 {got or 'missing'}, expected {want}" for rel, (got, want) in list(bad.items())[:5])
        raise RawDataError(f"{archive}: {len(bad)} file(s) differ from the pinned release {UPSTREAM_REPO} at "
                           f"{UPSTREAM_COMMIT[:7]}: {shown}. Nothing was built; download the release again (or give a "
                           "folder with --raw DIR to build from modified data on purpose).")
