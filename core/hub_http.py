"""A timeout on every HTTP call of huggingface_hub's shared client.

The client sets none on most API calls (`repo_info`, `list_repo_tree`, `create_commit`...): a Hub that
accepts a connection and never answers would hang the app or the worker for good. One request hook on the
shared client gives each request the timeout in force: the one of the `timeout(...)` block around the call
(a store's own), else the process default that `hub_api(settings)` sets. hf_xet's transfers (Rust, not this
client) keep their own timeouts.

The transport's DEBUG trace (logger "httpcore2") prints each answer's headers, which a server may fill with
the request's own, token included: it is kept at INFO, whatever the process's logging level.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from huggingface_hub import get_session, set_client_factory
from huggingface_hub.utils import httpx

DEFAULT_TIMEOUT_S = 30.0  # seconds without progress: connecting, or between two reads of an answer

_scoped: ContextVar[float | None] = ContextVar("hub_timeout_s", default=None)
_default: float | None = None
_installed = False
_lock = threading.Lock()


def _apply_timeout(request: httpx.Request) -> None:
    seconds = _scoped.get() or _default
    if seconds is not None:
        request.extensions["timeout"] = httpx.Timeout(seconds).as_dict()


def _install() -> None:
    """Once per process: the client's own hooks (offline mode, request ids), then ours, on every new client."""
    global _installed
    with _lock:
        if _installed:
            return
        hooks = list(get_session().event_hooks.get("request", []))

        def client() -> httpx.Client:
            return httpx.Client(event_hooks={"request": [*hooks, _apply_timeout]}, follow_redirects=True, timeout=None)

        set_client_factory(client)
        logging.getLogger("httpcore2").setLevel(logging.INFO)
        _installed = True


def set_default_timeout(seconds: float) -> None:
    """The timeout of every Hub call of this process made outside a `timeout` block."""
    global _default
    _install()
    _default = seconds


@contextmanager
def timeout(seconds: float) -> Iterator[None]:
    """Hub calls made in this block (in this thread) time out after `seconds` without progress."""
    _install()
    token = _scoped.set(seconds)
    try:
        yield
    finally:
        _scoped.reset(token)


def failure(err: BaseException) -> str:
    """What a Hub call's failure was, safe to show or log: the HTTP status or the exception's class. Never
    the error's text, which quotes the server's answer, and a server may echo the request's headers in it."""
    status = getattr(getattr(err, "response", None), "status_code", None)
    return f"HTTP {status}" if status else type(err).__name__
