"""Retries with backoff for the calls the clients do not retry themselves, and one-line errors.

`huggingface_hub` already retries its upload requests (preupload, LFS batch, PUTs) on 429 and 5xx.
Everything else (repository creation, commits, tags, every PyGithub call: the GitHub client is
built with its own retries off so that a retried upload can never duplicate an asset) goes
through `call`, which honours `Retry-After`, backs off exponentially on 5xx and dropped
connections, and, for calls that change state, asks `recover` first whether the lost attempt
landed after all, so that a retry never does the same thing twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from releasekit.publish.errors import PublishError
from releasekit.publish.tokens import Redactor

log = logging.getLogger(__name__)
T = TypeVar("T")
TRANSIENT = frozenset({408, 429, 500, 502, 503, 504})
MAX_WAIT = 60.0


def status_of(exc: BaseException) -> tuple[int | None, float | None]:
    """The HTTP status and Retry-After (seconds) of a client exception; (None, None) for a network error."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    headers = getattr(response, "headers", None)
    if status is None and hasattr(exc, "status") and isinstance(exc.status, int):  # PyGithub
        status, headers = exc.status, getattr(exc, "headers", None)
    retry_after = None
    if headers:
        value = next((v for k, v in dict(headers).items() if str(k).lower() == "retry-after"), None)
        if value is not None and str(value).strip().isdigit():
            retry_after = float(value)
    return status, retry_after


def _network_error_types() -> tuple[type[BaseException], ...]:
    """Connection failures of the HTTP stacks the two clients use (httpx2 for the Hub, requests for GitHub)."""
    types: list[type[BaseException]] = [ConnectionError]
    try:
        import httpx2

        types.append(httpx2.TransportError)
    except ModuleNotFoundError:
        pass
    try:
        import requests

        types += [requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError]
    except ModuleNotFoundError:  # PyGithub (and with it requests) is an extra
        pass
    return tuple(types)


def is_network_error(exc: BaseException) -> bool:
    return isinstance(exc, _network_error_types())


EXPLAIN = {
    401: "401 unauthorized: the token was refused ({env})",
    403: "403 forbidden: the token may not do this ({env} needs write access to the repository)",
    404: "404 not found: the repository or revision does not exist, or the token cannot see it",
    409: "409 conflict: the remote changed while publishing (a concurrent push or an existing name); rerun to plan again",
    412: "412 conflict: the branch moved since the plan was made (someone else committed); rerun to plan again",
    413: "413 payload too large: the service refused the size of this request",
    422: "422 refused by the service",
}


class Caller:
    """Runs remote calls for one service with retries; turns failures into one-line PublishErrors."""

    def __init__(self, service: str, token_env: str, redact: Redactor, *, retries: int = 5,
                 base_wait: float = 1.0, sleep: Callable[[float], None] = time.sleep) -> None:
        self.service = service
        self.token_env = token_env
        self.redact = redact
        self.retries = retries
        self.base_wait = base_wait
        self.sleep = sleep

    def __call__(self, what: str, fn: Callable[[], T], *, recover: Callable[[], T | None] | None = None,
                 ok: Callable[[BaseException], T | None] | None = None) -> T:
        attempt = 0
        while True:
            try:
                return fn()
            except PublishError:
                raise
            except Exception as exc:  # noqa: BLE001 - every client error becomes a PublishError below
                if ok is not None:
                    accepted = ok(exc)
                    if accepted is not None:
                        return accepted
                status, retry_after = status_of(exc)
                transient = status in TRANSIENT or (status is None and is_network_error(exc))
                if not transient or attempt >= self.retries:
                    raise self.error(what, exc, status) from None
                wait = retry_after if retry_after is not None else min(self.base_wait * 2**attempt, MAX_WAIT)
                log.info("%s: %s: %s, retrying in %.1fs", self.service, what, status or "connection lost", wait)
                self.sleep(wait)
                attempt += 1
                if recover is not None:
                    done = self._recover(what, recover)
                    if done is not None:
                        return done

    def _recover(self, what: str, recover: Callable[[], T | None]) -> T | None:
        for attempt in range(self.retries + 1):
            try:
                return recover()
            except PublishError:
                raise
            except Exception as exc:  # noqa: BLE001
                status, retry_after = status_of(exc)
                if not (status in TRANSIENT or (status is None and is_network_error(exc))) or attempt == self.retries:
                    raise self.error(what, exc, status) from None
                self.sleep(retry_after if retry_after is not None else min(self.base_wait * 2**attempt, MAX_WAIT))
        return None

    def error(self, what: str, exc: BaseException, status: int | None = None) -> PublishError:
        if status is None:
            status, _ = status_of(exc)
        if status in EXPLAIN:
            detail = EXPLAIN[status].format(env=self.token_env)
            if status in (413, 422):
                detail += f" ({_short(exc)})"
        elif status is not None:
            detail = f"HTTP {status} ({_short(exc)})"
        else:
            detail = f"{type(exc).__name__}: {_short(exc)}"
        return PublishError(self.redact(f"{self.service}: {what}: {detail}"))


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:200] + ("…" if len(text) > 200 else "")
