"""What a result measured, as comparable keys: the same logs once, by meaning, not by bytes.

Logs re-serialised, zipped again, padded with a decoy run folder, uploaded under another name, with their
repetitions renumbered, or with every number nudged far below any measurement's noise, are the same
measurements. Two keys are kept per result in the results index, so comparing an upload with every stored
result (open ones included) reads the index alone:

- `fingerprint`: a sha256 of the repetitions as an order-free multiset (each repetition one canonical row:
  per phase GPU, CPU and RAM energy, duration, queries, tokens; the rows sorted), values rounded to
  SIGNIFICANT_DIGITS. Equal fingerprints: the same logs, in any order.
- `measured_values`: the measured energies and durations (the counts left out: every run of a task has the
  same queries), rounded likewise, sorted. Two values within SAME_VALUE_REL_TOL are one measurement: an
  upload sharing all of its values with one stored result is a copy of it (refused); more than
  NEAR_COPY_SHARE of them, a near-copy (flagged); independent measurements share none.

Both keys start with FORMAT. A key in another format (an index written before this one) matches nothing:
`python -m leaderboard rebuild-index` recomputes every key from the records, and `shared_share` logs how
many stored results it could not compare until then. Change FORMAT whenever the keys' meaning changes.
"""

from __future__ import annotations

import hashlib
import json
import logging
from bisect import bisect_left
from collections.abc import Iterable

from core.models import Repetition, Result

logger = logging.getLogger(__name__)

FORMAT = "v2"  # v1 (no prefix): windows hashed in repetition order, values exact
# Values are compared at 9 significant digits and within one part in a million: a real measurement's noise
# is far above that (a window's duration jitters by milliseconds over seconds, an energy counter by joules
# over kilojoules: independent runs differ from the 3rd or 4th digit), while re-serialising, an ulp or a
# ×(1 + 1e-9) nudge stays far below it. Rounding alone would not do: a nudge can carry a value across a
# rounding edge, so values are matched within the tolerance, which is wider than the rounding.
SIGNIFICANT_DIGITS = 9
SAME_VALUE_REL_TOL = 1e-6
NEAR_COPY_SHARE = 0.5  # an upload sharing more than this share of its measured values with one result
_MEASURED = ("gpu_kwh", "cpu_kwh", "ram_kwh", "duration_s")


def _rounded(value: float) -> str:
    return f"{float(value) + 0.0:.{SIGNIFICANT_DIGITS - 1}e}"  # + 0.0: -0.0 is 0.0


def _row(repetition: Repetition) -> str:
    """One repetition, canonical: its phases in name order, each measured value rounded, then the counts."""
    phases = [
        [str(phase), *(_rounded(getattr(m, field)) for field in _MEASURED), m.queries, m.tokens]
        for phase, m in sorted(repetition.phases.items())
    ]
    return json.dumps(phases, separators=(",", ":"))


def fingerprint(result: Result) -> str:
    """The same repetitions in any order, whatever the file bytes: equal for a copy, different for any change."""
    rows = sorted(_row(repetition) for repetition in result.repetitions)
    canonical = json.dumps([result.task.value, *rows], separators=(",", ":"))
    return f"{FORMAT}:{hashlib.sha256(canonical.encode()).hexdigest()}"


def measured_values(result: Result) -> str:
    """FORMAT, then the distinct measured energies and durations (zeros left out), rounded, ascending."""
    values = {
        float(_rounded(getattr(m, field)))
        for repetition in result.repetitions
        for m in repetition.phases.values()
        for field in _MEASURED
        if getattr(m, field) != 0.0
    }
    return " ".join([FORMAT, *(_rounded(value) for value in sorted(values))])


def _parsed(values: str) -> list[float] | None:
    """The ascending values of a `measured_values` key, or None for a key in another format."""
    version, _, rest = values.partition(" ")
    return sorted(float(value) for value in rest.split()) if version == FORMAT else None


def _shared(mine: list[float], theirs: list[float]) -> int:
    """How many of `mine` equal one of the ascending `theirs`, within SAME_VALUE_REL_TOL."""
    count = 0
    for value in mine:
        slack = SAME_VALUE_REL_TOL * abs(value)
        at = bisect_left(theirs, value - slack)
        count += at < len(theirs) and theirs[at] <= value + slack
    return count


def shared_share(values: str, stored: Iterable[tuple[str, str]]) -> tuple[str, int, int] | None:
    """The stored result (id, values) sharing the most of `values`: (id, shared, total), or None if none does.
    `shared == total`: every measured value of the upload is one of that result's."""
    mine = _parsed(values)
    if mine is None:
        raise ValueError(f"not a {FORMAT} measured_values key")
    best: tuple[str, int, int] | None = None
    stale = 0
    for result_id, key in stored:
        theirs = _parsed(key or "")
        if theirs is None:
            stale += 1
            continue
        shared = _shared(mine, theirs)
        if shared and (best is None or shared > best[1]):
            best = (result_id, shared, len(mine))
    if stale:
        logger.warning(
            "%d stored results have no %s measured_values and were not compared; run "
            "`python -m leaderboard rebuild-index`",
            stale,
            FORMAT,
        )
    return best
