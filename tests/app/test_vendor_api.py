"""The vendor upload through the raw API: a payload naming a file on the server (or a URL) is refused
before the handler sees it; only a file uploaded to the app is validated."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest
from gradio.utils import get_upload_folder

from core.repos import ResultsRepo
from core.store.local import LocalStore
from submission.tab import NOT_UPLOADED
from tests.app.conftest import Served
from tests.submission import run_logs


@pytest.fixture(scope="module")
def vendor_app(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("vendor-api")
    served = Served(data_dir)
    served.results = ResultsRepo(LocalStore(data_dir / "results"))
    yield served
    served.close()


def _raw_call(url: str, path: str) -> tuple[str, str]:
    """POST the upload with a FileData payload naming `path`, as any HTTP client can; (event, data)."""
    payload = {"path": path, "meta": {"_type": "gradio.FileData"}, "orig_name": Path(path).name}
    data = ["acme/secret-model", payload, True, True, True]
    with httpx.Client(base_url=url, timeout=60) as client:
        event_id = client.post("/gradio_api/call/vendor_upload", json={"data": data}).json()["event_id"]
        stream = client.get(f"/gradio_api/call/vendor_upload/{event_id}").text
    events = [line.removeprefix("event: ") for line in stream.splitlines() if line.startswith("event: ")]
    lines = [line.removeprefix("data: ") for line in stream.splitlines() if line.startswith("data: ")]
    return events[-1], lines[-1]


def _stored(served: Served) -> int:
    return len(served.results.table().frame)


def test_a_server_path_in_the_payload_is_refused_not_extracted(vendor_app, tmp_path) -> None:
    good = run_logs.zip_folder(run_logs.write_run(tmp_path / "run"), tmp_path / "server-side.zip")
    in_cache = Path(get_upload_folder()) / "not-uploaded" / "server-side.zip"  # where uploads go, but not one
    in_cache.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(good, in_cache)
    try:
        for named in (str(good), str(in_cache), f"{vendor_app.url}/labels/none.png"):
            event, data = _raw_call(vendor_app.url, named)
            assert event == "error", (named, data)
            assert NOT_UPLOADED in data, data
            assert "Accepted" not in data and "server-side.zip" not in data
    finally:
        shutil.rmtree(in_cache.parent)
    assert _stored(vendor_app) == 0


def test_an_uploaded_archive_is_validated(vendor_app, tmp_path) -> None:
    from gradio_client import Client, handle_file

    good = run_logs.zip_folder(run_logs.write_run(tmp_path / "run"), tmp_path / "uploaded.zip")
    client = Client(vendor_app.url, verbose=False)
    report = client.predict("acme/secret-model", handle_file(str(good)), True, True, True, api_name="/vendor_upload")
    assert "Accepted" in report
    assert _stored(vendor_app) == 1
