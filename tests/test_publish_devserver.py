"""The local server's own guarantees, spoken to directly: what a client may rely on in tests."""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request

import pytest

from releasekit.devserver import DevServer
from tests.publish_support import loopback_only  # noqa: F401 - fixture


def call(url: str, method: str = "GET", body: bytes | None = None, token: str = "t") -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture
def srv(tmp_path):
    with DevServer(tmp_path / "remote", token="t", multipart_threshold=10, multipart_chunk=4) as server:
        call(f"{server.url}/api/repos/create", "POST", json.dumps({"name": "m", "organization": "lab"}).encode())
        yield server


def batch(srv, data: bytes) -> dict:
    oid = hashlib.sha256(data).hexdigest()
    body = json.dumps({"operation": "upload", "transfers": ["basic", "multipart"],
                       "objects": [{"oid": oid, "size": len(data)}]}).encode()
    status, out = call(f"{srv.url}/lab/m.git/info/lfs/objects/batch", "POST", body)
    assert status == 200
    return json.loads(out)["objects"][0]


def test_multipart_parts_out_of_order_still_assemble_and_verify(srv):
    data = b"0123456789abcdef!!"
    obj = batch(srv, data)
    header = obj["actions"]["upload"]["header"]
    parts = sorted(k for k in header if k.isdigit())
    for key in reversed(parts):  # last part first: the server must hash the assembled file
        n = int(key)
        assert call(header[key], "PUT", data[(n - 1) * 4:n * 4])[0] == 200
    payload = {"oid": obj["oid"], "parts": [{"partNumber": int(k), "etag": "x"} for k in parts]}
    assert call(obj["actions"]["upload"]["href"], "POST", json.dumps(payload).encode())[0] == 200
    assert srv.store.read_blob(obj["oid"]) == data
    assert batch(srv, data).get("actions") is None  # present now: nothing to upload


def test_wrong_bytes_are_refused_and_leave_no_blob(srv):
    srv.multipart_threshold = 1 << 30
    obj = batch(srv, b"the real content")
    status, _ = call(obj["actions"]["upload"]["href"], "PUT", b"something else!!")
    assert status == 400 and not srv.store.has_blob(obj["oid"])
    assert call(obj["actions"]["verify"]["href"], "POST", json.dumps({"oid": obj["oid"], "size": 16}).encode())[0] == 404


def test_a_commit_naming_an_lfs_object_never_uploaded_is_refused(srv):
    lines = [{"key": "header", "value": {"summary": "x"}},
             {"key": "lfsFile", "value": {"path": "w.bin", "algo": "sha256", "oid": "a" * 64, "size": 3}}]
    body = "\n".join(json.dumps(line) for line in lines).encode()
    status, out = call(f"{srv.url}/api/models/lab/m/commit/main", "POST", body)
    assert status == 422 and b"was not uploaded" in out


def test_a_wrong_token_is_401_and_injected_faults_fire_as_asked(srv):
    assert call(f"{srv.url}/api/whoami-v2", token="nope")[0] == 401
    srv.inject("GET", r"/api/whoami-v2$", kind="status", status=429, retry_after=7, skip=1, times=2)
    assert call(f"{srv.url}/api/whoami-v2")[0] == 200  # skipped
    assert call(f"{srv.url}/api/whoami-v2")[0] == 429
    assert call(f"{srv.url}/api/whoami-v2")[0] == 429
    assert call(f"{srv.url}/api/whoami-v2")[0] == 200  # spent
    assert [r.status for r in srv.requests if r.path == "/api/whoami-v2"][-4:] == [200, 429, 429, 200]
