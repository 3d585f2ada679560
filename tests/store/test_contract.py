"""The storage contract, run against both backends: the local folder and the Hub (local HTTP server)."""

import threading

import pytest

from core.store import Conflict, Delete, NotFound, Put
from core.store.hub import HubStore
from core.store.local import LocalStore


def test_commit_then_read_and_list(store):
    first = store.head()
    new = store.commit(
        [Put("records/a.json", b'{"a": 1}'), Put("records/sub/b.json", b"{}")], parent=first, message="add"
    )
    assert store.head() == new != first
    assert store.read("records/a.json") == b'{"a": 1}'
    assert store.list("records") == ["records/a.json", "records/sub/b.json"]
    assert store.list("records/sub") == ["records/sub/b.json"]
    assert store.list("nothing-here") == []
    assert store.exists("records/a.json") and not store.exists("records/c.json")


def test_missing_file_is_not_found(store):
    with pytest.raises(NotFound):
        store.read("records/missing.json")


def test_overwrite_and_delete(store):
    store.commit([Put("x/f.txt", b"one")], parent=store.head(), message="1")
    store.commit([Put("x/f.txt", b"two")], parent=store.head(), message="2")
    assert store.read("x/f.txt") == b"two"
    store.commit([Delete("x/f.txt")], parent=store.head(), message="3")
    assert not store.exists("x/f.txt")
    assert store.list("x") == []


def test_binary_content_round_trips(store):
    payload = bytes(range(256)) * 4000 + b"PAR1"  # about 1 MB with NUL bytes: an LFS upload on the Hub
    store.commit([Put("index/data.parquet", payload)], parent=store.head(), message="bin")
    assert store.read("index/data.parquet") == payload


def test_stale_parent_is_a_conflict_and_changes_nothing(store):
    parent = store.head()
    store.commit([Put("a.txt", b"winner")], parent=parent, message="first")
    head = store.head()
    with pytest.raises(Conflict):
        store.commit([Put("a.txt", b"loser"), Put("b.txt", b"loser")], parent=parent, message="stale")
    assert store.read("a.txt") == b"winner"
    assert not store.exists("b.txt")
    assert store.head() == head


def test_missing_parent_on_a_repo_with_commits_is_a_conflict(store):
    store.commit([Put("a.txt", b"1")], parent=store.head(), message="first")
    with pytest.raises(Conflict):
        store.commit([Put("a.txt", b"2")], parent=None, message="blind")
    assert store.read("a.txt") == b"1"


def test_failed_commit_writes_nothing(store):
    head = store.head()
    with pytest.raises(NotFound):
        store.commit([Put("c.txt", b"new"), Delete("never-existed.txt")], parent=head, message="bad")
    assert store.head() == head
    assert not store.exists("c.txt")


@pytest.mark.parametrize("path", ["", "/abs.txt", "../escape.txt", "a/../../b", "a//b", "a\\b", "./a"])
def test_invalid_paths_are_rejected_before_anything_is_written(store, path):
    head = store.head()
    with pytest.raises(ValueError, match="invalid path"):
        store.commit([Put("ok.txt", b"1"), Put(path, b"2")], parent=head, message="bad path")
    assert store.head() == head
    assert not store.exists("ok.txt")


def test_concurrent_writers_never_lose_an_update(store):
    """Four threads each add five increments to one counter through read-modify-write commits."""
    store.commit([Put("counter.txt", b"0")], parent=store.head(), message="init")
    errors = []

    def increment() -> list[Put]:
        value = int(store.read("counter.txt"))
        return [Put("counter.txt", str(value + 1).encode())]

    def writer():
        try:
            for _ in range(5):
                store.transact(increment, message="increment", attempts=100)
        except Exception as err:  # surfaced below
            errors.append(err)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert int(store.read("counter.txt")) == 20


def test_transact_propagates_build_errors_and_writes_nothing(store):
    head = store.head()

    def build():
        raise ValueError("duplicate")

    with pytest.raises(ValueError, match="duplicate"):
        store.transact(build, message="nope")
    assert store.head() == head


def twin(store):
    """A second handle on the same repository (and, for the Hub, the same download cache)."""
    if isinstance(store, LocalStore):
        return LocalStore(store.root)
    return HubStore(store.repo_id, api=store.api, cache_dir=store.cache_dir, create=False)


def test_a_read_after_another_writer_committed_sees_the_new_content(store):
    store.commit([Put("a.txt", b"old")], parent=store.head(), message="1")
    assert store.read("a.txt") == b"old"  # now in the cache, for the Hub
    other = twin(store)
    other.commit([Put("a.txt", b"new")], parent=other.head(), message="2")
    assert store.read("a.txt") == b"new"
    assert store.list("") == other.list("")


def test_reads_inside_a_transaction_see_its_parent(store):
    store.commit([Put("a.txt", b"1")], parent=store.head(), message="1")
    seen = []

    def build():
        seen.append((store.pinned(), store.read("a.txt"), store.list("")))
        return [Put("a.txt", b"2")]

    parent = store.head()
    store.transact(build, message="2")
    assert seen == [(parent, b"1", [".gitattributes", "a.txt"] if isinstance(store, HubStore) else ["a.txt"])]
    assert store.pinned() is None and store.read("a.txt") == b"2"
