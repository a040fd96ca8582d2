"""--raw as an archive or URL: download from a server on 127.0.0.1, unpack into the cache, verify sha256 sums.

The archives are made in the test from the real release ($VALUEPORTRAIT_RAW), laid out as GitHub's archive of a
commit (one top folder); the expected sums are the package's manifest, whose figures are the sha256 of the
pinned commit's files (checked against the release folder itself in the first test).
"""

from __future__ import annotations

import functools
import http.server
import io
import tarfile
import threading
import zipfile
from pathlib import Path

import pytest

from valueportrait.builders import fetch
from valueportrait.builders.raw_release import INPUT_FILES, UPSTREAM_COMMIT, resolve_raw_dir, sha256_of
from valueportrait.errors import RawDataError, RawDataNotFoundError

TOP = f"ValuePortrait-{UPSTREAM_COMMIT}"


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("VALUEPORTRAIT_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _tar(raw_dir: Path, out: Path, *, tamper: str | None = None, extra: dict[str, bytes] | None = None) -> Path:
    with tarfile.open(out, "w:gz") as tf:
        for rel in INPUT_FILES:
            data = (raw_dir / rel).read_bytes()
            if rel == tamper:
                data = data.replace(b"1", b"2", 1)
            info = tarfile.TarInfo(f"{TOP}/{rel}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        for name, data in (extra or {}).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return out


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_manifest_is_the_pinned_release(raw_dir):
    # every file the build reads is in the manifest, with the sha256 of the release folder's copy
    m = fetch.manifest()
    assert sorted(m) == sorted(INPUT_FILES) and len(m) == 23
    assert all(sha256_of(raw_dir / rel) == want for rel, want in m.items())
    assert fetch.manifest_mismatches(raw_dir) == {}


def test_download_from_a_url_unpacks_and_verifies(raw_dir, server, cache):
    served, base = server
    _tar(raw_dir, served / f"{UPSTREAM_COMMIT}.tar.gz")
    root = resolve_raw_dir(f"{base}/{UPSTREAM_COMMIT}.tar.gz")
    assert root.name == TOP and root.is_relative_to(cache)
    assert all(sha256_of(root / rel) == sha256_of(raw_dir / rel) for rel in INPUT_FILES)
    # second time: served from the cache, no request needed
    (served / f"{UPSTREAM_COMMIT}.tar.gz").unlink()
    assert resolve_raw_dir(f"{base}/{UPSTREAM_COMMIT}.tar.gz") == root


def test_archive_file_and_zip(raw_dir, tmp_path):
    root = resolve_raw_dir(str(_tar(raw_dir, tmp_path / "r.tar.gz")))
    assert (root / "data").is_dir()
    z = tmp_path / "r.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for rel in INPUT_FILES:
            zf.write(raw_dir / rel, f"{TOP}/{rel}")
    assert fetch.manifest_mismatches(resolve_raw_dir(str(z))) == {}


def test_tampered_archive_names_the_file_and_both_sums(raw_dir, tmp_path, cache):
    rel = "data/prolific/survey/main/survey.json"
    archive = _tar(raw_dir, tmp_path / "bad.tar.gz", tamper=rel)
    with pytest.raises(RawDataError) as err:
        resolve_raw_dir(str(archive))
    msg = str(err.value)
    assert rel in msg and fetch.manifest()[rel] in msg and "Nothing was built" in msg
    assert not list((cache / "releases").glob("*/.verified"))  # nothing half-unpacked is kept as verified


def test_unsafe_and_malformed_archives(raw_dir, tmp_path):
    evil = _tar(raw_dir, tmp_path / "evil.tar.gz", extra={"../evil.txt": b"x"})
    with pytest.raises(RawDataError):
        resolve_raw_dir(str(evil))
    assert not (tmp_path / "evil.txt").exists()
    z = tmp_path / "evil.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("../../evil.txt", "x")
    with pytest.raises(RawDataError, match="unsafe member path"):
        resolve_raw_dir(str(z))
    (tmp_path / "junk.tar.gz").write_bytes(b"not an archive")
    with pytest.raises(RawDataError, match="not a readable tar archive"):
        resolve_raw_dir(str(tmp_path / "junk.tar.gz"))
    with pytest.raises(RawDataNotFoundError, match="does not exist"):
        resolve_raw_dir(str(tmp_path / "missing.zip"))


def test_http_errors_and_offline_default(server, monkeypatch):
    _, base = server
    with pytest.raises(RawDataNotFoundError, match="HTTP 404"):
        resolve_raw_dir(f"{base}/nope.tar.gz")
    # the default (no --raw, no $VALUEPORTRAIT_RAW) is GitHub's archive of the pinned commit; an unreachable
    # host is a clear error (here a closed port on 127.0.0.1 stands in for the offline case), credentials scrubbed
    assert fetch.DEFAULT_URL == f"https://github.com/holi-lab/ValuePortrait/archive/{UPSTREAM_COMMIT}.tar.gz"
    monkeypatch.delenv("VALUEPORTRAIT_RAW", raising=False)
    monkeypatch.setattr(fetch, "DEFAULT_URL", "http://user:secret@127.0.0.1:9/x.tar.gz")
    with pytest.raises(RawDataNotFoundError) as err:
        resolve_raw_dir(None)
    assert "could not download the release" in str(err.value) and "secret" not in str(err.value)
    assert "--raw DIR" in str(err.value)


def test_no_raw_downloads_the_pinned_archive_from_the_mirror(raw_dir, server, cache, monkeypatch):
    # Without --raw and $VALUEPORTRAIT_RAW: $VALUEPORTRAIT_RELEASE_URL (here a server on 127.0.0.1) replaces GitHub
    served, base = server
    _tar(raw_dir, served / "mirror.tar.gz")
    monkeypatch.delenv("VALUEPORTRAIT_RAW", raising=False)
    monkeypatch.setenv(fetch.MIRROR_ENV, f"{base}/mirror.tar.gz")
    assert fetch.default_url() == f"{base}/mirror.tar.gz"
    root = fetch.fetch_release(None, progress=False)
    assert root.name == TOP and fetch.manifest_mismatches(root) == {}
    monkeypatch.delenv(fetch.MIRROR_ENV)
    assert fetch.default_url() == fetch.DEFAULT_URL == (
        "https://github.com/holi-lab/ValuePortrait/archive/08e1fb7903c619592bd8b3267f00191e36957f9e.tar.gz")
