"""The production store: one Hugging Face Hub dataset repo, through huggingface_hub.

`create_commit(parent_commit=...)` is the Hub's compare-and-swap: its HTTP 412 on a stale parent
becomes our Conflict. Every other client failure becomes a StoreError naming the repo, the operation
and the HTTP status or the exception's class, never a server's words (a body can echo the request's
headers, token included) and with no exception chained. Every call has the store's timeout.

Every read is of one commit: the pinned one inside a transaction (`Store.at`), else the head. The
file's hash comes from the repo tree at that commit (`get_paths_info`: the git blob sha1, or the LFS
sha256), and the downloaded bytes must match it before they are used or cached, so a 200 carrying an
error page never poisons anything. The cache is content-addressed (`blobs/<hash>`, checked again on
each read); the hash of each (commit, path) read is remembered in memory, since it never changes.
There is no fallback to another commit's copy: a failure is a plain StoreError, to retry; NotFound
means the tree at that commit has no such file.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi, get_session, hf_hub_url
from huggingface_hub.errors import HfHubHTTPError, RemoteEntryNotFoundError, RepositoryNotFoundError
from huggingface_hub.hf_api import RepoFile
from huggingface_hub.utils import build_hf_headers, hf_raise_for_status

from core import hub_http
from core.store.base import Conflict, Delete, NotFound, Operation, Put, Store, StoreError, check_path

_REPO_TYPE = "dataset"
_HASH = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")  # a git blob sha1, or an LFS sha256
_REMEMBERED = 10_000  # (commit, path) hashes kept in memory; then forgotten at once, and asked again


def _digest(data: bytes, like: str) -> str:
    """The hash of `data` of the kind of `like`: sha256 for an LFS file, else the git blob sha1."""
    if len(like) == 64:
        return hashlib.sha256(data).hexdigest()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _save(path: Path, data: bytes) -> None:
    """Atomically: a concurrent reader finds the whole file or none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class HubStore(Store):
    def __init__(
        self,
        repo_id: str,
        *,
        api: HfApi,
        cache_dir: Path,
        create: bool = True,
        timeout_s: float = hub_http.DEFAULT_TIMEOUT_S,
    ) -> None:
        self.repo_id = repo_id
        self.api = api
        self.cache_dir = Path(cache_dir)
        self.timeout_s = timeout_s
        self._cache = self.cache_dir / "store" / f"datasets--{repo_id.replace('/', '--')}"
        self._hashes: dict[tuple[str, str], str] = {}  # (commit, path) -> the tree's hash of the file
        if create:
            with self._hub_errors("creating the repo"):
                api.create_repo(repo_id, repo_type=_REPO_TYPE, private=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"HubStore({self.repo_id!r}, endpoint={self.api.endpoint!r})"

    @contextmanager
    def _hub_errors(self, doing: str, *, missing: bool = True) -> Iterator[None]:
        """The client's calls under the store's timeout, and every exception of theirs as a StoreError.

        `missing`: a missing repo or file is NotFound; reads pass False, since only the tree at their
        commit says a file is missing. Nothing of the error's text and no exception is kept: the text
        may quote a server body, and a chained exception would print it with the traceback.
        """
        try:
            with hub_http.timeout(self.timeout_s):
                yield
        except StoreError:
            raise
        except RepositoryNotFoundError:  # also a gated repo, or a private one without access
            if missing:
                raise NotFound(f"dataset repo {self.repo_id} not found on {self.api.endpoint}") from None
            raise StoreError(f"{self.repo_id}: {doing} failed: repo or revision not found") from None
        except RemoteEntryNotFoundError:
            if missing:
                raise NotFound(f"{self.repo_id}: {doing}: not found") from None
            raise StoreError(f"{self.repo_id}: {doing} failed with HTTP 404") from None
        except HfHubHTTPError as err:
            raise StoreError(f"{self.repo_id}: {doing} failed with {hub_http.failure(err)}") from None
        except Exception as err:  # a reset, a timeout, a truncated or unparsable answer, hf_xet, the disk
            raise StoreError(
                f"{self.repo_id}: {doing} failed on {self.api.endpoint} ({hub_http.failure(err)})"
            ) from None

    def head(self) -> str | None:
        with self._hub_errors("reading the head"):
            return self.api.repo_info(self.repo_id, repo_type=_REPO_TYPE).sha

    def is_private(self) -> bool:
        """Whether the repo is private: where vendor logs may go (core.store.open_uploads)."""
        with self._hub_errors("reading the visibility"):
            return bool(self.api.repo_info(self.repo_id, repo_type=_REPO_TYPE).private)

    def read(self, path: str) -> bytes:
        check_path(path)
        revision = self.pinned() or self.head()
        if revision is None:
            raise NotFound(f"{self.repo_id}: {path} not found: the repo has no commit")
        doing = f"reading {path} at {revision[:12]}"
        with self._hub_errors(doing, missing=False):
            expected = self._hash_at(revision, path)
            blob = self._cache / "blobs" / expected
            with suppress(FileNotFoundError):
                data = blob.read_bytes()
                if _digest(data, expected) == expected:
                    return data
            url = hf_hub_url(self.repo_id, path, repo_type=_REPO_TYPE, revision=revision, endpoint=self.api.endpoint)
            response = get_session().get(url, headers=build_hf_headers(token=self.api.token, headers=self.api.headers))
            hf_raise_for_status(response)
            data = response.content
            if _digest(data, expected) != expected:
                raise StoreError(
                    f"{self.repo_id}: {doing} failed: the answer (HTTP {response.status_code}, {len(data)} bytes) "
                    "does not match the file's hash in the repo tree"
                )
            _save(blob, data)
            return data

    def _hash_at(self, revision: str, path: str) -> str:
        """The hash of the file at that commit, from the repo tree (remembered: a commit never changes)."""
        known = self._hashes.get((revision, path))
        if known is not None:
            return known
        entries = self.api.get_paths_info(self.repo_id, [path], revision=revision, repo_type=_REPO_TYPE)
        entry = next((e for e in entries if isinstance(e, RepoFile) and e.path == path), None)
        if entry is None:
            raise NotFound(f"{self.repo_id}: {path} not found at {revision[:12]}")
        expected = entry.lfs.sha256 if entry.lfs is not None else entry.blob_id
        if not isinstance(expected, str) or not _HASH.fullmatch(expected):
            raise StoreError(f"{self.repo_id}: reading {path} at {revision[:12]} failed: the tree gave no file hash")
        if len(self._hashes) >= _REMEMBERED:
            self._hashes.clear()
        self._hashes[(revision, path)] = expected
        return expected

    def list(self, prefix: str = "") -> list[str]:
        folder = check_path(prefix) if prefix else None
        revision = self.pinned()
        with self._hub_errors(f"listing {prefix or 'the repo'} at {revision or 'the head'}", missing=False):
            try:
                entries = self.api.list_repo_tree(
                    self.repo_id, path_in_repo=folder, repo_type=_REPO_TYPE, recursive=True, revision=revision
                )
                return sorted(entry.path for entry in entries if isinstance(entry, RepoFile))
            except RemoteEntryNotFoundError:  # no such folder: nothing under it
                return []

    def commit(self, operations: Sequence[Operation], *, parent: str | None, message: str) -> str:
        hub_operations: list[CommitOperationAdd | CommitOperationDelete] = []
        for operation in operations:
            check_path(operation.path)
            if isinstance(operation, Put):
                hub_operations.append(CommitOperationAdd(path_in_repo=operation.path, path_or_fileobj=operation.data))
            elif isinstance(operation, Delete):
                hub_operations.append(CommitOperationDelete(path_in_repo=operation.path))
        additions = [op for op in hub_operations if isinstance(op, CommitOperationAdd)]
        with self._hub_errors("commit"):
            # The client leaves out files that its preupload call finds unchanged, and when all are, it
            # sends no commit, so nothing checks `parent_commit`. Preuploading first, then checking the
            # head, makes "unchanged" mean "unchanged since `parent`", and a moved head a Conflict.
            if additions:
                self.api.preupload_lfs_files(self.repo_id, additions, repo_type=_REPO_TYPE, free_memory=False)
            head = self.head()
            if head != parent:  # also: the Hub reads a missing parent as "don't check"
                expected = parent or "an empty repo"
                raise Conflict(f"{self.repo_id}: head moved since {expected}")
            try:
                info = self.api.create_commit(
                    self.repo_id,
                    hub_operations,
                    commit_message=message,
                    repo_type=_REPO_TYPE,
                    parent_commit=parent,
                )
            except HfHubHTTPError as err:
                if err.response.status_code == 412:
                    raise Conflict(f"{self.repo_id}: head moved since {parent}") from err
                if err.response.status_code == 404 and any(isinstance(op, Delete) for op in operations):
                    raise NotFound(f"{self.repo_id}: a file to delete was not found") from err
                raise
        return info.oid
