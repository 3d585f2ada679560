"""One Settings object, read from the environment (prefix AIES_) or a dotenv-style settings file.

Built once at start-up and passed down; nothing reads settings at import time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from huggingface_hub import HfApi
from huggingface_hub.errors import XetDownloadError
from huggingface_hub.utils import HFValidationError, httpx, validate_repo_id
from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.hub_http import DEFAULT_TIMEOUT_S, set_default_timeout

# What the Hub client raises when the Hub fails or cannot be reached. huggingface_hub 1.x+ is built
# on httpx (`huggingface_hub.utils.httpx`, whatever its package is called): HfHubHTTPError and the
# transport errors (ConnectError, timeouts) are httpx.HTTPError, and the latter no longer OSError,
# as requests' were. OSError: a download offline with nothing cached (LocalEntryNotFoundError),
# HF_HUB_OFFLINE, hf_xet's upload errors, the disk. XetDownloadError: a failed Xet download.
HUB_FAILURES: tuple[type[Exception], ...] = (httpx.HTTPError, OSError, XetDownloadError)


class Settings(BaseSettings):
    """Where the data lives. `backend="local"` needs nothing; `"hub"` needs the two repo ids."""

    model_config = SettingsConfigDict(env_prefix="AIES_", extra="forbid", populate_by_name=True)

    backend: Literal["local", "hub"] = "local"
    data_dir: Path = Field(default=Path("data"), description="Local store: holds requests/ and results/.")
    requests_repo: str | None = Field(default=None, description="Hub dataset repo id of the requests.")
    results_repo: str | None = Field(default=None, description="Hub dataset repo id of the results.")
    uploads_repo: str | None = Field(
        default=None,
        description="Hub dataset repo id of the vendor uploads (raw logs, full reports): private, never public.",
    )
    hub_endpoint: str = "https://huggingface.co"
    hf_token: SecretStr | None = Field(default=None, validation_alias=AliasChoices("AIES_HF_TOKEN", "HF_TOKEN"))
    cache_dir: Path = Field(default=Path(".cache/aies"), description="Hub backend: download cache.")
    hub_timeout_s: float = Field(
        default=DEFAULT_TIMEOUT_S, gt=0, description="Seconds a Hub call may go without progress before it fails."
    )
    local_worker: bool = Field(default=True, description="Local store: run a benchmark worker beside the app.")
    worker_device: Literal["cpu", "cuda"] = Field(default="cpu", description="Device of the local worker.")
    public_url: str = Field(
        default="https://huggingface.co/spaces/AIEnergyScore/Leaderboard",
        description="Where readers find the leaderboard; printed on labels and in model-card snippets.",
    )
    app_url: str = Field(
        default="https://aienergyscore-leaderboard.hf.space",
        description="Where this app itself is served: the base of the label image links.",
    )
    require_login: bool = Field(
        default_factory=lambda: "SPACE_ID" in os.environ,
        description="Submitting needs a Hugging Face login; on by default on a Space, off locally.",
    )
    daily_submission_limit: int = Field(default=5, ge=1, description="Open-model submissions per user per 24 h.")
    vendor_archive_max_mb: float = Field(default=50.0, gt=0, description="Largest vendor log archive accepted.")
    daily_upload_limit: int = Field(default=5, ge=1, description="Vendor uploads stored per user per 24 h.")

    @property
    def models_dir(self) -> Path:
        """Local store: model folders by id (<models_dir>/<org>/<name>), benchmarked without the Hub."""
        return self.data_dir / "models"

    @model_validator(mode="after")
    def _hub_needs_repos(self) -> Settings:
        if self.backend == "hub":
            for name in ("requests_repo", "results_repo", "uploads_repo"):
                repo_id = getattr(self, name)
                if not repo_id and name == "uploads_repo":  # the app's alone: core.store.open_uploads asks for it
                    continue
                if not repo_id:
                    raise ValueError(f"AIES_{name.upper()} must be set when AIES_BACKEND is 'hub'")
                try:
                    validate_repo_id(repo_id)
                except HFValidationError as err:
                    raise ValueError(f"AIES_{name.upper()}={repo_id!r} is not a valid repo id: {err}") from None
                if "/" not in repo_id:
                    raise ValueError(f"AIES_{name.upper()}={repo_id!r} must be 'namespace/name'")
        return self


def hub_api(settings: Settings) -> HfApi:
    """The Hub client for model metadata and downloads (the token stays inside it); every call of the
    process gets the configured timeout."""
    set_default_timeout(settings.hub_timeout_s)
    token = settings.hf_token.get_secret_value() if settings.hf_token else None
    return HfApi(endpoint=settings.hub_endpoint, token=token)


def load_settings(settings_file: Path | None = None) -> Settings:
    """Settings from the environment, plus the dotenv file named here or by AIES_SETTINGS_FILE.

    Environment variables win over the file. A named file that does not exist is an error.
    """
    named = settings_file or os.environ.get("AIES_SETTINGS_FILE")
    if named is None:
        return Settings()
    path = Path(named)
    if not path.is_file():
        raise FileNotFoundError(f"settings file {path} does not exist")
    return Settings(_env_file=path)  # type: ignore[call-arg]
