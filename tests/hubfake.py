"""An HTTP-level fake of the Hugging Face Hub, for tests that must not leave the machine.

It serves the recorded repositories in ``tests/fixtures/hub/`` (see the README
there) from a ``ThreadingHTTPServer`` on 127.0.0.1 with an ephemeral port, so the
code under test talks to it through the real ``huggingface_hub`` client and
``httpx``, exactly as it talks to huggingface.co. What it implements:

``GET /api/models/{namespace}/{name}`` and ``.../revision/{revision}``
    The model_info JSON of the repository's ``main`` (or of ``revision``: a ref
    name such as ``main`` or a full commit sha). Without ``?blobs=true`` the
    siblings carry only ``rfilename``, as on the Hub.
``GET /{namespace}/{name}/resolve/{revision}/{path}``
    A file's bytes, with ``X-Repo-Commit`` and ``ETag`` headers.

Errors carry the headers ``huggingface_hub`` maps to its exceptions:

* unknown repository: 404, ``X-Error-Code: RepoNotFound``
* unknown revision: 404, ``X-Error-Code: RevisionNotFound``
* unknown file: 404, ``X-Error-Code: EntryNotFound``
* gated repository without ``Authorization``: 401, ``X-Error-Code: GatedRepo``;
  with a token the fake does not know: 403, ``X-Error-Code: GatedRepo``.

By default a gated repository refuses the API endpoint as well as its files. The
real Hub is more lenient: it answers model_info and serves README.md of a gated
repository anonymously and refuses only the other files. ``FakeHub(gated_metadata_public=True)``
behaves like that.

A renamed repository (``renames.json``) answers 307 with a relative ``Location``
to its new name, as the Hub does after a rename.

Every request is recorded (``FakeHub.requests``) so a test can assert what was
and was not fetched, e.g. that no weight file was ever requested
(``FakeHub.weight_requests()``). Tests can add repositories and revisions at
run time with ``add_repo`` / ``add_revision``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

FIXTURES = Path(__file__).parent / "fixtures" / "hub"
# What the fake accepts as an access token for gated repositories.
DEFAULT_TOKEN = "hf_modelgate_fake_hub_reader_token"
# Files that hold weights; an import must never ask for one.
WEIGHT_SUFFIXES = (".safetensors", ".gguf", ".bin", ".pth", ".pt", ".ckpt", ".h5", ".msgpack", ".onnx")
_CHUNK = 64 * 1024


def git_blob_id(data: bytes) -> str:
    """The git object id of a file's bytes, which the Hub reports as a sibling's ``blobId``."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # noqa: S324 - git's object id, not security


def lfs_sibling(path: str, size: int, sha256: str) -> dict[str, Any]:
    """A sibling entry for a file stored with git LFS, as model_info(files_metadata=True) returns it."""
    pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()
    return {
        "rfilename": path,
        "size": size,
        "blobId": git_blob_id(pointer),
        "lfs": {"sha256": sha256, "size": size, "pointerSize": len(pointer)},
    }


def is_weight_file(path: str) -> bool:
    return path.lower().endswith(WEIGHT_SUFFIXES)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # decoded path, without the query string
    query: dict[str, list[str]]
    authorization: str | None


@dataclass
class Revision:
    info: dict[str, Any]  # the model_info JSON (with blobs) at this commit
    files: dict[str, bytes]  # what /resolve/ can serve at this commit


@dataclass
class FakeRepo:
    repo_id: str
    gated: bool
    refs: dict[str, str] = field(default_factory=dict)  # ref name -> commit sha
    revisions: dict[str, Revision] = field(default_factory=dict)  # commit sha -> Revision

    def resolve(self, revision: str) -> Revision | None:
        sha = self.refs.get(revision, revision)
        return self.revisions.get(sha)


def model_info_json(
    repo_id: str,
    sha: str,
    files: dict[str, bytes],
    *,
    lfs_files: dict[str, int] | None = None,
    gated: bool | str = False,
    pipeline_tag: str | None = "text-generation",
    tags: list[str] | None = None,
    card_data: dict[str, Any] | None = None,
    library_name: str | None = "transformers",
    safetensors_total: int | None = None,
) -> dict[str, Any]:
    """A model_info response for a repository made up by a test, consistent with the bytes it serves.

    ``files`` are served and listed with their real size and blobId; ``lfs_files``
    (path -> size) are listed as LFS files the fake never serves (weights).
    """
    siblings = [{"rfilename": path, "size": len(data), "blobId": git_blob_id(data)} for path, data in files.items()]
    for path, size in (lfs_files or {}).items():
        siblings.append(lfs_sibling(path, size, hashlib.sha256(f"{repo_id}/{path}".encode()).hexdigest()))
    siblings.sort(key=lambda sibling: sibling["rfilename"])
    info: dict[str, Any] = {
        "_id": hashlib.sha1(repo_id.encode()).hexdigest()[:24],  # noqa: S324 - an id, not security
        "id": repo_id,
        "author": repo_id.split("/", 1)[0],
        "sha": sha,
        "lastModified": "2025-01-01T00:00:00.000Z",
        "private": False,
        "gated": gated,
        "disabled": False,
        "library_name": library_name,
        "tags": tags if tags is not None else ["region:us"],
        "pipeline_tag": pipeline_tag,
        "cardData": card_data or {},
        "siblings": siblings,
        "createdAt": "2025-01-01T00:00:00.000Z",
        "usedStorage": sum(sibling["size"] for sibling in siblings),
    }
    if safetensors_total is not None:
        info["safetensors"] = {"parameters": {"BF16": safetensors_total}, "total": safetensors_total}
    return info


def _load_fixtures(root: Path) -> tuple[dict[str, FakeRepo], dict[str, str]]:
    repos: dict[str, FakeRepo] = {}
    for info_path in sorted(root.glob("*/*/model_info.json")):
        info = json.loads(info_path.read_text(encoding="utf-8"))
        files_dir = info_path.parent / "files"
        files = {p.relative_to(files_dir).as_posix(): p.read_bytes() for p in files_dir.rglob("*") if p.is_file()}
        repo = FakeRepo(repo_id=info["id"], gated=bool(info.get("gated")))
        repo.revisions[info["sha"]] = Revision(info=info, files=files)
        repo.refs["main"] = info["sha"]
        repos[repo.repo_id] = repo
    renames_path = root / "renames.json"
    renames = json.loads(renames_path.read_text(encoding="utf-8")) if renames_path.exists() else {}
    return repos, renames


_FIXTURE_CACHE: tuple[dict[str, FakeRepo], dict[str, str]] | None = None


def _fixtures() -> tuple[dict[str, FakeRepo], dict[str, str]]:
    global _FIXTURE_CACHE  # noqa: PLW0603 - read once per test session, copied per FakeHub
    if _FIXTURE_CACHE is None:
        _FIXTURE_CACHE = _load_fixtures(FIXTURES)
    return copy.deepcopy(_FIXTURE_CACHE)


class FakeHub:
    """The fake Hub: ``start()`` it, point ``HF_ENDPOINT`` at ``url``, ``stop()`` it."""

    def __init__(self, *, gated_metadata_public: bool = False, tokens: set[str] | None = None) -> None:
        self.repos, self.renames = _fixtures()
        self.gated_metadata_public = gated_metadata_public
        self.tokens = tokens if tokens is not None else {DEFAULT_TOKEN}
        self.token = DEFAULT_TOKEN
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake Hub first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeHub:
        hub = self

        class Handler(_Handler):
            fake = hub

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # A short poll interval so stop() (server.shutdown) returns at once, not after the default 0.5 s.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-hub", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what tests inspect -----------------------------------------------------------

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def paths(self) -> list[str]:
        with self._lock:
            return [request.path for request in self.requests]

    def weight_requests(self) -> list[str]:
        """Every request that named a weight file, whatever the endpoint."""
        return [path for path in self.paths() if is_weight_file(path)]

    def resolve_requests(self) -> list[str]:
        """Paths of the files downloaded, as '{repo_id}/{path}'."""
        found = []
        for path in self.paths():
            parts = path.strip("/").split("/")
            if len(parts) >= 5 and parts[2] == "resolve":
                found.append(f"{parts[0]}/{parts[1]}/{'/'.join(parts[4:])}")
        return found

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    # --- what tests change ------------------------------------------------------------

    def info(self, repo_id: str, revision: str = "main") -> dict[str, Any]:
        found = self.repos[repo_id].resolve(revision)
        assert found is not None, f"{repo_id} has no revision {revision}"
        return found.info

    def file(self, repo_id: str, path: str, revision: str = "main") -> bytes:
        found = self.repos[repo_id].resolve(revision)
        assert found is not None, f"{repo_id} has no revision {revision}"
        return found.files[path]

    def add_repo(self, info: dict[str, Any], files: dict[str, bytes]) -> FakeRepo:
        """Register (or replace) a repository whose ``main`` is ``info['sha']``."""
        repo = FakeRepo(repo_id=info["id"], gated=bool(info.get("gated")))
        repo.revisions[info["sha"]] = Revision(info=info, files=dict(files))
        repo.refs["main"] = info["sha"]
        with self._lock:
            self.repos[repo.repo_id] = repo
        return repo

    def add_revision(
        self,
        repo_id: str,
        sha: str,
        *,
        files: dict[str, bytes | None] | None = None,
        info_changes: dict[str, Any] | None = None,
        ref: str | None = None,
        based_on: str = "main",
    ) -> Revision:
        """A new commit of ``repo_id`` derived from ``based_on``: ``files`` replace (or, with None, remove)
        files, ``info_changes`` replace model_info keys; ``ref`` (e.g. 'main') is moved to it."""
        repo = self.repos[repo_id]
        base = repo.resolve(based_on)
        assert base is not None, f"{repo_id} has no revision {based_on}"
        new_files = dict(base.files)
        for path, data in (files or {}).items():
            if data is None:
                new_files.pop(path, None)
            else:
                new_files[path] = data
        info = copy.deepcopy(base.info)
        info["sha"] = sha
        siblings = {sibling["rfilename"]: sibling for sibling in info["siblings"]}
        for path, data in (files or {}).items():
            if data is None:
                siblings.pop(path, None)
            else:
                siblings[path] = {"rfilename": path, "size": len(data), "blobId": git_blob_id(data)}
        info["siblings"] = [siblings[path] for path in sorted(siblings)]
        info.update(info_changes or {})
        revision = Revision(info=info, files=new_files)
        with self._lock:
            repo.revisions[sha] = revision
            if ref is not None:
                repo.refs[ref] = sha
        return revision

    def replace_file(self, repo_id: str, path: str, data: bytes) -> None:
        """Change a file in place at ``main`` (same commit): for content that must differ from the listing."""
        revision = self.repos[repo_id].resolve("main")
        assert revision is not None
        revision.files[path] = data


class _Handler(BaseHTTPRequestHandler):
    fake: FakeHub
    server_version = "FakeHub/1.0"
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test output is not the place for an access log."""

    def do_GET(self) -> None:
        self._dispatch(send_body=True)

    def do_HEAD(self) -> None:
        self._dispatch(send_body=False)

    # --- routing ---------------------------------------------------------------------------

    def _dispatch(self, *, send_body: bool) -> None:
        split = urlsplit(self.path)
        segments = [unquote(segment) for segment in split.path.split("/")[1:]]
        self.fake.record(
            RecordedRequest(
                method=self.command,
                path="/" + "/".join(segments),
                query=parse_qs(split.query),
                authorization=self.headers.get("Authorization"),
            )
        )
        try:
            if len(segments) >= 4 and segments[:2] == ["api", "models"]:
                self._model_info(segments[2:], split.query, send_body)
            elif len(segments) >= 5 and segments[2] == "resolve":
                self._resolve(segments, split.query, send_body)
            else:
                self._error(404, None, f"no route for {split.path}", send_body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading, e.g. after the bytes it caps a download at

    def _model_info(self, rest: list[str], query: str, send_body: bool) -> None:
        repo_id = "/".join(rest[:2])
        if len(rest) == 2:
            revision = "main"
        elif len(rest) == 4 and rest[2] == "revision":
            revision = rest[3]
        else:
            self._error(404, None, "no route", send_body)
            return
        if repo_id in self.fake.renames:
            self._redirect(repo_id, self.fake.renames[repo_id], query)
            return
        repo = self.fake.repos.get(repo_id)
        if repo is None:
            self._error(404, "RepoNotFound", "Repository not found", send_body)
            return
        if repo.gated and not self.fake.gated_metadata_public and not self._authorized(repo, send_body):
            return
        found = repo.resolve(revision)
        if found is None:
            self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}", send_body)
            return
        info = copy.deepcopy(found.info)
        if "true" not in parse_qs(query).get("blobs", []):
            info["siblings"] = [{"rfilename": sibling["rfilename"]} for sibling in info["siblings"]]
        body = json.dumps(info).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _resolve(self, segments: list[str], query: str, send_body: bool) -> None:
        repo_id = "/".join(segments[:2])
        revision = segments[3]
        path = "/".join(segments[4:])
        if repo_id in self.fake.renames:
            self._redirect(repo_id, self.fake.renames[repo_id], query)
            return
        repo = self.fake.repos.get(repo_id)
        if repo is None:
            self._error(404, "RepoNotFound", "Repository not found", send_body)
            return
        found = repo.resolve(revision)
        if found is None:
            self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}", send_body)
            return
        public_file = self.fake.gated_metadata_public and path == "README.md"
        if repo.gated and not public_file and not self._authorized(repo, send_body):
            return
        if path not in found.files:
            self._error(404, "EntryNotFound", f'{path} does not exist on "{revision}"', send_body)
            return
        data = found.files[path]
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("ETag", f'"{git_blob_id(data)}"')
        self.send_header("X-Repo-Commit", found.info["sha"])
        self.end_headers()
        if send_body:
            for start in range(0, len(data), _CHUNK):
                self.wfile.write(data[start : start + _CHUNK])

    # --- helpers ------------------------------------------------------------------------------

    def _authorized(self, repo: FakeRepo, send_body: bool) -> bool:
        header = self.headers.get("Authorization")
        message = f"Access to model {repo.repo_id} is restricted. You must have access to it and be authenticated."
        if not header:
            self._error(401, "GatedRepo", message + " Please log in.", send_body)
            return False
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or token not in self.fake.tokens:
            self._error(403, "GatedRepo", message + " Your request to access it is awaiting review.", send_body)
            return False
        return True

    def _redirect(self, old: str, new: str, query: str) -> None:
        location = "/" + "/".join(quote(part, safe="") for part in self._new_path(old, new))
        if query:
            location += "?" + query
        self.send_response(307)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _new_path(self, old: str, new: str) -> list[str]:
        segments = [unquote(segment) for segment in urlsplit(self.path).path.split("/")[1:]]
        old_parts, new_parts = old.split("/"), new.split("/")
        for index in range(len(segments) - 1):
            if segments[index : index + 2] == old_parts:
                return [*segments[:index], *new_parts, *segments[index + 2 :]]
        return segments

    def _error(self, status: int, code: str | None, message: str, send_body: bool) -> None:
        body = json.dumps({"error": message}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if code is not None:
            self.send_header("X-Error-Code", code)
        self.send_header("X-Error-Message", message)
        self.end_headers()
        if send_body:
            self.wfile.write(body)
