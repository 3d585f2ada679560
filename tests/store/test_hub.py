"""What only the Hub backend must show: configuration, request economy and secrecy of the token."""

import logging

import pytest
from huggingface_hub import HfApi

from core.repos import ResultsRepo
from core.store import NotFound, Put, StoreError, open_stores
from core.store.hub import HubStore
from tests.conftest import HUB_TOKEN, hub_settings, make_hub_store
from tests.factories import make_result


def test_open_stores_from_settings_reaches_the_configured_hub(hub_server, tmp_path):
    settings = hub_settings(hub_server, tmp_path, "aies")
    stores = open_stores(settings)
    ResultsRepo(stores.results).add(make_result(result_id="r1"))
    files = hub_server.files("tester/aies-results")
    assert "records/org/model/text_classification/r1.json" in files
    assert "index/results.parquet" in files
    assert hub_server.head("tester/aies-requests") is not None  # both repos created on first use


def test_page_views_do_not_reread_the_index_while_the_head_is_unchanged(hub_server, tmp_path):
    store = make_hub_store(hub_server, tmp_path)
    repo = ResultsRepo(store)
    repo.add(*[make_result(result_id=f"r{n}", model_id=f"org/m{n}") for n in range(20)])
    repo.table()
    before = len(hub_server.request_log)
    for _ in range(5):
        assert len(repo.table().frame) == 20
    calls = hub_server.request_log[before:]
    assert len(calls) == 5  # one head lookup per view, no file reads
    assert all(method == "GET" and "/resolve/" not in path for method, path in calls)


def test_the_token_never_appears_in_logs_or_reprs(hub_server, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    store = make_hub_store(hub_server, tmp_path)
    store.commit([Put("a.json", b"{}")], parent=store.head(), message="add")
    store.read("a.json")
    with pytest.raises(NotFound):
        store.read("missing.json")
    texts = [caplog.text, repr(store)]
    try:
        HubStore(
            "tester/does-not-exist",
            api=HfApi(endpoint=hub_server.url, token=HUB_TOKEN),
            cache_dir=tmp_path,
            create=False,
        ).head()
    except NotFound as err:
        texts.append(str(err))
        texts.append(repr(err.__cause__))
    assert all(HUB_TOKEN not in text for text in texts)


def test_a_missing_repo_is_not_found(hub_server, tmp_path):
    api = HfApi(endpoint=hub_server.url, token=HUB_TOKEN)
    store = HubStore("tester/never-created", api=api, cache_dir=tmp_path, create=False)
    with pytest.raises(NotFound, match="never-created"):
        store.head()


def test_a_stale_parent_leaves_one_commit_on_the_server(hub_server, tmp_path):
    store = make_hub_store(hub_server, tmp_path)
    parent = store.head()
    count = hub_server.commit_count(store.repo_id)
    store.commit([Put("a.txt", b"1")], parent=parent, message="one")
    with pytest.raises(Exception, match="head moved"):
        store.commit([Put("a.txt", b"2")], parent=parent, message="two")
    assert hub_server.commit_count(store.repo_id) == count + 1


def test_an_unreachable_hub_is_a_store_error_not_a_missing_file(hub_server, tmp_path):
    """httpx's transport errors are no OSError: each call still fails as a StoreError, never as NotFound."""
    store = make_hub_store(hub_server, tmp_path)
    store.commit([Put("a.json", b"{}")], parent=store.head(), message="add")
    offline = HubStore(
        store.repo_id, api=HfApi(endpoint="http://127.0.0.1:9", token=HUB_TOKEN), cache_dir=tmp_path / "c", create=False
    )
    # (huggingface_hub retries a refused connection for about 20 s in every call but repo_info: two calls only)
    for call in (offline.head, lambda: offline.read("a.json")):  # read: not cached, so not "missing" either
        with pytest.raises(StoreError) as excinfo:
            call()
        assert not isinstance(excinfo.value, NotFound)
        assert "http://127.0.0.1:9" in str(excinfo.value) and HUB_TOKEN not in str(excinfo.value)
