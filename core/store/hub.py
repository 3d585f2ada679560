"""The production store: one Hugging Face Hub dataset repo, through huggingface_hub.

`create_commit(parent_commit=...)` is the Hub's compare-and-swap: its HTTP 412 on a stale parent
becomes our Conflict. The token lives only inside the HfApi client and is never logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi, hf_hub_download
from huggingface_hub.errors import EntryNotFoundError, HfHubHTTPError, RepositoryNotFoundError
from huggingface_hub.hf_api import RepoFile

from core.store.base import Conflict, Delete, NotFound, Operation, Put, Store, StoreError, check_path

_REPO_TYPE = "dataset"


class HubStore(Store):
    def __init__(self, repo_id: str, *, api: HfApi, cache_dir: Path, create: bool = True) -> None:
        self.repo_id = repo_id
        self.api = api
        self.cache_dir = Path(cache_dir)
        if create:
            api.create_repo(repo_id, repo_type=_REPO_TYPE, private=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"HubStore({self.repo_id!r}, endpoint={self.api.endpoint!r})"

    def head(self) -> str | None:
        try:
            return self.api.repo_info(self.repo_id, repo_type=_REPO_TYPE).sha
        except RepositoryNotFoundError as err:
            raise NotFound(f"dataset repo {self.repo_id} not found on {self.api.endpoint}") from err

    def read(self, path: str) -> bytes:
        check_path(path)
        try:
            local = hf_hub_download(
                self.repo_id,
                path,
                repo_type=_REPO_TYPE,
                cache_dir=self.cache_dir,
                endpoint=self.api.endpoint,
                token=self.api.token,
            )
        except EntryNotFoundError:
            raise NotFound(f"{path} not found in {self.repo_id}") from None
        except RepositoryNotFoundError as err:
            raise NotFound(f"dataset repo {self.repo_id} not found on {self.api.endpoint}") from err
        return Path(local).read_bytes()

    def list(self, prefix: str = "") -> list[str]:
        try:
            entries = self.api.list_repo_tree(
                self.repo_id, path_in_repo=check_path(prefix) if prefix else None, repo_type=_REPO_TYPE, recursive=True
            )
            return sorted(entry.path for entry in entries if isinstance(entry, RepoFile))
        except EntryNotFoundError:
            return []
        except RepositoryNotFoundError as err:
            raise NotFound(f"dataset repo {self.repo_id} not found on {self.api.endpoint}") from err

    def commit(self, operations: Sequence[Operation], *, parent: str | None, message: str) -> str:
        if parent is None and self.head() is not None:  # the Hub reads a missing parent as "don't check"
            raise Conflict(f"{self.repo_id}: head exists, but the commit expected an empty repo")
        hub_operations: list[CommitOperationAdd | CommitOperationDelete] = []
        for operation in operations:
            check_path(operation.path)
            if isinstance(operation, Put):
                hub_operations.append(CommitOperationAdd(path_in_repo=operation.path, path_or_fileobj=operation.data))
            elif isinstance(operation, Delete):
                hub_operations.append(CommitOperationDelete(path_in_repo=operation.path))
        try:
            info = self.api.create_commit(
                self.repo_id,
                hub_operations,
                commit_message=message,
                repo_type=_REPO_TYPE,
                parent_commit=parent,
            )
        except EntryNotFoundError as err:
            raise NotFound(f"{self.repo_id}: {err}") from err
        except HfHubHTTPError as err:
            status = err.response.status_code if err.response is not None else None
            if status == 412:
                raise Conflict(f"{self.repo_id}: head moved since {parent}") from err
            if status == 404 and any(isinstance(op, Delete) for op in operations):
                raise NotFound(f"{self.repo_id}: a file to delete was not found") from err
            raise StoreError(f"{self.repo_id}: commit failed with HTTP {status}: {err}") from err
        return info.oid
