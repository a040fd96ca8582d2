"""The metric's Space: upload a ratings file, get the Value Portrait report page (the one `valueportrait report` writes).

A small app on the standard library's http.server (no gradio: the page is the library's own HTML report). The
Space is a Docker Space (README.md: ``sdk: docker``, ``app_port: 7860``); its Dockerfile installs
requirements.txt and runs ``python app.py``, listening on VALUEPORTRAIT_HOST:VALUEPORTRAIT_PORT (the Dockerfile
sets 0.0.0.0:7860; run by hand it is 127.0.0.1:7860). The Space sets VALUEPORTRAIT_DATASET (Hub dataset repo id
or a built folder) and VALUEPORTRAIT_REVISION (tag) as variables.

    GET  /        the upload form
    POST /report  multipart form with ``ratings`` (a .csv / .tsv / .jsonl / .json ratings file: model, item_id,
                  rating [, variant, persona]) -> the report page; a bad file -> 400 with the library's error
                  message (the upload's own name in it, never a path of the server)

Limits: an upload over VALUEPORTRAIT_MAX_UPLOAD_MB (default 20) MB is refused with 413 before it is read; the
whole upload must arrive within VALUEPORTRAIT_READ_TIMEOUT_S seconds (default 30; a stalled or trickling upload gets 408 and frees its
thread); an unexpected failure is a 500 page that shows no traceback or path (the details go to the log).
"""

from __future__ import annotations

import email.parser
import email.policy
import html
import os
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

# The Space's folder holds the metric script under the Space's name (evaluate.load("ORG/NAME") fetches NAME.py),
# e.g. valueportrait.py, which would shadow the package: the package is imported from the environment, not from here.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

from valueportrait.errors import ValuePortraitError  # noqa: E402  (after the path fix above)

FORM = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Value Portrait</title></head>
<body style="font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto">
<h1>Value Portrait</h1>
<p>Upload a model's ratings of the Value Portrait items (.csv, .jsonl or .json with the columns model, item_id,
rating and optionally variant, persona) to see its portrait: Schwartz values and Big Five, with intervals,
reliability and the human raters beside it. Dataset: {dataset}.</p>
<form method="post" action="/report" enctype="multipart/form-data">
<input type="file" name="ratings" accept=".csv,.tsv,.jsonl,.json" required> <button type="submit">Score</button>
</form></body></html>"""
SUFFIXES = (".csv", ".tsv", ".jsonl", ".json")
#: Seconds a whole upload may take to arrive (VALUEPORTRAIT_READ_TIMEOUT_S, default 30).
READ_TIMEOUT_S = float(os.environ.get("VALUEPORTRAIT_READ_TIMEOUT_S", "30"))


def max_upload_bytes() -> int:
    """The upload-size limit: VALUEPORTRAIT_MAX_UPLOAD_MB megabytes (default 20; the released models' ratings
    files are under 1 MB each)."""
    return int(float(os.environ.get("VALUEPORTRAIT_MAX_UPLOAD_MB", "20")) * 1_000_000)


def shown_dataset(dataset: str) -> str:
    """What the form says the dataset is: a Hub repo id as is, a local folder by its name only (no server path)."""
    if not dataset:
        return "(VALUEPORTRAIT_DATASET is not set)"
    return Path(dataset).name if os.path.isabs(dataset) else dataset


def uploaded_file(content_type: str, body: bytes) -> tuple[str, bytes]:
    """(file name, bytes) of the ``ratings`` field of a multipart/form-data body; ValueError when absent."""
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + body)
    for part in msg.iter_parts() if msg.is_multipart() else ():
        if part.get_param("name", header="content-disposition") == "ratings":
            return part.get_filename() or "ratings.csv", part.get_payload(decode=True) or b""
    raise ValueError("the form has no file field 'ratings'")


def report_page(name: str, data: bytes, dataset: str, revision: str | None) -> str:
    """Score the uploaded ratings file with the library and render its HTML report."""
    from valueportrait.errors import InputError
    from valueportrait.html_report import render_report
    from valueportrait.pipelines import score_leaderboard
    from valueportrait.settings import DatasetRef

    name = Path(name).name  # the browser's file name, never a path
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"{name!r}: expected a ratings file ending in {', '.join(SUFFIXES)}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"ratings{suffix}"
        path.write_bytes(data)
        try:
            board = score_leaderboard([path], dataset=DatasetRef(dataset, revision))
        except InputError as exc:  # the message names the file: the upload's name, not the server's temp path
            raise InputError(str(exc).replace(str(path), name).replace(tmp, ".")) from None
    return render_report(board.board(), title=f"Value Portrait report: {name}")


class RequestError(Exception):
    """A request the app refuses before scoring: its HTTP status and message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class Handler(BaseHTTPRequestHandler):
    dataset = os.environ.get("VALUEPORTRAIT_DATASET", "")
    revision = os.environ.get("VALUEPORTRAIT_REVISION") or None
    timeout = READ_TIMEOUT_S  # per socket operation (http.server); the whole body has its own deadline below

    def _send(self, status: int, page: str) -> None:
        body = page.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path.split("?")[0] != "/":
            return self._send(404, "<p>Not found: try <a href='/'>/</a></p>")
        self._send(200, FORM.format(dataset=html.escape(shown_dataset(self.dataset))))

    def _read_body(self) -> bytes:
        """The request body, within the size limit and the read deadline (else a RequestError)."""
        length = self.headers.get("Content-Length")
        if length is None or not length.strip().isdigit():
            raise RequestError(411, "the upload has no Content-Length; send it as a form (multipart/form-data).")
        size, limit = int(length), max_upload_bytes()
        if size > limit:
            raise RequestError(413, f"the upload is {size:,} bytes; this Space accepts up to {limit:,} bytes. "
                                    "Send a smaller ratings file (one model, or fewer columns).")
        deadline, chunks, got = time.monotonic() + READ_TIMEOUT_S, [], 0
        while got < size:
            if time.monotonic() > deadline:
                raise RequestError(408, f"the upload did not arrive within {READ_TIMEOUT_S:g} s; try again.")
            try:
                chunk = self.rfile.read1(min(1 << 16, size - got))
            except TimeoutError:
                raise RequestError(408, f"the upload stalled for {READ_TIMEOUT_S:g} s; try again.") from None
            if not chunk:
                raise RequestError(400, "the upload ended before its Content-Length; try again.")
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def do_POST(self) -> None:  # noqa: N802
        if self.path != "/report":
            return self._send(404, "<p>Not found</p>")
        try:
            body = self._read_body()
            name, data = uploaded_file(self.headers.get("Content-Type", ""), body)
            page = report_page(name, data, self.dataset, self.revision)
        except RequestError as exc:
            self.close_connection = True  # what is left of a refused upload is not read
            return self._send(exc.status, f"<p>Error: {html.escape(str(exc))}</p><p><a href='/'>back</a></p>")
        except (ValueError, ValuePortraitError) as exc:
            message = str(exc)
            if self.dataset and os.path.isabs(self.dataset):  # a dataset folder of the server: by its name only
                message = message.replace(self.dataset, shown_dataset(self.dataset))
            return self._send(400, f"<p>Error: {html.escape(message)}</p><p><a href='/'>back</a></p>")
        except Exception as exc:  # the details go to the log, never to the page
            print(f"error scoring an upload: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            return self._send(500, "<p>Error: the report could not be made (an internal error; it is logged). "
                                   "Check the file, or run `valueportrait report` locally.</p>")
        self._send(200, page)


def main() -> None:
    host = os.environ.get("VALUEPORTRAIT_HOST", "127.0.0.1")
    port = int(os.environ.get("VALUEPORTRAIT_PORT", "7860"))
    server = ThreadingHTTPServer((host, port), Handler)
    print(f"Serving the Value Portrait report on http://{host}:{server.server_port}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
