"""Shared fixtures: the real upstream release, and the dataset built from it once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _find_raw() -> Path:
    env = os.environ.get("VALUEPORTRAIT_RAW")
    for cand in ([Path(env)] if env else []) + [REPO.parent / "shared" / "upstream"]:
        if (cand / "data").is_dir():
            return cand.resolve()
    raise RuntimeError(
        "The tests need the upstream Value Portrait release: set VALUEPORTRAIT_RAW to its folder "
        "(in this workspace ../shared/upstream)."
    )


@pytest.fixture(scope="session", autouse=True)
def isolated_hf_cache(tmp_path_factory):
    """Each test session gets empty Hugging Face caches: ``datasets`` caches a local folder under its name and
    card alone, so a cache left on the machine by another build could otherwise be served."""
    base = tmp_path_factory.mktemp("hf-cache")
    mp = pytest.MonkeyPatch()
    mp.setenv("HF_DATASETS_CACHE", str(base / "datasets"))
    import datasets.config

    mp.setattr(datasets.config, "HF_DATASETS_CACHE", base / "datasets")
    yield base
    mp.undo()


@pytest.fixture(scope="session")
def raw_dir() -> Path:
    """Root of the real upstream release (holi-lab/ValuePortrait @08e1fb7)."""
    return _find_raw()


@pytest.fixture
def release(raw_dir, tmp_path) -> Path:
    """A copy in ``tmp_path/raw`` of the files the builders read, in the upstream layout (to break one of them)."""
    import shutil

    from valueportrait.builders.raw_release import INPUT_FILES

    root = tmp_path / "raw"
    for rel in INPUT_FILES:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(raw_dir / rel, root / rel)
    return root


@pytest.fixture(scope="session")
def release_data(raw_dir):
    """The Value Portrait tables built in memory from the real release (published correlations drive selection)."""
    from valueportrait.builders.release import from_release

    with pytest.warns(UserWarning):
        return from_release(raw_dir)


@pytest.fixture(scope="session")
def built_dataset(raw_dir, tmp_path_factory) -> Path:
    """A dataset folder built once per session from the real release with the default settings."""
    import warnings

    from valueportrait.builders.build import build_dataset
    from valueportrait.settings import Build

    out = tmp_path_factory.mktemp("built") / "valueportrait"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        build_dataset(out, Build(raw=raw_dir))
    return out


# -- SYNTHETIC demographics (shared by the build, deviation and metric tests) ---------------------------------
# The labels below are generated here over the real participant ids; they are not data of the benchmark (the
# public release has no demographics) and nothing synthetic ships.

def _synthetic_demographics(participant_ids):
    """SYNTHETIC Prolific-like export: sex / age / education assigned by position in the sorted ids."""
    import numpy as np
    import pandas as pd

    ids = sorted(participant_ids)
    k = np.arange(len(ids))
    sex = np.where(k < 300, "Female", "Male").astype(object)
    sex[:4] = "DATA_EXPIRED"  # withdrawn answers: these 4 are in no sex group
    age = 18 + (k * 7) % 57  # 18..74
    education = np.where(k < 3, "Doctorate", np.where(k % 2 == 0, "Bachelor", "Secondary"))  # 3 < min_raters
    frame = pd.DataFrame({"Participant id": ids, "Sex": sex, "Age": age, "Education": education,
                          "Status": "APPROVED"})
    stranger = pd.DataFrame([{"Participant id": "P999X", "Sex": "Male", "Age": 40, "Education": "Bachelor",
                              "Status": "APPROVED"}])  # not a participant: dropped with a warning
    return pd.concat([frame, stranger], ignore_index=True)


#: Bootstrap replicates of the group norms in the ``demo_build`` dataset.
DEMO_N_BOOT = 200


@pytest.fixture(scope="session")
def synthetic_demographics():
    """The function making the SYNTHETIC demographics table from participant ids (see ``demo_build``)."""
    return _synthetic_demographics


@pytest.fixture(scope="session")
def demo_build(raw_dir, built_dataset, tmp_path_factory):
    """A dataset folder built once per session with SYNTHETIC demographics (``valueportrait build --demographics``).

    Attributes sex (Female 296, Male 259, 4 missing), age (binned 18,30,45,60) and education (Doctorate has 3
    raters, fewer than min_raters); group norms with 200 bootstrap replicates, seed 0. Returns a dict: root,
    csv, frame, out (the dataset folder), result (the CLI result), args.
    """
    import pandas as pd
    from click.testing import CliRunner

    from valueportrait.builders.build import parquet_path
    from valueportrait.cli.main import cli

    root = tmp_path_factory.mktemp("demographics")
    pids = pd.read_parquet(built_dataset / parquet_path("participants"))["participant_id"].tolist()
    frame = _synthetic_demographics(pids)
    csv = root / "synthetic_demographics.csv"
    frame.to_csv(csv, index=False)
    out = root / "valueportrait"
    args = ["build", "--raw", str(raw_dir), "--out", str(out),
            "--demographics", str(csv), "--attribute", "sex=Sex", "--attribute", "age=Age",
            "--attribute", "education=Education", "--bins", "age=18,30,45,60", "--n-boot", str(DEMO_N_BOOT)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return {"root": root, "csv": csv, "frame": frame, "out": out, "result": result, "args": args}


@pytest.fixture(scope="session")
def persona_ratings(demo_build):
    """SYNTHETIC model ratings (random integers, seed 5) as a CSV: every item twice (variants v1, v2) for the
    personas sex=Female, sex=Male and education=Doctorate."""
    import numpy as np
    import pandas as pd

    from valueportrait.builders.build import parquet_path

    rng = np.random.default_rng(5)
    items = pd.read_parquet(demo_build["out"] / parquet_path("items"))["item_id"]
    frames = [pd.DataFrame({"model": "synthetic-model", "item_id": items, "variant": v, "persona": p,
                            "rating": rng.integers(1, 7, len(items)).astype(float)})
              for p in ("sex=Female", "sex=Male", "education=Doctorate") for v in ("v1", "v2")]
    path = demo_build["root"] / "synthetic_ratings.csv"
    pd.concat(frames).to_csv(path, index=False)
    return path


@pytest.fixture
def isolated_git(tmp_path, monkeypatch):
    """git sees no global or system config (so no user identity or signing from this machine). The publish tests
    use it for every test: ``pytestmark = pytest.mark.usefixtures("isolated_git")``."""
    cfg = tmp_path / "empty-gitconfig"
    cfg.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(cfg))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


@pytest.fixture
def release_mirror(raw_dir, tmp_path):
    """GitHub's archive of the pinned commit, made from the release and served from 127.0.0.1: the README's first
    command (no --raw) downloads it through $VALUEPORTRAIT_RELEASE_URL; the paths it was asked for are listed."""
    import functools
    import http.server
    import tarfile
    import threading

    from valueportrait.builders.raw_release import INPUT_FILES, UPSTREAM_COMMIT

    served = tmp_path / "served"
    served.mkdir()
    with tarfile.open(served / f"{UPSTREAM_COMMIT}.tar.gz", "w:gz") as tf:
        for rel in INPUT_FILES:
            tf.add(raw_dir / rel, arcname=f"ValuePortrait-{UPSTREAM_COMMIT}/{rel}")
    asked: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            super().do_GET()

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(served)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/{UPSTREAM_COMMIT}.tar.gz", asked
    httpd.shutdown()
