"""Where a run's model and dataset are: local folders, with the name and revision each result records.

The runner works offline: a Hub id resolves to a snapshot already in the local Hugging Face cache, never a download.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import snapshot_download
from huggingface_hub.errors import LocalEntryNotFoundError
from huggingface_hub.utils import HFValidationError, validate_repo_id

from core.catalog import Task
from runner.engine import RunFailed
from runner.spec import RunSpec

_SHA = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class Resolved:
    """A model or dataset as a local folder, with the name and revision to record."""

    path: Path
    name: str
    revision: str | None


def local_model_id(folder: Path) -> str:
    """A Hub-style id for a local folder: `<parent>/<name>`, as the worker keeps models (<models_dir>/<org>/<name>)."""
    parts = [re.sub(r"[^\w.-]+", "-", p).strip("-.") or "local" for p in folder.resolve().parts[-2:]]
    candidate = "/".join(parts)
    try:
        validate_repo_id(candidate)
    except HFValidationError:
        return f"local/{parts[-1][:80]}"
    return candidate


def hub_snapshot(path: Path) -> tuple[str, str] | None:
    """(repo id, commit sha) of a Hugging Face cache snapshot folder (…/datasets--org--name/snapshots/<sha>)."""
    parts = path.parts
    if len(parts) < 3 or parts[-2] != "snapshots" or not _SHA.match(parts[-1]):
        return None
    kind, _, name = parts[-3].partition("--")
    if kind not in ("datasets", "models") or "--" not in name:
        return None
    return name.replace("--", "/", 1), parts[-1]


def folder_digest(folder: Path) -> str:
    """A content revision for a local dataset folder: sha256 over its files' relative paths and bytes."""
    digest = hashlib.sha256()
    for file in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
        digest.update(file.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(file.read_bytes())
    return f"sha256:{digest.hexdigest()}"


def _snapshot(repo_id: str, revision: str | None, repo_type: str) -> Path:
    try:
        return Path(snapshot_download(repo_id, revision=revision, repo_type=repo_type, local_files_only=True))
    except (LocalEntryNotFoundError, HFValidationError) as err:
        raise RunFailed(
            "load",
            f"{repo_type} {repo_id!r} (revision {revision or 'main'}) is not in the local Hugging Face cache: the "
            f"runner works offline, so download it first (huggingface-cli download --repo-type {repo_type} {repo_id})",
        ) from err


def resolve_model(spec: RunSpec) -> Resolved:
    if spec.is_local_model:
        path = Path(spec.model).resolve()
        hub = hub_snapshot(path)
        if hub is not None:  # downloaded from the Hub (by the worker or `run`): its id and commit
            return Resolved(path=path, name=hub[0], revision=hub[1])
        revision = spec.revision if spec.revision and _SHA.match(spec.revision) else None
        return Resolved(path=path, name=local_model_id(path), revision=revision)
    path = _snapshot(spec.model, spec.revision, "model")
    return Resolved(path=path, name=spec.model, revision=path.name)  # a snapshot folder is named by its commit


def resolve_dataset(spec: RunSpec, task: Task) -> Resolved:
    if spec.dataset is not None:
        path = Path(spec.dataset).resolve()
        if not path.is_dir():
            raise RunFailed("refused", f"dataset {spec.dataset!r} is not a folder: give a local dataset folder")
        hub = hub_snapshot(path)
        if hub is not None:  # the worker downloaded the Hub dataset: record its id and commit
            return Resolved(path=path, name=hub[0], revision=hub[1])
        return Resolved(path=path, name=spec.dataset_copy_of or spec.dataset, revision=folder_digest(path))
    path = _snapshot(task.dataset, None, "dataset")
    return Resolved(path=path, name=task.dataset, revision=path.name)
