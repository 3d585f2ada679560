"""Synthetic results indexes for the benchmarks: real index rows, varied in model, hardware and score."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.catalog import TASKS, TaskId, size_class_for
from core.repos import ResultsRepo
from core.store import Put
from core.store.local import LocalStore
from tests.factories import T0, make_result

HARDWARE = ["NVIDIA H100 80GB HBM3", "NVIDIA H100 80GB HBM3", "NVIDIA H100 80GB HBM3", "NVIDIA A100-SXM4-80GB", "CPU"]


def synthetic_index(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Index rows of n results: real rows of one result per task, varied in model, hardware and score."""
    templates = {task: ResultsRepo.frame_of([make_result(result_id="t", task=task)]) for task in TASKS}
    tasks = rng.choice(list(TASKS), size=n)
    frame = pd.concat([templates[t] for t in tasks], ignore_index=True)
    frame["id"] = [f"r{i:07d}" for i in range(n)]
    frame["model_id"] = [f"org{i % 500}/model-{i}" for i in range(n)]
    frame["path"] = [
        f"records/{m}/{t}/{i}.json" for m, t, i in zip(frame["model_id"], frame["task"], frame["id"], strict=True)
    ]
    frame["hardware"] = rng.choice(HARDWARE, size=n)
    parameters = rng.integers(100_000_000, 400_000_000_000, size=n)
    is_text_gen = frame["task"] == TaskId.TEXT_GENERATION.value
    frame["parameters"] = np.where(is_text_gen, parameters, None)
    frame["size_class"] = [
        size_class_for(int(p)).value if tg else None for p, tg in zip(parameters, is_text_gen, strict=True)
    ]
    frame["score_wh"] = rng.lognormal(mean=0.0, sigma=1.5, size=n)
    frame["measured_at"] = T0
    return frame


def seeded_store(root, n: int, seed: int = 0) -> LocalStore:
    """A local results store whose index holds n synthetic results (record files are not written)."""
    store = LocalStore(root)
    frame = synthetic_index(n, np.random.default_rng(seed))
    store.commit([Put(ResultsRepo.index_path, ResultsRepo(store).encode_index(frame))], parent=None, message="seed")
    return store
