"""The parts of GitHub's REST API that a code push and a release use (as PyGithub calls them).

Laid out like GitHub Enterprise: the API under `/api/v3`, asset uploads under `/api/uploads` on
the same host (PyGithub only accepts an upload URL on its own host). Git objects get the ids git
gives them (blob, tree and commit hashing), so a client can compare a local tree with the remote.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from releasekit.devserver.http import HttpError, Request, Response
from releasekit.devserver.store import git_object_sha1

if TYPE_CHECKING:
    from releasekit.devserver.http import Route
    from releasekit.devserver.server import DevServer

API = "/api/v3"
REPO = r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)"


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def routes(server: DevServer) -> list[Route]:
    gh = GitHubApi(server)
    r = lambda pattern: re.compile(API + pattern)  # noqa: E731
    return [
        ("GET", r("/user"), gh.user),
        ("GET", r("/users/(?P<login>[^/]+)"), gh.user),
        ("GET", r("/orgs/(?P<org>[^/]+)"), gh.org),
        ("POST", r("/user/repos"), gh.create_repo),
        ("POST", r("/orgs/(?P<org>[^/]+)/repos"), gh.create_repo),
        ("GET", r(REPO), gh.get_repo),
        ("POST", r(REPO + "/git/blobs"), gh.create_blob),
        ("GET", r(REPO + "/git/blobs/(?P<sha>[0-9a-f]{40})"), gh.get_blob),
        ("POST", r(REPO + "/git/trees"), gh.create_tree),
        ("GET", r(REPO + "/git/trees/(?P<sha>[0-9a-f]{40})"), gh.get_tree),
        ("POST", r(REPO + "/git/commits"), gh.create_commit),
        ("GET", r(REPO + "/git/commits/(?P<sha>[0-9a-f]{40})"), gh.get_commit),
        ("GET", r(REPO + "/git/refs?/(?P<ref>.+)"), gh.get_ref),
        ("PATCH", r(REPO + "/git/refs?/(?P<ref>.+)"), gh.update_ref),
        ("POST", r(REPO + "/git/refs"), gh.create_ref),
        ("GET", r(REPO + "/releases"), gh.list_releases),
        ("POST", r(REPO + "/releases"), gh.create_release),
        ("GET", r(REPO + "/releases/tags/(?P<tag>.+)"), gh.release_by_tag),
        ("GET", r(REPO + r"/releases/(?P<id>\d+)"), gh.get_release),
        ("GET", r(REPO + r"/releases/(?P<id>\d+)/assets"), gh.list_assets),
        ("GET", r(REPO + r"/releases/assets/(?P<asset>\d+)"), gh.get_asset),
        ("DELETE", r(REPO + r"/releases/assets/(?P<asset>\d+)"), gh.delete_asset),
        ("POST", re.compile("/api/uploads" + REPO + r"/releases/(?P<id>\d+)/assets"), gh.upload_asset),
        ("GET", re.compile(r"/_gh/download/(?P<asset>\d+)"), gh.download_asset),
    ]


class GitHubApi:
    def __init__(self, server: DevServer) -> None:
        self.server = server
        self.store = server.store
        self.repos: dict[str, Any] = self.store.state["github"]
        self.objects: dict[str, Any] = self.store.state["git"]

    # -- JSON shapes -----------------------------------------------------------------------------
    def _api(self, request: Request) -> str:
        return request.base_url + API

    def _user_json(self, request: Request, login: str | None = None, kind: str = "User") -> dict[str, Any]:
        login = login or self.server.user
        return {"login": login, "id": abs(hash(login)) % 10**8, "type": kind, "url": f"{self._api(request)}/users/{login}",
                "html_url": f"{request.base_url}/{login}"}

    def _repo_json(self, request: Request, full: str) -> dict[str, Any]:
        repo = self.repos[full]
        owner, name = full.split("/")
        api = f"{self._api(request)}/repos/{full}"
        return {"id": repo["id"], "name": name, "full_name": full, "private": repo["private"],
                "owner": self._user_json(request, owner), "url": api, "html_url": f"{request.base_url}/{full}",
                "default_branch": repo["default_branch"], "releases_url": api + "/releases{/id}",
                "git_refs_url": api + "/git/refs{/sha}"}

    def _repo(self, request: Request) -> tuple[str, dict[str, Any]]:
        full = f"{request.params['owner']}/{request.params['name']}"
        repo = self.repos.get(full)
        if repo is None:
            raise HttpError(404, "Not Found")
        return full, repo

    def _object(self, sha: str, kind: str) -> dict[str, Any]:
        obj = self.objects.get(sha)
        if obj is None or obj["type"] != kind:
            raise HttpError(404, f"{kind} {sha} not found")
        return obj  # type: ignore[no-any-return]

    def _commit_json(self, request: Request, full: str, sha: str) -> dict[str, Any]:
        c = self._object(sha, "commit")
        api = f"{self._api(request)}/repos/{full}/git"
        person = {"name": self.server.user, "email": f"{self.server.user}@localhost", "date": c["date"]}
        return {"sha": sha, "url": f"{api}/commits/{sha}", "html_url": f"{request.base_url}/{full}/commit/{sha}",
                "message": c["message"], "tree": {"sha": c["tree"], "url": f"{api}/trees/{c['tree']}"},
                "parents": [{"sha": p, "url": f"{api}/commits/{p}"} for p in c["parents"]],
                "author": person, "committer": person}

    def _ref_json(self, request: Request, full: str, ref: str, sha: str) -> dict[str, Any]:
        api = f"{self._api(request)}/repos/{full}/git"
        kind = self.objects.get(sha, {}).get("type", "commit")
        return {"ref": ref, "url": f"{api}/{'refs'}/{ref[5:]}", "node_id": ref,
                "object": {"sha": sha, "type": kind, "url": f"{api}/{kind}s/{sha}"}}

    # -- git objects -----------------------------------------------------------------------------
    def _put_blob(self, data: bytes) -> str:
        sha = git_object_sha1("blob", data)
        if sha not in self.objects:
            self.objects[sha] = {"type": "blob", "sha256": self.store.put_bytes(data), "size": len(data)}
        return sha

    def _put_tree(self, entries: dict[str, tuple[str, str, str]]) -> str:
        """entries: name -> (mode, type, sha). Hashed as git does."""
        def order(name: str) -> bytes:
            return (name + "/" if entries[name][1] == "tree" else name).encode()

        payload = b"".join(
            f"{entries[n][0]} {n}".encode() + b"\0" + bytes.fromhex(entries[n][2]) for n in sorted(entries, key=order)
        )
        sha = git_object_sha1("tree", payload)
        self.objects.setdefault(sha, {"type": "tree", "entries": {n: list(v) for n, v in entries.items()}})
        return sha

    def _flatten(self, tree_sha: str, prefix: str = "") -> dict[str, tuple[str, str]]:
        """path -> (mode, blob sha) of every blob under a tree."""
        out: dict[str, tuple[str, str]] = {}
        for name, (mode, kind, sha) in self._object(tree_sha, "tree")["entries"].items():
            if kind == "tree":
                out.update(self._flatten(sha, f"{prefix}{name}/"))
            else:
                out[prefix + name] = (mode, sha)
        return out

    def _build_tree(self, files: dict[str, tuple[str, str]]) -> str:
        nested: dict[str, Any] = {}
        for path, (mode, sha) in files.items():
            node = nested
            parts = path.split("/")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
                if not isinstance(node, dict):
                    raise HttpError(422, f"path conflict at {path}")
            node[parts[-1]] = (mode, sha)

        def write(node: dict[str, Any]) -> str:
            entries: dict[str, tuple[str, str, str]] = {}
            for name, value in node.items():
                if isinstance(value, dict):
                    entries[name] = ("40000", "tree", write(value))
                else:
                    entries[name] = (value[0], "blob", value[1])
            return self._put_tree(entries)

        return write(nested)

    def _put_commit(self, tree: str, parents: list[str], message: str) -> str:
        date = _now()
        stamp = int(dt.datetime.now(dt.timezone.utc).timestamp())
        who = f"{self.server.user} <{self.server.user}@localhost> {stamp} +0000"
        payload = f"tree {tree}\n" + "".join(f"parent {p}\n" for p in parents)
        payload += f"author {who}\ncommitter {who}\n\n{message}"
        sha = git_object_sha1("commit", payload.encode())
        self.objects.setdefault(sha, {"type": "commit", "tree": tree, "parents": parents, "message": message,
                                      "date": date})
        return sha

    # -- users and repositories ------------------------------------------------------------------
    def user(self, request: Request) -> Response:
        return Response(body=self._user_json(request, request.params.get("login")))

    def org(self, request: Request) -> Response:
        org = request.params["org"]
        return Response(body={**self._user_json(request, org, "Organization"),
                              "url": f"{self._api(request)}/orgs/{org}"})

    def create_repo(self, request: Request) -> Response:
        data = request.body.json()
        name = data.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9._-]+", name):
            raise HttpError(422, "Repository creation failed: invalid name")
        full = f"{request.params.get('org') or self.server.user}/{name}"
        with self.store.lock:
            if full in self.repos:
                raise HttpError(422, "Repository creation failed.", errors=[{"message": "name already exists on this account"}])
            repo = {"id": self.store.new_id(), "private": bool(data.get("private")), "default_branch": "main",
                    "refs": {}, "releases": []}
            self.repos[full] = repo
            if data.get("auto_init"):
                blob = self._put_blob(f"# {name}\n".encode())
                tree = self._build_tree({"README.md": ("100644", blob)})
                repo["refs"]["refs/heads/main"] = self._put_commit(tree, [], "Initial commit")
            self.store.save()
        return Response(201, self._repo_json(request, full))

    def get_repo(self, request: Request) -> Response:
        full, _ = self._repo(request)
        return Response(body=self._repo_json(request, full))

    def create_blob(self, request: Request) -> Response:
        full, _ = self._repo(request)
        data = request.body.json()
        content = data.get("content", "")
        try:
            raw = base64.b64decode(content, validate=True) if data.get("encoding") == "base64" else content.encode()
        except (binascii.Error, AttributeError):
            raise HttpError(422, "invalid blob content") from None
        with self.store.lock:
            sha = self._put_blob(raw)
            self.store.save()
        return Response(201, {"sha": sha, "url": f"{self._api(request)}/repos/{full}/git/blobs/{sha}"})

    def get_blob(self, request: Request) -> Response:
        full, _ = self._repo(request)
        obj = self._object(request.params["sha"], "blob")
        content = base64.b64encode(self.store.read_blob(obj["sha256"])).decode()
        return Response(body={"sha": request.params["sha"], "size": obj["size"], "encoding": "base64",
                              "content": content, "url": f"{self._api(request)}/repos/{full}/git/blobs/{request.params['sha']}"})

    def create_tree(self, request: Request) -> Response:
        full, _ = self._repo(request)
        data = request.body.json()
        with self.store.lock:
            files = self._flatten(data["base_tree"]) if data.get("base_tree") else {}
            for item in data.get("tree", []):
                path = item.get("path", "")
                if not path or path.startswith("/") or ".." in path.split("/"):
                    raise HttpError(422, f"invalid tree path {path!r}")
                if item.get("sha") is None and "content" not in item:
                    files.pop(path, None)
                    continue
                sha = item.get("sha") or self._put_blob(item["content"].encode())
                self._object(sha, "blob")
                files[path] = (item.get("mode", "100644"), sha)
            sha = self._build_tree(files)
            self.store.save()
        return Response(201, self._tree_json(request, full, sha, recursive=False))

    def _tree_json(self, request: Request, full: str, sha: str, recursive: bool) -> dict[str, Any]:
        api = f"{self._api(request)}/repos/{full}/git"
        entries = []

        def visit(tree_sha: str, prefix: str) -> None:
            for name, (mode, kind, child) in sorted(self._object(tree_sha, "tree")["entries"].items()):
                item: dict[str, Any] = {"path": prefix + name, "mode": mode, "type": kind, "sha": child,
                                        "url": f"{api}/{kind}s/{child}"}
                if kind == "blob":
                    item["size"] = self.objects[child]["size"]
                entries.append(item)
                if kind == "tree" and recursive:
                    visit(child, f"{prefix}{name}/")

        visit(sha, "")
        return {"sha": sha, "url": f"{api}/trees/{sha}", "tree": entries, "truncated": False}

    def get_tree(self, request: Request) -> Response:
        full, _ = self._repo(request)
        recursive = request.arg("recursive") not in (None, "0", "false")
        return Response(body=self._tree_json(request, full, request.params["sha"], recursive))

    def create_commit(self, request: Request) -> Response:
        full, _ = self._repo(request)
        data = request.body.json()
        with self.store.lock:
            self._object(data.get("tree", ""), "tree")
            parents = list(data.get("parents", []))
            for parent in parents:
                self._object(parent, "commit")
            sha = self._put_commit(data["tree"], parents, data.get("message", ""))
            self.store.save()
        return Response(201, self._commit_json(request, full, sha))

    def get_commit(self, request: Request) -> Response:
        full, _ = self._repo(request)
        return Response(body=self._commit_json(request, full, request.params["sha"]))

    # -- refs --------------------------------------------------------------------------------------
    def get_ref(self, request: Request) -> Response:
        full, repo = self._repo(request)
        ref = "refs/" + request.params["ref"]
        if ref not in repo["refs"]:
            if not repo["refs"]:
                raise HttpError(409, "Git Repository is empty.")
            raise HttpError(404, "Not Found")
        return Response(body=self._ref_json(request, full, ref, repo["refs"][ref]))

    def _ancestors(self, sha: str) -> set[str]:
        seen, todo = set(), [sha]
        while todo:
            current = todo.pop()
            if current in seen or current not in self.objects:
                continue
            seen.add(current)
            todo.extend(self.objects[current].get("parents", []))
        return seen

    def update_ref(self, request: Request) -> Response:
        full, repo = self._repo(request)
        ref = "refs/" + request.params["ref"]
        data = request.body.json()
        sha = data.get("sha", "")
        with self.store.lock:
            if ref not in repo["refs"]:
                raise HttpError(422, "Reference does not exist")
            self._object(sha, "commit")
            if not data.get("force") and repo["refs"][ref] not in self._ancestors(sha):
                raise HttpError(422, "Update is not a fast forward")
            repo["refs"][ref] = sha
            self.store.save()
        return Response(body=self._ref_json(request, full, ref, sha))

    def create_ref(self, request: Request) -> Response:
        full, repo = self._repo(request)
        data = request.body.json()
        ref, sha = data.get("ref", ""), data.get("sha", "")
        if not ref.startswith("refs/") or sha not in self.objects:
            raise HttpError(422, "invalid ref or sha")
        with self.store.lock:
            if ref in repo["refs"]:
                raise HttpError(422, "Reference already exists")
            repo["refs"][ref] = sha
            self.store.save()
        return Response(201, self._ref_json(request, full, ref, sha))

    # -- releases ----------------------------------------------------------------------------------
    def _release_json(self, request: Request, full: str, rel: dict[str, Any]) -> dict[str, Any]:
        api = f"{self._api(request)}/repos/{full}/releases/{rel['id']}"
        return {"id": rel["id"], "url": api, "assets_url": api + "/assets",
                "upload_url": f"{request.base_url}/api/uploads/repos/{full}/releases/{rel['id']}/assets{{?name,label}}",
                "html_url": f"{request.base_url}/{full}/releases/tag/{rel['tag_name']}",
                "tag_name": rel["tag_name"], "target_commitish": rel["target_commitish"], "name": rel["name"],
                "body": rel["body"], "draft": rel["draft"], "prerelease": rel["prerelease"],
                "created_at": rel["created_at"], "published_at": rel["created_at"],
                "author": self._user_json(request),
                "assets": [self._asset_json(request, full, a) for a in rel["assets"]]}

    def _asset_json(self, request: Request, full: str, asset: dict[str, Any]) -> dict[str, Any]:
        return {"id": asset["id"], "name": asset["name"], "label": asset["label"], "size": asset["size"],
                "content_type": asset["content_type"], "state": "uploaded", "download_count": 0,
                "digest": f"sha256:{asset['sha256']}", "created_at": asset["created_at"],
                "updated_at": asset["created_at"], "uploader": self._user_json(request),
                "url": f"{self._api(request)}/repos/{full}/releases/assets/{asset['id']}",
                "browser_download_url": f"{request.base_url}/_gh/download/{asset['id']}"}

    def _release(self, repo: dict[str, Any], release_id: int) -> dict[str, Any]:
        for rel in repo["releases"]:
            if rel["id"] == release_id:
                return rel  # type: ignore[no-any-return]
        raise HttpError(404, "Not Found")

    def list_releases(self, request: Request) -> Response:
        full, repo = self._repo(request)
        return Response(body=[self._release_json(request, full, r) for r in reversed(repo["releases"])])

    def create_release(self, request: Request) -> Response:
        full, repo = self._repo(request)
        data = request.body.json()
        tag = data.get("tag_name")
        if not isinstance(tag, str) or not tag:
            raise HttpError(422, "tag_name is required")
        with self.store.lock:
            if any(r["tag_name"] == tag for r in repo["releases"]):
                raise HttpError(422, "Validation Failed", errors=[{"resource": "Release", "code": "already_exists",
                                                                   "field": "tag_name"}])
            target = data.get("target_commitish") or repo["default_branch"]
            ref = f"refs/tags/{tag}"
            if ref not in repo["refs"]:
                sha = repo["refs"].get(f"refs/heads/{target}", target)
                if self.objects.get(sha, {}).get("type") != "commit":
                    raise HttpError(422, f"target_commitish {target} is not a branch or commit")
                repo["refs"][ref] = sha
            rel = {"id": self.store.new_id(), "tag_name": tag, "target_commitish": target,
                   "name": data.get("name") or tag, "body": data.get("body") or "", "draft": bool(data.get("draft")),
                   "prerelease": bool(data.get("prerelease")), "created_at": _now(), "assets": []}
            repo["releases"].append(rel)
            self.store.save()
        return Response(201, self._release_json(request, full, rel))

    def release_by_tag(self, request: Request) -> Response:
        full, repo = self._repo(request)
        for rel in repo["releases"]:
            if rel["tag_name"] == request.params["tag"]:
                return Response(body=self._release_json(request, full, rel))
        raise HttpError(404, "Not Found")

    def get_release(self, request: Request) -> Response:
        full, repo = self._repo(request)
        return Response(body=self._release_json(request, full, self._release(repo, int(request.params["id"]))))

    def list_assets(self, request: Request) -> Response:
        full, repo = self._repo(request)
        rel = self._release(repo, int(request.params["id"]))
        return Response(body=[self._asset_json(request, full, a) for a in rel["assets"]])

    def _find_asset(self, repo: dict[str, Any], asset_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
        for rel in repo["releases"]:
            for asset in rel["assets"]:
                if asset["id"] == asset_id:
                    return rel, asset
        raise HttpError(404, "Not Found")

    def get_asset(self, request: Request) -> Response:
        full, repo = self._repo(request)
        _, asset = self._find_asset(repo, int(request.params["asset"]))
        return Response(body=self._asset_json(request, full, asset))

    def delete_asset(self, request: Request) -> Response:
        _, repo = self._repo(request)
        with self.store.lock:
            rel, asset = self._find_asset(repo, int(request.params["asset"]))
            rel["assets"].remove(asset)
            self.store.save()
        return Response(204, None)

    def upload_asset(self, request: Request) -> Response:
        full, repo = self._repo(request)
        rel = self._release(repo, int(request.params["id"]))
        name = request.arg("name")
        if not name:
            raise HttpError(422, "name is required")
        if any(a["name"] == name for a in rel["assets"]):
            raise HttpError(422, "Validation Failed", errors=[{"resource": "ReleaseAsset", "code": "already_exists",
                                                               "field": "name"}])
        tmp, sha256, size = self.store.receive(request.body.chunks())
        with self.store.lock:
            if any(a["name"] == name for a in rel["assets"]):
                tmp.unlink()
                raise HttpError(422, "Validation Failed", errors=[{"code": "already_exists", "field": "name"}])
            self.store.adopt(tmp, sha256)
            asset = {"id": self.store.new_id(), "name": name, "label": request.arg("label", "") or "",
                     "size": size, "sha256": sha256, "created_at": _now(),
                     "content_type": request.headers.get("Content-Type", "application/octet-stream")}
            rel["assets"].append(asset)
            self.store.save()
        return Response(201, self._asset_json(request, full, asset))

    def download_asset(self, request: Request) -> Response:
        for repo in self.repos.values():
            for rel in repo["releases"]:
                for asset in rel["assets"]:
                    if asset["id"] == int(request.params["asset"]):
                        return Response(headers={"Content-Type": asset["content_type"]},
                                        file=self.store.blob_path(asset["sha256"]))
        raise HttpError(404, "Not Found")
