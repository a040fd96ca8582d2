"""A survey build's own family titles and dimension labels on every surface (issue 25): the printed leaderboard,
leaderboard.json's ``meta.instrument``, leaderboard.md, the HTML report and the chart.

Where the expected words come from: the SYNTHETIC German example's ``examples/survey_de/instrument.yaml``, read
here with PyYAML (not with the package's loader): family ``werte`` is titled "Werte höherer Ordnung
(synthetisch)" and labels its dimension ``Selbststaerkung`` "Selbststärkung", family ``big5`` labels
``Vertraeglichkeit`` "Verträglichkeit". Known truth of the ratings: the model says 5 to every response written
for Gewissenhaftigkeit and 2 to all others (as in tests/test_survey_run.py)."""

from __future__ import annotations

import html
import json
import re

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from valueportrait.cli.main import cli
from survey_example import EXAMPLE, build_example, generator
from valueportrait.dataset import open_dataset

DECLARED = yaml.safe_load((EXAMPLE / "instrument.yaml").read_text(encoding="utf-8"))
#: {family key: (title, {dimension id: label})}, as the instrument file declares them
TITLES = {f["key"]: (f["title"], dict(zip(f["dimensions"], f["labels"]))) for f in DECLARED["families"]}


def _conscientious() -> tuple[str, ...]:
    return next(lines for _, d, _, lines in generator().DIMENSIONS if d == "Gewissenhaftigkeit")


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    work = tmp_path_factory.mktemp("survey_titles")
    ds = build_example(work / "survey_de")
    items = open_dataset(ds).items
    lines = _conscientious()
    rating = [5 if r in lines else 2 for r in items["response"]]
    ratings = pd.concat([pd.DataFrame({"model": "gewissenhaft", "item_id": items["item_id"], "variant": v,
                                       "persona": "", "rating": rating}) for v in ("v1", "v1_reversed")])
    ratings.to_csv(work / "ratings.csv", index=False)
    res = CliRunner().invoke(cli, ["score", str(work / "ratings.csv"), "--dataset", str(ds), "--out",
                                   str(work / "board")])
    assert res.exit_code == 0, res.output
    return work, res.output


def test_the_example_declares_titles_and_labels_unlike_its_ids():
    # the point of the test: the words a person reads differ from the keys and ids
    assert TITLES["werte"][0] == "Werte höherer Ordnung (synthetisch)"
    assert TITLES["werte"][1]["Selbststaerkung"] == "Selbststärkung"
    assert TITLES["big5"][1]["Vertraeglichkeit"] == "Verträglichkeit"
    assert TITLES["werte"][1]["Offenheit"] == "Offenheit für Wandel"


def test_the_printed_leaderboard_uses_the_titles_and_labels(scored):
    _, out = scored
    lines = out.splitlines()
    for key, (title, labels) in TITLES.items():
        assert any(line.startswith(f"{title}: centred score") for line in lines), out
        assert not any(line.startswith(f"{key}: ") for line in lines), out
        rows = [line for line in lines if line.startswith(tuple(labels.values()))]
        assert {label for label in labels.values() if any(r.startswith(label + " ") for r in rows)} \
            == set(labels.values()), out
    # no table row is headed by a bare id whose label differs
    assert not any(line.startswith(("Selbststaerkung", "Vertraeglichkeit", "Offenheit +", "Offenheit  ")) for line in lines)


def test_leaderboard_json_records_the_instrument(scored):
    work, _ = scored
    board = json.loads((work / "board" / "leaderboard.json").read_text(encoding="utf-8"))
    assert board["meta"]["instrument"] == {
        "name": DECLARED["name"], "version": DECLARED["version"], "language": "de",
        "families": {k: {"title": t, "labels": labels} for k, (t, labels) in TITLES.items()}}
    # the scores stay keyed by the ids (the data), only what a person reads changes
    assert list(board["models"]["gewissenhaft"]["werte"]) == list(TITLES["werte"][1])
    md = (work / "board" / "leaderboard.md").read_text(encoding="utf-8")
    assert md.startswith("# Werteporträt DE (synthetisch) leaderboard\n")
    assert "### Werte höherer Ordnung (synthetisch): centred score" in md
    assert "| model | Offenheit für Wandel | Selbststärkung | Bewahrung | Selbsttranszendenz |" in md
    assert "| model | Extraversion | Gewissenhaftigkeit | Verträglichkeit |" in md


def test_the_html_report_uses_the_titles_and_labels(scored):
    work, _ = scored
    res = CliRunner().invoke(cli, ["report", str(work / "board"), "--out", str(work / "report.html")])
    assert res.exit_code == 0, res.output
    page = (work / "report.html").read_text(encoding="utf-8")
    for title, labels in TITLES.values():
        assert f"<h3>{html.escape(title)}</h3>" in page  # the heatmap's and the leaderboard's headings
        assert f"<b>{html.escape(title)}</b>" in page  # the validity summary
        for label in labels.values():
            assert f"<th>{html.escape(label)}</th>" in page  # the tables' columns
            assert re.search(rf"<text [^>]*>{re.escape(html.escape(label))}</text>", page), label  # radar axes
    assert "<h2>Portraits: Werte höherer Ordnung (synthetisch)</h2>" in page
    assert "<title>Werteporträt DE (synthetisch) report</title>" in page  # the instrument's name, not VP's
    assert "<th>Selbststaerkung</th>" not in page and "<h3>werte</h3>" not in page
    (work / "survey_report.html").write_text(page, encoding="utf-8")


@pytest.mark.parametrize("kind", ["radar", "heatmap"])
def test_the_chart_uses_the_titles_and_labels(scored, kind):
    pytest.importorskip("matplotlib")
    import matplotlib

    work, _ = scored
    out = work / f"werte-{kind}.svg"
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # text as <text>, not glyph paths, to be read back
        res = CliRunner().invoke(cli, ["plot", str(work / "board"), "--family", "werte", "--kind", kind,
                                       "--out", str(out)])
    assert res.exit_code == 0, res.output
    texts = [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", out.read_text(encoding="utf-8"))]
    assert "Werte höherer Ordnung (synthetisch): centred scores" in texts
    assert set(TITLES["werte"][1].values()) <= set(texts), texts
    assert "Selbststaerkung" not in texts


def test_merged_boards_keep_the_first_instrument_found():
    # plot merges the boards it is given: a first one without meta.instrument (an upstream scores file) must not
    # drop the survey board's titles
    from valueportrait.board import merge_boards

    werte = {"families": {"werte": {"title": "Werte", "labels": {"Offenheit": "Offenheit für Wandel"}}}}
    merged = merge_boards([{"meta": {}, "models": {"x": {}}}, {"meta": {"instrument": werte}, "models": {"y": {}}},
                           {"meta": {"instrument": {"families": {}}}, "models": {"z": {}}}])
    assert merged["meta"]["instrument"] == werte and list(merged["models"]) == ["x", "y", "z"]
