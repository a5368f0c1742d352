"""The workbench's local web server: stdlib ``http.server``, 127.0.0.1 only.

Why the standard library and not a framework: the page needs five JSON endpoints and one
static video; ``ThreadingHTTPServer`` does that with no new dependency to install, audit
or keep offline-capable, and nothing here needs async or templating.

Safety: the socket binds 127.0.0.1 (never 0.0.0.0); every request must carry the random
token printed in the address (query ``t=`` for the page and the video, header
``X-Coach-Token`` for the API), and the Host header must name 127.0.0.1 / localhost, so
neither another local user's browser nor a web page (CSRF, DNS rebinding) can drive it.
The page is self-contained (inline JS/CSS, canvas plots): no network access at all.
"""

from __future__ import annotations

import json
import mimetypes
import os
import secrets
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from coach.errors import CoachError
from coach.tools.tune.cache import ExtractProgress, progress_line
from coach.tools.tune.workbench import TuneError, Workbench
from coach.tools.tune.page import render_page
from coach.tools.tune.profiles import read_profile, save_profile

HOST = "127.0.0.1"
MAX_BODY = 1 << 20


class TuneState:
    """What the page is working on: the workbench, the overrides, the patient's label.

    The server may start before the workbench exists (a video's landmarks are still being
    extracted): ``bench`` is then None, ``progress`` says how far the extraction is, and
    :meth:`attach` hands the workbench over when it is ready."""

    def __init__(self, bench: Workbench | None, video: Path | None = None, profile_path: Path | None = None,
                 save_path: Path | None = None, source_name: str = "", title: str = "",
                 lang: str | None = None, exercise_id: str = "") -> None:
        self.bench: Workbench | None = None
        self.video = video
        self.source_name = source_name
        self.lock = threading.Lock()
        self.overrides: dict[str, Any] = {}
        self.patient = ""
        self.note = ""
        self.base_doc: dict[str, Any] | None = None
        self.profile_path = profile_path
        self.save_path = save_path
        self.title = title
        self.lang = lang or (bench.lang if bench is not None else "en")
        self.exercise_id = exercise_id
        self.last_eval_ms: list[float] = []
        self.progress: ExtractProgress | None = None
        self.failed: str | None = None       # why the workbench could not be made
        if bench is not None:
            self.attach(bench)

    def attach(self, bench: Workbench) -> None:
        """The workbench is ready: the page may load it (and the profile given, if any)."""
        with self.lock:
            self.bench = bench
            self.lang = bench.lang
            self.exercise_id = bench.spec.id
            self.title = self.title or bench.spec.names.get(bench.lang, bench.spec.id)
            self.save_path = self.save_path or self.profile_path or Path(f"profile-{bench.spec.id}.yaml")
            if self.profile_path is not None:
                self.load(self.profile_path)

    def set_progress(self, progress: ExtractProgress) -> None:
        self.progress = progress

    def progress_json(self) -> dict[str, Any]:
        p = self.progress
        return {"ready": self.bench is not None, "error": self.failed,
                "progress": p.to_json() if p is not None else None,
                "line": progress_line(p, self.lang) if p is not None else None}

    def load(self, path: str | os.PathLike) -> dict[str, Any]:
        overrides, doc, extra = read_profile(path, self.bench.spec)
        self.bench.extra = extra
        self.overrides = overrides
        self.base_doc = doc
        self.patient = str(doc.get("patient", "")) if isinstance(doc, dict) else ""
        self.note = str(doc.get("note", "")) if isinstance(doc, dict) else ""
        self.profile_path = Path(path)
        self.save_path = Path(path)
        return self.profile_info()

    def profile_info(self) -> dict[str, Any]:
        return {"patient": self.patient, "note": self.note, "overrides": self.overrides,
                "path": str(self.profile_path) if self.profile_path else None, "save_path": str(self.save_path)}

    def evaluate(self, overrides: Any) -> dict[str, Any]:
        with self.lock:
            t0 = time.perf_counter()
            ev = self.bench.evaluate(overrides)
            out = self.bench.result_json(ev)
            total_ms = (time.perf_counter() - t0) * 1000.0
            out["server_ms"] = round(total_ms, 1)
            self.last_eval_ms.append(total_ms)
            self.overrides = ev.overrides
            return out

    def save(self, path: str, patient: str, note: str, overrides: Any, safety_reason: str = "") -> dict[str, Any]:
        """Write the profile. Loosening a safety rule needs ``safety_reason`` (the physio's)."""
        with self.lock:
            ev_over = self.bench.evaluate(overrides).overrides if overrides is not None else self.overrides
            if safety_reason.strip():
                ev_over = {**ev_over, "loosen_safety": {**(ev_over.get("loosen_safety") or {}), **{
                    rid: safety_reason.strip() for rid in self.bench.loosened_safety(ev_over)}}}
            p = save_profile(path, patient, note, self.bench.spec, self.bench.spec_text, ev_over, self.bench.extra)
            self.patient, self.note, self.overrides = patient.strip(), note.strip(), ev_over
            self.profile_path = self.save_path = p
            return {"path": str(p.resolve()), "text": p.read_text(encoding="utf-8")}


class _Handler(BaseHTTPRequestHandler):
    server: "TuneServer"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence the default stderr log
        return

    # -- helpers ----------------------------------------------------------------------
    def _send(self, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        self._send(status, json.dumps(data, ensure_ascii=False, allow_nan=False).encode("utf-8"),
                   "application/json; charset=utf-8")

    def _error(self, status: int, message: str) -> None:
        self._json(status, {"error": message})

    def _host_ok(self) -> bool:
        host = (self.headers.get("Host") or "").strip().lower()
        port = self.server.server_address[1]
        return host in (f"127.0.0.1:{port}", f"localhost:{port}")

    def _token_ok(self, query: dict[str, list[str]]) -> bool:
        given = self.headers.get("X-Coach-Token") or (query.get("t") or [""])[0]
        return secrets.compare_digest(given, self.server.token)

    def _body(self) -> Any:
        try:
            n = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            n = -1
        if n < 0 or n > MAX_BODY:
            raise TuneError("request body missing or too large")
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if ctype != "application/json":
            raise TuneError("requests must be application/json")
        try:
            return json.loads(self.rfile.read(n).decode("utf-8") or "null")
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise TuneError(f"bad JSON: {exc}") from None

    # -- routes -----------------------------------------------------------------------
    def do_HEAD(self) -> None:  # noqa: N802
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802
        url = urlparse(self.path)
        query = parse_qs(url.query)
        if not self._host_ok():
            return self._error(HTTPStatus.FORBIDDEN, "wrong Host header")
        if not self._token_ok(query):
            return self._send(HTTPStatus.FORBIDDEN, b"Open the address printed by `coach tune` (it carries a key).",
                              "text/plain; charset=utf-8")
        state = self.server.state
        if url.path in ("/", "/index.html"):
            page = render_page(self.server.token, state.title, state.lang)
            return self._send(HTTPStatus.OK, page.encode("utf-8"), "text/html; charset=utf-8",
                              {"Content-Security-Policy": "default-src 'none'; script-src 'unsafe-inline'; "
                               "style-src 'unsafe-inline'; img-src data:; media-src 'self'; connect-src 'self'"})
        if url.path == "/api/progress":
            return self._json(HTTPStatus.OK, state.progress_json())
        if state.bench is None and url.path.startswith("/api/"):
            return self._error(HTTPStatus.SERVICE_UNAVAILABLE, state.failed or "the recording is still being read")
        if url.path == "/api/session":
            data = state.bench.session_json()
            data["video_url"] = f"/video?t={self.server.token}" if state.video is not None else None
            data["source"] = state.source_name
            data["profile"] = state.profile_info()
            return self._json(HTTPStatus.OK, data)
        if url.path == "/video" and state.video is not None:
            return self._video(state.video)
        return self._error(HTTPStatus.NOT_FOUND, f"no such page: {url.path}")

    def do_POST(self) -> None:  # noqa: N802
        url = urlparse(self.path)
        if not self._host_ok() or not self._token_ok({}):
            return self._error(HTTPStatus.FORBIDDEN, "missing or wrong key")
        state = self.server.state
        if state.bench is None:
            return self._error(HTTPStatus.SERVICE_UNAVAILABLE, state.failed or "the recording is still being read")
        try:
            body = self._body()
            if not isinstance(body, dict):
                raise TuneError("the request must be a JSON object")
            if url.path == "/api/evaluate":
                return self._json(HTTPStatus.OK, state.evaluate(body.get("overrides")))
            if url.path == "/api/save":
                path = str(body.get("path") or "").strip()
                if not path:
                    raise TuneError("path: give a file name for the profile (….yaml)")
                return self._json(HTTPStatus.OK, state.save(path, str(body.get("patient") or ""),
                                                            str(body.get("note") or ""), body.get("overrides"),
                                                            str(body.get("safety_reason") or "")))
            if url.path == "/api/load":
                path = str(body.get("path") or "").strip()
                if not path:
                    raise TuneError("path: give the profile file to load")
                with state.lock:
                    return self._json(HTTPStatus.OK, state.load(path))
            return self._error(HTTPStatus.NOT_FOUND, f"no such endpoint: {url.path}")
        except CoachError as exc:
            return self._error(HTTPStatus.BAD_REQUEST, str(exc).splitlines()[0] if str(exc) else "bad request")

    def _video(self, path: Path) -> None:
        try:
            size = path.stat().st_size
            fh = open(path, "rb")
        except OSError:
            return self._error(HTTPStatus.NOT_FOUND, "video not readable")
        ctype = mimetypes.guess_type(str(path))[0] or "application/octet-stream"
        with fh:
            start, end = 0, size - 1
            status = HTTPStatus.OK
            rng = self.headers.get("Range")
            if rng and rng.startswith("bytes="):
                a, _, b = rng[6:].split(",")[0].partition("-")
                try:
                    if a:
                        start = int(a)
                        end = int(b) if b else size - 1
                    else:
                        start = max(0, size - int(b))
                except ValueError:
                    start, end = 0, size - 1
                end = min(end, size - 1)
                if start > end:
                    self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status = HTTPStatus.PARTIAL_CONTENT
            length = end - start + 1
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(length))
            if status == HTTPStatus.PARTIAL_CONTENT:
                self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            self.end_headers()
            if self.command == "HEAD":
                return
            fh.seek(start)
            left = length
            try:
                while left > 0:
                    chunk = fh.read(min(1 << 16, left))
                    if not chunk:
                        break
                    self.wfile.write(chunk)
                    left -= len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                return


class TuneServer(ThreadingHTTPServer):
    """``TuneServer(state, port=0)``: serves the workbench on 127.0.0.1 (port 0 = a free one)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, state: TuneState, port: int = 0, token: str | None = None) -> None:
        if not (0 <= int(port) <= 65535):
            raise TuneError(f"--port: must be 0..65535, got {port}")
        self.state = state
        self.token = token or secrets.token_urlsafe(18)
        try:
            super().__init__((HOST, int(port)), _Handler)
        except OSError as exc:
            raise TuneError(f"cannot listen on {HOST}:{port}: {exc.strerror or exc}; "
                            f"choose another --port (or leave it out for a free one)") from None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}/?t={self.token}"

    def start_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="coach-tune", daemon=True)
        thread.start()
        return thread
