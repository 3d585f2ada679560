"""The Submit tab: open-model submissions with a preview of what will run, the queue, and vendor uploads.

The handlers are thin: checks live in open_model/queue/vendor, so what the browser shows is what the
tests of those modules assert. On a Space submitting needs a Hugging Face login; locally it is anonymous.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import gradio as gr
import pandas as pd
from gradio.context import LocalContext
from huggingface_hub import HfApi

from core.archive import ArchiveLimits
from core.catalog import TASKS
from core.markup import md_code, md_message, md_text, one_line, shown
from core.models import RequestStatus
from core.repos import RecordError, RequestsRepo, ResultsRepo
from core.settings import Settings
from core.store import NotFound, Store
from submission import vendor
from submission.open_model import Refused, plan_submission
from submission.queue import ANONYMOUS, SubmissionQueue
from submission.review import pending_reviews, reviews_table

logger = logging.getLogger(__name__)

ALL = "all"
QUEUE_COLUMNS = {
    "id": "Request",
    "model_id": "Model",
    "task": "Task",
    "status": "Status",
    "submitter": "Submitter",
    "submitted_at": "Submitted (UTC)",
    "updated_at": "Updated (UTC)",
    "attempts": "Attempts",
    "failure_reason": "Failure reason",
    "result_id": "Result",
}
SUBMIT_CONCURRENCY = 16
QUEUE_REFRESH_S = 10.0
LOGIN_NEEDED = "Log in with Hugging Face (button above) to submit: submissions are rate-limited per user."


@dataclass
class Portal:
    """What the tab works on: the repos, the Hub client, the settings and the private uploads store."""

    settings: Settings
    requests: RequestsRepo
    results: ResultsRepo
    hub: HfApi | None
    uploads: Store

    def plan(self, model: str, revision: str, task: str):
        models_dir = self.settings.models_dir if self.settings.backend == "local" else None
        return plan_submission(model, revision, task, api=self.hub, models_dir=models_dir)

    def queue(self) -> SubmissionQueue:
        return SubmissionQueue(self.requests, daily_limit=self.settings.daily_submission_limit)

    def submitter(self, profile: gr.OAuthProfile | None) -> str:
        if profile is not None:
            return profile.username
        if self.settings.require_login:
            raise Refused("submitter", LOGIN_NEEDED)
        return ANONYMOUS

    def memberships(self, profile: gr.OAuthProfile | None) -> frozenset[str] | None:
        """Whom a logged-in user may upload for: their account and their organisations (the OAuth profile's
        `orgs`); None where no login is required (locally: anything goes)."""
        if not self.settings.require_login:
            return None
        if profile is None:
            raise Refused("submitter", LOGIN_NEEDED)
        orgs = profile.get("orgs") or []
        names = {org.get("preferred_username") for org in orgs if isinstance(org, dict)}
        return frozenset({profile.username} | {name for name in names if isinstance(name, str) and name})


def queue_frame(frame: pd.DataFrame, *, submitter: str = "", status: str = ALL) -> pd.DataFrame:
    """The queue for display, newest first, optionally one submitter's and one status's."""
    rows = frame
    if submitter.strip():
        rows = rows.loc[rows["submitter"] == submitter.strip()]
    if status != ALL:
        rows = rows.loc[rows["status"] == status]
    rows = rows.sort_values(["submitted_at", "id"], ascending=False)[list(QUEUE_COLUMNS)].copy()
    rows["task"] = rows["task"].map(lambda task: TASKS[task].display_name)
    for column in ("model_id", "submitter", "failure_reason"):  # outside text: plain, one line, no paths
        rows[column] = rows[column].fillna("").map(one_line)
    for column in ("submitted_at", "updated_at"):
        rows[column] = rows[column].dt.strftime("%Y-%m-%d %H:%M:%S")
    return rows.rename(columns=QUEUE_COLUMNS).fillna("")


def request_details(requests: RequestsRepo, request_id: str) -> tuple[str, str]:
    """Markdown of one request's history and failure reason, and its log excerpt (plain text); every stored
    or typed text in them is shown literally."""
    try:
        request = requests.get(request_id.strip())
    except NotFound:
        return f"No request {md_code(request_id)}.", ""
    except RecordError as err:
        logger.error("unreadable request record: %s", err)
        return f"Request {md_code(request_id)} cannot be read right now; the maintainers have been told.", ""
    task = TASKS[request.task].display_name
    lines = [f"**{md_text(request.model_id)}** on {task}: **{request.status.value}**", ""]
    lines += [f"- {change.at:%Y-%m-%d %H:%M:%S} UTC: {change.status.value}" for change in request.history]
    if request.failure_reason:
        lines += ["", f"**Failure:** {md_text(request.failure_reason)}"]
    if request.result_id:
        lines += ["", f"Result {md_code(request.result_id)}: see the Leaderboard and Label tabs."]
    return "\n".join(lines), shown(request.log_excerpt or "")


def _safely(action: Callable[[], str]) -> str:
    """A refusal becomes its message on the page (plain text: it may quote a model's files); anything else is
    logged and reported, never a crash."""
    try:
        return action()
    except Refused as err:
        return f"❌ {md_message(err)}"
    except Exception:
        logger.exception("submission handler failed")
        return "❌ Something went wrong on our side. Check the queue below before trying again."


def build(tab: gr.Tab, portal: Portal) -> None:
    task_choices = [(task.display_name, task.id.value) for task in TASKS.values()]
    gr.Markdown(
        "Submit an open model from the Hugging Face Hub. It is benchmarked with the task's standard settings; "
        f"each user may submit {portal.settings.daily_submission_limit} models a day."
    )
    if portal.settings.require_login:
        gr.LoginButton()
    with gr.Row():
        model = gr.Textbox(label="Model id", placeholder="org/model", elem_id="submit-model", scale=3)
        revision = gr.Textbox(label="Revision (optional)", placeholder="main", elem_id="submit-revision", scale=2)
        task = gr.Dropdown(task_choices, value=None, label="Task", elem_id="submit-task", scale=2)
    with gr.Row():
        check_button = gr.Button("Check", elem_id="submit-check")
        submit_button = gr.Button("Submit", variant="primary", interactive=False, elem_id="submit-go")
    plan_text = gr.Markdown(elem_id="submit-plan")
    outcome = gr.Markdown(elem_id="submit-outcome")

    def check(model_id: str, rev: str, task_id: str | None):
        plan = None

        def describe() -> str:
            nonlocal plan
            plan = portal.plan(model_id, rev, task_id)
            return "This will run:\n\n" + plan.describe()

        text = _safely(describe)
        return text, gr.update(interactive=plan is not None)

    def submit(model_id: str, rev: str, task_id: str | None, profile: gr.OAuthProfile | None = None) -> str:
        def queue() -> str:
            submitted = portal.queue().submit(portal.plan(model_id, rev, task_id), portal.submitter(profile))
            return ("✅ " if submitted.created else "ℹ️ ") + md_message(submitted.message())

        return _safely(queue)

    check_button.click(check, [model, revision, task], [plan_text, submit_button], api_name="check")
    for field in (model, revision, task):  # what was checked is what gets submitted
        field.change(lambda: ("", gr.update(interactive=False)), None, [plan_text, submit_button], api_name=False)
    # Several at once: the queue's guard, not gradio's one-at-a-time default, keeps submissions exactly-once.
    submit_event = submit_button.click(
        submit, [model, revision, task], outcome, api_name="submit", concurrency_limit=SUBMIT_CONCURRENCY
    )

    gr.Markdown("### Queue")
    with gr.Row():
        who = gr.Textbox(label="Submitter", placeholder="everyone", elem_id="queue-submitter", scale=2)
        status = gr.Dropdown(
            [ALL, *(s.value for s in RequestStatus)], value=ALL, label="Status", elem_id="queue-status", scale=1
        )
        mine = gr.Button("My requests", scale=1)
        refresh = gr.Button("Refresh", elem_id="queue-refresh", scale=1)
    queue_table = gr.Dataframe(interactive=False, wrap=True, elem_id="queue-table")
    with gr.Row():
        request_id = gr.Textbox(label="Request id", elem_id="queue-request", scale=3)
        show = gr.Button("Show details", elem_id="queue-show", scale=1)
    details = gr.Markdown(elem_id="queue-details")
    log_excerpt = gr.Code(label="Log excerpt", language=None, elem_id="queue-log")

    def load_queue(submitter: str, wanted: str) -> pd.DataFrame:
        return queue_frame(portal.requests.table().frame, submitter=submitter or "", status=wanted)

    def my_name(profile: gr.OAuthProfile | None = None) -> str:
        return profile.username if profile is not None else ANONYMOUS

    for trigger in (tab.select, refresh.click, status.change, who.submit, submit_event.then):
        trigger(load_queue, [who, status], queue_table, api_name=False)

    # After a submission the queue follows its progress by itself, until nothing shown is in flight; it is
    # redrawn only when the requests changed, and the timer costs nothing before anyone submits.
    follow = gr.Timer(QUEUE_REFRESH_S, active=False)
    seen_head = gr.State(None)
    submit_event.then(lambda: gr.Timer(active=True), None, follow, api_name=False)

    def follow_queue(submitter: str, wanted: str, seen: str | None):
        table = portal.requests.table()
        if table.head == seen:
            return gr.skip(), seen, gr.skip()
        shown = queue_frame(table.frame, submitter=submitter or "", status=wanted)
        in_flight = shown["Status"].isin([RequestStatus.PENDING.value, RequestStatus.RUNNING.value]).any()
        return shown, table.head, gr.Timer(active=bool(in_flight))

    follow.tick(
        follow_queue, [who, status, seen_head], [queue_table, seen_head, follow], show_progress="hidden", api_name=False
    )
    mine.click(my_name, None, who, api_name=False).then(load_queue, [who, status], queue_table, api_name=False)
    show.click(
        lambda rid: request_details(portal.requests, rid), request_id, [details, log_excerpt], api_name=False
    ).then(load_queue, [who, status], queue_table, api_name=False)  # the table and the details agree

    _build_vendor_upload(tab, portal)


NOT_UPLOADED = "The archive must be uploaded through this page; choose the zip of your run folder again."


def _check_received(path: str | Path | None) -> None:
    """Refuse a path (or URL) that is not one of the files gradio's upload route received for this app."""
    if path is None:
        return
    blocks = LocalContext.blocks.get(None)
    uploads = blocks.upload_file_set if blocks is not None else set()
    if str(path) not in uploads or not Path(path).is_file():
        raise gr.Error(NOT_UPLOADED, print_exception=False)


def only_uploads(component: gr.File) -> gr.File:
    """This file component accepts only files gradio received through its upload route.

    An API call may name any path (or URL) in its payload, and gradio copies it into its cache before the
    handler runs: its own check (`processing_utils._check_allowed`) is off unless the app was started by
    `launch()`, and `gr.mount_gradio_app` never does. The component's copy step refuses, before anything is
    copied or read, every path that is not one of the app's own uploads (`Blocks.upload_file_set`). Wrapped
    on the instance: a subclass of a gradio component makes gradio write a `.pyi` file beside its module.
    """
    copy, async_copy = component.move_resource_to_block_cache, component.async_move_resource_to_block_cache

    def checked_copy(url_or_file_path: str | Path | None) -> str | None:
        _check_received(url_or_file_path)
        return copy(url_or_file_path)

    async def checked_async_copy(url_or_file_path: str | Path | None) -> str | None:
        _check_received(url_or_file_path)
        return await async_copy(url_or_file_path)

    component.move_resource_to_block_cache = checked_copy  # type: ignore[method-assign]
    component.async_move_resource_to_block_cache = checked_async_copy  # type: ignore[method-assign]
    return component


def _build_vendor_upload(tab: gr.Tab, portal: Portal) -> None:
    gr.Markdown(
        "### Vendor upload (proprietary models)\n"
        "Run the benchmark on your own H100 with `python -m runner run`, zip the run folder, and upload it with "
        "the attestation. It is validated completely before anything is stored, then reviewed by a maintainer."
    )
    vendor_model = gr.Textbox(label="Model name (provider/model)", elem_id="vendor-model")
    archive = only_uploads(
        gr.File(label="Run folder, zipped", file_types=[".zip"], type="filepath", elem_id="vendor-archive")
    )
    clauses = [
        gr.Checkbox(label=text.replace("**", ""), value=False, elem_id=f"vendor-{name}")
        for name, text in vendor.ATTESTATION_CLAUSES.items()
    ]
    upload = gr.Button("Upload", variant="primary", interactive=False, elem_id="vendor-upload")
    report = gr.Markdown(elem_id="vendor-report")
    gr.Markdown("#### Vendor results awaiting review")
    reviews = gr.Dataframe(interactive=False, elem_id="vendor-reviews")

    def all_ticked(*ticks: bool):
        return gr.update(interactive=all(ticks))

    for clause in clauses:
        clause.change(all_ticked, clauses, upload, api_name=False)

    def receive(
        model_id: str, path: str | None, tick1: bool, tick2: bool, tick3: bool, profile: gr.OAuthProfile | None = None
    ) -> str:
        def check_and_store() -> str:
            ticked = dict(zip(vendor.ATTESTATION_CLAUSES, (tick1, tick2, tick3), strict=True))
            attestation = vendor.attestation_for(portal.submitter(profile), ticked, datetime.now(UTC))
            if not path:
                raise Refused("model", "Choose the zip of your run folder first.")
            limits = ArchiveLimits(max_archive_bytes=int(portal.settings.vendor_archive_max_mb * 2**20))
            checked = vendor.receive(
                Path(path),
                model_id=model_id,
                attestation=attestation,
                results=portal.results,
                uploads=portal.uploads,
                daily_limit=portal.settings.daily_upload_limit,
                memberships=portal.memberships(profile),
                limits=limits,
            )
            return checked.markdown()

        return _safely(check_and_store)

    def load_reviews() -> pd.DataFrame:
        return reviews_table(pending_reviews(portal.results))

    upload.click(receive, [vendor_model, archive, *clauses], report, api_name="vendor_upload").then(
        load_reviews, None, reviews, api_name=False
    )
    tab.select(load_reviews, None, reviews, api_name=False)
