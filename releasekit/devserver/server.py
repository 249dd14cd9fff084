"""The HTTP side of the local server: a threaded stdlib server, routing, bodies, faults, a request log.

`http.server.ThreadingHTTPServer` is enough here: the clients under test (huggingface_hub over
httpx, PyGithub over requests) speak plain HTTP/1.1 to loopback, and the server must stream
multi-gigabyte bodies to disk (chunked or with a length) without holding them in memory. No
extra dependency is needed for that, and labs can start it in their own tests.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from releasekit.devserver.http import Body, HttpError, Request, Response, Route
from releasekit.devserver.store import CHUNK, Store

log = logging.getLogger(__name__)


@dataclasses.dataclass
class Fault:
    """One injected failure: requests matching `method` and the `path` pattern get it, `times` times.

    kind "drop": read `after_bytes` of the body (all of it when None), then close the connection
    without answering (a connection lost mid-upload, or a lost response when the body was whole);
    kind "status": answer `status` (500, 429 with `retry_after`, 409 ...) without doing anything.
    `skip` matching requests pass through before the fault starts firing.
    """

    method: str
    path: str
    kind: str = "status"
    status: int = 500
    retry_after: int | None = None
    after_bytes: int | None = 0
    times: int = 1
    skip: int = 0
    after_handling: bool = False  # drop only after the request was processed (a lost response)
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        return self.method.upper() in (method, "*") and re.search(self.path, path) is not None


@dataclasses.dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    status: int
    received: int  # body bytes read


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("devserver: " + format, *args)

    def _handle(self) -> None:
        self.server.app.dispatch(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    app: DevServer


class DevServer:
    """A local server speaking the Hub's and GitHub's HTTP APIs, for rehearsals and tests.

    >>> with DevServer(tmp_path) as server:
    ...     HfApi(endpoint=server.hub_url, token="t").whoami()
    """

    def __init__(self, root: str | Path, *, token: str | None = None, user: str = "rehearsal",
                 multipart_threshold: int = 256 << 20, multipart_chunk: int = 64 << 20) -> None:
        self.store = Store(Path(root))
        self.token = token  # when set, every request must carry it
        self.user = user
        self.multipart_threshold = multipart_threshold
        self.multipart_chunk = multipart_chunk
        self.faults: list[Fault] = []
        self.requests: list[LoggedRequest] = []
        self._log_lock = threading.Lock()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self.routes: list[Route] = []
        from releasekit.devserver import github_api, hub_api

        self.routes += github_api.routes(self)
        self.routes += hub_api.routes(self)

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> DevServer:
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.app = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="releasekit-devserver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> DevServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def hub_url(self) -> str:
        """The endpoint to give `HfApi(endpoint=...)`."""
        return self.url

    @property
    def github_url(self) -> str:
        """The base URL to give `github.Github(base_url=...)` (GitHub Enterprise layout)."""
        return f"{self.url}/api/v3"

    # -- faults and log --------------------------------------------------------------------------
    def inject(self, method: str, path: str, kind: str = "status", **options: Any) -> Fault:
        fault = Fault(method=method, path=path, kind=kind, **options)
        self.faults.append(fault)
        return fault

    def clear_log(self) -> None:
        with self._log_lock:
            self.requests.clear()

    def _fault_for(self, method: str, path: str) -> Fault | None:
        with self._log_lock:
            for fault in self.faults:
                if fault.fired < fault.times + fault.skip and fault.matches(method, path):
                    fault.fired += 1
                    if fault.fired > fault.skip:
                        return fault
        return None

    def _record(self, method: str, path: str, status: int, received: int) -> None:
        with self._log_lock:
            self.requests.append(LoggedRequest(method, path, status, received))

    # -- dispatch --------------------------------------------------------------------------------
    def dispatch(self, handler: _Handler) -> None:
        method = handler.command
        split = urlsplit(handler.path)
        path = split.path
        body = Body(handler)
        request = Request(method, path, parse_qs(split.query), handler.headers, body, {}, self.url)
        fault = self._fault_for(method, path)
        try:
            if fault is not None and fault.kind == "drop" and not fault.after_handling:
                body.limit = fault.after_bytes
                body.drain()
                raise ConnectionAbortedError("fault: drop")
            if fault is not None and fault.kind == "status":
                body.drain()
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                response = Response(fault.status, {"error": f"injected fault {fault.status}"}, headers)
            else:
                response = self._route(request)
            if fault is not None and fault.kind == "drop":
                raise ConnectionAbortedError("fault: response lost")
            if not body.done:
                body.drain()
        except ConnectionAbortedError:
            self._record(method, path, 0, body.received)
            handler.close_connection = True
            try:
                handler.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        except HttpError as exc:
            response = Response(exc.status, exc.body, dict(exc.headers))
            try:
                body.drain()
            except ConnectionAbortedError:
                handler.close_connection = True
        except Exception as exc:  # noqa: BLE001 - a server bug answers 500, it never kills the thread
            log.exception("devserver: %s %s failed", method, path)
            response = Response(500, {"error": f"internal error: {type(exc).__name__}"})
        self._record(method, path, response.status, body.received)
        self._send(handler, response, head=method == "HEAD")

    def _route(self, request: Request) -> Response:
        if self.token is not None and request.token != self.token and not request.path.startswith("/_lfs/"):
            raise HttpError(401, "Invalid credentials in Authorization header")
        allowed = False
        for method, pattern, fn in self.routes:
            match = pattern.fullmatch(request.path)
            if match is None:
                continue
            allowed = True
            if method != request.method and not (method == "GET" and request.method == "HEAD"):
                continue
            request.params = {k: unquote(v) for k, v in match.groupdict().items() if v is not None}
            return fn(request)
        raise HttpError(405 if allowed else 404, f"no route for {request.method} {request.path}")

    def _send(self, handler: _Handler, response: Response, head: bool) -> None:
        headers = dict(response.headers)
        if response.file is not None:
            length = response.file.stat().st_size
            payload = None
        elif isinstance(response.body, bytes):
            payload = response.body
            length = len(payload)
        else:
            payload = b"" if response.body is None else json.dumps(response.body).encode()
            headers.setdefault("Content-Type", "application/json")
            length = len(payload)
        handler.send_response(response.status)
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(length))
        handler.end_headers()
        if head:
            return
        try:
            if payload is not None:
                handler.wfile.write(payload)
            else:
                assert response.file is not None
                with open(response.file, "rb") as source:
                    while chunk := source.read(CHUNK):
                        handler.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True

