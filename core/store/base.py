"""The storage interface: a versioned folder of files with one write primitive, like a Hub repo.

Both backends implement the same contract (tests/store/test_contract.py): reads of the current
head, and `commit(operations, parent=...)`, an atomic multi-file write that is also a
compare-and-swap on the head, so concurrent writers never lose an update. `transact` is the
read-modify-write built on it.
"""

from __future__ import annotations

import logging
import random
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass

logger = logging.getLogger(__name__)


class StoreError(Exception):
    """Base of every storage error."""


class NotFound(StoreError):
    """The file (or the repository) does not exist."""


class Conflict(StoreError):
    """The head moved since `parent`: re-read and retry."""


@dataclass(frozen=True)
class Put:
    path: str
    data: bytes


@dataclass(frozen=True)
class Delete:
    path: str


Operation = Put | Delete


def check_path(path: str) -> str:
    """A repo path must be relative, '/'-separated and free of '..' and empty parts."""
    parts = path.split("/")
    if not path or path.startswith("/") or any(part in ("", ".", "..") for part in parts) or "\\" in path:
        raise ValueError(f"invalid path in repo: {path!r} (must be relative, without '..' or empty parts)")
    return path


class Store(ABC):
    """One repository of files (the local folder or a Hub dataset repo)."""

    @abstractmethod
    def head(self) -> str | None:
        """The id of the current commit; None for a repository with no commit yet."""

    @abstractmethod
    def read(self, path: str) -> bytes:
        """The content of a file at the head; raises NotFound."""

    @abstractmethod
    def list(self, prefix: str = "") -> list[str]:
        """Every file path under the folder `prefix` ('' for all), sorted."""

    @abstractmethod
    def commit(self, operations: Sequence[Operation], *, parent: str | None, message: str) -> str:
        """Apply all operations at once if the head is still `parent`; returns the new head.

        Raises Conflict when the head has moved, and leaves the repository unchanged on any error.
        """

    def transact(self, build: Callable[[], Sequence[Operation]], *, message: str, attempts: int = 20) -> str:
        """Read-modify-write: `build` reads the store and returns the operations to commit.

        Optimistic by default: `build` runs after the head is read, so what it reads is at least as
        new as the parent; a concurrent commit makes ours fail with Conflict, and we rebuild from the
        new state, backing off with jitter. Errors raised by `build` propagate and nothing is written.
        Returns the new head (the old one when `build` has nothing to write).
        """
        for attempt in range(attempts):
            parent = self.head()
            operations = build()
            if not operations:
                return parent or ""
            try:
                return self.commit(operations, parent=parent, message=message)
            except Conflict:
                logger.debug("commit %r lost a race (attempt %d), retrying", message, attempt + 1)
                time.sleep(random.uniform(0, 0.02 * 2 ** min(attempt, 6)))
        raise Conflict(f"gave up on commit {message!r} after {attempts} conflicting attempts")

    def exists(self, path: str) -> bool:
        try:
            self.read(path)
        except NotFound:
            return False
        return True
