"""The AI Energy Score Space: builds the page from the tab builders and serves it.

Importing this module does no I/O and imports nothing from the benchmark stack; data is read through
the store when the page is used.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr

from core.repos import ResultsRepo
from core.settings import Settings, load_settings
from core.store import open_stores
from leaderboard import tab as leaderboard_tab

TITLE = "AI Energy Score"
INTRO = (
    "GPU energy of AI models on ten standard tasks, in Wh per 1,000 queries, measured on an NVIDIA H100 "
    "with batch size 1 and 10 repetitions. Stars compare models within a task (and, for text generation, "
    "a size class): 5 stars for the most efficient fifth of the energy range."
)


def create_app(settings: Settings) -> gr.Blocks:
    stores = open_stores(settings)
    results = ResultsRepo(stores.results)
    with gr.Blocks(title=TITLE) as demo:
        gr.Markdown(f"# ⚡ {TITLE}\n{INTRO}")
        with gr.Tab("Leaderboard"):
            leaderboard_tab.build(demo, results)
    return demo


def main() -> None:
    create_app(load_settings()).launch()


if __name__ == "__main__":
    main()
