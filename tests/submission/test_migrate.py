"""Raw vendor logs are private: the uploads store is a private repo, and logs that earlier versions put in
the public results repo are moved out of it, one commit per repo."""

from __future__ import annotations

import json

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import RepositoryNotFoundError

from core.repos import ResultsRepo
from core.store import Put, StoreError, open_uploads
from core.store.local import LocalStore
from submission.migrate import move_vendor_logs
from tests.conftest import HUB_TOKEN, hub_settings
from tests.factories import make_result
from tests.submission import run_logs
from tests.submission.test_vendor import _stored_open_result, good_folder, upload


class Counting(LocalStore):
    """The local store, counting its commits."""

    commits = 0

    def commit(self, operations, *, parent, message):
        self.commits += 1
        return super().commit(operations, parent=parent, message=message)


def test_vendor_logs_in_the_results_repo_are_moved_to_the_uploads_store(tmp_path) -> None:
    results, uploads = ResultsRepo(Counting(tmp_path / "results")), Counting(tmp_path / "uploads")
    report = upload(results, run_logs.zip_folder(good_folder(tmp_path), tmp_path / "good.zip"), uploads=uploads)
    vendor_id = report.result.id
    open_id, _ = _stored_open_result(tmp_path, results)
    # As earlier versions stored it: the zip, the report and a marker in the public repo, logs_path set there.
    old = results.get(vendor_id).model_copy(update={"logs_path": f"logs/{vendor_id}"})
    zipped = b"PK old archive bytes"
    results.store.transact(
        lambda: [
            Put(results.record_path(old), old.model_dump_json().encode()),
            Put(f"logs/{vendor_id}/archive.zip", zipped),
            Put(f"logs/{vendor_id}/validation.json", b"{}"),
            Put("archives/abc.json", json.dumps({"result_id": vendor_id}).encode()),
        ],
        message="as before",
    )
    results.store.commits = uploads.commits = 0

    moved = move_vendor_logs(results, uploads)

    assert moved.results == (vendor_id,) and moved.files == 2
    assert uploads.read(f"vendor/{vendor_id}/archive.zip") == zipped
    public = results.store.list()
    assert not any(path.startswith((f"logs/{vendor_id}", "archives/")) for path in public)
    assert f"logs/{open_id}/logs.zip" in public  # open-model run logs stay public, by design
    assert results.get(vendor_id).logs_path is None and results.get(open_id).logs_path == f"logs/{open_id}"
    assert (results.store.commits, uploads.commits) == (1, 1)  # one atomic commit in each repo
    again = move_vendor_logs(results, uploads)
    assert again.results == () and again.files == 0


def test_the_hub_uploads_repo_is_created_private_and_a_public_one_refused(hub_server, tmp_path) -> None:
    settings = hub_settings(hub_server, tmp_path, "private-uploads")
    store = open_uploads(settings)
    api = HfApi(endpoint=hub_server.url, token=HUB_TOKEN)
    assert api.repo_info(settings.uploads_repo, repo_type="dataset").private
    store.transact(lambda: [Put("vendor/x/archive.zip", b"zip")], message="an upload")
    with pytest.raises(RepositoryNotFoundError):  # anonymous readers do not see it
        HfApi(endpoint=hub_server.url, token=False).repo_info(settings.uploads_repo, repo_type="dataset")

    public = settings.model_copy(update={"uploads_repo": "tester/public-uploads"})
    api.create_repo("tester/public-uploads", repo_type="dataset", private=False)
    with pytest.raises(StoreError, match="tester/public-uploads is public"):
        open_uploads(public)


def test_results_of_an_index_without_the_fingerprint_columns_still_read_and_write(tmp_path) -> None:
    """An index written before the fingerprint columns existed: readable, writable, filled by a rebuild."""
    import io

    import pyarrow.parquet as pq

    results = ResultsRepo(LocalStore(tmp_path / "results"))
    results.add(make_result(result_id="r1"))
    table = pq.read_table(io.BytesIO(results.store.read(results.index_path)))
    old = table.drop_columns(list(ResultsRepo.added_columns))
    buffer = io.BytesIO()
    pq.write_table(old, buffer)
    results.store.transact(lambda: [Put(results.index_path, buffer.getvalue())], message="an old index")
    fresh = ResultsRepo(results.store)
    assert list(fresh.table().frame["id"]) == ["r1"]
    fresh.add(make_result(result_id="r2", model_id="org/other"))
    frame = fresh.table().frame.set_index("id")
    assert frame.loc["r2", "fingerprint"] and frame["fingerprint"].isna().loc["r1"]
    fresh.rebuild_index()
    assert fresh.table().frame["fingerprint"].notna().all()
