"""gradio's Dataframe in a real browser: a table that grows draws every row, whether an event replaces it or
a generator streams it. gradio 6.17.3 drew only as many rows as the table had before (gradio-app/gradio#13611,
fixed by gradio-app/gradio#13744), so the app used to send every table empty first."""

from __future__ import annotations

import gradio as gr
import pandas as pd
import pytest
from playwright.sync_api import expect

from tests.app.conftest import free_port


def _frame(rows: int) -> pd.DataFrame:
    return pd.DataFrame({"n": list(range(rows)), "name": [f"row {i}" for i in range(rows)]})


def _replaced(rows: float) -> tuple[str, pd.DataFrame]:
    return f"{int(rows)} rows", _frame(int(rows))


def _streamed(rows: float):
    for shown in range(1, int(rows) + 1):
        yield _frame(shown)


@pytest.fixture(scope="module")
def tables_app():
    with gr.Blocks() as demo:
        rows = gr.Number(value=2, elem_id="rows")
        note = gr.Markdown(elem_id="note")
        replaced = gr.Dataframe(_frame(2), elem_id="replaced")
        streamed = gr.Dataframe(_frame(1), elem_id="streamed")
        go = gr.Button("Show", elem_id="show")
        go.click(_replaced, rows, [note, replaced])
        go.click(_streamed, rows, streamed)
    _, url, _ = demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=free_port(), quiet=True)
    yield url
    demo.close()


def _drawn_rows(page, table: str):
    return page.locator(f'#{table} [data-testid^="cell-"][data-testid$="-0"]')


def _show(page, rows: int) -> None:
    page.locator("#rows input").fill(str(rows))
    page.locator("#show").click()
    expect(page.locator("#note")).to_have_text(f"{rows} rows")


def test_a_table_that_grows_draws_every_row(tables_app, page):
    page.goto(tables_app)
    expect(_drawn_rows(page, "replaced")).to_have_count(2)
    expect(_drawn_rows(page, "streamed")).to_have_count(1)
    for rows in (7, 3, 9):  # grows from some rows, shrinks, grows again: never through an empty table
        _show(page, rows)
        for table in ("replaced", "streamed"):
            expect(_drawn_rows(page, table)).to_have_count(rows)
            expect(page.locator(f"#{table}").get_by_text(f"row {rows - 1}", exact=True)).to_be_visible()
