"""A factory for label data: a typical text-generation label, with any field overridden."""

from __future__ import annotations

import pytest

from label.content import LabelData

TYPICAL = {
    "model_id": "meta-llama/Llama-3.1-8B-Instruct",
    "task_name": "Text Generation",
    "hardware": "NVIDIA H100-80GB",
    "energy_wh": 1.23456,
    "stars": 3,
    "scored": "November 2026",
    "leaderboard_url": "https://huggingface.co/spaces/AIEnergyScore/Leaderboard",
    "size_class": "A",
}


@pytest.fixture
def make_label():
    def make(**overrides) -> LabelData:
        return LabelData(**{**TYPICAL, **overrides})

    return make
