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
    "open_uploads",
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
        requests=HubStore(
            settings.requests_repo, api=api, cache_dir=settings.cache_dir, timeout_s=settings.hub_timeout_s
        ),
        results=HubStore(
            settings.results_repo, api=api, cache_dir=settings.cache_dir, timeout_s=settings.hub_timeout_s
        ),
    )


def open_uploads(settings: Settings) -> Store:
    """The vendor uploads' store (raw logs, full validation reports), never public: locally a folder beside
    the repos that the app does not serve; on the Hub a dataset created private, refused if it is public."""
    if settings.backend == "local":
        from core.store.local import LocalStore

        return LocalStore(settings.data_dir / "uploads")
    from core.settings import hub_api
    from core.store.hub import HubStore

    if not settings.uploads_repo:
        raise ValueError(
            "AIES_UPLOADS_REPO must be set when AIES_BACKEND is 'hub': vendor uploads go to a private repo"
        )
    store = HubStore(
        settings.uploads_repo, api=hub_api(settings), cache_dir=settings.cache_dir, timeout_s=settings.hub_timeout_s
    )
    if not store.is_private():
        raise StoreError(f"{settings.uploads_repo} is public: vendor logs go only to a private dataset repo")
    return store
