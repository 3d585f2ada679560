"""The AI Energy Score Space: builds the page from the tab builders and serves it with the label routes.

Importing this module does no I/O and imports nothing from the benchmark stack; data is read through
the store when the page is used.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr
from fastapi import FastAPI

from core.repos import RequestsRepo, ResultsRepo
from core.settings import Settings, hub_api, load_settings
from core.store import open_stores, open_uploads
from label import routes as label_routes
from label import tab as label_tab
from leaderboard import explore_tab, impact_tab
from leaderboard import tab as leaderboard_tab
from leaderboard.tables import LeaderboardData
from leaderboard.texts import CITATION, about_markdown
from submission import tab as submission_tab

TITLE = "AI Energy Score"
INTRO = (
    "GPU energy of AI models on ten standard tasks, in **Wh per 1,000 queries**, measured on an NVIDIA H100 "
    "with batch size 1 and 10 repetitions. Stars compare models within a task (and, for text generation, a "
    "size class): 5 stars for the most efficient fifth of the energy range."
)
THEME = gr.themes.Soft(primary_hue="green", neutral_hue="slate")
# Table headers break between words only. On a phone the model column takes 38 % of the width and the stars
# 100 px, so a model, its energy and its stars fit side by side. CSS, not gradio's column_widths, which apply
# at every width (in gradio 6.17.3 they also made a link in the table need two clicks; 6.31 fixed that).
_PHONE_WIDTHS = {
    "#leaderboard-table .first-column": "38vw",
    "#leaderboard-table [data-col='2'], #leaderboard-table th[data-heading='2']": "100px",  # the stars
}
CSS = (
    "#leaderboard-table th, #leaderboard-table th * { white-space: normal; word-break: keep-all; } "
    "#queue-table th, #queue-table th * { white-space: nowrap; word-break: keep-all; } "
    "@media (max-width: 640px) { #leaderboard-table thead { display: block; } "
    + " ".join(
        f"{selector} {{ width: {w} !important; min-width: {w} !important; max-width: {w} !important; "
        f"flex: 0 0 {w} !important; }}"
        for selector, w in _PHONE_WIDTHS.items()
    )
    + " }"
)


def build_blocks(data: LeaderboardData, portal: submission_tab.Portal, settings: Settings) -> gr.Blocks:
    with gr.Blocks(title=TITLE) as demo:
        gr.Markdown(f"# ⚡ {TITLE}\n{INTRO}")
        with gr.Tabs():
            with gr.Tab("Leaderboard", id="leaderboard"):
                controls = leaderboard_tab.build(demo, data)
            # Each of these tabs reads its data when it is opened, not with the page.
            with gr.Tab("Model detail", id="detail") as detail:
                explore_tab.build_detail(detail, data, controls)
            with gr.Tab("Compare", id="compare") as compare:
                explore_tab.build_compare(compare, data, controls)
            with gr.Tab("Label", id="label") as label:
                label_tab.build(label, data, settings)
            with gr.Tab("Impact calculator", id="impact") as impact:
                impact_tab.build(impact, data, controls)
            with gr.Tab("Submit", id="submit") as submit:
                submission_tab.build(submit, portal)
            with gr.Tab("About / FAQ", id="about"):
                gr.Markdown(about_markdown())
                leaderboard_tab.build_full_download(data)
                gr.Code(CITATION, label="Cite", language=None)
    return demo


def create_app(settings: Settings) -> FastAPI:
    """The whole Space: the Gradio page at / and the label images at /labels/."""
    stores = open_stores(settings)
    results = ResultsRepo(stores.results)
    data = LeaderboardData(results)
    portal = submission_tab.Portal(
        settings, RequestsRepo(stores.requests), results, hub_api(settings), open_uploads(settings)
    )
    app = FastAPI(title=TITLE)
    label_routes.register(app, data, settings)
    # Uploads far over the vendor-archive limit are cut off by gradio itself, before they fill the disk;
    # those just over it reach the validator, which says what the limit is.
    max_upload = int(2 * settings.vendor_archive_max_mb * 2**20)
    return gr.mount_gradio_app(
        app, build_blocks(data, portal, settings), path="/", theme=THEME, css=CSS, max_file_size=max_upload
    )


def main() -> None:
    import logging
    import threading

    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings()
    host = os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1")
    port = int(os.environ.get("GRADIO_SERVER_PORT", "7860"))
    app = create_app(settings)
    stop = threading.Event()
    if settings.backend == "local" and settings.local_worker:  # on the Hub, GPU workers run elsewhere
        from runner.local import start_local_worker

        start_local_worker(settings, stop)
    print(f"* Running on http://{host}:{port}")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        stop.set()


if __name__ == "__main__":
    main()
