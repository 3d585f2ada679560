"""Shared fixtures: both store backends (the Hub one against a real local HTTP server)."""

from __future__ import annotations

import os
import tempfile
import uuid

# Before anything imports huggingface_hub or gradio: no network, no telemetry. Uploads go through Xet,
# as in production (tests/hub_server.py speaks it); hf_xet's dedup cache (one folder per CAS URL, and
# each test server has its own) stays out of the home folder.
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_XET_TELEMETRY_ENABLED", "false")
os.environ.setdefault("HF_XET_CACHE", os.path.join(tempfile.gettempdir(), "aies-tests-xet-cache"))
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.pop("HF_TOKEN", None)

import pytest
from huggingface_hub import HfApi

from core.settings import Settings
from core.store import Store
from core.store.hub import HubStore
from core.store.local import LocalStore
from tests.hub_server import LocalHubServer

HUB_TOKEN = "hf_test_secret_token_0123456789"


@pytest.fixture(scope="session")
def hub_server():
    with LocalHubServer(token=HUB_TOKEN, user="tester") as server:
        yield server


@pytest.fixture
def hub_api(hub_server) -> HfApi:
    return HfApi(endpoint=hub_server.url, token=HUB_TOKEN)


def hub_settings(hub_server, tmp_path, name: str) -> Settings:
    """Settings of the production configuration: both repos on the (local) Hub."""
    return Settings(
        backend="hub",
        hub_endpoint=hub_server.url,
        requests_repo=f"tester/{name}-requests",
        results_repo=f"tester/{name}-results",
        uploads_repo=f"tester/{name}-uploads",
        hf_token=HUB_TOKEN,
        cache_dir=tmp_path / "cache",
    )


def make_hub_store(hub_server, tmp_path, name: str = "store") -> HubStore:
    api = HfApi(endpoint=hub_server.url, token=HUB_TOKEN)
    return HubStore(f"tester/{name}-{uuid.uuid4().hex[:8]}", api=api, cache_dir=tmp_path / "hub-cache")


@pytest.fixture(params=["local", "hub"])
def store(request, tmp_path) -> Store:
    """One empty repository, on each backend in turn."""
    if request.param == "local":
        return LocalStore(tmp_path / "repo")
    return make_hub_store(request.getfixturevalue("hub_server"), tmp_path)
