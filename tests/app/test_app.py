"""The Space in a real headless browser: leaderboard, filters, releases, detail, compare, labels, impact."""

import io
import subprocess
import sys
import urllib.request

from PIL import Image
from playwright.sync_api import expect

from leaderboard.tables import LATEST
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


def test_label_route_serves_png_and_svg(seeded_app):
    with urllib.request.urlopen(f"{seeded_app.url}/labels/tc0.png?release=2026-11", timeout=30) as response:
        assert response.headers["Content-Type"] == "image/png"
        assert Image.open(io.BytesIO(response.read())).size == (520, 728)
    with urllib.request.urlopen(f"{seeded_app.url}/labels/tc0.svg", timeout=30) as response:
        assert response.headers["Content-Type"].startswith("image/svg+xml")
        assert "<svg" in response.read().decode()
    for bad in ("/labels/nope.png", "/labels/tc0.png?release=1999-01"):
        try:
            urllib.request.urlopen(f"{seeded_app.url}{bad}", timeout=30)
        except urllib.error.HTTPError as err:
            assert err.code == 404
            assert "no " in err.read().decode()
        else:
            raise AssertionError(f"{bad} should be a 404")


def _models(page):
    """The first column of the leaderboard table, one cell per row (gradio's cells carry cell-ROW-COL ids)."""
    return page.locator('[data-testid^="cell-"][data-testid$="-0"]')


def _cell(page, row: int, column: int):
    return page.get_by_test_id(f"cell-{row}-{column}").first


def _choose(page, label: str, option: str) -> None:
    page.get_by_label(label, exact=True).first.click()
    page.get_by_role("option", name=option, exact=True).click()


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_leaderboard_tabs_class_search_and_release_change_the_table(seeded_app, page):
    page.goto(seeded_app.url)
    expect(_models(page)).to_have_count(4, timeout=30_000)  # text generation is the first task: classes A and B
    expect(_cell(page, 0, 0)).to_have_text("org/llm-0")
    expect(_cell(page, 0, 2)).to_have_text("★★★★★")
    # class B has one model: flagged in the band summary and in its stars cell
    expect(page.get_by_text("not enough models to rate (every member gets 3 stars)")).to_be_visible()
    # plotly draws a marker per result, and per result of known size against parameters (only org/llm-big's)
    expect(page.locator("#leaderboard-strip .js-plotly-plot .point")).to_have_count(4)
    expect(page.locator("#leaderboard-scatter .js-plotly-plot .point")).to_have_count(1)
    _shot(page, "leaderboard")

    page.get_by_label("B", exact=True).check()
    expect(_models(page)).to_have_count(1)
    expect(_cell(page, 0, 0)).to_have_text("org/llm-big")
    expect(_cell(page, 0, 2)).to_contain_text("★★★☆☆ (not enough models to rate)")

    page.get_by_role("tab", name="Binary Text Classification").click()
    expect(_models(page)).to_have_count(5)  # live rating: four classifiers plus one measured after the release
    expect(_cell(page, 0, 0)).to_have_text("org/classifier-new")
    expect(_cell(page, 1, 2)).to_have_text("★★★★★")  # 0.2 Wh lies on the first inner edge of [0.05, 0.8]
    expect(_cell(page, 2, 2)).to_have_text("★★★☆☆")  # 0.4 Wh: third band
    expect(page.get_by_text("16× difference")).to_be_visible()

    page.get_by_label("Search models").fill("classifier-2")
    expect(_models(page)).to_have_count(1)
    expect(_cell(page, 0, 0)).to_have_text("org/classifier-2")
    page.get_by_label("Search models").fill("")
    expect(_models(page)).to_have_count(5)

    _choose(page, "Release", "2026-11")
    expect(_models(page)).to_have_count(4)
    expect(_cell(page, 0, 0)).to_have_text("org/classifier-0")
    expect(_cell(page, 0, 2)).to_have_text("★★★★★")  # frozen: 5 stars in the release, 4 in the live rating
    _shot(page, "leaderboard-release")


def test_label_tab_downloads_a_520_by_728_png(seeded_app, page):
    page.goto(seeded_app.url)
    page.get_by_role("tab", name="Label").click()
    expect(page.get_by_text("Model card (markdown)")).to_be_visible(timeout=30_000)
    expect(page.locator("img[src*='ai-energy-score']").first).to_be_visible(timeout=30_000)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download PNG (520 × 728)").click()
    path = download_info.value.path()
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == (520, 728)
    _shot(page, "label")
    # The live view's stars are provisional: its label says so, and so does its model-card snippet's link.
    page.get_by_label("Release", exact=True).locator("visible=true").first.click()  # the Label tab's own
    page.get_by_role("option", name=LATEST, exact=True).click()
    expect(page.get_by_text("The latest stars are provisional")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("?release=latest").first).to_be_attached()


def test_impact_calculator_answers_and_rejects_bad_input(seeded_app, page):
    page.goto(seeded_app.url)
    page.get_by_role("tab", name="Impact calculator").click()
    page.get_by_label("Queries per day").fill("2000000")
    page.get_by_label("Queries per day").press("Enter")
    expect(page.get_by_text("Carbon emissions (kg CO2e)")).to_be_visible(timeout=30_000)
    _shot(page, "impact")
    page.get_by_label("PUE (1.0 is ideal)").fill("0.5")
    page.get_by_label("PUE (1.0 is ideal)").press("Enter")
    expect(page.get_by_text("PUE: Input should be greater than or equal to 1")).to_be_visible()
    expect(page.get_by_text("Carbon emissions (kg CO2e)")).to_have_count(0)
    page.get_by_label("PUE (1.0 is ideal)").fill("1.2")
    page.get_by_label("Queries per day").fill("-5")
    page.get_by_label("Queries per day").press("Enter")
    expect(page.get_by_text("Queries per day: Input should be greater than 0")).to_be_visible()
    intensity = page.get_by_label("Grid carbon intensity (g CO2e / kWh)")
    intensity.fill("100")
    intensity.press("Enter")
    expect(page.get_by_label("Grid", exact=True)).to_have_value("Custom (type it in)")


def test_model_detail_and_compare(seeded_app, page):
    page.goto(seeded_app.url)
    page.get_by_role("tab", name="Model detail").click()
    _choose(page, "Model", "org/classifier-1")
    expect(page.get_by_text("Validity checks")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("mean of 10 repetitions")).to_be_visible()
    _shot(page, "detail")
    page.get_by_role("tab", name="Compare").click()
    models = page.locator(".block", has=page.get_by_text("Models", exact=True)).locator("input").first
    for name in ("org/classifier-0", "org/classifier-3"):
        models.click()
        page.get_by_role("option", name=name, exact=True).click()
    cells = page.locator('[data-testid^="cell-"]:visible')
    expect(cells.filter(has_text="0.2 Wh · ★★★★★")).to_have_count(1)
    expect(cells.filter(has_text="0.8 Wh · ★☆☆☆☆")).to_have_count(1)
    expect(page.get_by_text(f"Stars from {LATEST}")).to_be_visible()
    _shot(page, "compare")
    # Both tabs follow the release chosen on the Leaderboard tab.
    page.get_by_role("tab", name="Leaderboard").click()
    _choose(page, "Release", "2026-11")
    page.get_by_role("tab", name="Compare").click()
    expect(page.get_by_text("Stars from 2026-11")).to_be_visible(timeout=30_000)
    page.get_by_role("tab", name="Model detail").click()
    expect(page.locator("a[href='/labels/tc1.png?release=2026-11']")).to_be_attached(timeout=30_000)


def test_empty_store_shows_a_friendly_empty_state(empty_app, page):
    page.goto(empty_app.url)
    expect(page.get_by_text("No results here yet")).to_be_visible(timeout=30_000)
    assert "Error" not in page.inner_text("body")
    _shot(page, "empty")


def test_about_page_and_full_data_download(seeded_app, page):
    page.goto(seeded_app.url)
    page.get_by_role("tab", name="About / FAQ").click()
    expect(page.get_by_text("How this implementation differs from the reference one")).to_be_visible()
    expect(page.get_by_text("@misc{ai_energy_score").first).to_be_visible()
    page.get_by_role("button", name="Prepare the full data (CSV and parquet)").click()
    link = page.locator("a[href$='.csv']").first
    expect(link).to_be_visible()
    csv_text = page.request.get(link.get_attribute("href")).text()
    assert csv_text.splitlines()[0].startswith("id,path,request_id,model_id")
    assert len(csv_text.strip().splitlines()) == 1 + 9  # every result, rated or not


def test_the_app_reads_a_hub_backed_store(hub_server, tmp_path):
    """The production configuration: both repos on the Hub (the local Hub-API server here)."""
    from fastapi.testclient import TestClient

    from app import create_app
    from core.repos import ResultsRepo
    from core.store import open_stores
    from tests.conftest import hub_settings
    from tests.factories import make_result

    settings = hub_settings(hub_server, tmp_path, "app")
    ResultsRepo(open_stores(settings).results).add(make_result(result_id="hub1", model_id="org/on-the-hub"))
    with TestClient(create_app(settings)) as client:
        assert client.get("/").status_code == 200
        label = client.get("/labels/hub1.png")
        assert label.status_code == 200 and label.headers["content-type"] == "image/png"
        assert client.get("/labels/missing.png").status_code == 404


def test_on_a_phone_a_model_its_energy_and_its_stars_fit_side_by_side(seeded_app, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(seeded_app.url)
        expect(_cell(page, 0, 2)).to_have_text("★★★★★", timeout=30_000)
        stars = _cell(page, 0, 2).bounding_box()
        assert stars["x"] + stars["width"] <= 390, stars  # no sideways scrolling to see a model's stars
        _cell(page, 0, 0).scroll_into_view_if_needed()
        _shot(page, "leaderboard-phone")
    finally:
        context.close()


def test_a_link_in_the_table_opens_on_the_first_click(seeded_app, page):
    """The label and Hub links answer the first click (gradio 6.17.3's column_widths made them need two)."""
    page.context.route("https://huggingface.co/**", lambda route: route.fulfill(body="the model's Hub page"))
    page.goto(seeded_app.url)
    expect(_cell(page, 0, 0)).to_have_text("org/llm-0", timeout=30_000)
    for column, address in ((0, "https://huggingface.co/org/llm-0"), (9, "/labels/tg0.png?release=latest")):
        with page.expect_popup(timeout=10_000) as popup:
            page.locator(f'#leaderboard-table [data-testid="cell-0-{column}"] a').click()
        assert popup.value.url.endswith(address)
        popup.value.close()
