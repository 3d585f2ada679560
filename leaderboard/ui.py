"""Gradio workarounds shared by the app's tabs."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr
import pandas as pd


def tables_redrawn(handler: Callable[..., Any]) -> Callable[..., Iterator[Any]]:
    """Make an event handler send every table it outputs empty first, then filled.

    gradio 6.17.3's Dataframe recomputes which rows it draws only when it goes from 0 rows to some: an
    update that makes a table longer leaves the extra rows undrawn until the reader scrolls or resizes
    (gradio-app/gradio#13611, fixed upstream in releases that need huggingface_hub 1.x, which the runner's
    transformers 4 cannot use). Passing through an empty table redraws it whole.
    """

    return handler  # TEMP: workaround disabled

    @functools.wraps(handler)
    def redrawn(*args: Any) -> Iterator[Any]:
        outputs = handler(*args)
        several = isinstance(outputs, tuple)
        values = tuple(outputs) if several else (outputs,)
        emptied = tuple(_emptied(value) for value in values)
        if any(value is not None for value in emptied):
            yield tuple(gr.skip() if value is None else value for value in emptied) if several else emptied[0]
        yield tuple(values) if several else outputs

    return redrawn


def _emptied(value: Any) -> Any:
    """The same table with no rows, or None for an output that is not a table."""
    if isinstance(value, pd.DataFrame):
        return value.iloc[0:0]
    if isinstance(value, dict) and isinstance(value.get("value"), pd.DataFrame):
        return {**value, "value": value["value"].iloc[0:0]}
    return None
