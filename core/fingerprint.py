"""What a result measured, as comparable keys: the same logs once, by meaning, not by bytes.

Logs re-serialised, zipped again, padded with a decoy run folder or uploaded under another name parse to
the same measured windows. Two keys are kept per result in the results index, so comparing an upload
with every stored result (open ones included) reads the index alone:

- `fingerprint`: a sha256 of every window in order (per repetition, per phase: GPU, CPU and RAM energy,
  duration, queries, tokens), floats in their shortest round-trip form. Equal fingerprints: the same logs.
- `measured_values`: one short hash per measured energy and duration, the counts left out (every run of a
  task has the same queries). Independent measurements share none of these at full precision; logs with
  a few numbers edited share nearly all of them with their source.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from core.models import Result

NEAR_COPY_SHARE = 0.5  # an upload sharing more than this share of its measured values with one result


def _windows(result: Result) -> list[list[object]]:
    rows: list[list[object]] = []
    for index, repetition in enumerate(result.repetitions):
        for phase in sorted(repetition.phases):
            m = repetition.phases[phase]
            energies = (repr(float(m.gpu_kwh)), repr(float(m.cpu_kwh)), repr(float(m.ram_kwh)))
            rows.append([index, str(phase), *energies, repr(float(m.duration_s)), m.queries, m.tokens])
    return rows


def fingerprint(result: Result) -> str:
    """The same windows, whatever the file bytes: equal for a copy, different for any change of a number."""
    canonical = json.dumps([result.task.value, *_windows(result)], separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def measured_values(result: Result) -> str:
    """The measured energies and durations (zeros left out), each as a 16-hex-digit hash, sorted, one string."""
    values = {
        hashlib.sha256(value.encode()).hexdigest()[:16]
        for row in _windows(result)
        for value in row[2:6]
        if float(value) != 0.0  # type: ignore[arg-type]
    }
    return " ".join(sorted(values))


def shared_share(values: str, stored: Iterable[tuple[str, str]]) -> tuple[str, int, int] | None:
    """The stored result (id, values) sharing the most of `values`: (id, shared, total), or None if none does."""
    mine = set(values.split())
    best: tuple[str, int, int] | None = None
    for result_id, theirs in stored:
        shared = len(mine & set((theirs or "").split()))
        if shared and (best is None or shared > best[1]):
            best = (result_id, shared, len(mine))
    return best
