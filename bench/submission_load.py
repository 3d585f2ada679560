"""50 concurrent submissions through the app's own API (gradio_client → /submit) on the local store.

40 distinct models, 10 of them submitted twice at the same moment: every distinct model must be queued
exactly once, every duplicate answered with the existing request, none lost. Prints the counts and the
latencies. Run: python bench/submission_load.py
"""

from __future__ import annotations

import json
import os
import statistics
import struct
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gradio_client import Client

from core.repos import RequestsRepo
from core.settings import Settings
from core.store.local import LocalStore
from tests.app.conftest import Served

DISTINCT = 40
DUPLICATED = 10  # of the distinct models, submitted a second time in the same burst
CLIENTS = 10


def write_model(folder: Path) -> None:
    """A model folder the submission checks accept: config with an architecture and a safetensors header."""
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"architectures": ["BertForSequenceClassification"]}))
    header = json.dumps({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}).encode()
    (folder / "model.safetensors").write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 16)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        models = [f"load/model-{index:02d}" for index in range(DISTINCT)]
        for model_id in models:
            write_model(data_dir / "models" / model_id)
        settings = Settings(
            backend="local", data_dir=data_dir, cache_dir=data_dir / "cache", daily_submission_limit=1000
        )
        served = Served(data_dir, settings)
        try:
            clients = [Client(served.url, verbose=False) for _ in range(CLIENTS)]
            burst = models + models[:DUPLICATED]
            start = threading.Barrier(len(burst))

            def submit(index: int) -> tuple[str, float]:
                client = clients[index % CLIENTS]
                start.wait()
                began = time.perf_counter()
                answer = client.predict(burst[index], "", "text_classification", api_name="/submit")
                return answer, time.perf_counter() - began

            began = time.perf_counter()
            with ThreadPoolExecutor(max_workers=len(burst)) as pool:
                answers = list(pool.map(submit, range(len(burst))))
            wall = time.perf_counter() - began
        finally:
            served.close()

        frame = RequestsRepo(LocalStore(data_dir / "requests")).table().frame
        record_files = list((data_dir / "requests" / "records").rglob("*.json"))
        queued = sum("Queued as request" in text for text, _ in answers)
        existing = sum("Already requested" in text for text, _ in answers)
        other = [text for text, _ in answers if "Queued as request" not in text and "Already requested" not in text]
        latencies = sorted(seconds for _, seconds in answers)
        per_model = frame.groupby("model_id").size()

        print(f"submissions: {len(burst)} at once through /submit ({DISTINCT} models, {DUPLICATED} sent twice)")
        print(f"answers: {queued} queued, {existing} shown the existing request, {len(other)} other")
        print(f"stored: {len(frame)} requests in the index, {len(record_files)} record files")
        print(f"each model stored exactly once: {bool((per_model == 1).all()) and set(per_model.index) == set(models)}")
        print(f"wall time for the burst: {wall:.2f} s")
        print(
            f"latency per submission: median {statistics.median(latencies):.2f} s, "
            f"p95 {latencies[int(0.95 * (len(latencies) - 1))]:.2f} s, max {latencies[-1]:.2f} s"
        )
        ok = (queued, existing, len(frame), len(record_files), len(other)) == (
            DISTINCT,
            DUPLICATED,
            DISTINCT,
            DISTINCT,
            0,
        )
        if other:
            print("unexpected answers:", *other[:3], sep="\n  ")
        print("PASS" if ok else "FAIL")
        sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
