"""Storage backends behind one interface; `open_stores` picks one from the settings."""

from __future__ import annotations

from dataclasses import dataclass

from core.settings import Settings
from core.store.base import Conflict, Delete, NotFound, Operation, Put, Store, StoreError

__all__ = [
    "Conflict",
    "Delete",
    "NotFound",
    "Operation",
    "Put",
    "Store",
    "StoreError",
    "Stores",
    "open_stores",
]


@dataclass(frozen=True)
class Stores:
    """The two repositories of the project, as on the Hub."""

    requests: Store
    results: Store


def open_stores(settings: Settings) -> Stores:
    if settings.backend == "local":
        from core.store.local import LocalStore

        return Stores(
            requests=LocalStore(settings.data_dir / "requests"), results=LocalStore(settings.data_dir / "results")
        )
    from core.settings import hub_api
    from core.store.hub import HubStore

    api = hub_api(settings)
    assert settings.requests_repo and settings.results_repo  # checked by Settings
    return Stores(
        requests=HubStore(settings.requests_repo, api=api, cache_dir=settings.cache_dir),
        results=HubStore(settings.results_repo, api=api, cache_dir=settings.cache_dir),
    )
