"""The metric Space's app (metric/app.py): launched on 127.0.0.1, it serves the library's report page for an
uploaded ratings file."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

APP = Path(__file__).resolve().parents[1] / "metric" / "app.py"
# Five items, one Big Five dimension each (tests/test_cli_score.py's hand computation: Openness +2.00), twice
# (v1, v2) so that the interval over prompt variants exists.
RATINGS = "model,item_id,variant,rating\n" + "".join(
    f"uploaded-model,{item},{v},{r}\n" for v in ("v1", "v2")
    for item, r in (("4050-5", 6), ("4044-2", 5), ("3055-4", 4), ("2041-3", 3), ("1029-3", 2)))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app(built_dataset):
    port = _free_port()
    env = {**os.environ, "VALUEPORTRAIT_DATASET": str(built_dataset), "GRADIO_SERVER_NAME": "127.0.0.1",
           "GRADIO_SERVER_PORT": str(port)}
    proc = subprocess.Popen([sys.executable, str(APP)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(url + "/", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read()
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_form_and_report_page(app):
    form = httpx.get(app + "/", timeout=10)
    assert form.status_code == 200 and 'name="ratings"' in form.text
    res = httpx.post(app + "/report", files={"ratings": ("mine.csv", RATINGS.encode(), "text/csv")}, timeout=60)
    assert res.status_code == 200, res.text
    page = res.text
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") >= 2  # a radar per portrait
    assert "uploaded-model" in page and "human raters" in page and "+2.00" in page  # Openness, by hand


def test_bad_upload_is_a_400_naming_the_problem(app):
    res = httpx.post(app + "/report", files={"ratings": ("mine.csv", b"model,item_id,rating\nm,9999-9,5\n",
                                                          "text/csv")}, timeout=60)
    assert res.status_code == 400 and "not item ids of this dataset: &#x27;9999-9&#x27;" in res.text
    res = httpx.post(app + "/report", files={"ratings": ("mine.txt", b"x", "text/plain")}, timeout=60)
    assert res.status_code == 400 and "expected a ratings file ending in .csv" in res.text
    assert httpx.get(app + "/nowhere", timeout=10).status_code == 404
