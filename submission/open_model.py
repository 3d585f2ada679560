"""Checks an open-model submission before it is queued: the id, the model on the Hub (or in the local
models folder), its library and pipeline against the task, its parameter count and size class.

Every refusal is a `Refused` naming the form field and saying what to do, so the submitter can fix it
without asking. Light: huggingface_hub metadata calls only; the weights are never downloaded here.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Literal

from huggingface_hub import HfApi, get_hf_file_metadata, hf_hub_url
from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError, RevisionNotFoundError
from huggingface_hub.utils import HFValidationError, validate_repo_id
from pydantic import BaseModel, ConfigDict, Field

from core import hub_http
from core.catalog import TASKS, Precision, SizeClass, Task, TaskId, size_class_for
from core.markup import md_code, md_text
from core.models import CommitSha
from core.settings import HUB_FAILURES
from runner.params import count_safetensors_parameters

logger = logging.getLogger(__name__)

LIBRARIES = ("transformers", "sentence-transformers", "diffusers")
_REVISION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$")

# Hub pipeline tags that each task accepts; a model without a tag is judged by its architectures.
TASK_PIPELINES: dict[TaskId, frozenset[str]] = {
    TaskId.TEXT_GENERATION: frozenset({"text-generation"}),
    TaskId.SUMMARIZATION: frozenset({"summarization", "text2text-generation"}),
    TaskId.EXTRACTIVE_QA: frozenset({"question-answering"}),
    TaskId.TEXT_CLASSIFICATION: frozenset({"text-classification"}),
    TaskId.SENTENCE_SIMILARITY: frozenset({"sentence-similarity", "feature-extraction"}),
    TaskId.IMAGE_CLASSIFICATION: frozenset({"image-classification"}),
    TaskId.OBJECT_DETECTION: frozenset({"object-detection"}),
    TaskId.AUTOMATIC_SPEECH_RECOGNITION: frozenset({"automatic-speech-recognition"}),
    TaskId.IMAGE_GENERATION: frozenset({"text-to-image"}),
    TaskId.IMAGE_CAPTIONING: frozenset({"image-to-text", "image-text-to-text"}),
}
# Transformers class-name endings that load for each task (config.json `architectures`).
TASK_ARCHITECTURES: dict[TaskId, tuple[str, ...]] = {
    TaskId.TEXT_GENERATION: ("ForCausalLM", "LMHeadModel"),
    TaskId.SUMMARIZATION: ("ForConditionalGeneration", "ForSeq2SeqLM"),
    TaskId.EXTRACTIVE_QA: ("ForQuestionAnswering",),
    TaskId.TEXT_CLASSIFICATION: ("ForSequenceClassification",),
    TaskId.SENTENCE_SIMILARITY: ("Model",),
    TaskId.IMAGE_CLASSIFICATION: ("ForImageClassification",),
    TaskId.OBJECT_DETECTION: ("ForObjectDetection",),
    TaskId.AUTOMATIC_SPEECH_RECOGNITION: ("ForCTC", "ForSpeechSeq2Seq", "WhisperForConditionalGeneration"),
    TaskId.IMAGE_GENERATION: (),  # a diffusers pipeline, not a transformers architecture
    TaskId.IMAGE_CAPTIONING: ("ForConditionalGeneration", "VisionEncoderDecoderModel", "ForVision2Seq"),
}


class Refused(ValueError):
    """A submission that cannot be queued. `field` is the form field at fault (model, revision, task)."""

    def __init__(self, field: Literal["model", "revision", "task", "submitter"], message: str) -> None:
        super().__init__(message)
        self.field = field


class ModelFacts(BaseModel):
    """What the Hub (or the local folder) says about the model, at the resolved revision."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model_id: str = Field(description="The Hub's own id (`model_info(...).id`, its case), not the text typed.")
    revision: CommitSha | None = Field(description="The commit sha the revision resolved to; None for a local model.")
    location: Literal["hub", "local"]
    library: str | None
    pipeline_tag: str | None = None
    architectures: tuple[str, ...] = ()
    parameters: int | None = Field(default=None, gt=0, description="From the safetensors headers.")
    quantization: str | None = Field(default=None, description="config.json's quantization method, if quantized.")


def quantization_of(config: dict) -> str | None:
    """The quantization a Transformers config.json declares ("gptq", "awq", "bitsandbytes", ...), or None."""
    quantization = config.get("quantization_config")
    if not quantization:
        return None
    method = quantization.get("quant_method") if isinstance(quantization, dict) else None
    return str(method) if method else "unnamed"


class SubmissionPlan(BaseModel):
    """What will run if the submission is queued: shown to the submitter before they confirm."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: ModelFacts
    task: TaskId

    @property
    def standard(self) -> Task:
        return TASKS[self.task]

    @property
    def precision(self) -> Precision:
        return self.standard.precision

    @property
    def size_class(self) -> SizeClass | None:
        if not self.standard.has_size_classes or self.model.parameters is None:
            return None
        return size_class_for(self.model.parameters)

    def describe(self) -> str:
        """Markdown: the model, the revision, and the task's standard settings. What the Hub says about the
        model (its library and pipeline come from its own files) is shown literally."""
        task = self.standard
        revision = md_code(self.model.revision) if self.model.revision else "local folder"
        parameters = f"{self.model.parameters:,}" if self.model.parameters else "counted when it runs"
        library, pipeline = md_text(self.model.library or "unknown"), md_text(self.model.pipeline_tag or "from config")
        lines = [
            f"**{md_text(self.model.model_id)}** at {revision} on **{task.display_name}**",
            "",
            f"- Parameters: {parameters}" + (f" → size class **{self.size_class}**" if self.size_class else ""),
            f"- Library: {library}; pipeline: {pipeline}",
            f"- Precision: {self.precision.value}; batch size {task.batch_size}",
            f"- {task.samples:,} queries of `{task.dataset}`, {task.warmup_runs} warm-up runs, "
            f"{task.repetitions} measured repetitions",
            f"- Scored phases: {', '.join(phase.value for phase in task.phases)}",
        ]
        generation = task.generation.model_dump(exclude_none=True)
        if generation:
            lines.append("- Generation: " + ", ".join(f"{key} = {value}" for key, value in generation.items()))
        return "\n".join(lines)


_HUB_ADDRESS = re.compile(r"^(?:https?://)?(?:www\.)?(?:huggingface\.co|hf\.co)/(?P<path>[^?#]*)", re.IGNORECASE)


def check_model_id(text: str) -> str:
    """The id as typed, trimmed, if it is a valid Hub model id."""
    model_id = text.strip()
    if not model_id:
        raise Refused("model", "Enter a Hub model id, such as `openai-community/gpt2`.")
    try:
        validate_repo_id(model_id)
    except HFValidationError:
        raise Refused(
            "model",
            f"`{model_id}` is not a valid Hub model id: write it as `org/name`, with letters, digits, `-`, `_` and "
            "`.` only (no spaces, no `--` or `..`, at most 96 characters).",
        ) from None
    return model_id


def read_model_field(text: str, revision: str | None) -> tuple[str, str | None]:
    """The model id and revision from the form: a pasted model page address (`https://huggingface.co/org/name`,
    `.../tree/<revision>`) gives both; a dataset's or a Space's address is refused, not misread."""
    address = _HUB_ADDRESS.match(text.strip())
    if address is None:
        return check_model_id(text), check_revision(revision)
    parts = [part for part in address["path"].split("/") if part]
    if parts and parts[0] in ("datasets", "spaces"):
        kind = "a dataset" if parts[0] == "datasets" else "a Space"
        raise Refused("model", f"That is the address of {kind}, not of a model: paste a model's page or its id.")
    if len(parts) < 2:
        raise Refused("model", "That address names no model: paste a model's page, such as huggingface.co/org/name.")
    model_id = check_model_id("/".join(parts[:2]))
    typed = check_revision(revision)
    if len(parts) >= 4 and parts[2] in ("tree", "blob", "resolve"):
        pasted = check_revision(parts[3])
        if typed is not None and typed != pasted:
            raise Refused("revision", f"The address names revision `{pasted}`, the Revision field `{typed}`: keep one.")
        return model_id, pasted
    return model_id, typed


def check_revision(text: str | None) -> str | None:
    """None for the default branch; a branch, tag or commit sha otherwise."""
    revision = (text or "").strip()
    if not revision:
        return None
    if not _REVISION.match(revision) or ".." in revision:
        raise Refused("revision", f"`{revision}` is not a valid revision: use a branch, a tag or a commit sha.")
    return revision


def check_task(value: str | None) -> TaskId:
    if not value:
        raise Refused("task", "Choose a task.")
    try:
        return TaskId(value)
    except ValueError:
        valid = ", ".join(task.value for task in TaskId)
        raise Refused("task", f"Choose a task from the list: `{value}` is not one of {valid}.") from None


def hub_facts(api: HfApi, model_id: str, revision: str | None) -> ModelFacts:
    """Model metadata from the Hub at the revision, resolved to its commit sha."""
    try:
        info = api.model_info(model_id, revision=revision)
    except RevisionNotFoundError:
        raise Refused("revision", f"{model_id} has no revision `{revision}` on the Hub.") from None
    except GatedRepoError:
        raise Refused("model", _gated(model_id)) from None
    except RepositoryNotFoundError:
        raise Refused(
            "model",
            f"{model_id} was not found on the Hub. Check the spelling; a private model cannot be benchmarked "
            "(make it public first).",
        ) from None
    except HUB_FAILURES as err:  # the Hub failed, or could not be reached at all
        logger.warning("Hub lookup of %s failed: %s", model_id, hub_http.failure(err))
        raise Refused(
            "model", f"The Hub at {api.endpoint} could not be reached to check {model_id}; try again later."
        ) from None
    if info.private:
        raise Refused("model", f"{model_id} is private: make it public so the benchmark worker can download it.")
    if info.gated:
        _check_access(api, model_id, info.sha, [sibling.rfilename for sibling in info.siblings or ()])
    config = info.config or {}
    library = info.library_name or ("diffusers" if "diffusers" in config else "transformers" if config else None)
    safetensors = info.safetensors
    return ModelFacts(
        model_id=canonical_id(model_id, info.id),
        revision=info.sha,
        location="hub",
        library=library,
        pipeline_tag=info.pipeline_tag,
        architectures=tuple(config.get("architectures") or ()),
        parameters=safetensors.total if safetensors and safetensors.total else None,
        quantization=quantization_of(config),
    )


def canonical_id(typed: str, hub_id: str | None) -> str:
    """The Hub's own id for the model (its case, or the new name of a renamed repo): duplicate checks, rate
    limits and stored records compare it, so `Org/Model` and `org/model` are one model, not two requests."""
    if not hub_id:
        return typed
    try:
        return check_model_id(hub_id)
    except Refused:
        raise Refused("model", f"The Hub answered {typed} with an id that is not a valid model id.") from None


def _check_access(api: HfApi, model_id: str, sha: str, files: list[str]) -> None:
    """A gated model runs only if this deployment's token was granted access: try reading one of its files."""
    probe = "config.json" if "config.json" in files else next(iter(files), "config.json")
    url = hf_hub_url(model_id, probe, revision=sha, endpoint=api.endpoint)
    try:
        get_hf_file_metadata(url, token=api.token or False)
    except GatedRepoError:
        raise Refused("model", _gated(model_id)) from None
    except HUB_FAILURES as err:
        logger.warning("access check of gated %s failed: %s", model_id, hub_http.failure(err))
        raise Refused("model", f"Access to the gated {model_id} could not be checked; try again later.") from None


def _gated(model_id: str) -> str:
    return (
        f"{model_id} is gated and the benchmark worker has not been granted access to its files. Ask the "
        "maintainers to request access, or submit an ungated copy."
    )


def local_facts(folder: Path, model_id: str) -> ModelFacts:
    """Metadata of a model folder in the local store (the embedded loop's models)."""
    library, quantization = None, None
    architectures: tuple[str, ...] = ()
    if (folder / "model_index.json").is_file():
        library = "diffusers"
    elif (folder / "config.json").is_file():
        library = "transformers"
        try:
            config = json.loads((folder / "config.json").read_text())
        except (OSError, ValueError) as err:
            raise Refused("model", f"{model_id}: config.json cannot be read ({err}).") from None
        if isinstance(config, dict):
            architectures = tuple(config.get("architectures") or ())
            quantization = quantization_of(config)
    try:
        parameters = count_safetensors_parameters(folder)
    except (OSError, ValueError, KeyError) as err:
        raise Refused("model", f"{model_id}: its safetensors weights cannot be read ({err}).") from None
    return ModelFacts(
        model_id=model_id,
        revision=None,
        location="local",
        library=library,
        architectures=architectures,
        parameters=parameters or None,
        quantization=quantization,
    )


def check_fit(facts: ModelFacts, task: TaskId) -> None:
    """The model's library and pipeline (or architectures) suit the task; text generation needs a count."""
    name = TASKS[task].display_name
    if facts.library not in LIBRARIES:
        found = f"uses the `{facts.library}` library" if facts.library else "has no config.json or model_index.json"
        raise Refused(
            "model", f"{facts.model_id} {found}; the benchmark loads models with Transformers or Diffusers only."
        )
    if (facts.library == "diffusers") != (task is TaskId.IMAGE_GENERATION):
        expected = "a Diffusers pipeline" if task is TaskId.IMAGE_GENERATION else "a Transformers model"
        raise Refused("task", f"{name} needs {expected}; {facts.model_id} is a {facts.library} model.")
    if facts.pipeline_tag is not None:
        if facts.pipeline_tag not in TASK_PIPELINES[task]:
            accepted = ", ".join(sorted(TASK_PIPELINES[task]))
            raise Refused(
                "task",
                f"{facts.model_id} is a `{facts.pipeline_tag}` model on the Hub; {name} takes {accepted} models.",
            )
    elif TASK_ARCHITECTURES[task]:
        if not facts.architectures:
            raise Refused("model", f"{facts.model_id} names no architecture in config.json, so its task is unknown.")
        if not any(arch.endswith(TASK_ARCHITECTURES[task]) for arch in facts.architectures):
            accepted = ", ".join(f"*{suffix}" for suffix in TASK_ARCHITECTURES[task])
            raise Refused(
                "task",
                f"{facts.model_id} is a {', '.join(facts.architectures)}; {name} needs one of {accepted}.",
            )
    if facts.quantization is not None:
        raise Refused(
            "model",
            f"{facts.model_id} is a quantized checkpoint ({facts.quantization}); {name} is measured in "
            f"{TASKS[task].precision}, the same for every model. Submit the unquantized model. (Its parameter "
            "count would be wrong too: packed weights hide parameters.)",
        )
    if TASKS[task].has_size_classes and facts.parameters is None:
        raise Refused(
            "model",
            f"{facts.model_id} has no safetensors weights, so its parameter count (and size class) cannot be read "
            "before it runs; text generation needs it. Publish safetensors weights.",
        )


def plan_submission(
    model: str, revision: str | None, task: str | None, *, api: HfApi | None, models_dir: Path | None
) -> SubmissionPlan:
    """Check a submission form and say what would run; raises Refused with the first problem found.

    A model folder under `models_dir` (local store) is used as it is; anything else is looked up on the Hub.
    """
    model_id, revision = read_model_field(model, revision)
    task_id = check_task(task)
    local = models_dir / model_id if models_dir is not None else None
    if local is not None and local.is_dir():
        if revision is not None:
            raise Refused("revision", f"{model_id} is a local model folder: it has no revisions, leave it empty.")
        facts = local_facts(local, model_id)
    elif api is None:
        raise Refused("model", f"{model_id} is not in the local models folder and this app has no Hub access.")
    else:
        facts = hub_facts(api, model_id, revision)
    check_fit(facts, task_id)
    return SubmissionPlan(model=facts, task=task_id)
