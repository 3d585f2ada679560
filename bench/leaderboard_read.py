"""Read and rate the full leaderboard for 1,000 / 10,000 / 100,000 synthetic results (local store).

What a page view costs: open the results repo, read the index at the head, rate every population
live ("latest measurements"), and attach stars and band edges to every row. Run: python bench/leaderboard_read.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synthetic import synthetic_index
from core.releases import build_release, rated_results
from core.repos import ResultsRepo
from core.store import Put
from core.store.local import LocalStore
from tests.factories import T0


def main() -> None:
    rng = np.random.default_rng(0)
    print(f"{'results':>8} {'cold read+rate (s)':>19} {'warm rate (s)':>14} {'populations':>12} {'index MB':>9}")
    for n in (1_000, 10_000, 100_000):
        frame = synthetic_index(n, rng)
        with tempfile.TemporaryDirectory() as tmp:
            store = LocalStore(Path(tmp) / "results")
            writer = ResultsRepo(store)
            data = writer.encode_index(frame)
            store.commit([Put(writer.index_path, data)], parent=None, message="synthetic index")
            cold, warm = [], []
            for _ in range(5):
                start = time.perf_counter()
                repo = ResultsRepo(LocalStore(Path(tmp) / "results"))  # a fresh process: nothing cached
                results = repo.table().frame
                release = build_release("latest", results, cut_at=T0)
                rated = rated_results(results, release)
                cold.append(time.perf_counter() - start)
                start = time.perf_counter()
                results = repo.table().frame  # same head: cached
                rated = rated_results(results, build_release("latest", results, cut_at=T0))
                warm.append(time.perf_counter() - start)
            assert len(rated) == len(release.stars) > 0.9 * n
            print(
                f"{n:>8} {statistics.median(cold):>19.3f} {statistics.median(warm):>14.3f} "
                f"{len(release.populations):>12} {len(data) / 1e6:>9.2f}"
            )


if __name__ == "__main__":
    main()
