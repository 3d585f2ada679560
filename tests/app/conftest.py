"""A running app on a seeded local store, and a headless Chromium to look at it."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from app import create_app
from core.catalog import SizeClass, TaskId
from core.releases import cut_release
from core.repos import ResultsRepo
from core.settings import Settings
from core.store.local import LocalStore
from tests.factories import later, make_result

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(os.environ.get("AIES_SCREENSHOTS", "bench/out/screenshots"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed(data_dir: Path) -> None:
    repo = ResultsRepo(LocalStore(data_dir / "results"))
    repo.add(
        *[make_result(result_id=f"tc{n}", model_id=f"org/classifier-{n}", score_wh=0.2 * (n + 1)) for n in range(4)],
        *[
            make_result(
                result_id=f"tg{n}",
                model_id=f"org/llm-{n}",
                task=TaskId.TEXT_GENERATION,
                size_class=SizeClass.A,
                score_wh=1.5 * (n + 1),
            )
            for n in range(3)
        ],
        make_result(
            result_id="tg-big",
            model_id="org/llm-big",
            task=TaskId.TEXT_GENERATION,
            size_class=SizeClass.B,
            parameters=40_000_000_000,
            score_wh=30.0,
        ),
    )
    cut_release(repo, "2026-11", cut_at=later(10))
    repo.add(make_result(result_id="tc-new", model_id="org/classifier-new", score_wh=0.05, measured_at=later(20)))


class Served:
    """The whole app (page and label routes) served by uvicorn in a thread."""

    def __init__(self, data_dir: Path, settings: Settings | None = None) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        settings = settings or Settings(backend="local", data_dir=data_dir)
        config = uvicorn.Config(create_app(settings), port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the app did not start")
            time.sleep(0.05)

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def seeded_app(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("seeded")
    seed(data_dir)
    served = Served(data_dir)
    yield served
    served.close()


@pytest.fixture(scope="module")
def empty_app(tmp_path_factory):
    served = Served(tmp_path_factory.mktemp("empty"))
    yield served
    served.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=20_000)  # a busy 2-core machine runs gradio's event chains slowly

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash scripts/install-system-deps.sh` (make test does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()
