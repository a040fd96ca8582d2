"""The metric Space (metric/): its card, Dockerfile and app agree, and it is launched the way the Hub launches a
Docker Space (the Dockerfile's CMD in a folder holding exactly what `publish-metric` uploads; tests/space_launch.py)
on 127.0.0.1: it serves the library's report page for an uploaded ratings file, refuses oversized and stalled
uploads, and shows no path of the server in an error page."""

from __future__ import annotations

import ast
import shutil
import socket
import sys
import time
from pathlib import Path

import httpx
import pytest
from huggingface_hub import SpaceCard
from space_launch import launch, read_dockerfile

from valueportrait import hub

METRIC = Path(__file__).resolve().parents[1] / "metric"
# Five items, one Big Five dimension each (tests/test_cli_score.py's hand computation: Openness +2.00), twice
# (v1, v2) so that the interval over prompt variants exists.
RATINGS = "model,item_id,variant,rating\n" + "".join(
    f"uploaded-model,{item},{v},{r}\n" for v in ("v1", "v2")
    for item, r in (("4050-5", 6), ("4044-2", 5), ("3055-4", 4), ("2041-3", 3), ("1029-3", 2)))
READ_TIMEOUT_S = 1  # the app's read deadline in these tests (its default is 30 s)
MAX_UPLOAD_MB = 1


def test_card_dockerfile_and_app_agree():
    card = SpaceCard.load(METRIC / "README.md").data
    docker = read_dockerfile(METRIC / "Dockerfile")
    assert card.sdk == "docker" and card.app_port == 7860  # the Hub sends the Space's traffic to app_port
    assert docker["expose"] == [card.app_port] and docker["env"]["VALUEPORTRAIT_PORT"] == str(card.app_port)
    assert docker["env"]["VALUEPORTRAIT_HOST"] == "0.0.0.0"  # reachable from outside the container
    assert docker["cmd"] == ["python", "app.py"] and (METRIC / "app.py").is_file()
    assert docker["requirements"] == ["requirements.txt"]
    reqs = (METRIC / "requirements.txt").read_text().split()
    assert "valueportrait" in reqs and any(r.startswith("evaluate") for r in reqs)
    # app.py's defaults without the Dockerfile's ENV: 127.0.0.1 (not exposed) and the same port
    src = (METRIC / "app.py").read_text()
    assert 'os.environ.get("VALUEPORTRAIT_HOST", "127.0.0.1")' in src
    assert f'os.environ.get("VALUEPORTRAIT_PORT", "{card.app_port}")' in src
    ast.parse(src)
    # publish-metric uploads what the Dockerfile copies and runs
    planned = {f.path for f in hub.plan_metric(METRIC, "my-org/valueportrait").files}
    assert {"Dockerfile", "README.md", "app.py", "requirements.txt", "valueportrait.py"} <= planned


@pytest.fixture(scope="module")
def app(built_dataset, tmp_path_factory):
    space = tmp_path_factory.mktemp("space")
    for f in hub.plan_metric(METRIC, "my-org/valueportrait").files:  # the Space's repo as publish-metric fills it
        shutil.copyfile(f.source, space / f.path)
    proc, url = launch(space, sys.executable, env={
        "VALUEPORTRAIT_DATASET": str(built_dataset), "VALUEPORTRAIT_READ_TIMEOUT_S": str(READ_TIMEOUT_S),
        "VALUEPORTRAIT_MAX_UPLOAD_MB": str(MAX_UPLOAD_MB)})
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_form_and_report_page(app, built_dataset):
    form = httpx.get(app + "/", timeout=10)
    assert form.status_code == 200 and 'name="ratings"' in form.text
    assert str(built_dataset) not in form.text and f"Dataset: {built_dataset.name}." in form.text  # no server path
    res = httpx.post(app + "/report", files={"ratings": ("mine.csv", RATINGS.encode(), "text/csv")}, timeout=60)
    assert res.status_code == 200, res.text
    page = res.text
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") >= 2  # a radar per portrait
    assert "uploaded-model" in page and "human raters" in page and "+2.00" in page  # Openness, by hand


def test_bad_upload_is_a_400_naming_the_problem_and_no_server_path(app, built_dataset):
    res = httpx.post(app + "/report", files={"ratings": ("mine.csv", b"model,item_id,rating\nm,9999-9,5\n",
                                                          "text/csv")}, timeout=60)
    assert res.status_code == 400 and "not item ids of this dataset: &#x27;9999-9&#x27;" in res.text
    res = httpx.post(app + "/report", files={"ratings": ("mine.csv", b"model,item_id,rating\nm,1003-1,x\n",
                                                          "text/csv")}, timeout=60)
    assert res.status_code == 400 and "mine.csv" in res.text, res.text
    assert "/tmp" not in res.text and str(built_dataset.parent) not in res.text
    res = httpx.post(app + "/report", files={"ratings": ("../../etc/mine.txt", b"x", "text/plain")}, timeout=60)
    assert res.status_code == 400 and "&#x27;mine.txt&#x27;: expected a ratings file ending in .csv" in res.text
    assert httpx.get(app + "/nowhere", timeout=10).status_code == 404


def _raw_post(url: str, headers: str, body: bytes = b"") -> tuple[str, float]:
    """Send a POST /report by hand (a declared length, part of a body); return the status line and the seconds
    the server took to answer."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as s:
        t0 = time.monotonic()
        s.sendall(f"POST /report HTTP/1.1\r\nHost: x\r\n{headers}\r\n".encode() + body)
        answer = s.recv(4096).decode("latin-1")
        return answer.split("\r\n", 1)[0], time.monotonic() - t0


def test_an_oversized_upload_is_refused_before_it_is_read(app):
    status, took = _raw_post(app, "Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 1000000000\r\n")
    assert status.startswith("HTTP/1.0 413 ") and took < 5  # answered at once, nothing of 1 GB read
    res = httpx.post(app + "/report", files={"ratings": ("big.csv", b"x" * (MAX_UPLOAD_MB * 1_000_000 + 1),
                                                          "text/csv")}, timeout=60)
    assert res.status_code == 413 and "this Space accepts up to 1,000,000 bytes" in res.text


def test_a_stalled_upload_is_dropped_after_the_read_timeout(app):
    status, took = _raw_post(app, "Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 5000\r\n",
                             b"--x\r\n")  # 5 of 5,000 bytes, then nothing
    assert status.startswith("HTTP/1.0 408 ") and READ_TIMEOUT_S <= took < READ_TIMEOUT_S + 5
    assert httpx.get(app + "/", timeout=10).status_code == 200  # the server goes on
