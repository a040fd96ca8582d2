"""The metric's Space: upload a ratings file, get the Value Portrait report page (the one `valueportrait report` writes).

A small app on the standard library's http.server (no gradio: the page is the library's own HTML report, and
the Space runs ``python app.py`` on the port it gives). The Space sets VALUEPORTRAIT_DATASET (Hub dataset repo
id or a built folder) and VALUEPORTRAIT_REVISION (tag) as variables; GRADIO_SERVER_NAME / GRADIO_SERVER_PORT
(set by Spaces) choose where it listens, 127.0.0.1:7860 by default.

    GET  /        the upload form
    POST /report  multipart form with ``ratings`` (a .csv / .jsonl / .json ratings file: model, item_id, rating
                  [, variant, persona]) -> the report page; a bad file -> 400 with the library's error message
"""

from __future__ import annotations

import email.parser
import email.policy
import html
import os
import tempfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

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

    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"{name!r}: expected a ratings file ending in {', '.join(SUFFIXES)}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"ratings{suffix}"
        path.write_bytes(data)
        board = score_leaderboard([path], dataset=DatasetRef(dataset, revision))
    return render_report(board.board(), title=f"Value Portrait report: {name}")


class Handler(BaseHTTPRequestHandler):
    dataset = os.environ.get("VALUEPORTRAIT_DATASET", "")
    revision = os.environ.get("VALUEPORTRAIT_REVISION") or None

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
        self._send(200, FORM.format(dataset=html.escape(self.dataset or "(VALUEPORTRAIT_DATASET is not set)")))

    def do_POST(self) -> None:  # noqa: N802
        from valueportrait.errors import ValuePortraitError

        if self.path != "/report":
            return self._send(404, "<p>Not found</p>")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            name, data = uploaded_file(self.headers.get("Content-Type", ""), body)
            page = report_page(name, data, self.dataset, self.revision)
        except (ValueError, ValuePortraitError) as exc:
            return self._send(400, f"<p>Error: {html.escape(str(exc))}</p><p><a href='/'>back</a></p>")
        self._send(200, page)


def main() -> None:
    host = os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1")
    port = int(os.environ.get("GRADIO_SERVER_PORT", "7860"))
    server = ThreadingHTTPServer((host, port), Handler)
    print(f"Serving the Value Portrait report on http://{host}:{server.server_port}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
