"""Maintainer review of vendor results: approve (it enters the next release) or reject (with a reason)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from core.catalog import TASKS, TaskId
from core.markup import one_line
from core.models import Result, ReviewStatus, Source
from core.repos import ResultsRepo
from leaderboard.tables import significant
from submission.vendor import FLAG


class ReviewError(ValueError):
    """A review that cannot be recorded; the message says why."""


def pending_reviews(results: ResultsRepo) -> pd.DataFrame:
    """Vendor results waiting for a maintainer, in upload order (a vendor result's id starts with its upload time),
    with who attested them and when, and what the upload checks flagged (a near-copy of a stored result)."""
    frame = results.table().frame
    waiting = frame.loc[(frame["source"] == Source.VENDOR.value) & (frame["review"] == ReviewStatus.PENDING.value)]
    columns = ["id", "model_id", "task", "hardware", "score_wh", "measured_at", "attested_by", "attested_at"]
    waiting = waiting.sort_values("id")[columns].reset_index(drop=True)
    flagged = {
        record.id: "; ".join(check.detail for check in record.validation if check.detail.startswith(FLAG))
        for record in results.load(frame.set_index("id").loc[waiting["id"], "path"]).records
    }
    return waiting.assign(flags=[flagged.get(result_id, "") for result_id in waiting["id"]])


def reviews_table(waiting: pd.DataFrame) -> pd.DataFrame:
    """The pending reviews as the portal shows them: display names, units, energy rounded for display."""
    return pd.DataFrame(
        {
            "Result": waiting["id"].to_numpy(),
            "Model": [one_line(model_id) for model_id in waiting["model_id"]],
            "Task": [TASKS[TaskId(task)].display_name for task in waiting["task"]],
            "Hardware": [one_line(hardware) for hardware in waiting["hardware"]],
            "Energy (Wh / 1k queries)": [significant(v) for v in waiting["score_wh"]],
            "Measured": waiting["measured_at"].dt.strftime("%Y-%m-%d %H:%M UTC").to_numpy(),
            "Attested by": [one_line(name or "") for name in waiting["attested_by"]],
            "Attested (UTC)": waiting["attested_at"].dt.strftime("%Y-%m-%d %H:%M").fillna("").to_numpy(),
            "Flags": [one_line(flag) for flag in waiting["flags"]],
        }
    )


def decide(
    results: ResultsRepo, result_id: str, *, approve: bool, reviewer: str, note: str | None, now: datetime
) -> Result:
    """Record the maintainer's decision on a pending vendor result; a rejection needs a reason."""
    current = results.get(result_id)
    if current.source is not Source.VENDOR:
        raise ReviewError(f"{result_id} is an open-model result: only vendor results are reviewed")
    if current.review is not ReviewStatus.PENDING:
        raise ReviewError(f"{result_id} was already {current.review.value} by {current.reviewed_by}")
    note = (note or "").strip() or None
    if not approve and note is None:
        raise ReviewError("say why the result is rejected: the vendor sees the reason")
    if not reviewer.strip():
        raise ReviewError("name the reviewer")
    decided = Result.model_validate(
        current.model_dump()
        | {
            "review": ReviewStatus.APPROVED if approve else ReviewStatus.REJECTED,
            "review_note": note,
            "reviewed_by": reviewer.strip(),
            "reviewed_at": now,
        }
    )
    results.replace(decided, expected=current)
    return decided
