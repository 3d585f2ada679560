"""The Hub store under faults: a proxy (tests/fault_proxy.py) between the client and tests/hub_server.py.

Invariants, whatever fails: every committed record is in the index; nothing is duplicated; nothing is
written half (a record file without its index row, or a row without its file); every failure is a clear
StoreError, to retry, never NotFound, and no error or log quotes a server body or shows the token.
"""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import threading
import traceback
import uuid
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from huggingface_hub import HfApi

from core import hub_http
from core.models import RequestStatus
from core.repos import DuplicateRecord, RequestsRepo
from core.settings import Settings, hub_api
from core.store import NotFound, Put, StoreError, open_stores
from core.store.hub import HubStore
from tests.conftest import HUB_TOKEN, make_hub_store
from tests.factories import make_request
from tests.fault_proxy import KINDS, FaultProxy
from tests.submission.test_queue import make_plan

TIMEOUT_S = 0.5  # the hang fault lasts 3 s: a call that ends in ReadTimeout was ended by this timeout
RESOLVE = r"/resolve/"
INDEX = r"/resolve/[^/]+/index/requests\.parquet$"
REPO_INFO = r"^/api/datasets/[^/]+/[^/]+(/revision/[^/]+)?$"


@pytest.fixture
def proxy(hub_server):
    with FaultProxy(hub_server.url, hang_s=3.0) as proxy:
        yield proxy


def through(proxy: FaultProxy, repo_id: str, cache: Path) -> HubStore:
    """A store of `repo_id` whose every call goes through the proxy."""
    api = HfApi(endpoint=proxy.url, token=HUB_TOKEN)
    return HubStore(repo_id, api=api, cache_dir=cache, create=False, timeout_s=TIMEOUT_S)


def direct(hub_server, repo_id: str, cache: Path) -> HubStore:
    """A store of `repo_id` that talks to the Hub itself, as another writer elsewhere."""
    return HubStore(repo_id, api=HfApi(endpoint=hub_server.url, token=HUB_TOKEN), cache_dir=cache, create=False)


def index_ids(hub_server, repo_id: str) -> list[str]:
    """The ids in the index as the server holds it (read past the proxy and every cache)."""
    data = hub_server.files(repo_id).get(RequestsRepo.index_path)
    return [] if data is None else pq.read_table(io.BytesIO(data)).column("id").to_pylist()


def assert_whole(hub_server, repo_id: str) -> list[str]:
    """Nothing duplicated, nothing half: the index rows and the record files are the same set."""
    ids = index_ids(hub_server, repo_id)
    assert len(ids) == len(set(ids)), "a record is twice in the index"
    files = {p for p in hub_server.files(repo_id) if p.startswith("records/")}
    assert files == {f"records/org/model/{i}.json" for i in ids}, "a record file without its row, or the reverse"
    return ids


def assert_clear(err: BaseException, repo_id: str) -> None:
    """A plain StoreError naming the repo, with neither the token nor a server's words, nothing chained."""
    assert isinstance(err, StoreError) and not isinstance(err, NotFound), repr(err)
    text = "".join(traceback.format_exception(err))
    assert repo_id in str(err)
    assert HUB_TOKEN not in text and "Bearer" not in text and "Internal Error" not in text
    assert err.__cause__ is None


def test_the_proxy_passes_everything_through_without_faults(hub_server, proxy, tmp_path):
    store = make_hub_store(hub_server, tmp_path)
    near = through(proxy, store.repo_id, tmp_path / "near")
    near.commit([Put("a.json", b"{}"), Put("b.bin", bytes(range(256)) * 100)], parent=near.head(), message="x")
    assert near.read("a.json") == b"{}" and near.read("b.bin") == bytes(range(256)) * 100
    assert {kind for _, _, kind in proxy.log} == {None}


# -- Reads inside a transaction ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "echo"])
def test_a_failed_index_read_while_another_writer_commits_drops_no_request(hub_server, proxy, tmp_path, kind):
    """Seen: rows dropped from the requests index when the Hub answered 500, 503 or a reset while another
    writer committed (the client fell back to an older cached index, and the compare-and-swap passed)."""
    repo_id = make_hub_store(hub_server, tmp_path).repo_id
    near = RequestsRepo(through(proxy, repo_id, tmp_path / "near"))  # a warm cache: it wrote all of these
    for n in range(10):
        near.add(make_request(request_id=f"a{n}"))
    far = RequestsRepo(direct(hub_server, repo_id, tmp_path / "far"))
    far.add(make_request(request_id="b0"))
    proxy.inject(kind, "*", INDEX, times=None)  # the metadata (HEAD) and the download (GET)
    with pytest.raises(StoreError) as failed:
        near.add(make_request(request_id="a10"))
    assert_clear(failed.value, repo_id)
    assert sorted(assert_whole(hub_server, repo_id)) == sorted([*(f"a{n}" for n in range(10)), "b0"])
    proxy.clear()
    near.add(make_request(request_id="a10"))  # the retry, once the Hub answers
    assert len(assert_whole(hub_server, repo_id)) == 12


@pytest.mark.parametrize("kind", ["500", "503", "429", "reset", "truncate", "html", "hang"])
@pytest.mark.parametrize("where", ["/paths-info/", RESOLVE])
def test_a_fresh_cache_never_replaces_a_ten_row_index(hub_server, proxy, tmp_path, kind, where):
    """Seen: one add by a fresh process turned a 10-row index into 1 row (a failed read taken for "none")."""
    store = make_hub_store(hub_server, tmp_path)
    repo = RequestsRepo(store)
    repo.add(*(make_request(request_id=f"a{n}") for n in range(10)))
    fresh = RequestsRepo(through(proxy, store.repo_id, tmp_path / "fresh"))
    proxy.inject(kind, "*", where, times=None)
    with pytest.raises(StoreError) as failed:
        fresh.add(make_request(request_id="new"))
    assert_clear(failed.value, store.repo_id)
    assert len(assert_whole(hub_server, store.repo_id)) == 10


def test_reads_in_a_transaction_are_at_its_parent_not_a_newer_or_cached_head(hub_server, tmp_path):
    store = make_hub_store(hub_server, tmp_path)
    other = HubStore(store.repo_id, api=store.api, cache_dir=tmp_path / "other", create=False)
    store.commit([Put("n.txt", b"1")], parent=store.head(), message="1")
    seen = []

    def build():
        seen.append(store.read("n.txt"))
        if len(seen) == 1:  # a concurrent writer commits while this one builds
            other.commit([Put("n.txt", b"2")], parent=other.head(), message="2")
            seen.append(store.read("n.txt"))  # still the parent's, which the commit will be checked against
        return [Put("n.txt", str(int(seen[-1]) + 10).encode())]

    store.transact(build, message="add ten")
    assert seen == [b"1", b"1", b"2"]  # the first attempt lost the race; the second built on "2"
    assert store.read("n.txt") == b"12"


def test_an_html_page_never_poisons_the_cache(hub_server, proxy, tmp_path):
    store = make_hub_store(hub_server, tmp_path)
    store.commit(
        [Put("a.json", b'{"a": 1}'), Put("b.parquet", b"PAR1" + bytes(2000))], parent=store.head(), message="x"
    )
    near = through(proxy, store.repo_id, tmp_path / "near")
    for path in ("a.json", "b.parquet"):  # a git blob sha1, and an LFS sha256
        proxy.inject("html", "GET", path, times=1)
        with pytest.raises(StoreError, match="does not match the file's hash"):
            near.read(path)
    assert near.read("a.json") == b'{"a": 1}' and near.read("b.parquet") == b"PAR1" + bytes(2000)
    again = through(proxy, store.repo_id, tmp_path / "near")  # a later process, on the same cache
    assert again.read("a.json") == b'{"a": 1}'


def test_a_tampered_cache_file_is_fetched_again(hub_server, proxy, tmp_path):
    store = make_hub_store(hub_server, tmp_path)
    store.commit([Put("a.json", b'{"a": 1}')], parent=store.head(), message="x")
    near = through(proxy, store.repo_id, tmp_path / "near")
    assert near.read("a.json") == b'{"a": 1}'
    for blob in (tmp_path / "near").rglob("blobs/*"):
        blob.write_bytes(b"<html>")
    assert near.read("a.json") == b'{"a": 1}'


def test_a_missing_file_is_not_found_only_when_the_tree_says_so(hub_server, proxy, tmp_path):
    store = make_hub_store(hub_server, tmp_path)
    near = through(proxy, store.repo_id, tmp_path / "near")
    with pytest.raises(NotFound):
        near.read("index/requests.parquet")
    proxy.inject("500", "POST", "/paths-info/", times=1)
    with pytest.raises(StoreError) as failed:
        near.read("index/requests.parquet")
    assert not isinstance(failed.value, NotFound)


# -- Every failure a clear StoreError ---------------------------------------------------------------------

OPERATIONS = {
    "head": (REPO_INFO, lambda store: store.head()),
    "read": (RESOLVE, lambda store: store.read("a.json")),
    "paths-info": ("/paths-info/", lambda store: store.read("a.json")),
    "list": ("/tree/", lambda store: store.list("records")),
}


# The client itself retries a tree listing's failures with back-off (about 23 s): only an unparsable
# answer, which it does not retry, fails at once there.
CASES = [(operation, kind) for operation in OPERATIONS for kind in KINDS if operation != "list" or kind == "html"]


@pytest.mark.parametrize(("operation", "kind"), CASES)
def test_every_failure_is_a_store_error_naming_repo_operation_and_status(
    hub_server, proxy, tmp_path, caplog, kind, operation
):
    caplog.set_level(logging.DEBUG)
    store = make_hub_store(hub_server, tmp_path)
    store.commit([Put("a.json", b"{}"), Put("records/r.json", b"{}")], parent=store.head(), message="x")
    near = through(proxy, store.repo_id, tmp_path / "near")
    pinned = store.head()
    path, call = OPERATIONS[operation]
    proxy.inject(kind, "*", path, times=None)
    with near.at(pinned if operation != "head" else None), pytest.raises(StoreError) as failed:
        call(near)
    assert any(hit == kind for _, _, hit in proxy.log)
    assert_clear(failed.value, store.repo_id)
    message = str(failed.value)
    if kind in ("500", "503", "429", "echo"):
        assert f"HTTP {500 if kind == 'echo' else kind}" in message
    elif kind == "hang":
        assert "(ReadTimeout)" in message  # the store's timeout ended it, not the proxy's close 3 s later
    else:
        assert "(" in message or "hash" in message  # the exception class, or the hash check
    assert HUB_TOKEN not in caplog.text


def test_the_token_echoed_by_a_server_reaches_no_error_nor_log(hub_server, proxy, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    store = make_hub_store(hub_server, tmp_path)
    near = through(proxy, store.repo_id, tmp_path / "near")
    proxy.inject("echo", times=None)
    errors = []
    for call in (near.head, lambda: near.read("a.json")):
        with pytest.raises(StoreError) as failed:
            call()
        errors.append("".join(traceback.format_exception(failed.value)))
    proxy.clear()
    proxy.inject("echo", "POST", "/commit/", times=2)
    with pytest.raises(StoreError) as failed:
        near.commit([Put("a.json", b"{}")], parent=near.head(), message="x")
    errors.append("".join(traceback.format_exception(failed.value)))
    assert all(HUB_TOKEN not in text for text in errors)
    assert HUB_TOKEN not in caplog.text


# -- Timeouts ---------------------------------------------------------------------------------------------


@pytest.fixture
def default_timeout():
    yield
    hub_http.set_default_timeout(hub_http.DEFAULT_TIMEOUT_S)


def test_the_hub_timeout_comes_from_the_settings(hub_server, proxy, tmp_path, monkeypatch, default_timeout):
    monkeypatch.setenv("AIES_HUB_TIMEOUT_S", "0.4")
    name = uuid.uuid4().hex[:8]
    settings = Settings(
        backend="hub",
        hub_endpoint=proxy.url,
        requests_repo=f"tester/{name}-requests",
        results_repo=f"tester/{name}-results",
        hf_token=HUB_TOKEN,
        cache_dir=tmp_path / "cache",
    )
    stores = open_stores(settings)
    assert stores.requests.timeout_s == stores.results.timeout_s == 0.4
    proxy.inject("hang", "GET", REPO_INFO, times=1)
    with pytest.raises(StoreError, match=r"\(ReadTimeout\)"):
        stores.requests.head()
    proxy.inject("hang", "GET", "/api/models/", times=1)  # any other Hub call of the process: model info
    with pytest.raises(Exception) as failed:
        hub_api(settings).model_info("org/model")
    assert type(failed.value).__name__ == "ReadTimeout"


def test_a_timeout_must_be_positive():
    with pytest.raises(ValueError):
        Settings(hub_timeout_s=0)


# -- Concurrent writers ----------------------------------------------------------------------------------


def add_patiently(repo: RequestsRepo, request, errors: list[BaseException]) -> None:
    """What the worker and the app do: retry a StoreError; a retry finding its own record means it landed."""
    for attempt in range(40):
        try:
            repo.add(request)
            return
        except DuplicateRecord:
            assert attempt > 0, "a fresh id taken for a duplicate"
            return
        except StoreError as err:
            errors.append(err)
    raise AssertionError(f"{request.id} never landed")


@pytest.mark.parametrize("cache", ["cold", "warm"])
def test_concurrent_writers_through_every_fault_lose_and_duplicate_nothing(hub_server, proxy, tmp_path, cache):
    repo_id = make_hub_store(hub_server, tmp_path).repo_id
    RequestsRepo(through(proxy, repo_id, tmp_path / "seed")).add(*(make_request(request_id=f"s{n}") for n in range(10)))
    writers = [RequestsRepo(through(proxy, repo_id, tmp_path / f"w{n}")) for n in range(3)]
    writers.append(RequestsRepo(direct(hub_server, repo_id, tmp_path / "direct")))
    if cache == "warm":
        for writer in writers:
            writer.table()
    for kind in KINDS:
        for method, path in (("GET", RESOLVE), ("POST", "/paths-info/"), ("GET", REPO_INFO)):
            proxy.inject(kind, method, path, times=2 if kind != "hang" else 1)
    for kind in ("500", "reset", "truncate"):  # commits that land though their answer is lost
        proxy.inject(kind, "POST", "/commit/", times=1, after=True)
    proxy.inject("503", "POST", "/commit/", times=1)
    errors: list[BaseException] = []
    expected = []
    threads = []
    for n, writer in enumerate(writers):
        requests = [make_request(request_id=f"w{n}-{i}") for i in range(4)]
        expected += [r.id for r in requests]
        threads.append(threading.Thread(target=lambda w=writer, rs=requests: [add_patiently(w, r, errors) for r in rs]))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(assert_whole(hub_server, repo_id)) == sorted([*(f"s{n}" for n in range(10)), *expected])
    assert errors, "the faults were hit"
    for err in errors:
        assert_clear(err, repo_id)
    assert all(fault.hits for fault in proxy.faults if fault.method == "GET" and fault.kind != "hang")


def test_a_retried_submission_never_queues_a_duplicate_pending_request(hub_server, proxy, tmp_path):
    """Seen through the app: a duplicate of a PENDING request queued, its duplicate check run on a stale index."""
    from submission.queue import SubmissionQueue

    repo_id = make_hub_store(hub_server, tmp_path).repo_id
    near = RequestsRepo(through(proxy, repo_id, tmp_path / "near"))
    far = RequestsRepo(direct(hub_server, repo_id, tmp_path / "far"))
    first = SubmissionQueue(near, daily_limit=50).submit(make_plan("org/wanted"), "alice")
    SubmissionQueue(far, daily_limit=50).submit(make_plan("org/other"), "bob")  # the head moves on
    proxy.inject("500", "*", INDEX, times=None)
    with pytest.raises(StoreError):
        SubmissionQueue(near, daily_limit=50).submit(make_plan("org/wanted"), "alice")
    proxy.clear()
    again = SubmissionQueue(near, daily_limit=50).submit(make_plan("org/wanted"), "alice")
    assert not again.created and again.request.id == first.request.id
    frame = far.table().frame
    assert (frame.loc[frame["model_id"] == "org/wanted", "status"] == RequestStatus.PENDING.value).sum() == 1


def test_a_fresh_process_adding_through_a_failing_hub_keeps_every_row(hub_server, proxy, tmp_path):
    """The same as a real process: its own client, its own empty cache."""
    store = make_hub_store(hub_server, tmp_path)
    RequestsRepo(store).add(*(make_request(request_id=f"a{n}") for n in range(10)))
    proxy.inject("503", "GET", INDEX, times=None)
    script = f"""
import sys
from huggingface_hub import HfApi
from core.repos import RequestsRepo
from core.store import StoreError
from core.store.hub import HubStore
from tests.factories import make_request
api = HfApi(endpoint={proxy.url!r}, token={HUB_TOKEN!r})
store = HubStore({store.repo_id!r}, api=api, cache_dir={str(tmp_path / "p")!r}, create=False)
try:
    RequestsRepo(store).add(make_request(request_id="new"))
except StoreError as err:
    print("StoreError", err)
    sys.exit(3)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[2]
    )
    assert done.returncode == 3, done.stdout + done.stderr
    assert "HTTP 503" in done.stdout and HUB_TOKEN not in done.stdout + done.stderr
    assert len(assert_whole(hub_server, store.repo_id)) == 10
