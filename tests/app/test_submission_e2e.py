"""The submission portal in a real browser, end to end on the local store with the embedded worker:
submit a tiny local model → the worker measures it on the CPU → finished in the queue → its row on the
leaderboard → its label downloads. And vendor uploads: a good archive is accepted and listed for review,
a bad one shows its own error."""

from __future__ import annotations

import re
import threading

import pytest
from PIL import Image
from playwright.sync_api import expect

from core.catalog import TaskId
from core.models import Hardware
from core.repos import ResultsRepo
from core.settings import Settings
from core.store.local import LocalStore
from tests.app.conftest import Served
from tests.app.test_app import _choose, _models, _shot
from tests.factories import make_result
from tests.submission import run_logs

CPU = Hardware(gpu_name="CPU", gpu_count=0)
TINY = "local/tiny-bert"
RAISING = "local/raising-bert"


@pytest.fixture(scope="module")
def portal_app(tmp_path_factory):
    from runner.local import start_local_worker
    from tests.runner import tiny

    data_dir = tmp_path_factory.mktemp("portal")
    tiny.build_bert_classifier(data_dir / "models" / TINY)
    tiny.build_bert_classifier(data_dir / "models" / RAISING, vocab_size=5)  # loads, then raises when run
    tiny.text_dataset(data_dir / "datasets" / TaskId.TEXT_CLASSIFICATION.value, rows=1000)
    # Another CPU result, so the new one is rated against something.
    ResultsRepo(LocalStore(data_dir / "results")).add(
        make_result(result_id="other", model_id="org/other", hardware=CPU, score_wh=1e-3)
    )
    settings = Settings(backend="local", data_dir=data_dir, cache_dir=data_dir / "cache", daily_submission_limit=3)
    served = Served(data_dir, settings)
    stop = threading.Event()
    start_local_worker(settings, stop, poll_s=0.5)
    yield served
    stop.set()
    served.close()


def _open_submit(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("tab", name="Submit").click()
    expect(page.locator("#submit-model input, #submit-model textarea").first).to_be_visible(timeout=30_000)


def _type(page, elem_id: str, text: str) -> None:
    page.locator(f"#{elem_id} input, #{elem_id} textarea").first.fill(text)


def test_bad_submissions_show_their_error_and_keep_submit_disabled(portal_app, page):
    _open_submit(page, portal_app.url)
    _type(page, "submit-model", "bad id!")
    _choose(page, "Task", "Binary Text Classification")
    page.locator("#submit-check").click()
    expect(page.locator("#submit-plan")).to_contain_text("is not a valid Hub model id", timeout=30_000)
    expect(page.locator("#submit-go")).to_be_disabled()
    _type(page, "submit-model", "nobody/not-here")  # not a local model, and no Hub answers here
    page.locator("#submit-check").click()
    expect(page.locator("#submit-plan")).to_contain_text("could not be reached to check nobody", timeout=60_000)
    expect(page.locator("#submit-go")).to_be_disabled()


def test_a_submitted_model_is_measured_rated_and_labelled(portal_app, page):
    _open_submit(page, portal_app.url)
    _type(page, "submit-model", TINY)
    _choose(page, "Task", "Binary Text Classification")
    page.locator("#submit-check").click()
    expect(page.locator("#submit-plan")).to_contain_text("local folder", timeout=30_000)
    expect(page.locator("#submit-plan")).to_contain_text("1,000 queries")
    page.locator("#submit-go").click()
    expect(page.locator("#submit-outcome")).to_contain_text("Queued as request", timeout=30_000)
    queue = page.locator("#queue-table")
    expect(queue).to_contain_text(TINY)
    _shot(page, "submit-queued")

    # The worker measures it: 1,000 queries × 10 repetitions on the CPU (about 30 s on a quiet machine). The
    # queue follows the request by itself: nobody clicks Refresh.
    expect(queue).to_contain_text("FINISHED", timeout=600_000)  # a generous bound: CI machines can be loaded
    _shot(page, "submit-finished")
    request_id = re.search(r"Queued as request (\S+):", page.locator("#submit-outcome").inner_text()).group(1)
    _type(page, "queue-request", request_id)
    page.locator("#queue-show").click()
    details = page.locator("#queue-details")
    for status in ("PENDING", "RUNNING", "FINISHED"):  # the request's whole history, with times
        expect(details).to_contain_text(status, timeout=30_000)
    expect(details).to_contain_text(f"Result {request_id}-a1")

    # Submitting it again shows the existing request instead of queueing a second one.
    page.locator("#submit-check").click()
    expect(page.locator("#submit-go")).to_be_enabled(timeout=30_000)
    page.locator("#submit-go").click()
    expect(page.locator("#submit-outcome")).to_contain_text("Already requested", timeout=30_000)

    page.get_by_role("tab", name="Leaderboard").click()
    page.get_by_role("tab", name="Binary Text Classification").click()
    _choose(page, "Hardware", "CPU")
    expect(_models(page).filter(has_text=TINY)).to_have_count(1, timeout=30_000)
    _shot(page, "submit-leaderboard")

    page.get_by_role("tab", name="Label").click()
    _choose(page, "Task", "Binary Text Classification")
    page.get_by_label("Model", exact=True).first.click()
    page.get_by_role("option").filter(has_text=TINY).first.click()
    expect(page.locator("img[src*='ai-energy-score']").first).to_be_visible(timeout=30_000)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download PNG (520 × 728)").click()
    with Image.open(download_info.value.path()) as image:
        assert image.size == (520, 728)


def _submit_and_wait(page, model_id: str, task: str, done: str) -> str:
    """Submit through the form, refresh the queue until the request is `done`; returns its id."""
    _type(page, "submit-model", model_id)
    _choose(page, "Task", task)
    page.locator("#submit-check").click()
    expect(page.locator("#submit-go")).to_be_enabled(timeout=30_000)
    page.locator("#submit-go").click()
    outcome = page.locator("#submit-outcome")
    expect(outcome).to_contain_text("Queued as request", timeout=30_000)
    request_id = re.search(r"Queued as request (\S+):", outcome.inner_text()).group(1)
    _type(page, "queue-request", request_id)
    for _ in range(120):
        page.locator("#queue-show").click()
        page.wait_for_timeout(2000)
        if done in page.locator("#queue-details").inner_text():
            break
    expect(page.locator("#queue-details")).to_contain_text(done)
    return request_id


def test_a_failed_request_shows_its_reason_and_log_excerpt(portal_app, page):
    _open_submit(page, portal_app.url)
    _submit_and_wait(page, RAISING, "Binary Text Classification", "FAILED")
    expect(page.locator("#queue-details")).to_contain_text("Failure: inference:")
    expect(page.locator("#queue-log")).to_contain_text("Traceback")  # the end of the benchmark's own log
    _shot(page, "submit-failed")
    # After a failure the same model may be submitted again.
    page.locator("#submit-go").click()
    expect(page.locator("#submit-outcome")).to_contain_text("Queued as request", timeout=30_000)


def test_vendor_upload_needs_the_attestation_and_reports_each_archive(portal_app, page, tmp_path):
    good = run_logs.zip_folder(run_logs.write_run(tmp_path / "run"), tmp_path / "vendor-run.zip")
    bad = tmp_path / "not-a-zip.zip"
    bad.write_bytes(b"these are not logs")

    _open_submit(page, portal_app.url)
    _type(page, "vendor-model", "acme/secret-model")
    upload = page.locator("#vendor-upload")
    expect(upload).to_be_disabled()
    boxes = [page.locator(f"#vendor-{name} input") for name in ("public_data_sharing", "data_integrity")]
    for box in boxes:
        box.check()
    expect(upload).to_be_disabled()  # two of three clauses are not enough
    page.locator("#vendor-model_representation input").check()
    expect(upload).to_be_enabled()

    page.locator("#vendor-archive input[type=file]").set_input_files(str(bad))
    page.wait_for_timeout(1000)
    upload.click()
    expect(page.locator("#vendor-report")).to_contain_text("is not a zip archive", timeout=30_000)
    expect(page.locator("#vendor-report")).to_contain_text("nothing was stored")
    _shot(page, "vendor-rejected")

    page.locator("#vendor-archive button[aria-label='Clear']").first.click()
    page.locator("#vendor-archive input[type=file]").set_input_files(str(good))
    page.wait_for_timeout(1000)
    upload.click()
    expect(page.locator("#vendor-report")).to_contain_text("Accepted", timeout=30_000)
    reviews = page.locator("#vendor-reviews")
    expect(reviews).to_contain_text("acme/secret-model")
    expect(reviews).to_contain_text("Binary Text Classification")  # display names, not ids
    expect(reviews).to_contain_text("Energy (Wh / 1k queries)")
    _shot(page, "vendor-accepted")


def test_the_production_configuration_checks_on_the_hub_and_queues_in_the_hub_repo(hub_server, tmp_path):
    """Both repos and the model on the Hub (the local Hub-API server): check, submit, duplicate, through the API."""
    from gradio_client import Client

    from core.repos import RequestsRepo
    from core.store import open_stores
    from tests.conftest import hub_settings
    from tests.hub_server import safetensors_bytes

    sha = hub_server.seed(
        "tester/portal-model",
        {
            "config.json": b'{"architectures": ["BertForSequenceClassification"], "model_type": "bert"}',
            "model.safetensors": safetensors_bytes({"w": ("F32", [64, 64])}),
        },
    )
    settings = hub_settings(hub_server, tmp_path, "portal")
    served = Served(tmp_path, settings)
    try:
        client = Client(served.url, verbose=False)
        plan = client.predict("tester/portal-model", "", "text_classification", api_name="/check")
        first = client.predict("tester/portal-model", "", "text_classification", api_name="/submit")
        again = client.predict("tester/portal-model", sha, "text_classification", api_name="/submit")
        gated = client.predict("tester/nope", "", "text_classification", api_name="/submit")
    finally:
        served.close()
    assert sha in plan and "4,096" in plan
    assert "Queued as request" in first and "Already requested" in again  # main and its sha are the same commit
    assert "was not found on the Hub" in gated
    frame = RequestsRepo(open_stores(settings).requests).table().frame
    assert frame[["model_id", "revision", "status"]].values.tolist() == [["tester/portal-model", sha, "PENDING"]]
