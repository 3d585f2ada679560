"""What one benchmark run is asked to do: the boundary between the worker and the engine.

Light (pydantic and the catalog only), so the worker, the CLI and the app can build specs without
importing the benchmark stack.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.catalog import TASKS, TaskId

# optimum-benchmark's task name for each catalog task (it picks the auto class and the preprocessing);
# the reference runner's configs name tasks the same way.
OB_TASKS: dict[TaskId, str] = {
    TaskId.TEXT_GENERATION: "text-generation",
    TaskId.SUMMARIZATION: "summarization",
    TaskId.EXTRACTIVE_QA: "question-answering",
    TaskId.TEXT_CLASSIFICATION: "text-classification",
    TaskId.SENTENCE_SIMILARITY: "sentence-similarity",
    TaskId.IMAGE_CLASSIFICATION: "image-classification",
    TaskId.OBJECT_DETECTION: "object-detection",
    TaskId.AUTOMATIC_SPEECH_RECOGNITION: "automatic-speech-recognition",
    TaskId.IMAGE_GENERATION: "text-to-image",
    TaskId.IMAGE_CAPTIONING: "image-to-text",
}


class RunSpec(BaseModel):
    """One model on one task. Standard settings come from the catalog; overrides exist for tests only
    and are recorded on the result, whose conformance check then fails (so it is never rated)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(min_length=1, description="A Hub model id, or a local folder with config.json.")
    task: TaskId
    revision: str | None = None
    device: Literal["cuda", "cpu"] = "cuda"
    dataset: str | None = Field(default=None, description="Local dataset folder; default: the task's Hub dataset.")
    dataset_copy_of: str | None = Field(
        default=None, description="The Hub dataset that `dataset` copies, as its operator says; recorded with a digest."
    )
    samples: int | None = Field(default=None, gt=0, description="Override of the catalog's samples (tests).")
    repetitions: int | None = Field(default=None, gt=0, description="Override of the catalog's repetitions (tests).")
    warmup_runs: int | None = Field(default=None, ge=0)
    trust_remote_code: bool = False
    timeout_s: float = Field(default=6 * 3600, gt=0, description="The whole run, loading included.")

    @property
    def effective_samples(self) -> int:
        return self.samples or TASKS[self.task].samples

    @property
    def effective_repetitions(self) -> int:
        return self.repetitions or TASKS[self.task].repetitions

    @property
    def effective_warmup_runs(self) -> int:
        return TASKS[self.task].warmup_runs if self.warmup_runs is None else self.warmup_runs

    @property
    def is_local_model(self) -> bool:
        return Path(self.model).is_dir()
