"""The HTML report: rendered from a real `valueportrait score --out` of the four released models, opened in a
real headless browser (Debian's chromium, installed by .ci/run): it loads with no script error, its charts and
tables are there, and a screenshot is taken. Expected values come from the leaderboard.json the page is made of."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from valueportrait.cli.main import cli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def scores(built_dataset, raw_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("scores") / "scores"
    res = CliRunner().invoke(cli, ["score", "--upstream-outputs", str(raw_dir / "lm_evaluation/outputs/final"),
                                   "--dataset", str(built_dataset), "--out", str(out), "--n-boot", "100"])
    assert res.exit_code == 0, res.output
    return out


def _chromium(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args],
                          capture_output=True, text=True, timeout=120)


def test_report_page(scores, tmp_path):
    page = tmp_path / "report.html"
    res = CliRunner().invoke(cli, ["report", str(scores), "--out", str(page),
                                   "--overlay", "gpt-4o-2024-11-20,human raters"])
    assert res.exit_code == 0, res.output
    html = page.read_text(encoding="utf-8")
    board = json.loads((scores / "leaderboard.json").read_text())
    # self-contained: nothing fetched from anywhere
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    # the scale key, one radar per family in the overlay + one per model/human portrait
    n_models = len(board["models"])
    assert n_models == 5 and html.count("<svg") == 1 + 3 + n_models
    # the leaderboard cell shows the score and its interval from leaderboard.json (rounded to 2 decimals)
    cell = board["models"]["gpt-4o-2024-11-20"]["pvq"]["Benevolence"]
    shown = f"{cell['score']:+.2f}".replace("-", "\u2212")
    assert f'data-v="{cell["score"]}"' in html and shown in html
    assert f"{cell['ci_low']:+.2f}".replace("-", "\u2212") in html
    assert "Self-Direction" in html and "Self_Direction" not in html.split("<script>")[0]  # one human spelling
    assert "han-etal-2025-value" in html
    # citable: the package version, the dataset version, the selection rule; the local path never shown
    from valueportrait import __version__
    from valueportrait.dataset import DATASET_VERSION

    assert f"by valueportrait {__version__}" in html and f"version {DATASET_VERSION}" in html
    assert "is above 0.3 with p below 0.05" in html and str(scores.parent) not in html
    # the human row's interval unit is its own (raters), the models' prompt variants
    assert html.count('<td class="unit">raters</td>') == 3 and '<td class="unit">prompt variants</td>' in html
    # llama's real unreliability (profile reliability 0.46 over the 10 variant splits, p 0.13) is a banner, in the
    # reliability table in words
    rel = board["reliability"]["llama-3.1-8b-instruct"]
    assert rel["reliable"] is False and f"profile reliability {rel['profile_reliability']:.2f} over the 10" in html
    assert "permutation p 0.13: the profile&#x27;s shape is not reproducible" in html or \
        "permutation p 0.13: the profile's shape is not reproducible" in html
    assert "icc_ak" not in html and "order bias p" in html and "&lt; 0.001" in html
    # the three heatmaps share one colour scale: the largest |score| on the page (gpt-4o's Openness to Change,
    # +0.87 in the real scores) rounded up to a tenth
    top = max(abs(c["score"]) for fams in board["models"].values() for dims in fams.values() for c in dims.values()
              if c["score"] is not None)
    bars = re.findall(r'<div class="colorbar"><span>([^<]*)</span>', html)
    assert bars == [f"\u2212{math.ceil(top * 10) / 10:.2f}"] * 3
    # --overwrite needed the second time; a missing leaderboard is a clear error
    res = CliRunner().invoke(cli, ["report", str(scores), "--out", str(page)])
    assert res.exit_code == 1 and "exists; pass --overwrite" in res.output
    (tmp_path / "empty").mkdir()
    res = CliRunner().invoke(cli, ["report", str(tmp_path / "empty"), "--out", str(tmp_path / "x.html")])
    assert res.exit_code == 1 and "leaderboard.json' is missing" in res.output and "--out folder" in res.output


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (installed by .ci/run)")
def test_report_in_a_real_browser(scores, tmp_path):
    page = tmp_path / "report.html"
    assert CliRunner().invoke(cli, ["report", str(scores), "--out", str(page)]).exit_code == 0
    # errors thrown by the page's scripts are caught into the DOM, then the DOM is dumped after the scripts ran
    html = page.read_text(encoding="utf-8").replace(
        "<body>", "<body><script>window.onerror=function(m){document.body.setAttribute('data-err',m);};"
                  "</script>", 1)
    page.write_text(html, encoding="utf-8")
    dom = _chromium("--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    body = re.search(r"<body[^>]*>", dom.stdout).group(0)
    assert 'data-ready="1"' in body and "data-err" not in body, body
    # 1 scale key + 3 overlays + 5 portraits; 3 x 5 overlaid portraits + 5 single ones + 4 grey human references
    assert dom.stdout.count("<svg") == 9 and dom.stdout.count("<polygon") == 3 * 5 + 5 + 4
    shot = tmp_path / "report.png"
    res = _chromium("--window-size=1250,2600", f"--screenshot={shot}", page.as_uri())
    assert res.returncode == 0 and shot.stat().st_size > 50_000  # a real picture, not a blank page
