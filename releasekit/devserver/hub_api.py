"""The parts of the Hugging Face Hub's HTTP API that uploads and read-backs use.

Each repository keeps a git-like history: commits with a parent, each holding the full map of
path -> file (git blob id, size, sha256, LFS or not). Branch `main`, tags, and LFS objects by
sha256. Paths follow what `huggingface_hub` 2.x sends (see `HfApi.create_commit`,
`lfs.post_lfs_batch_info`, `_commit_api._fetch_upload_modes`).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import fnmatch
import hashlib
import json
import math
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from releasekit.devserver.http import HttpError, Request, Response
from releasekit.devserver.store import git_blob_sha1, lfs_pointer

if TYPE_CHECKING:
    from releasekit.devserver.http import Route
    from releasekit.devserver.server import DevServer

import re

LFS_SIZE = 10 * 1024 * 1024  # the Hub stores files of 10 MiB and more in LFS
REGULAR_MAX = 10 * 1024 * 1024
DEFAULT_GITATTRIBUTES = "".join(
    f"{pattern} filter=lfs diff=lfs merge=lfs -text\n"
    for pattern in ("*.7z", "*.arrow", "*.bin", "*.bz2", "*.ckpt", "*.ftz", "*.gz", "*.h5", "*.joblib",
                    "*.mlmodel", "*.model", "*.msgpack", "*.npy", "*.npz", "*.onnx", "*.ot", "*.parquet",
                    "*.pb", "*.pickle", "*.pkl", "*.pt", "*.pth", "*.rar", "*.safetensors", "*.tar.*", "*.tar",
                    "*.tflite", "*.tgz", "*.wasm", "*.xz", "*.zip", "*.zst", "*tfevents*")
).encode()
REPO = r"(?P<repo>[^/]+/[^/]+)"
PREFIX = r"/api/(?:models|datasets|spaces)/" + REPO


def lfs_patterns(gitattributes: bytes) -> list[str]:
    """Patterns a .gitattributes file sends through LFS."""
    out = []
    for line in gitattributes.decode("utf-8", "replace").splitlines():
        parts = line.split()
        if len(parts) >= 2 and "filter=lfs" in parts[1:]:
            out.append(parts[0])
    return out


def goes_to_lfs(path: str, size: int, patterns: list[str]) -> bool:
    """The Hub's rule: large files, and files a .gitattributes LFS pattern matches."""
    if size == 0:
        return False
    name = path.rsplit("/", 1)[-1]
    return size >= LFS_SIZE or any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(path, p) for p in patterns)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def routes(server: DevServer) -> list[Route]:
    hub = HubApi(server)
    r = re.compile
    return [
        ("GET", r("/api/whoami-v2"), hub.whoami),
        ("POST", r("/api/repos/create"), hub.create_repo),
        ("POST", r("/api/validate-yaml"), hub.validate_yaml),
        ("GET", r(PREFIX), hub.repo_info),
        ("GET", r(PREFIX + r"/revision/(?P<rev>[^/]+)"), hub.repo_info),
        ("POST", r(PREFIX + r"/preupload/(?P<rev>[^/]+)"), hub.preupload),
        ("POST", r(PREFIX + r"/commit/(?P<rev>[^/]+)"), hub.commit),
        ("GET", r(PREFIX + r"/tree/(?P<rev>[^/]+)(?:/(?P<path>.*))?"), hub.tree),
        ("GET", r(PREFIX + r"/refs"), hub.refs),
        ("POST", r(PREFIX + r"/tag/(?P<rev>[^/]+)"), hub.create_tag),
        ("GET", r(PREFIX + r"/commits/(?P<rev>[^/]+)"), hub.commits),
        ("POST", r(r"/(?:datasets/|spaces/)?" + REPO + r"\.git/info/lfs/objects/batch"), hub.lfs_batch),
        ("PUT", r(r"/_lfs/(?P<oid>[0-9a-f]{64})"), hub.lfs_put),
        ("PUT", r(r"/_lfs/(?P<oid>[0-9a-f]{64})/part/(?P<part>\d+)"), hub.lfs_put_part),
        ("POST", r(r"/_lfs/(?P<oid>[0-9a-f]{64})/complete"), hub.lfs_complete),
        ("POST", r(r"/_lfs/(?P<oid>[0-9a-f]{64})/verify"), hub.lfs_verify),
        ("GET", r(r"/(?:datasets/|spaces/)?" + REPO + r"/resolve/(?P<rev>[^/]+)/(?P<path>.+)"), hub.resolve),
    ]


class HubApi:
    def __init__(self, server: DevServer) -> None:
        self.server = server
        self.store = server.store
        self.repos: dict[str, Any] = self.store.state["hub"]
        # oid -> (next part, sha256 of the parts so far): parts sent in order are hashed as they
        # arrive, so completing an upload needs no second read of the object.
        self.running: dict[str, tuple[int, Any]] = {}

    # -- helpers ---------------------------------------------------------------------------------
    def _repo(self, request: Request) -> dict[str, Any]:
        repo = self.repos.get(request.params["repo"])
        if repo is None:
            raise HttpError(404, "Repository not found", headers={"X-Error-Code": "RepoNotFound"})
        return repo

    def _resolve(self, repo: dict[str, Any], rev: str) -> str:
        if rev in repo["branches"]:
            return str(repo["branches"][rev])
        if rev in repo["tags"]:
            return str(repo["tags"][rev]["commit"])
        if rev in repo["commits"]:
            return rev
        raise HttpError(404, f"Invalid rev id: {rev}")

    def _files(self, repo: dict[str, Any], rev: str) -> dict[str, dict[str, Any]]:
        return dict(repo["commits"][self._resolve(repo, rev)]["files"])

    def _patterns(self, files: dict[str, dict[str, Any]]) -> list[str]:
        entry = files.get(".gitattributes")
        if entry is None:
            return []
        return lfs_patterns(self.store.read_blob(entry["sha256"]))

    def _new_commit(self, repo: dict[str, Any], parent: str | None, files: dict[str, Any], title: str,
                    message: str) -> str:
        record = {"parent": parent, "files": files, "title": title, "message": message, "date": _now()}
        commit_id = hashlib.sha1(json.dumps(record, sort_keys=True).encode(), usedforsecurity=False).hexdigest()
        repo["commits"][commit_id] = {"id": commit_id, **record}
        return commit_id

    def _file_entry(self, sha256: str, size: int, lfs: bool, data: bytes | None = None) -> dict[str, Any]:
        oid = git_blob_sha1(lfs_pointer(sha256, size) if lfs else (data if data is not None else
                                                                     self.store.read_blob(sha256)))
        return {"oid": oid, "size": size, "sha256": sha256, "lfs": lfs}

    # -- account and repositories ----------------------------------------------------------------
    def whoami(self, request: Request) -> Response:
        return Response(body={"type": "user", "name": self.server.user, "fullname": self.server.user,
                              "orgs": [], "auth": {"type": "access_token", "accessToken": {"role": "write"}}})

    def validate_yaml(self, request: Request) -> Response:
        """The model card's front matter must be a YAML mapping (the Hub refuses the commit otherwise)."""
        import yaml

        content = request.body.json().get("content", "")
        match = re.match(r"^---\r?\n(.*?)\r?\n---", content, re.S) if isinstance(content, str) else None
        if match is not None:
            try:
                meta = yaml.safe_load(match.group(1))
            except yaml.YAMLError as exc:
                raise HttpError(400, f"Invalid metadata in README.md: {' '.join(str(exc).split())[:200]}") from None
            if meta is not None and not isinstance(meta, dict):
                raise HttpError(400, "Invalid metadata in README.md: the front matter is not a mapping")
        return Response(body={"errors": [], "warnings": []})

    def create_repo(self, request: Request) -> Response:
        data = request.body.json()
        name, org = data.get("name"), data.get("organization") or self.server.user
        if not isinstance(name, str) or not name:
            raise HttpError(400, "name is required")
        repo_id = f"{org}/{name}"
        url = f"{request.base_url}/{repo_id}"
        with self.store.lock:
            if repo_id in self.repos:
                raise HttpError(409, "You already created this model repo", url=url)
            private = data.get("visibility") == "private" or bool(data.get("private"))
            repo: dict[str, Any] = {"private": private, "commits": {}, "branches": {}, "tags": {}, "order": []}
            sha = self.store.put_bytes(DEFAULT_GITATTRIBUTES)
            files = {".gitattributes": self._file_entry(sha, len(DEFAULT_GITATTRIBUTES), False, DEFAULT_GITATTRIBUTES)}
            first = self._new_commit(repo, None, files, "initial commit", "")
            repo["branches"]["main"] = first
            repo["order"].append(first)
            self.repos[repo_id] = repo
            self.store.save()
        return Response(body={"url": url, "name": repo_id, "id": repo_id})

    def repo_info(self, request: Request) -> Response:
        repo = self._repo(request)
        sha = self._resolve(repo, request.params.get("rev", "main"))
        files = repo["commits"][sha]["files"]
        return Response(body={
            "id": request.params["repo"], "author": request.params["repo"].split("/")[0], "sha": sha,
            "private": repo["private"], "lastModified": repo["commits"][sha]["date"],
            "siblings": [{"rfilename": p} for p in sorted(files)], "tags": [], "disabled": False,
        })

    def refs(self, request: Request) -> Response:
        repo = self._repo(request)
        return Response(body={
            "branches": [{"name": n, "ref": f"refs/heads/{n}", "targetCommit": c} for n, c in repo["branches"].items()],
            "tags": [{"name": n, "ref": f"refs/tags/{n}", "targetCommit": t["commit"]} for n, t in repo["tags"].items()],
            "converts": [], "pullRequests": [],
        })

    def create_tag(self, request: Request) -> Response:
        repo = self._repo(request)
        data = request.body.json()
        tag = data.get("tag")
        if not isinstance(tag, str) or not tag:
            raise HttpError(400, "tag is required")
        with self.store.lock:
            commit = self._resolve(repo, request.params["rev"])
            if tag in repo["tags"] or tag in repo["branches"]:
                raise HttpError(409, f"Tag {tag} already exists")
            repo["tags"][tag] = {"commit": commit, "message": data.get("message", "")}
            self.store.save()
        return Response(body={})

    def commits(self, request: Request) -> Response:
        repo = self._repo(request)
        sha: str | None = self._resolve(repo, request.params["rev"])
        out = []
        while sha is not None:
            c = repo["commits"][sha]
            out.append({"id": sha, "title": c["title"], "message": c["message"], "date": c["date"],
                        "authors": [{"user": self.server.user}]})
            sha = c["parent"]
        return Response(body=out)

    def tree(self, request: Request) -> Response:
        repo = self._repo(request)
        files = self._files(repo, request.params["rev"])
        base = request.params.get("path", "").strip("/")
        recursive = request.arg("recursive", "false") in ("true", "True", "1")
        out: list[dict[str, Any]] = []
        folders: set[str] = set()
        for path in sorted(files):
            if base and not path.startswith(base + "/"):
                continue
            rest = path[len(base) + 1:] if base else path
            if "/" in rest and not recursive:
                folders.add((base + "/" if base else "") + rest.split("/", 1)[0])
                continue
            if recursive:
                parts = rest.split("/")[:-1]
                for i in range(len(parts)):
                    folders.add((base + "/" if base else "") + "/".join(parts[: i + 1]))
            entry = files[path]
            item: dict[str, Any] = {"type": "file", "path": path, "oid": entry["oid"], "size": entry["size"]}
            if entry["lfs"]:
                item["lfs"] = {"oid": entry["sha256"], "size": entry["size"],
                               "pointerSize": len(lfs_pointer(entry["sha256"], entry["size"]))}
            out.append(item)
        for folder in sorted(folders):
            oid = hashlib.sha1(folder.encode(), usedforsecurity=False).hexdigest()
            out.append({"type": "directory", "path": folder, "oid": oid, "size": 0})
        return Response(body=out)

    # -- uploads ---------------------------------------------------------------------------------
    def preupload(self, request: Request) -> Response:
        repo = self._repo(request)
        files = self._files(repo, request.params["rev"])
        patterns = self._patterns(files)
        out = []
        for item in request.body.json().get("files", []):
            path, size = item["path"], int(item["size"])
            lfs = goes_to_lfs(path, size, patterns)
            remote = files.get(path)
            oid = None if remote is None else (remote["sha256"] if remote["lfs"] else remote["oid"])
            out.append({"path": path, "uploadMode": "lfs" if lfs else "regular", "shouldIgnore": False, "oid": oid})
        return Response(body={"files": out, "commitOid": self._resolve(repo, request.params["rev"])})

    def lfs_batch(self, request: Request) -> Response:
        self._repo(request)
        data = request.body.json()
        if data.get("operation") != "upload":
            raise HttpError(400, "only uploads are supported")
        objects = []
        for obj in data.get("objects", []):
            oid, size = obj.get("oid"), obj.get("size")
            if not (isinstance(oid, str) and re.fullmatch(r"[0-9a-f]{64}", oid) and isinstance(size, int)):
                raise HttpError(422, "invalid object")
            entry: dict[str, Any] = {"oid": oid, "size": size}
            if self.store.has_blob(oid) and self.store.blob_size(oid) == size:
                objects.append(entry)  # already present: no actions, the client skips it
                continue
            base = f"{request.base_url}/_lfs/{oid}"
            if size > self.server.multipart_threshold and "multipart" in data.get("transfers", []):
                chunk = self.server.multipart_chunk
                header = {"chunk_size": str(chunk)}
                for n in range(1, math.ceil(size / chunk) + 1):
                    header[f"{n:05d}"] = f"{base}/part/{n}"
                entry["actions"] = {"upload": {"href": f"{base}/complete", "header": header},
                                    "verify": {"href": f"{base}/verify"}}
            else:
                entry["actions"] = {"upload": {"href": base}, "verify": {"href": f"{base}/verify"}}
            objects.append(entry)
        return Response(body={"transfer": "basic", "objects": objects, "hash_algo": "sha256"})

    def lfs_put(self, request: Request) -> Response:
        oid = request.params["oid"]
        tmp, sha256, size = self.store.receive(request.body.chunks())
        if sha256 != oid:
            tmp.unlink()
            raise HttpError(400, f"content does not match oid {oid}")
        self.store.adopt(tmp, sha256)
        return Response(body=b"")

    def lfs_put_part(self, request: Request) -> Response:
        """A part is written in place at its offset of one file per object: no reassembly copy."""
        oid, part = request.params["oid"], int(request.params["part"])
        target = self.store.tmp / f"{oid}.multipart"
        digest = hashlib.sha256()
        with self.store.lock:
            if not target.exists():
                target.touch()
            expected, so_far = self.running.get(oid, (1, None))
            running = (so_far.copy() if so_far is not None else hashlib.sha256()) if part == expected else None
            if running is None:  # a part rewritten or out of order: completing will hash the whole file
                self.running[oid] = (0, None)
        with open(target, "r+b") as handle:
            handle.seek((part - 1) * self.server.multipart_chunk)
            for chunk in request.body.chunks():
                digest.update(chunk)
                if running is not None:
                    running.update(chunk)
                handle.write(chunk)
        if running is not None:  # the whole part arrived: it now counts
            with self.store.lock:
                if self.running.get(oid, (1, None))[0] == part:
                    self.running[oid] = (part + 1, running)
        return Response(body=b"", headers={"ETag": f'"{digest.hexdigest()}"'})

    def lfs_complete(self, request: Request) -> Response:
        oid = request.params["oid"]
        data = request.body.json()
        target = self.store.tmp / f"{oid}.multipart"
        if not data.get("parts") or not target.exists():
            raise HttpError(400, "missing parts")
        with self.store.lock:
            expected, running = self.running.pop(oid, (0, None))
        if running is not None and expected == len(data["parts"]) + 1:
            actual = running.hexdigest()
        else:  # parts came out of order or were retried: hash the assembled file
            digest = hashlib.sha256()
            with open(target, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
            actual = digest.hexdigest()
        if actual != oid:
            target.unlink()
            raise HttpError(400, f"assembled parts do not match oid {oid}")
        self.store.adopt(target, oid)
        return Response(body={})

    def lfs_verify(self, request: Request) -> Response:
        data = request.body.json()
        oid, size = request.params["oid"], data.get("size")
        if not self.store.has_blob(oid) or self.store.blob_size(oid) != size:
            raise HttpError(404, f"object {oid} not found or of the wrong size")
        return Response(body={})

    def commit(self, request: Request) -> Response:
        repo = self._repo(request)
        branch = request.params["rev"]
        lines = [json.loads(line) for line in request.body.read().splitlines() if line.strip()]
        if not lines or lines[0].get("key") != "header":
            raise HttpError(400, "the first line must be the header")
        header = lines[0]["value"]
        with self.store.lock:
            if branch not in repo["branches"]:
                raise HttpError(404, f"Invalid rev id: {branch}")
            head = repo["branches"][branch]
            parent = header.get("parentCommit")
            if parent is not None and parent != head:
                raise HttpError(412, "A commit has happened since. Please refresh and try again.")
            files = dict(repo["commits"][head]["files"])
            patterns = self._patterns(files)
            for line in lines[1:]:
                key, value = line.get("key"), line.get("value", {})
                path = value.get("path", "")
                if not path or path.startswith("/") or ".." in path.split("/"):
                    raise HttpError(422, f"invalid path {path!r}")
                if key == "file":
                    try:
                        data = base64.b64decode(value["content"], validate=True)
                    except (binascii.Error, KeyError):
                        raise HttpError(422, f"{path}: invalid base64 content") from None
                    if len(data) > REGULAR_MAX or goes_to_lfs(path, len(data), patterns):
                        raise HttpError(422, f"{path}: this file must be uploaded through LFS")
                    files[path] = self._file_entry(self.store.put_bytes(data), len(data), False, data)
                elif key == "lfsFile":
                    oid = value.get("oid", "")
                    if not self.store.has_blob(oid):
                        raise HttpError(422, f"{path}: LFS object {oid} was not uploaded")
                    files[path] = self._file_entry(oid, self.store.blob_size(oid), True)
                elif key == "deletedFile":
                    files.pop(path, None)
                elif key == "deletedFolder":
                    files = {p: e for p, e in files.items() if not p.startswith(path.rstrip("/") + "/")}
                else:
                    raise HttpError(422, f"unsupported commit operation {key!r}")
            commit_id = self._new_commit(repo, head, files, header.get("summary", ""), header.get("description", ""))
            repo["branches"][branch] = commit_id
            repo["order"].append(commit_id)
            self.store.save()
        repo_id = request.params["repo"]
        return Response(body={"commitUrl": f"{request.base_url}/{repo_id}/commit/{commit_id}",
                              "commitOid": commit_id, "success": True, "pullRequestUrl": None})

    # -- downloads -------------------------------------------------------------------------------
    def resolve(self, request: Request) -> Response:
        repo = self._repo(request)
        sha = self._resolve(repo, request.params["rev"])
        entry = repo["commits"][sha]["files"].get(request.params["path"])
        if entry is None:
            raise HttpError(404, "Entry not found", headers={"X-Error-Code": "EntryNotFound"})
        etag = entry["sha256"] if entry["lfs"] else entry["oid"]
        headers = {"X-Repo-Commit": sha, "ETag": f'"{etag}"', "Content-Type": "application/octet-stream",
                   "Content-Disposition": f"attachment; filename*=UTF-8''{quote(request.params['path'].rsplit('/', 1)[-1])}"}
        if entry["lfs"]:
            headers["X-Linked-Etag"] = f'"{etag}"'
            headers["X-Linked-Size"] = str(entry["size"])
        return Response(headers=headers, file=self.store.blob_path(entry["sha256"]))
