"""HTTP primitives of the local server: a streamed request body, the request and response, errors.

A module of its own so that the API modules (hub_api, github_api) and the server that routes to
them share these without importing each other.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from releasekit.devserver.store import CHUNK

MAX_JSON_BODY = 256 << 20


class HttpError(Exception):
    """Raised by a route: the status and a JSON error body."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}
        self.body = {"error": message, "message": message, **extra}


class Body:
    """A request body read as a stream, with a length or chunked."""

    def __init__(self, handler: BaseHTTPRequestHandler) -> None:
        self._rfile = handler.rfile
        self._chunked = "chunked" in handler.headers.get("Transfer-Encoding", "").lower()
        length = handler.headers.get("Content-Length")
        self._remaining = int(length) if length and not self._chunked else 0
        self.received = 0
        self.limit: int | None = None  # stop after this many bytes (fault injection)
        self.done = not self._chunked and self._remaining == 0

    def chunks(self) -> Iterator[bytes]:
        while not self.done:
            data = self._next()
            if data:
                if self.limit is not None and self.received + len(data) > self.limit:
                    data = data[: max(self.limit - self.received, 0)]
                    self.received += len(data)
                    raise ConnectionAbortedError("fault: connection dropped mid-body")
                self.received += len(data)
                yield data

    def _next(self) -> bytes:
        if not self._chunked:
            data = self._rfile.read(min(CHUNK, self._remaining))
            if not data:
                raise ConnectionAbortedError("client closed the connection")
            self._remaining -= len(data)
            self.done = self._remaining == 0
            return data
        line = self._rfile.readline(1024).strip()
        if not line:
            raise ConnectionAbortedError("client closed the connection")
        size = int(line.split(b";")[0], 16)
        if size == 0:
            while self._rfile.readline(1024).strip():
                pass  # trailers
            self.done = True
            return b""
        data = self._rfile.read(size)
        self._rfile.readline(8)
        return data

    def read(self, limit: int = MAX_JSON_BODY) -> bytes:
        parts = []
        total = 0
        for chunk in self.chunks():
            total += len(chunk)
            if total > limit:
                raise HttpError(413, "request body too large")
            parts.append(chunk)
        return b"".join(parts)

    def json(self) -> Any:
        raw = self.read()
        try:
            return json.loads(raw or b"{}")
        except ValueError as exc:
            raise HttpError(400, f"invalid JSON body: {exc}") from None

    def drain(self) -> None:
        for _ in self.chunks():
            pass


@dataclasses.dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Any
    body: Body
    params: dict[str, str]
    base_url: str

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    @property
    def token(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        for scheme in ("Bearer ", "token ", "Basic "):
            if auth.startswith(scheme):
                return auth[len(scheme):].strip()
        return None


@dataclasses.dataclass
class Response:
    status: int = 200
    body: Any = None  # JSON-able, bytes, or a file path to stream
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    file: Path | None = None
    head_only: bool = False


Route = tuple[str, re.Pattern[str], Callable[[Request], Response]]


