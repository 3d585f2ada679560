"""The storage interface: a versioned folder of files with one write primitive, like a Hub repo.

Both backends implement the same contract (tests/store/test_contract.py): reads of the current
head, and `commit(operations, parent=...)`, an atomic multi-file write that is also a
compare-and-swap on the head, so concurrent writers never lose an update. `transact` is the
read-modify-write built on it; its reads are pinned to its parent (`at`), so what it builds on is
exactly what the compare-and-swap checks, never an older copy.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

logger = logging.getLogger(__name__)


class StoreError(Exception):
    """Base of every storage error; a plain StoreError is transient (the Hub failed): retry later."""


class NotFound(StoreError):
    """The file (or the repository) does not exist: an answer, never a failure to get one."""


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


_pins = threading.local()  # per thread: {id(store): the revision its reads are pinned to}


class Store(ABC):
    """One repository of files (the local folder or a Hub dataset repo)."""

    @abstractmethod
    def head(self) -> str | None:
        """The id of the current commit; None for a repository with no commit yet."""

    @abstractmethod
    def read(self, path: str) -> bytes:
        """The content of a file at the pinned revision (`at`), else at the head; raises NotFound."""

    @abstractmethod
    def list(self, prefix: str = "") -> list[str]:
        """Every file path under the folder `prefix` ('' for all) at the pinned revision or the head, sorted."""

    @contextmanager
    def at(self, revision: str | None) -> Iterator[None]:
        """Reads of this thread inside the block are of the commit `revision`.

        A store that keeps history (the Hub) reads exactly that commit; the local store keeps none and reads
        its files, which are that commit inside its own transactions (it holds the lock throughout).
        """
        pins = _pins.__dict__.setdefault("by_store", {})
        key = id(self)
        previous = pins.get(key)
        pins[key] = revision
        try:
            yield
        finally:
            pins[key] = previous

    def pinned(self) -> str | None:
        """The revision of an enclosing `at` block of this thread; None outside one (read the head)."""
        return _pins.__dict__.get("by_store", {}).get(id(self))

    @abstractmethod
    def commit(self, operations: Sequence[Operation], *, parent: str | None, message: str) -> str:
        """Apply all operations at once if the head is still `parent`; returns the new head.

        Raises Conflict when the head has moved, and leaves the repository unchanged on any error.
        """

    def transact(self, build: Callable[[], Sequence[Operation]], *, message: str, attempts: int = 20) -> str:
        """Read-modify-write: `build` reads the store and returns the operations to commit.

        Optimistic by default: `build` reads at the parent (`at`), never an older copy a cache or a
        failing Hub would give; a concurrent commit makes ours fail with Conflict, and we rebuild from the
        new state, backing off with jitter. Errors raised by `build` propagate and nothing is written.
        Returns the new head (the old one when `build` has nothing to write).
        """
        for attempt in range(attempts):
            parent = self.head()
            with self.at(parent):
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
