"""Queues checked submissions as requests: one per model, revision and task, within a per-user daily limit.

The duplicate and rate-limit checks run inside the commit that adds the request (`RequestsRepo.add`'s
guard), so fifty submissions at once cannot slip past either: on the local store writers queue on the
lock; on the Hub a lost compare-and-swap re-runs the checks against the new head.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd

from core.models import Request, RequestStatus, Source, StatusChange
from core.repos import RequestsRepo, new_record_id
from submission.open_model import Refused, SubmissionPlan

RATE_WINDOW = timedelta(days=1)
# A request in one of these states is the same benchmark; after FAILED the model may be submitted again.
_LIVE = (RequestStatus.PENDING.value, RequestStatus.RUNNING.value, RequestStatus.FINISHED.value)
ANONYMOUS = "anonymous"


class RateLimited(Refused):
    def __init__(self, submitter: str, limit: int, next_at: datetime) -> None:
        super().__init__(
            "submitter",
            f"{submitter} has made {limit} submissions in the last 24 hours, the daily limit; "
            f"the next one is allowed from {next_at:%Y-%m-%d %H:%M:%S} UTC.",
        )
        self.next_at = next_at


class _Duplicate(Exception):
    def __init__(self, request_id: str) -> None:
        self.request_id = request_id


@dataclass(frozen=True)
class Submitted:
    request: Request
    created: bool  # False: an identical live request already existed, and this is it

    def message(self) -> str:
        request = self.request
        if self.created:
            return f"Queued as request `{request.id}`: it is PENDING; follow it in the queue below."
        submitted = f"{request.submitted_at:%Y-%m-%d %H:%M} UTC"
        return (
            f"Already requested: `{request.id}` ({request.status.value}, submitted {submitted}) measures the same "
            "model, revision and task, so nothing new was queued."
        )


def _now() -> datetime:
    return datetime.now(UTC)


class SubmissionQueue:
    def __init__(self, requests: RequestsRepo, *, daily_limit: int, clock: Callable[[], datetime] = _now) -> None:
        self.requests = requests
        self.daily_limit = daily_limit
        self.clock = clock

    def submit(self, plan: SubmissionPlan, submitter: str) -> Submitted:
        """Queue the plan as a PENDING request, or return the live request that already measures it.

        Raises RateLimited when the submitter has used up the daily limit (a duplicate does not count).
        """
        submitter = submitter.strip() or ANONYMOUS
        now = self.clock()
        request = Request(
            id=new_record_id(now),
            model_id=plan.model.model_id,
            revision=plan.model.revision,
            task=plan.task,
            precision=plan.precision,
            submitter=submitter,
            source=Source.OPEN,
            history=(StatusChange(status=RequestStatus.PENDING, at=now),),
        )

        def guard(frame: pd.DataFrame) -> None:
            same = frame.loc[
                # The plan's id is the Hub's own; case-folded, it also meets requests stored before ids were
                # canonical (the Hub has no two models whose ids differ only in case).
                (frame["model_id"].str.casefold() == request.model_id.casefold())
                & (frame["task"] == request.task.value)
                & _same_revision(frame["revision"], request.revision)
                & frame["status"].isin(_LIVE)
            ]
            if len(same):
                raise _Duplicate(same.sort_values("submitted_at")["id"].iloc[0])
            mine = frame.loc[
                (frame["submitter"] == submitter) & (frame["submitted_at"] > pd.Timestamp(now - RATE_WINDOW))
            ]
            if len(mine) >= self.daily_limit:
                oldest = mine["submitted_at"].nsmallest(len(mine) - self.daily_limit + 1).iloc[-1]
                raise RateLimited(submitter, self.daily_limit, oldest.to_pydatetime() + RATE_WINDOW)

        try:
            self.requests.add(request, guard=guard)
        except _Duplicate as duplicate:
            return Submitted(self.requests.get(duplicate.request_id), created=False)
        return Submitted(request, created=True)


def _same_revision(column: pd.Series, revision: str | None) -> pd.Series:
    return column.isna() if revision is None else column == revision
