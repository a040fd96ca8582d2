"""The HTML report and the figures in a real browser (Debian's chromium, installed by .ci/run), with the four
released models and with 33 portraits.

The 4-model report is made from a real `valueportrait score` of upstream's released outputs. The 33-model one
adds 29 SIMULATED portraits (named ``simulated-NN``, built from the released ones plus noise, see
:func:`simulated_board`): the release has only four models, and the layout must hold for the paper's 33. One
released model is made partial (962 of 3,120 requests, the run killed at 31% of the issue) and the
unreliability of llama-3.1-8b-instruct is the real one (profile reliability 0.46 < 0.7, p 0.13). Facts are read from the
DOM after the page's scripts ran, at a 1400 px window; screenshots stay under the test's temp folder
(pytest's ``--basetemp`` keeps them as CI artifacts)."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess

import numpy as np
import pytest
from click.testing import CliRunner

from valueportrait.cli.main import cli
from valueportrait.html_report import render_report
from valueportrait.scale import FAMILIES

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_browser = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (installed by .ci/run)")

PARTIAL = "gemini-2.0-flash-001"  # made partial here: 962 of 3,120 requests rated
UNRELIABLE = "llama-3.1-8b-instruct"  # unreliable in the real scores: profile reliability 0.46 < 0.7, p 0.13


def simulated_board(real: dict, n_models: int, seed: int = 0) -> dict:
    """The real leaderboard with (n_models - 4) SIMULATED portraits added (``simulated-NN``: a released model's
    portrait, its scores moved by N(0, 0.15), its intervals moved with them), each with a simulated run record;
    :data:`PARTIAL` set to 962 of 3,120 requests rated; ``meta.above_chance`` as the build recorded it."""
    rng = np.random.default_rng(seed)
    board = copy.deepcopy(real)
    real_models = [m for m in real["models"] if m != "human raters"]
    human = board["models"].pop("human raters")
    for k in range(n_models - len(real_models)):
        base = real["models"][real_models[k % len(real_models)]]
        port = copy.deepcopy(base)
        for fam in port.values():
            for cell in fam.values():
                if cell.get("score") is not None:
                    d = float(rng.normal(0, 0.15))
                    cell["score"] += d
                    cell["ci_low"] = None if cell.get("ci_low") is None else cell["ci_low"] + d
                    cell["ci_high"] = None if cell.get("ci_high") is None else cell["ci_high"] + d
        name = f"simulated-{k + 5:02d}"
        board["models"][name] = port
        board["coverage"][name] = {"rated": 3120, "requests": 3120, "share": 1.0, "partial": False}
        board["reliability"][name] = {"reliable": True, "profile_split_half": 0.9, "threshold": 0.7}
        board.setdefault("runs", {})[name] = {"backend": "openai", "endpoint": "127.0.0.1", "temperature": 0.0,
                                              "variants": "v1,v1_reversed,v2,v2_reversed,v3,v3_reversed"}
    board["models"]["human raters"] = human
    board["coverage"][PARTIAL] = {"rated": 962, "requests": 3120, "share": 962 / 3120, "partial": True}
    # the build's own chance flags (issue 22; the real ones mark Tradition among others), else Tradition by hand
    board["meta"].setdefault("above_chance", {"pvq": {d: d != "Tradition" for d in FAMILIES["pvq"]}})
    return board


@pytest.fixture(scope="module")
def real_board(built_dataset, raw_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("scores") / "scores"
    res = CliRunner().invoke(cli, ["score", "--upstream-outputs", str(raw_dir / "lm_evaluation/outputs/final"),
                                   "--dataset", str(built_dataset), "--out", str(out), "--n-boot", "100"])
    assert res.exit_code == 0, res.output
    return json.loads((out / "leaderboard.json").read_text())


#: Run in the page after its scripts: the layout facts the tests check, written into the DOM as JSON.
FACTS = """<script>window.addEventListener('load',function(){var d=document,f={};
f.scrollWidth=d.documentElement.scrollWidth;f.innerWidth=window.innerWidth;
f.limits=Array.from(d.querySelectorAll('svg[data-limit]')).map(function(s){return s.getAttribute('data-limit');});
f.banners=Array.from(d.querySelectorAll('.banner')).map(function(b){return [b.classList[1],b.getAttribute('data-model')];});
f.colors={};d.querySelectorAll('[data-name][data-color]').forEach(function(e){
  (f.colors[e.getAttribute('data-name')]=f.colors[e.getAttribute('data-name')]||[]).push(e.getAttribute('data-color'));});
f.wide=Array.from(d.querySelectorAll('table,svg,dl,pre')).filter(function(e){
  return e.getBoundingClientRect().right>window.innerWidth+1;}).map(function(e){return e.tagName+'.'+e.className;});
var p=d.createElement('pre');p.id='facts';p.textContent=JSON.stringify(f);d.body.appendChild(p);});</script>"""


def _browser(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args],
                          capture_output=True, text=True, timeout=180)


def _facts(page, tmp_path, name: str) -> dict:
    probe = tmp_path / f"{name}-probe.html"
    probe.write_text(page.replace("</body>", FACTS + "</body>"), encoding="utf-8")
    dom = _browser("--window-size=1400,900", "--virtual-time-budget=5000", "--dump-dom", probe.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    return json.loads(re.search(r'<pre id="facts">(.*?)</pre>', dom.stdout, re.S).group(1).replace("&amp;", "&"))


def _screenshot(page, tmp_path, name: str, height: int) -> None:
    path = tmp_path / f"{name}.html"
    path.write_text(page, encoding="utf-8")
    shot = tmp_path / f"{name}.png"
    res = _browser("--window-size=1400," + str(height), f"--screenshot={shot}", path.as_uri())
    assert res.returncode == 0 and shot.stat().st_size > 50_000  # a real picture, not a blank page


@needs_browser
@pytest.mark.parametrize("n_models", [4, 33])
def test_report_layout_in_a_browser(real_board, tmp_path, n_models):
    board = simulated_board(real_board, n_models)
    page = render_report(board, generated="2026-12-07 19:00 UTC")
    facts = _facts(page, tmp_path, f"report{n_models}")
    # fits a 1400 px window: nothing wider than the window, no sideways scrolling
    assert facts["scrollWidth"] <= facts["innerWidth"] == 1400 and facts["wide"] == [], facts["wide"]
    # one radial scale on the whole page: every chart (3 overlays + one per portrait) and the scale key agree
    assert len(facts["limits"]) == 1 + 3 + n_models + 1 and len(set(facts["limits"])) == 1
    # the partial model (962 of 3,120) and the unreliable one (profile reliability 0.46) carry their banners
    assert ["partial", PARTIAL] in facts["banners"] and ["unreliable", UNRELIABLE] in facts["banners"]
    assert "962 of 3,120 requests (30.8%)" in page
    assert "profile reliability 0.46 over the 10 splits of the prompt variants, permutation p 0.13" in page
    # Tradition's item selection is not above chance in the real build (issue 22's audit): marked on every chart
    assert board["meta"]["above_chance"]["pvq"]["Tradition"] is False
    assert page.count("Tradition \u2020</text>") == 1 + n_models + 1  # the overlay + one chart per portrait
    # every model has one colour on the page, and no two models share one
    colors = {m: set(c) for m, c in facts["colors"].items()}
    assert all(len(c) == 1 for c in colors.values()) and len(colors) == n_models + 1
    assert len({next(iter(c)) for c in colors.values()}) == n_models + 1
    _screenshot(page, tmp_path, f"report{n_models}", 7000 if n_models == 4 else 16000)
    # prints on A4: Chromium's PDF of the page has A4 pages (595 x 842 pt), a handful for 4 models
    pdf = tmp_path / f"report{n_models}.pdf"
    res = _browser("--no-pdf-header-footer", f"--print-to-pdf={pdf}", (tmp_path / f"report{n_models}.html").as_uri())
    assert res.returncode == 0, res.stderr[-2000:]
    boxes = re.findall(rb"/MediaBox\s*\[([^\]]*)\]", pdf.read_bytes())
    assert boxes and {tuple(round(float(v)) for v in b.split()) for b in boxes} == {(0, 0, 595, 842)}
    if n_models == 4:
        assert len(boxes) <= 8


@needs_browser
def test_a_model_keeps_its_colour_across_reports(real_board, tmp_path):
    big = simulated_board(real_board, 33)
    small = copy.deepcopy(big)
    small["models"] = {m: small["models"][m] for m in ["simulated-20", UNRELIABLE, "human raters"]}
    a = _facts(render_report(big), tmp_path, "big")["colors"]
    b = _facts(render_report(small), tmp_path, "small")["colors"]
    assert a[UNRELIABLE] == b[UNRELIABLE] and a["simulated-20"] == b["simulated-20"]
    assert a[UNRELIABLE][0] == "#D55E00" and a["human raters"][0] == "#000000"  # style.PINNED, HUMAN_COLOR
