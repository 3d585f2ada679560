"""In-memory fake of the Hugging Face Hub HTTP API, for tests.

``LocalHubServer`` is a stdlib-only HTTP server (``http.server.ThreadingHTTPServer``)
that speaks the subset of the Hub wire protocol used by the real ``huggingface_hub``
2.4 client (``HfApi``, ``hf_hub_download``, ``HfFileSystem``; with ``hf_xet`` for uploads)
and by ``datasets``.
Tests run Hub-backed storage code against it over real HTTP instead of mocking
the client.  Everything lives in memory and disappears with the server.

Implemented (model / dataset / space repos; repo ids must be ``namespace/name`` and are matched
case-insensitively, as on the Hub: ``Org/Name`` finds ``org/name``, whose info says ``id: org/name``):

* ``POST /api/repos/create`` (``visibility``: ``public``/``private``, ``protected`` for Spaces,
  or the older ``private`` flag; 409 + ``url`` in the body when it exists, which
  ``create_repo(exist_ok=True)`` needs), ``DELETE /api/repos/delete``
* ``GET /api/{type}s/{id}[/revision/{rev}]``: repo/model/dataset info (sha, siblings,
  ``private``, ``gated``; ``expand`` keeps only the listed keys plus ``id``/``_id``, as the
  Hub does).  Model repos also get, computed from the files at that commit like the Hub:

  - ``config``: ``config.json`` reduced to ``architectures``, ``model_type``, ``auto_map`` and
    ``quantization_config`` (``quant_method``, ``load_in_4bit``/``8bit``), plus
    ``{"diffusers": {"_class_name": ...}}`` from a root ``model_index.json``; absent when
    neither parses as a JSON object.  (No ``tokenizer_config``.)
  - ``safetensors``: ``{"parameters": {dtype: count}, "total": n}`` from the headers of the
    shards named by a root ``model.safetensors.index.json``, else of every ``*.safetensors``
    file; absent when there is none or any of them (or the index) does not parse, since a
    partial count would understate the model.
  - ``library_name`` / ``pipeline_tag``: set with ``seed(...)``; otherwise ``library_name`` is
    ``diffusers`` with a root ``model_index.json``, ``transformers`` with a root
    ``config.json``.  ``tags`` holds the library name, ``safetensors`` and the pipeline tag.
* ``GET /api/{type}s/{id}/tree/{rev}[/{path}]`` (``recursive``, ``expand``)
* ``POST /api/{type}s/{id}/paths-info/{rev}`` (form-encoded ``paths``, ``expand``)
* ``POST /api/{type}s/{id}/preupload/{rev}``: ``lfs`` for binary extensions, files
  containing NUL bytes in the sample, or files >= 10 MB; ``regular`` otherwise.  Like the
  real Hub it returns the ``oid`` of the file already at that path, and the client then
  leaves unchanged files out of the commit (an all-unchanged commit makes none, and the
  client checks no ``parent_commit`` then).  ``LocalHubServer(report_oids=False)`` hides
  the oids, so that every upload makes a commit.
* Xet storage, which the client uses for every ``lfs`` file when ``hf_xet`` is installed
  (there is no fallback to LFS unless ``HF_HUB_DISABLE_XET`` is set):

  - ``GET /api/{type}s/{id}/xet-write-token/{rev}`` (write auth): a short-lived CAS token in
    ``X-Xet-Cas-Url`` / ``X-Xet-Access-Token`` / ``X-Xet-Token-Expiration`` and in the body.
  - The CAS itself, at ``{url}{cas_path}`` (a path of its own per server: hf_xet keeps a
    dedup cache per CAS URL), every call with ``Authorization: Bearer <CAS token>``:
    ``POST /v1/xorbs/default/{hash}`` (chunks decoded: none, LZ4, byte-grouped LZ4),
    ``POST /v1/shards`` (each file rebuilt from stored chunks and checked against the
    shard's sha256; the commit's ``lfsFile`` then names it by that sha256),
    ``GET /v1/chunks/{prefix}/{hash}`` (always 404: no global dedup), ``POST /v1/telemetry``.
    ``/v1/xorb-grants`` and ``/v2/shards`` answer 404, on which hf_xet falls back to the
    direct xorb upload and ``/v1/shards``.  Xorb and chunk hashes are not verified (that
    needs BLAKE3); the sha256 of every rebuilt file is.
  - Downloads stay plain HTTP: ``resolve`` sends no ``X-Xet-Hash`` and listings no
    ``xetHash``, so the client never asks for a read token or a reconstruction.
* ``POST /{prefix}{id}.git/info/lfs/objects/batch`` (the client's path without Xet)
  answering with the ``basic`` transfer, a ``PUT`` upload href and a ``verify`` href
  served by this server
* ``POST /api/{type}s/{id}/commit/{rev}`` (ndjson: header, file, lfsFile,
  deletedFile, deletedFolder). Atomic: the ``parentCommit`` check and the write
  happen under one lock; a stale parent gets 412 "A commit has happened since...".
* ``GET /api/{type}s/{id}/refs``, ``GET /api/{type}s/{id}/commits/{rev}``
* ``POST /api/validate-yaml``, ``GET /api/whoami-v2`` (401 with a bad token, which
  ``whoami`` raises as ``HfHubHTTPError("Invalid user token.")``)
* ``HEAD``/``GET /{prefix}{id}/resolve/{rev}/{path}`` with ``Range`` (206/416),
  ``X-Repo-Commit``, ``ETag`` and, for LFS files, ``X-Linked-Etag``/``X-Linked-Size``.
  LFS content is served directly (no redirect to a CDN).
* Gated repos (``seed(..., gated="auto"|"manual")``): as on the Hub, info and file listings
  stay public, but ``resolve`` answers ``X-Error-Code: GatedRepo`` (``GatedRepoError`` in the
  client) until ``grant_access(repo_id)``: 401 "...Please log in." without a valid token, 403
  "...not in the authorized list..." with one.  Access is granted to the token holder only
  (there is one user), and the owner gets no exemption: every gated repo starts locked.
  Writes are not gated.

Not implemented: pull requests, branches/tags other than ``main``, pagination
(every listing is one page), access requests (``grant_access`` stands in), repo settings
(``update_repo_settings``), Xet downloads (reconstructions, read tokens), Xet upload grants.

Like the real Hub, ``create_repo`` makes an initial commit holding a
``.gitattributes`` file, so a new repo already has a head sha, one commit, and
``.gitattributes`` in its file listings.  Revisions are ``main`` (or
``refs/heads/main``) or any full 40-hex commit sha; every commit is an immutable
snapshot, so old shas keep serving old content.

Auth: with ``token=...`` every write endpoint (and the Xet write token) needs
``Authorization: Bearer <token>`` (401 otherwise), and private repos are invisible
(404 ``RepoNotFound``) without it.  Reads of public repos never need it, except downloads
from gated ones.  Without ``token`` the server accepts anything (so a gated repo answers
403, never 401).  The server never logs anything (``log_message`` is silenced), so the
token cannot leak into logs; ``request_log`` records only ``(method, path)`` (no query, no headers).

Configuring the client in a test:

* Pass ``endpoint=server.url`` explicitly: ``HfApi(endpoint=server.url, token=...)``,
  ``hf_hub_download(..., endpoint=server.url, cache_dir=tmp_path)``,
  ``HfFileSystem(endpoint=server.url, token=...)``.  ``huggingface_hub.constants``
  reads ``HF_ENDPOINT`` (and ``HF_HUB_DISABLE_XET``, ``HF_HUB_OFFLINE``...) once, at
  import time, so setting them from a test has no effect in-process; patch the constant
  (``monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)``) to take the LFS path.
* ``datasets`` also reads ``HF_ENDPOINT`` at import (``datasets.config.HF_ENDPOINT``)
  and ``hf://`` URLs resolve through ``constants.ENDPOINT``; run such code in a
  subprocess with ``HF_ENDPOINT=server.url`` in its environment.
* hf_xet reads ``HF_XET_CACHE`` (its dedup cache) and ``HF_XET_TELEMETRY_ENABLED`` from the
  environment when its session starts; tests/conftest.py points the cache at a temporary folder.
* URLs in replies (``commitUrl``, the create-repo ``url``) are canonical
  ``https://huggingface.co/...`` ones, as from the real Hub; ``CommitInfo`` and
  ``RepoUrl(url, endpoint=...)`` rewrite huggingface.co to the client's endpoint.
* To send no token at all (e.g. to test a 401), use ``HfApi(token=False)``:
  ``token=None`` falls back to ``HF_TOKEN`` or the locally saved token.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import itertools
import json
import math
import re
import secrets
import struct
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar, Literal
from urllib.parse import parse_qs, unquote, urlsplit

REPO_TYPES = ("model", "dataset", "space")
_URL_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}
_TYPE_FROM_PREFIX = {"": "model", "datasets/": "dataset", "spaces/": "space"}
LFS_SIZE_THRESHOLD = 10 * 1024 * 1024
_LFS_EXTENSIONS_TEXT = """
    .7z .arrow .avro .bin .bz2 .ckpt .feather .gguf .gz .h5 .jpeg .jpg .joblib .lz4 .mp3 .mp4
    .msgpack .npy .npz .onnx .orc .parquet .pb .pickle .pkl .png .pt .pth .safetensors
    .tar .tflite .tgz .wav .webp .xz .zip .zst
"""
LFS_EXTENSIONS = frozenset(_LFS_EXTENSIONS_TEXT.split())
GITATTRIBUTES = b"".join(f"*{ext} filter=lfs diff=lfs merge=lfs -text\n".encode() for ext in sorted(LFS_EXTENSIONS))
_SHA_RE = re.compile(r"^[0-9a-f]{40}$")
_CONFIG_KEYS = ("architectures", "model_type", "auto_map")
_QUANTIZATION_KEYS = ("quant_method", "load_in_4bit", "load_in_8bit")
_SAFETENSORS_INDEX = "model.safetensors.index.json"
_SAFETENSORS_MAX_HEADER = 100 * 1024 * 1024  # the format's own limit
XET_TOKEN_TTL_S = 3600
_XET_SHARD_TAG = b"HFRepoMetaData\0UigEj{" + bytes.fromhex("815783a5bdd95ccdd14aa9")  # a shard's 32-byte magic
_XET_BOOKEND = b"\xff" * 32
_XET_FILE_WITH_VERIFICATION = 1 << 31
_XET_FILE_WITH_METADATA_EXT = 1 << 30

Gated = Literal[False, "auto", "manual"]


class _Unchanged(enum.Enum):
    """Default of ``seed``'s metadata arguments: keep what the repo has (None means "unset")."""

    UNCHANGED = "unchanged"


UNCHANGED = _Unchanged.UNCHANGED


class HubError(Exception):
    """An error reply: status, X-Error-Code / X-Error-Message headers, JSON body."""

    def __init__(self, status: int, message: str, code: str | None = None, **extra: object) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code
        self.headers: dict[str, str] = {}
        self.extra = extra


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _git_blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _is_lfs(path: str, size: int, sample: bytes) -> bool:
    ext = "." + path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
    return ext in LFS_EXTENSIONS or size >= LFS_SIZE_THRESHOLD or b"\0" in sample


def _json_object(data: bytes | None) -> dict | None:
    try:
        value = json.loads(data) if data is not None else None
    except ValueError:  # includes UnicodeDecodeError
        return None
    return value if isinstance(value, dict) else None


def _safetensors_parameters(content: bytes) -> dict[str, int] | None:
    """Parameter count per dtype from a safetensors header; None when it does not parse.

    Layout: 8-byte little-endian header length, then a JSON object mapping each tensor
    name to ``{"dtype", "shape", "data_offsets"}``, plus an optional ``__metadata__``.
    """
    if len(content) < 8:
        return None
    (length,) = struct.unpack("<Q", content[:8])
    if length > min(len(content) - 8, _SAFETENSORS_MAX_HEADER):
        return None
    header = _json_object(content[8 : 8 + length])
    if header is None:
        return None
    counts: dict[str, int] = {}
    for name, tensor in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(tensor, dict):
            return None
        dtype, shape = tensor.get("dtype"), tensor.get("shape")
        if not isinstance(dtype, str) or not isinstance(shape, list):
            return None
        if not all(type(dim) is int and dim >= 0 for dim in shape):
            return None
        counts[dtype] = counts.get(dtype, 0) + math.prod(shape)
    return counts


def _safetensors_info(files: dict[str, _File]) -> dict | None:
    """The Hub's ``safetensors`` model-info field; None when there is nothing (valid) to count."""
    if _SAFETENSORS_INDEX in files:
        index = _json_object(files[_SAFETENSORS_INDEX].content)
        weight_map = index.get("weight_map") if index else None
        if not isinstance(weight_map, dict) or not all(isinstance(v, str) for v in weight_map.values()):
            return None
        shards = sorted(set(weight_map.values()))
    else:
        shards = sorted(p for p in files if p.endswith(".safetensors"))
    if not shards:
        return None
    parameters: dict[str, int] = {}
    for shard in shards:
        counts = _safetensors_parameters(files[shard].content) if shard in files else None
        if counts is None:  # a partial count would understate the model: report none
            return None
        for dtype, count in counts.items():
            parameters[dtype] = parameters.get(dtype, 0) + count
    return {"parameters": parameters, "total": sum(parameters.values())}


def _model_config(files: dict[str, _File]) -> dict | None:
    """The Hub's reduced ``config`` model-info field: the keys model loaders look at."""
    config: dict = {}
    raw = _json_object(files["config.json"].content) if "config.json" in files else None
    if raw is not None:
        config = {key: raw[key] for key in _CONFIG_KEYS if key in raw}
        quantization = raw.get("quantization_config")
        if isinstance(quantization, dict):
            config["quantization_config"] = {k: quantization[k] for k in _QUANTIZATION_KEYS if k in quantization}
    index = _json_object(files["model_index.json"].content) if "model_index.json" in files else None
    if index is not None and "_class_name" in index:
        config["diffusers"] = {"_class_name": index["_class_name"]}
    return config if raw is not None or "diffusers" in config else None


def _xet_hex(raw: bytes) -> str:
    """A Xet hash as the protocol spells it: four little-endian u64 words, each printed as 16 hex digits."""
    return "".join(raw[i : i + 8][::-1].hex() for i in range(0, 32, 8))


def _lz4_block(src: bytes, out: bytearray) -> None:
    """Decode one LZ4 block onto ``out`` (earlier output is the match window, as in linked frames)."""
    i, n = 0, len(src)
    while i < n:
        token = src[i]
        i += 1
        literals = token >> 4
        if literals == 15:
            while True:
                literals += src[i]
                i += 1
                if src[i - 1] != 255:
                    break
        out += src[i : i + literals]
        i += literals
        if i >= n:  # the last sequence has literals only
            break
        offset = src[i] | src[i + 1] << 8
        i += 2
        length = token & 15
        if length == 15:
            while True:
                length += src[i]
                i += 1
                if src[i - 1] != 255:
                    break
        length += 4
        start = len(out) - offset
        if offset == 0 or start < 0:
            raise ValueError("LZ4 match outside the decoded data")
        if offset >= length:
            out += out[start : start + length]
        else:  # an overlapping match repeats the last `offset` bytes
            out += (bytes(out[start:]) * (length // offset + 1))[:length]


def _lz4_frame(data: bytes) -> bytes:
    """Decode an LZ4 frame (the format lz4_flex's FrameEncoder writes into Xet chunks)."""
    magic, flags = struct.unpack_from("<IB", data)
    if magic != 0x184D2204:
        raise ValueError("not an LZ4 frame")
    i = 7 + (8 if flags & 0x08 else 0) + (4 if flags & 0x01 else 0)  # magic, FLG, BD, [size], [dict], HC
    out = bytearray()
    while True:
        (size,) = struct.unpack_from("<I", data, i)
        i += 4
        if size == 0:
            return bytes(out)
        block, i = data[i : i + (size & 0x7FFFFFFF)], i + (size & 0x7FFFFFFF)
        if size & 0x80000000:  # stored uncompressed
            out += block
        else:
            _lz4_block(block, out)
        i += 4 if flags & 0x10 else 0  # block checksum


def _xet_chunk(scheme: int, body: bytes) -> bytes:
    """One chunk's bytes: schemes 0 (none), 1 (LZ4) and 2 (byte-grouped by 4, then LZ4)."""
    if scheme == 0:
        return body
    if scheme == 1:
        return _lz4_frame(body)
    if scheme != 2:
        raise ValueError(f"unknown chunk compression scheme {scheme}")
    grouped = _lz4_frame(body)
    split, rem = divmod(len(grouped), 4)
    out, position = bytearray(len(grouped)), 0
    for k, size in enumerate((split + (rem > 0), split + (rem > 1), split + (rem > 2), split)):
        out[k::4] = grouped[position : position + size]
        position += size
    return bytes(out)


def _xorb_chunks(data: bytes) -> list[bytes]:
    """The decompressed chunks of a serialized xorb: 8-byte headers and bodies, up to the optional footer."""
    chunks, offset = [], 0
    while offset < len(data) and not data.startswith(b"XETBLOB", offset):
        header = data[offset : offset + 8]
        if len(header) < 8 or header[0] != 0:
            raise ValueError(f"bad chunk header at byte {offset}")
        stored, size = int.from_bytes(header[1:4], "little"), int.from_bytes(header[5:8], "little")
        chunk = _xet_chunk(header[4], data[offset + 8 : offset + 8 + stored])
        if len(chunk) != size:
            raise ValueError(f"chunk at byte {offset} decodes to {len(chunk)} bytes, its header says {size}")
        chunks.append(chunk)
        offset += 8 + stored
    if not chunks:
        raise ValueError("a xorb with no chunks")
    return chunks


@dataclass(frozen=True)
class _XetFile:
    """One file of a shard: its segments (xorb hash, first chunk, end chunk, bytes) and declared sha256."""

    segments: list[tuple[str, int, int, int]]
    sha256: str | None


def _shard_files(data: bytes) -> list[_XetFile]:
    """The file-info section of an uploaded shard (header, then one record per file, up to a bookend)."""
    if len(data) < 48 or data[:32] != _XET_SHARD_TAG or struct.unpack_from("<Q", data, 32)[0] != 2:
        raise ValueError("not a version-2 Xet shard")
    files, offset = [], 48

    def entry() -> bytes:
        nonlocal offset
        if offset + 48 > len(data):
            raise ValueError("truncated shard")
        offset += 48
        return data[offset - 48 : offset]

    while (header := entry())[:32] != _XET_BOOKEND:
        flags, count = struct.unpack_from("<II", header, 32)
        segments = []
        for _ in range(count):
            record = entry()
            _, size, first, end = struct.unpack_from("<IIII", record, 32)
            segments.append((_xet_hex(record[:32]), first, end, size))
        for _ in range(count if flags & _XET_FILE_WITH_VERIFICATION else 0):
            entry()
        sha256 = _xet_hex(entry()[:32]) if flags & _XET_FILE_WITH_METADATA_EXT else None
        files.append(_XetFile(segments, sha256))
    return files


def _clean_path(path: str) -> str:
    path = path.strip("/")
    if not path or any(part in ("", ".", "..") for part in path.split("/")):
        raise HubError(400, f"Invalid path in repo: {path!r}")
    return path


@dataclass(frozen=True)
class _File:
    content: bytes
    lfs: bool

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @cached_property
    def pointer(self) -> bytes:
        return b"version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n" % (
            self.sha256.encode(),
            len(self.content),
        )

    @cached_property
    def blob_id(self) -> str:  # git oid: of the pointer file for LFS files, as on the Hub
        return _git_blob_sha(self.pointer if self.lfs else self.content)


@dataclass(frozen=True)
class _Commit:
    sha: str
    parent: str | None
    title: str
    message: str
    date: str
    files: dict[str, _File]  # never mutated once the commit exists


@dataclass
class _Repo:
    repo_type: str
    repo_id: str
    private: bool
    created_at: str
    commits: dict[str, _Commit]
    branches: dict[str, str]
    lfs_objects: dict[str, bytes]
    pending_lfs: set[str]
    gated: Gated = False
    pipeline_tag: str | None = None
    library_name: str | None = None  # None: inferred from the files, as the Hub does
    access_granted: bool = False  # the token holder may download even when gated


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default backlog of 5 drops SYNs under concurrent clients (1 s retries)
    hub: LocalHubServer


class LocalHubServer:
    """In-memory Hub; see the module docstring. Use as a context manager or start()/stop()."""

    def __init__(self, *, token: str | None = None, user: str = "tester", report_oids: bool = True) -> None:
        self._token = token
        self.user = user
        self.report_oids = report_oids
        self.url = ""
        self.request_log: list[tuple[str, str]] = []
        self._lock = threading.RLock()
        self._repos: dict[tuple[str, str], _Repo] = {}
        # Xet storage (CAS): write tokens with their expiry, decoded xorb chunks, and the files that
        # uploaded shards registered, by sha256. One per server, like the Hub's one CAS for all repos.
        self._xet_tokens: dict[str, float] = {}
        self._xorbs: dict[str, list[bytes]] = {}
        self._xet_files: dict[str, bytes] = {}
        # A path of its own: hf_xet keeps a dedup cache per CAS URL, which must not outlive this server.
        self.cas_path = f"/_xet/{secrets.token_hex(8)}"
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:  # never shows the token
        return f"LocalHubServer(url={self.url!r}, user={self.user!r})"

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> LocalHubServer:
        httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        httpd.hub = self
        self._httpd = httpd
        self.url = f"http://127.0.0.1:{httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="local-hub", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> LocalHubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- helpers for tests -------------------------------------------------
    def head(self, repo_id: str, repo_type: str = "dataset") -> str | None:
        """Current commit sha of ``main``, or None when the repo does not exist."""
        with self._lock:
            repo = self._repos.get((repo_type, repo_id))
            return repo.branches.get("main") if repo else None

    def commit_count(self, repo_id: str, repo_type: str = "dataset") -> int:
        """Commits reachable from ``main``, including the initial ``.gitattributes`` one."""
        with self._lock:
            repo = self._get_repo(repo_type, repo_id, authorized=True)
            return len(self._history(repo, repo.branches["main"]))

    def files(self, repo_id: str, repo_type: str = "dataset", revision: str = "main") -> dict[str, bytes]:
        """Snapshot contents at ``revision`` (branch or commit sha), ``.gitattributes`` included."""
        with self._lock:
            repo = self._get_repo(repo_type, repo_id, authorized=True)
            return {p: f.content for p, f in self._resolve(repo, revision).files.items()}

    def seed(
        self,
        repo_id: str,
        files: dict[str, bytes],
        repo_type: str = "model",
        message: str = "Seed files",
        *,
        private: bool = False,
        gated: Gated | _Unchanged = UNCHANGED,
        pipeline_tag: str | _Unchanged | None = UNCHANGED,
        library_name: str | _Unchanged | None = UNCHANGED,
    ) -> str:
        """Create the repo if needed and commit ``files`` to ``main``; returns the commit sha.

        ``private`` only applies when the repo is created.  The metadata arguments default to
        ``UNCHANGED`` (keep what an earlier seed set); ``None`` unsets a tag or library name,
        which the model info then infers from the files again.
        """
        if gated is not UNCHANGED and gated is not False and gated not in ("auto", "manual"):
            raise ValueError(f"gated must be False, 'auto' or 'manual', not {gated!r}")
        with self._lock:
            repo = self._find_repo(repo_type, repo_id) or self._create_repo(repo_type, repo_id, private=private)
            if not isinstance(gated, _Unchanged):
                repo.gated = gated
            if not isinstance(pipeline_tag, _Unchanged):
                repo.pipeline_tag = pipeline_tag
            if not isinstance(library_name, _Unchanged):
                repo.library_name = library_name
            snapshot = dict(repo.commits[repo.branches["main"]].files)
            for path, content in files.items():
                path = _clean_path(path)
                snapshot[path] = _File(content, _is_lfs(path, len(content), content[:512]))
                if snapshot[path].lfs:
                    repo.lfs_objects[snapshot[path].sha256] = content
            return self._add_commit(repo, "main", snapshot, message, "").sha

    def grant_access(self, repo_id: str, repo_type: str = "model") -> None:
        """Let the token holder download a gated repo's files, as an accepted access request does."""
        with self._lock:
            self._get_repo(repo_type, repo_id, authorized=True).access_granted = True

    # -- state (callers hold self._lock) -----------------------------------
    def _create_repo(self, repo_type: str, repo_id: str, private: bool) -> _Repo:
        repo = _Repo(repo_type, repo_id, private, _now(), {}, {}, {}, set())
        self._repos[(repo_type, repo_id)] = repo
        self._add_commit(repo, "main", {".gitattributes": _File(GITATTRIBUTES, False)}, "initial commit", "")
        return repo

    def _add_commit(self, repo: _Repo, branch: str, files: dict[str, _File], title: str, message: str) -> _Commit:
        parent = repo.branches.get(branch)
        seed = f"{repo.repo_type}/{repo.repo_id}\n{parent}\n{len(repo.commits)}\n{time.time_ns()}\n{title}"
        commit = _Commit(hashlib.sha1(seed.encode()).hexdigest(), parent, title, message, _now(), files)
        repo.commits[commit.sha] = commit
        repo.branches[branch] = commit.sha
        return commit

    def _find_repo(self, repo_type: str, repo_id: str) -> _Repo | None:
        """The repo by id, whatever its case: like the Hub, `Org/Name` finds `org/name` (its info says the latter)."""
        repo = self._repos.get((repo_type, repo_id))
        if repo is None:
            wanted = repo_id.casefold()
            repo = next((r for (t, i), r in self._repos.items() if t == repo_type and i.casefold() == wanted), None)
        return repo

    def _get_repo(self, repo_type: str, repo_id: str, authorized: bool) -> _Repo:
        repo = self._find_repo(repo_type, repo_id)
        if repo is None or (repo.private and not authorized):
            raise HubError(404, "Repository not found", "RepoNotFound")
        return repo

    def _resolve(self, repo: _Repo, revision: str) -> _Commit:
        revision = revision.removeprefix("refs/heads/")
        sha = repo.branches.get(revision) or (revision if _SHA_RE.match(revision) else None)
        if sha is None or sha not in repo.commits:
            raise HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        return repo.commits[sha]

    def _history(self, repo: _Repo, sha: str | None) -> list[_Commit]:
        out = []
        while sha is not None:
            out.append(repo.commits[sha])
            sha = repo.commits[sha].parent
        return out

    def _authorized(self, authorization: str | None) -> bool:
        return self._token is None or authorization == f"Bearer {self._token}"


def _view(files: dict[str, _File], path: str, is_dir: bool) -> object:
    if not is_dir:
        return files.get(path)
    return {p: f for p, f in files.items() if p.startswith(path + "/")}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real Hub; every reply has Content-Length
    server_version = "LocalHubServer"
    timeout = 30
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms stalls
    server: _HTTPServer

    _API = r"^/api/(model|dataset|space)s/([^/]+/[^/]+)"
    _GIT = r"^/(datasets/|spaces/)?([^/]+/[^/]+)"
    _LFS = r"^/_lfs/(model|dataset|space)/([^/]+/[^/]+)/([0-9a-f]{64})"
    _CAS = r"^/_xet/([0-9a-f]{16})/v1"
    ROUTES: ClassVar[list[tuple[str, str, str]]] = [
        ("POST", r"^/api/repos/create$", "create_repo"),
        ("DELETE", r"^/api/repos/delete$", "delete_repo"),
        ("GET", r"^/api/whoami-v2$", "whoami"),
        ("POST", r"^/api/validate-yaml$", "validate_yaml"),
        ("GET", _API + r"(?:/revision/([^/]+))?$", "repo_info"),
        ("GET", _API + r"/tree/([^/]+)(?:/(.*))?$", "tree"),
        ("POST", _API + r"/paths-info/([^/]+)$", "paths_info"),
        ("POST", _API + r"/preupload/([^/]+)$", "preupload"),
        ("POST", _API + r"/commit/([^/]+)$", "commit"),
        ("GET", _API + r"/refs$", "refs"),
        ("GET", _API + r"/commits/([^/]+)$", "commits"),
        ("GET", _API + r"/xet-write-token/([^/]+)$", "xet_write_token"),
        ("GET", _CAS + r"/chunks/([^/]+)/([0-9a-f]{64})$", "cas_chunk"),
        ("POST", _CAS + r"/xorbs/default/([0-9a-f]{64})$", "cas_xorb"),
        ("POST", _CAS + r"/shards$", "cas_shard"),
        ("POST", _CAS + r"/telemetry$", "cas_telemetry"),
        ("POST", _GIT + r"\.git/info/lfs/objects/batch$", "lfs_batch"),
        ("PUT", _LFS + r"$", "lfs_put"),
        ("POST", _LFS + r"/verify$", "lfs_verify"),
        ("GET", _GIT + r"/resolve/([^/]+)/(.+)$", "resolve"),
        ("HEAD", _GIT + r"/resolve/([^/]+)/(.+)$", "resolve"),
    ]

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet; and the Authorization header must never end up in a log

    # -- plumbing ----------------------------------------------------------
    def do_GET(self) -> None:
        self._dispatch()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_GET

    def _dispatch(self) -> None:
        body = self._read_body()  # always drain the body first, even for error replies
        split = urlsplit(self.path)
        hub = self.server.hub
        hub.request_log.append((self.command, split.path))
        self.body, self.query = body, parse_qs(split.query, keep_blank_values=True)
        try:
            for method, pattern, name in self.ROUTES:
                match = re.match(pattern, split.path)
                if match and method == self.command:
                    args = [unquote(g) if g is not None else None for g in match.groups()]
                    status, payload, headers = getattr(self, "h_" + name)(*args)
                    break
            else:
                raise HubError(404, f"No route for {self.command} {split.path}")
        except HubError as err:
            message = " ".join(err.message.split())[:500].encode("ascii", "replace").decode()
            headers = {"X-Error-Message": message, **err.headers}
            if err.code:
                headers["X-Error-Code"] = err.code
            status, payload = err.status, {"error": err.message, **err.extra}
        except Exception as exc:  # a bug in the fake: report it rather than hang the client
            status, payload, headers = 500, {"error": f"{type(exc).__name__}: {exc}"}, {}
        self._reply(status, payload, headers)

    def _read_body(self) -> bytes:
        return read_body(self)

    def _reply(self, status: int, payload: object, headers: dict[str, str]) -> None:
        if isinstance(payload, bytes):
            body = payload
            headers.setdefault("Content-Type", "application/octet-stream")
        else:
            body = json.dumps(payload).encode()
            headers.setdefault("Content-Type", "application/json; charset=utf-8")
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self) -> dict:
        try:
            data = json.loads(self.body or b"{}")
        except ValueError as exc:
            raise HubError(400, f"Invalid JSON body: {exc}") from None
        if not isinstance(data, dict):
            raise HubError(400, "Expected a JSON object")
        return data

    def _flag(self, name: str, source: dict[str, list[str]] | None = None) -> bool:
        values = (self.query if source is None else source).get(name) or ["false"]
        return values[-1].lower() in ("1", "true")

    @property
    def hub(self) -> LocalHubServer:
        return self.server.hub

    @property
    def _authorized(self) -> bool:
        return self.hub._authorized(self.headers.get("Authorization"))

    def _require_write(self) -> None:
        if not self._authorized:
            raise HubError(401, "Invalid credentials in Authorization header")

    def _repo(self, repo_type: str, repo_id: str) -> _Repo:
        return self.hub._get_repo(repo_type, repo_id, self._authorized)

    def _require_access(self, repo: _Repo) -> None:
        """File downloads of a gated repo need a token holder who was granted access (the Hub's messages)."""
        if not repo.gated or (repo.access_granted and self._authorized):
            return
        what = f"Access to {repo.repo_type} {repo.repo_id} is restricted"
        if not self._authorized:
            message = f"{what}. You must have access to it and be authenticated to access it. Please log in."
            raise HubError(401, message, "GatedRepo")
        message = f"{what} and you are not in the authorized list. Visit {self._url(repo)} to ask for access."
        raise HubError(403, message, "GatedRepo")

    @staticmethod
    def _url(repo: _Repo) -> str:
        # Canonical huggingface.co URL, as the real Hub returns: RepoUrl and CommitInfo rewrite it
        # to the client's endpoint.
        return f"https://huggingface.co/{_URL_PREFIX[repo.repo_type]}{repo.repo_id}"

    # -- repos -------------------------------------------------------------
    def _repo_from_body(self) -> tuple[str, str, dict]:
        data = self._json()
        repo_type = data.get("type") or "model"
        if repo_type not in REPO_TYPES or not data.get("name"):
            raise HubError(400, "Invalid repo type or name")
        return repo_type, f"{data.get('organization') or self.hub.user}/{data['name']}", data

    def h_create_repo(self):
        self._require_write()
        repo_type, repo_id, data = self._repo_from_body()
        with self.hub._lock:
            existing = self.hub._find_repo(repo_type, repo_id)
            if existing is not None:
                url = self._url(existing)
                raise HubError(409, f"You already created this {repo_type} repo", url=url)
            repo = self.hub._create_repo(repo_type, repo_id, self._private_from_body(repo_type, data))
        return 200, {"url": self._url(repo), "name": repo_id, "id": repo_id}, {}

    @staticmethod
    def _private_from_body(repo_type: str, data: dict) -> bool:
        """``visibility`` (what huggingface_hub 1.x+ sends), else the older ``private`` flag."""
        visibility = data.get("visibility") or ("private" if data.get("private") else "public")
        if visibility not in ("public", "private", "protected") or (visibility == "protected" and repo_type != "space"):
            raise HubError(400, f"Invalid visibility {visibility!r} for a {repo_type} repo")
        return visibility != "public"  # a protected Space's files are private too

    def h_delete_repo(self):
        self._require_write()
        repo_type, repo_id, _ = self._repo_from_body()
        with self.hub._lock:
            repo = self._repo(repo_type, repo_id)
            del self.hub._repos[(repo_type, repo.repo_id)]
        return 200, {}, {}

    def h_whoami(self):
        if not self._authorized:
            raise HubError(401, "Invalid credentials in Authorization header")
        user = self.hub.user
        auth = {"type": "access_token", "accessToken": {"displayName": "local-hub", "role": "write"}}
        info = {"type": "user", "id": f"local-{user}", "name": user, "fullname": user, "orgs": [], "auth": auth}
        return 200, info, {}

    def h_validate_yaml(self):
        return 200, {"errors": [], "warnings": []}, {}

    def h_repo_info(self, repo_type, repo_id, revision):
        with self.hub._lock:
            repo = self._repo(repo_type, repo_id)
            commit = self.hub._resolve(repo, revision or "main")
        blobs = self._flag("blobs")
        siblings = []
        for path, f in sorted(commit.files.items()):
            sibling: dict = {"rfilename": path}
            if blobs:
                sibling.update(size=len(f.content), blobId=f.blob_id)
                if f.lfs:
                    sibling["lfs"] = {"sha256": f.sha256, "size": len(f.content), "pointerSize": len(f.pointer)}
            siblings.append(sibling)
        info = {
            "_id": hashlib.sha1(f"{repo_type}/{repo.repo_id}".encode()).hexdigest()[:24],
            "id": repo.repo_id,  # the canonical id, whatever case the request used
            "author": repo.repo_id.split("/")[0],
            "sha": commit.sha,
            "createdAt": repo.created_at,
            "lastModified": commit.date,
            "private": repo.private,
            "gated": repo.gated,
            "disabled": False,
            "downloads": 0,
            "likes": 0,
            "tags": [],
            "siblings": siblings,
        }
        if repo_type == "model":
            info.update(self._model_fields(repo, commit.files))
        if repo_type == "space":
            info.update(sdk="static", runtime={"stage": "RUNNING"})
        expand = self.query.get("expand") or self.query.get("expand[]")
        if expand:  # like the Hub: only the asked-for keys
            info = {key: value for key, value in info.items() if key in ("_id", "id", *expand)}
        return 200, info, {}

    @staticmethod
    def _model_fields(repo: _Repo, files: dict[str, _File]) -> dict:
        """Model-only info keys, computed from the files at the requested commit."""
        fields: dict = {}
        library = repo.library_name
        if library is None and "model_index.json" in files:
            library = "diffusers"
        elif library is None and "config.json" in files:
            library = "transformers"
        if library is not None:
            fields["library_name"] = library
        if repo.pipeline_tag is not None:
            fields["pipeline_tag"] = repo.pipeline_tag
        if (config := _model_config(files)) is not None:
            fields["config"] = config
        if (safetensors := _safetensors_info(files)) is not None:
            fields["safetensors"] = safetensors
        tags = [library, "safetensors" if any(p.endswith(".safetensors") for p in files) else None, repo.pipeline_tag]
        fields["tags"] = [tag for tag in tags if tag]
        return fields

    # -- trees -------------------------------------------------------------
    def _entry(self, repo: _Repo, commit: _Commit, path: str, expand: bool) -> dict:
        f = commit.files.get(path)
        if f is None:  # directory
            under = sorted((p, g.blob_id) for p, g in commit.files.items() if p.startswith(path + "/"))
            entry: dict = {"type": "directory", "oid": hashlib.sha1(repr(under).encode()).hexdigest(), "path": path}
        else:
            entry = {"type": "file", "oid": f.blob_id, "size": len(f.content), "path": path}
            if f.lfs:
                entry["lfs"] = {"oid": f.sha256, "size": len(f.content), "pointerSize": len(f.pointer)}
        if expand:  # last commit that changed this entry
            history = self.hub._history(repo, commit.sha)
            last = history[-1]
            is_dir = f is None
            for newer, older in itertools.pairwise(history):
                if _view(newer.files, path, is_dir) != _view(older.files, path, is_dir):
                    last = newer
                    break
            entry["lastCommit"] = {"id": last.sha, "title": last.title, "date": last.date}
        return entry

    @staticmethod
    def _dirs(files: dict[str, _File]) -> set[str]:
        return {p.rsplit("/", i)[0] for p in files for i in range(1, p.count("/") + 1)}

    def h_tree(self, repo_type, repo_id, revision, path):
        with self.hub._lock:
            repo = self._repo(repo_type, repo_id)
            commit = self.hub._resolve(repo, revision)
        base = (path or "").strip("/")
        dirs = self._dirs(commit.files)
        if base and base not in dirs:
            raise HubError(404, f"Entry not found: {base} is not a directory", "EntryNotFound")
        prefix = base + "/" if base else ""
        recursive = self._flag("recursive")
        names = [p for p in sorted(dirs) + sorted(commit.files) if p.startswith(prefix)]
        if not recursive:
            names = [p for p in names if "/" not in p[len(prefix) :]]
        return 200, [self._entry(repo, commit, p, self._flag("expand")) for p in names], {}

    def h_paths_info(self, repo_type, repo_id, revision):
        form = parse_qs(self.body.decode(), keep_blank_values=True)
        with self.hub._lock:
            repo = self._repo(repo_type, repo_id)
            commit = self.hub._resolve(repo, revision)
        dirs = self._dirs(commit.files)
        paths = [p.strip("/") for p in form.get("paths", [])]
        expand = self._flag("expand", form)
        found = [p for p in paths if p in commit.files or p in dirs]
        return 200, [self._entry(repo, commit, p, expand) for p in found], {}

    # -- uploads -----------------------------------------------------------
    def h_preupload(self, repo_type, repo_id, revision):
        self._require_write()
        with self.hub._lock:
            commit = self.hub._resolve(self._repo(repo_type, repo_id), revision)
        out = []
        for item in self._json().get("files", []):
            path, size = item["path"], int(item["size"])
            lfs = _is_lfs(path, size, base64.b64decode(item.get("sample", "")))
            existing = commit.files.get(path)
            oid = None  # when it matches the local oid, the client leaves the file out (see report_oids)
            if existing is not None and self.hub.report_oids:
                oid = existing.sha256 if lfs else _git_blob_sha(existing.content)
            out.append({"path": path, "uploadMode": "lfs" if lfs else "regular", "shouldIgnore": False, "oid": oid})
        return 200, {"files": out, "commitOid": commit.sha}, {}

    def h_lfs_batch(self, prefix, repo_id):
        self._require_write()
        repo_type = _TYPE_FROM_PREFIX[prefix or ""]
        data = self._json()
        if data.get("operation") != "upload":
            raise HubError(400, "Only the 'upload' LFS operation is supported")
        objects = []
        with self.hub._lock:
            repo = self._repo(repo_type, repo_id)
            for obj in data.get("objects", []):
                oid, size = obj["oid"], int(obj["size"])
                entry: dict = {"oid": oid, "size": size, "authenticated": True}
                if oid not in repo.lfs_objects:  # no "actions" means "already uploaded"
                    repo.pending_lfs.add(oid)
                    href = f"{self.hub.url}/_lfs/{repo_type}/{repo_id}/{oid}"
                    entry["actions"] = {
                        "upload": {"href": href, "expires_in": 3600},
                        "verify": {"href": href + "/verify", "expires_in": 3600},
                    }
                objects.append(entry)
        # Never "xet": the client then falls back to the basic (single PUT) LFS transfer.
        return (
            200,
            {"transfer": "basic", "objects": objects, "hash_algo": "sha256"},
            {"Content-Type": "application/vnd.git-lfs+json"},
        )

    # -- Xet storage (the CAS) -----------------------------------------------
    def h_xet_write_token(self, repo_type, repo_id, revision):
        """A short-lived CAS token for uploads to this repo: in headers (what hf_xet reads) and the body."""
        self._require_write()
        with self.hub._lock:
            self.hub._resolve(self._repo(repo_type, repo_id), revision)
            token, expiry = f"xet_{secrets.token_hex(16)}", int(time.time()) + XET_TOKEN_TTL_S
            self.hub._xet_tokens[token] = expiry
        cas_url = self.hub.url + self.hub.cas_path
        headers = {"X-Xet-Cas-Url": cas_url, "X-Xet-Access-Token": token, "X-Xet-Token-Expiration": str(expiry)}
        return 200, {"casUrl": cas_url, "accessToken": token, "exp": expiry}, headers

    def _require_cas(self, instance: str) -> None:
        """CAS calls carry the Xet token (never the Hub token), for this server's CAS only."""
        if "/_xet/" + instance != self.hub.cas_path:
            raise HubError(404, "No such CAS")
        token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        with self.hub._lock:
            expiry = self.hub._xet_tokens.get(token)
        if expiry is None or expiry < time.time():
            raise HubError(401, "Missing or expired Xet token")

    def h_cas_chunk(self, instance, prefix, chunk_hash):
        self._require_cas(instance)
        raise HubError(404, "Chunk not tracked by global deduplication")  # no global dedup here

    def h_cas_xorb(self, instance, xorb_hash):
        self._require_cas(instance)
        try:
            chunks = _xorb_chunks(self.body)
        except (ValueError, IndexError, struct.error) as exc:
            raise HubError(400, f"Bad xorb serialization: {exc}") from None
        with self.hub._lock:
            inserted = self.hub._xorbs.setdefault(xorb_hash, chunks) is chunks
        return 200, {"was_inserted": inserted}, {}

    def h_cas_shard(self, instance):
        """Register a shard's files: each rebuilt from stored xorb chunks and checked against its sha256."""
        self._require_cas(instance)
        try:
            files = _shard_files(self.body)
        except (ValueError, struct.error) as exc:
            raise HubError(400, f"Bad shard serialization: {exc}") from None
        rebuilt = {}
        with self.hub._lock:
            for f in files:
                parts = []
                for xorb_hash, first, end, size in f.segments:
                    chunks = self.hub._xorbs.get(xorb_hash, [])
                    if not 0 <= first < end <= len(chunks):
                        raise HubError(400, f"Shard references chunks {first}..{end} of unknown xorb {xorb_hash}")
                    part = b"".join(chunks[first:end])
                    if len(part) != size:
                        raise HubError(400, f"Segment of xorb {xorb_hash} is {len(part)} bytes, the shard says {size}")
                    parts.append(part)
                content = b"".join(parts)
                sha256 = hashlib.sha256(content).hexdigest()
                if f.sha256 is not None and f.sha256 != sha256:
                    raise HubError(400, f"File content does not match its declared sha256 {f.sha256}")
                rebuilt[sha256] = content
            new = rebuilt.keys() - self.hub._xet_files.keys()
            self.hub._xet_files.update(rebuilt)
        return 200, {"result": 1 if new else 0}, {}  # 1: registered, 0: already there

    def h_cas_telemetry(self, instance):
        self._require_cas(instance)
        return 200, {}, {}

    def h_lfs_put(self, repo_type, repo_id, oid):
        # Like a presigned S3 URL: no Authorization, but only for oids announced by a batch call.
        if hashlib.sha256(self.body).hexdigest() != oid:
            raise HubError(400, "Uploaded content does not match its sha256 oid")
        with self.hub._lock:
            repo = self.hub._get_repo(repo_type, repo_id, authorized=True)
            if oid not in repo.pending_lfs and oid not in repo.lfs_objects:
                raise HubError(403, "No pending LFS upload for this oid")
            repo.lfs_objects[oid] = self.body
            repo.pending_lfs.discard(oid)
        return 200, b"", {"ETag": f'"{hashlib.md5(self.body).hexdigest()}"'}

    def h_lfs_verify(self, repo_type, repo_id, oid):
        self._require_write()
        with self.hub._lock:
            repo = self._repo(repo_type, repo_id)
            if len(repo.lfs_objects.get(oid, b"")) != int(self._json().get("size", -1)):
                raise HubError(404, f"LFS object {oid} not found or size mismatch")
        return 200, {"success": True}, {}

    def h_commit(self, repo_type, repo_id, revision):
        self._require_write()
        if self._flag("create_pr"):
            raise HubError(400, "LocalHubServer does not support pull requests")
        try:
            lines = [json.loads(line) for line in self.body.splitlines() if line.strip()]
        except ValueError as exc:
            raise HubError(400, f"Invalid ndjson commit payload: {exc}") from None
        header = next((line["value"] for line in lines if line.get("key") == "header"), None)
        if not header or not header.get("summary"):
            raise HubError(400, "Commit payload needs a header with a summary")
        with self.hub._lock:  # the parent check and the write are one atomic step
            repo = self._repo(repo_type, repo_id)
            branch = revision.removeprefix("refs/heads/")
            if branch not in repo.branches:
                raise HubError(404, f"Invalid rev id: {branch} (commits go to a branch)", "RevisionNotFound")
            head = repo.branches[branch]
            parent = header.get("parentCommit")
            if parent is not None and parent != head:
                raise HubError(412, "A commit has happened since. Please refresh and try again.")
            files = dict(repo.commits[head].files)
            for line in lines:
                key, value = line.get("key"), line.get("value") or {}
                if key == "header":
                    continue
                path = _clean_path(value.get("path", ""))
                if key == "file":
                    files[path] = _File(base64.b64decode(value["content"]), lfs=False)
                elif key == "lfsFile":  # uploaded by the LFS batch API, or through Xet storage
                    oid = value.get("oid", "")
                    content = repo.lfs_objects.get(oid, self.hub._xet_files.get(oid))
                    if content is None or value.get("size", len(content)) != len(content):
                        raise HubError(400, f"LFS object for {path} was never uploaded")
                    repo.lfs_objects[oid] = content
                    files[path] = _File(content, lfs=True)
                elif key == "deletedFile":
                    if files.pop(path, None) is None:
                        raise HubError(404, f"A file with this name doesn't exist: {path}", "EntryNotFound")
                elif key == "deletedFolder":
                    doomed = [p for p in files if p.startswith(path + "/")]
                    if not doomed:
                        raise HubError(404, f"A folder with this name doesn't exist: {path}", "EntryNotFound")
                    for p in doomed:
                        del files[p]
                else:
                    raise HubError(400, f"Unsupported commit operation: {key}")
            commit = self.hub._add_commit(repo, branch, files, header["summary"], header.get("description") or "")
        return (
            200,
            {
                "success": True,
                "commitOid": commit.sha,
                "commitUrl": f"{self._url(repo)}/commit/{commit.sha}",
                "commitMessage": commit.title,
                "hookOutput": "",
                "pullRequestUrl": None,
            },
            {},
        )

    # -- history -----------------------------------------------------------
    def h_refs(self, repo_type, repo_id):
        with self.hub._lock:
            repo = self._repo(repo_type, repo_id)
            branches = [
                {"name": name, "ref": f"refs/heads/{name}", "targetCommit": sha}
                for name, sha in sorted(repo.branches.items())
            ]
        return 200, {"branches": branches, "converts": [], "tags": [], "pullRequests": []}, {}

    def h_commits(self, repo_type, repo_id, revision):
        with self.hub._lock:
            repo = self._repo(repo_type, repo_id)
            history = self.hub._history(repo, self.hub._resolve(repo, revision).sha)
        formatted = "formatted" in self.query.get("expand[]", [])
        out = []
        for c in history:
            item: dict = {
                "id": c.sha,
                "title": c.title,
                "message": c.message,
                "authors": [{"user": self.hub.user}],
                "date": c.date,
            }
            if formatted:
                item["formatted"] = {"title": c.title, "message": c.message}
            out.append(item)
        return 200, out, {}

    # -- downloads ---------------------------------------------------------
    def h_resolve(self, prefix, repo_id, revision, path):
        with self.hub._lock:
            repo = self._repo(_TYPE_FROM_PREFIX[prefix or ""], repo_id)
            self._require_access(repo)
            commit = self.hub._resolve(repo, revision)
        f = commit.files.get(path)
        if f is None:
            err = HubError(404, "Entry not found", "EntryNotFound")
            err.headers["X-Repo-Commit"] = commit.sha  # the client caches the miss per commit
            raise err
        data, size = f.content, len(f.content)
        headers = {"X-Repo-Commit": commit.sha, "ETag": f'"{f.blob_id}"', "Accept-Ranges": "bytes"}
        if f.lfs:
            headers.update({"X-Linked-Etag": f'"{f.sha256}"', "X-Linked-Size": str(size)})
        range_header = self.headers.get("Range")
        if not range_header:
            return 200, data, headers
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", range_header.strip())
        if not match or match.groups() == ("", ""):
            raise HubError(400, f"Unsupported Range header: {range_header}")
        first, last = match.groups()
        if first == "":  # suffix range: the last N bytes
            start, end = max(0, size - int(last)), size - 1
        else:
            start, end = int(first), min(int(last) if last else size - 1, size - 1)
        if start >= size or start > end:
            err = HubError(416, "Requested range not satisfiable")
            err.headers.update(headers, **{"Content-Range": f"bytes */{size}"})
            raise err
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        return 206, data[start : end + 1], headers


# -- building model files for seeding ----------------------------------------
_DTYPE_SIZES = {"F32": 4, "F16": 2, "BF16": 2, "I64": 8, "U8": 1}


def safetensors_bytes(tensors: dict[str, tuple[str, list[int]]]) -> bytes:
    """A valid safetensors file of zero-filled tensors ``name -> (dtype, shape)``, written by hand."""
    header: dict = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        size = _DTYPE_SIZES[dtype] * math.prod(shape)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    blob = json.dumps(header).encode()
    blob += b" " * (-len(blob) % 8)  # the format pads the header to 8 bytes
    return struct.pack("<Q", len(blob)) + blob + b"\0" * offset


def read_body(handler: BaseHTTPRequestHandler) -> bytes:
    """A request's body, chunked or with a Content-Length (also what tests/fault_proxy.py forwards)."""
    if "chunked" in handler.headers.get("Transfer-Encoding", "").lower():
        chunks = []
        while (size := int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)) > 0:
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
        while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass  # trailers
        return b"".join(chunks)
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length > 0 else b""
