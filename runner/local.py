"""The embedded loop: a worker thread beside the app, so submissions on the local store get measured.

The worker itself is light (the engine runs each benchmark in its own subprocess), so a thread of
the app's process is enough.
"""

from __future__ import annotations

import functools
import logging
import threading

from core.repos import RequestsRepo, ResultsRepo
from core.settings import Settings, hub_api
from core.store import open_stores
from runner.worker import Worker, WorkerConfig

logger = logging.getLogger(__name__)


def start_local_worker(settings: Settings, stop: threading.Event, *, poll_s: float = 5.0) -> threading.Thread:
    from runner.engine import run

    stores = open_stores(settings)
    config = WorkerConfig(
        worker_id="local",
        workdir=settings.data_dir / "runs",
        device=settings.worker_device,
        models_dir=settings.models_dir,
        cache_dir=settings.cache_dir / "models",
        datasets_dir=settings.data_dir / "datasets",
    )
    hub = hub_api(settings)
    execute = functools.partial(run, secrets=[hub.token] if isinstance(hub.token, str) else [])  # never in a log
    worker = Worker(RequestsRepo(stores.requests), ResultsRepo(stores.results), config, execute=execute, hub=hub)
    thread = threading.Thread(target=worker.loop, args=(stop,), kwargs={"poll_s": poll_s}, name="local-worker")
    thread.daemon = True
    thread.start()
    logger.info("local worker started on %s (device %s)", settings.data_dir, settings.worker_device)
    return thread
