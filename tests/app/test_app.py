"""The Space: a light import, and the leaderboard page in a real headless browser."""

import subprocess
import sys
import urllib.request

from playwright.sync_api import expect

from tests.app.conftest import SCREENSHOTS

HEAVY = ("torch", "transformers", "optimum_benchmark", "codecarbon", "accelerate")


def test_importing_the_app_pulls_in_nothing_heavy():
    code = f"import sys, app; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_app_answers_http(seeded_app):
    with urllib.request.urlopen(seeded_app.url, timeout=30) as response:
        assert response.status == 200
        assert "AI Energy Score" in response.read().decode()


def _models(page):
    """The first column of the leaderboard table, one cell per row (gradio's cells carry cell-ROW-COL ids)."""
    return page.locator('[data-testid^="cell-"][data-testid$="-0"]')


def _cell(page, row: int, column: int):
    return page.get_by_test_id(f"cell-{row}-{column}")


def _choose(page, label: str, option: str) -> None:
    page.get_by_label(label).click()
    page.get_by_role("option", name=option).click()


def test_leaderboard_shows_rated_results_and_switches_task_and_release(seeded_app, page):
    page.goto(seeded_app.url)
    expect(_models(page)).to_have_count(3, timeout=30_000)  # text generation is the first task
    expect(_cell(page, 0, 0)).to_have_text("org/llm-0")
    expect(_cell(page, 0, 2)).to_have_text("★★★★★")

    _choose(page, "Task", "Binary Text Classification")
    expect(_models(page)).to_have_count(5)  # live rating: four classifiers plus one measured after the release
    expect(_cell(page, 0, 0)).to_have_text("org/classifier-new")
    expect(_cell(page, 0, 2)).to_have_text("★★★★★")
    expect(_cell(page, 1, 2)).to_have_text("★★★★★")  # 0.2 Wh lies on the first inner edge of [0.05, 0.8]
    expect(_cell(page, 2, 2)).to_have_text("★★★☆☆")  # 0.4 Wh: third band

    _choose(page, "Release", "2026-11")
    expect(_models(page)).to_have_count(4)
    expect(_cell(page, 0, 0)).to_have_text("org/classifier-0")
    expect(_cell(page, 0, 2)).to_have_text("★★★★★")  # frozen: 5 stars in the release, 4 in the live rating
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "leaderboard.png"), full_page=True)


def test_empty_store_shows_a_friendly_empty_state(empty_app, page):
    page.goto(empty_app.url)
    expect(page.get_by_text("No results yet")).to_be_visible(timeout=30_000)
    assert "Error" not in page.inner_text("body")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "empty.png"), full_page=True)
