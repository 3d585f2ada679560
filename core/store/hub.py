"""The production store: one Hugging Face Hub dataset repo, through huggingface_hub.

`create_commit(parent_commit=...)` is the Hub's compare-and-swap: its HTTP 412 on a stale parent
becomes our Conflict. Every other Hub failure becomes a StoreError (NotFound for a missing repo or
file) naming the repo and the HTTP status or the transport error, never the request's headers: the
token lives only inside the HfApi client and is never logged.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi, hf_hub_download
from huggingface_hub.errors import HfHubHTTPError, RemoteEntryNotFoundError, RepositoryNotFoundError
from huggingface_hub.hf_api import RepoFile

from core.settings import HUB_FAILURES
from core.store.base import Conflict, Delete, NotFound, Operation, Put, Store, StoreError, check_path

_REPO_TYPE = "dataset"


class HubStore(Store):
    def __init__(self, repo_id: str, *, api: HfApi, cache_dir: Path, create: bool = True) -> None:
        self.repo_id = repo_id
        self.api = api
        self.cache_dir = Path(cache_dir)
        if create:
            with self._hub_errors("creating the repo"):
                api.create_repo(repo_id, repo_type=_REPO_TYPE, private=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"HubStore({self.repo_id!r}, endpoint={self.api.endpoint!r})"

    @contextmanager
    def _hub_errors(self, doing: str) -> Iterator[None]:
        """huggingface_hub's errors (httpx-based since 1.0, so not OSError alone) as StoreErrors."""
        try:
            yield
        except StoreError:
            raise
        except RepositoryNotFoundError as err:  # also a gated repo, or a private one without access
            raise NotFound(f"dataset repo {self.repo_id} not found on {self.api.endpoint}") from err
        except RemoteEntryNotFoundError as err:
            raise NotFound(f"{self.repo_id}: {doing}: not found") from err
        except HfHubHTTPError as err:
            status = err.response.status_code
            detail = f": {err.server_message.splitlines()[0]}" if err.server_message else ""
            raise StoreError(f"{self.repo_id}: {doing} failed with HTTP {status}{detail}") from err
        except HUB_FAILURES as err:  # no connection, a timeout, hf_xet's transfer errors, offline
            detail = next(iter(str(err).splitlines()), "")[:200]
            failure = f"{type(err).__name__}: {detail}"
            raise StoreError(f"{self.repo_id}: {doing} failed on {self.api.endpoint} ({failure})") from err

    def head(self) -> str | None:
        with self._hub_errors("reading the head"):
            return self.api.repo_info(self.repo_id, repo_type=_REPO_TYPE).sha

    def read(self, path: str) -> bytes:
        check_path(path)
        with self._hub_errors(f"reading {path}"):
            local = hf_hub_download(
                self.repo_id,
                path,
                repo_type=_REPO_TYPE,
                cache_dir=self.cache_dir,
                endpoint=self.api.endpoint,
                token=self.api.token,
            )
            return Path(local).read_bytes()

    def list(self, prefix: str = "") -> list[str]:
        folder = check_path(prefix) if prefix else None
        with self._hub_errors(f"listing {prefix or 'the repo'}"):
            try:
                entries = self.api.list_repo_tree(
                    self.repo_id, path_in_repo=folder, repo_type=_REPO_TYPE, recursive=True
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
