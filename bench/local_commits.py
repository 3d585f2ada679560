"""Local store write throughput: commits per second with 1 and 4 concurrent writer processes.

Two workloads: a raw one-file commit, and adding one result through ResultsRepo (record file plus
the rewritten parquet index, in one compare-and-swap commit, retried on conflict). Each writer is a
separate process, as separate workers would be. Run: python bench/local_commits.py
"""

from __future__ import annotations

import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.repos import ResultsRepo
from core.store import Conflict, Put
from core.store.local import LocalStore
from tests.factories import make_result

DURATION_S = 5.0
SEED_RESULTS = 1_000  # the index already holds this many rows, so each add rewrites a realistic index


class CountingStore(LocalStore):
    """Counts the commits that lost a compare-and-swap race."""

    conflicts = 0

    def commit(self, operations, *, parent, message):
        try:
            return super().commit(operations, parent=parent, message=message)
        except Conflict:
            self.conflicts += 1
            raise


def _writer(root: str, workload: str, worker: int, deadline: float, out: mp.Queue) -> None:
    store = CountingStore(Path(root))
    repo = ResultsRepo(store)
    done = 0
    while time.perf_counter() < deadline:
        if workload == "raw":
            path = f"raw/{worker}/{done}.txt"
            store.transact(lambda path=path: [Put(path, b"x")], message="raw")
        else:
            repo.add(make_result(result_id=f"w{worker}-{done}", model_id=f"org/w{worker}-{done}"))
        done += 1
    out.put((done, store.conflicts))


def run(workload: str, writers: int) -> tuple[float, int, int]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "results"
        seed = ResultsRepo(LocalStore(root))
        seed.add(*[make_result(result_id=f"s{i}", model_id=f"org/s{i}") for i in range(SEED_RESULTS)])
        out: mp.Queue = mp.Queue()
        deadline = time.perf_counter() + DURATION_S
        procs = [mp.Process(target=_writer, args=(str(root), workload, w, deadline, out)) for w in range(writers)]
        for proc in procs:
            proc.start()
        counts = [out.get() for _ in procs]
        for proc in procs:
            proc.join()
        commits = sum(c for c, _ in counts)
        conflicts = sum(c for _, c in counts)
        if workload == "result":  # nothing lost: every add is in the index and on disk
            frame = ResultsRepo(LocalStore(root)).table().frame
            assert len(frame) == SEED_RESULTS + commits, (len(frame), commits)
        return commits / DURATION_S, commits, conflicts


def main() -> None:
    print(f"{'workload':<34} {'writers':>7} {'commits/s':>10} {'commits':>8} {'conflicts':>10}")
    for workload, label in (("raw", "raw one-file commit"), ("result", f"add a result (index of {SEED_RESULTS:,})")):
        for writers in (1, 4):
            rate, commits, conflicts = run(workload, writers)
            print(f"{label:<34} {writers:>7} {rate:>10.1f} {commits:>8} {conflicts:>10}")


if __name__ == "__main__":
    main()
