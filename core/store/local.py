"""The embedded store: a plain folder laid out exactly like the Hub dataset repo it stands for.

Its bookkeeping (head, lock, journal) lives beside it in `.<name>.store/`, so the folder itself can
be pushed to the Hub as is. A commit stages every file, then writes a journal (the commit point),
then moves the files into place with atomic renames; a crash before the journal leaves nothing, a
crash after it is rolled forward by the next reader or writer. Readers hold a shared lock, writers
an exclusive one, so a reader never sees half a commit; a read-modify-write (`transact`) holds the
exclusive lock throughout, so local writers queue instead of retrying conflicts.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from core.store.base import Conflict, Delete, NotFound, Operation, Put, Store, check_path

_JOURNAL = "journal.json"
_HEAD = "HEAD"


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


class LocalStore(Store):
    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.meta = self.root.with_name(f".{self.root.name}.store")
        self.root.mkdir(parents=True, exist_ok=True)
        self.meta.mkdir(parents=True, exist_ok=True)
        (self.meta / "lock").touch(exist_ok=True)
        self._thread = threading.local()

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"

    # Locking and recovery

    @contextlib.contextmanager
    def _locked(self, mode: int) -> Iterator[None]:
        """flock on the lock file; re-entrant within a thread that already holds the exclusive lock.

        (A second flock from the same process through another descriptor would wait for itself.)
        """
        if getattr(self._thread, "exclusive", False):
            yield
            return
        with open(self.meta / "lock", "rb") as handle:
            fcntl.flock(handle.fileno(), mode)
            self._thread.exclusive = mode == fcntl.LOCK_EX
            try:
                yield
            finally:
                self._thread.exclusive = False
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        """A shared lock; if a crashed commit left a journal, finish it first under the exclusive one."""
        journal = self.meta / _JOURNAL
        while True:
            if journal.exists():
                with self._locked(fcntl.LOCK_EX):
                    self._recover()
            with self._locked(fcntl.LOCK_SH):
                if not journal.exists():
                    yield
                    return

    def _recover(self) -> None:
        journal = self.meta / _JOURNAL
        if journal.exists():
            self._apply(json.loads(journal.read_bytes()))
        for stale in self.meta.glob("txn-*"):  # staged before a commit point that never came
            shutil.rmtree(stale, ignore_errors=True)

    def _apply(self, journal: dict) -> None:
        """Move staged files into place; idempotent, so a crash during it is finished by a re-run."""
        staging = self.meta / journal["staging"]
        for entry in journal["operations"]:
            target = self.root / entry["path"]
            if entry["op"] == "put":
                staged = staging / entry["staged"]
                if staged.exists():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(staged, target)
            else:
                target.unlink(missing_ok=True)
                self._prune_empty_dirs(target.parent)
        _write_atomic(self.meta / _HEAD, journal["commit"].encode())
        (self.meta / _JOURNAL).unlink()
        shutil.rmtree(staging, ignore_errors=True)

    def _prune_empty_dirs(self, folder: Path) -> None:
        while folder != self.root and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent

    def _current_head(self) -> str | None:
        try:
            return (self.meta / _HEAD).read_text() or None
        except FileNotFoundError:
            return None

    # The Store interface

    def head(self) -> str | None:
        with self._reading():
            return self._current_head()

    def read(self, path: str) -> bytes:
        check_path(path)
        with self._reading():
            try:
                return (self.root / path).read_bytes()
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                raise NotFound(f"{path} not found in {self.root}") from None

    def list(self, prefix: str = "") -> list[str]:
        base = self.root / check_path(prefix) if prefix else self.root
        with self._reading():
            if not base.is_dir():
                return []
            paths = []
            for folder, dirs, files in os.walk(base):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                rel = os.path.relpath(folder, self.root)
                for name in files:
                    if not name.startswith("."):
                        paths.append(name if rel == "." else f"{rel}/{name}".replace(os.sep, "/"))
            return sorted(paths)

    def transact(self, build: Callable[[], Sequence[Operation]], *, message: str, attempts: int = 20) -> str:
        """Read-modify-write under the exclusive lock: local writers take turns instead of racing."""
        with self._locked(fcntl.LOCK_EX):
            return super().transact(build, message=message, attempts=attempts)

    def commit(self, operations: Sequence[Operation], *, parent: str | None, message: str) -> str:
        for operation in operations:
            check_path(operation.path)
        with self._locked(fcntl.LOCK_EX):
            self._recover()
            head = self._current_head()
            if head != parent:
                raise Conflict(f"{self.root.name}: head is {head}, not the expected parent {parent}")
            commit_id = hashlib.sha1(f"{parent}:{uuid.uuid4()}:{message}".encode()).hexdigest()
            staging = self.meta / f"txn-{commit_id}"
            staging.mkdir()
            entries = []
            for number, operation in enumerate(operations):
                if isinstance(operation, Put):
                    _write_atomic(staging / str(number), operation.data)
                    entries.append({"op": "put", "path": operation.path, "staged": str(number)})
                elif isinstance(operation, Delete):
                    if not (self.root / operation.path).is_file():
                        shutil.rmtree(staging)
                        raise NotFound(f"cannot delete {operation.path}: not found in {self.root}")
                    entries.append({"op": "delete", "path": operation.path})
            journal = {"commit": commit_id, "message": message, "staging": staging.name, "operations": entries}
            _write_atomic(self.meta / _JOURNAL, json.dumps(journal).encode())  # the commit point
            self._apply(journal)
            return commit_id
