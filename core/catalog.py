"""The ten benchmark tasks of the AI Energy Score (methodology §1) and the text-generation size classes (§4).

This is the one place the standard settings live: the runner, the submission portal and the UI read
them from here, and nothing else restates them.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class TaskId(StrEnum):
    TEXT_GENERATION = "text_generation"
    SUMMARIZATION = "summarization"
    EXTRACTIVE_QA = "extractive_qa"
    TEXT_CLASSIFICATION = "text_classification"
    SENTENCE_SIMILARITY = "sentence_similarity"
    IMAGE_CLASSIFICATION = "image_classification"
    OBJECT_DETECTION = "object_detection"
    AUTOMATIC_SPEECH_RECOGNITION = "automatic_speech_recognition"
    IMAGE_GENERATION = "image_generation"
    IMAGE_CAPTIONING = "image_captioning"


class Phase(StrEnum):
    """A measured phase of one query. Model and dataset loading are never measured phases."""

    PREPROCESS = "preprocess"
    PREFILL = "prefill"
    DECODE = "decode"
    FORWARD = "forward"
    CALL = "call"


class Precision(StrEnum):
    FP32 = "float32"
    FP16 = "float16"
    BF16 = "bfloat16"


class SizeClass(StrEnum):
    """Text-generation size classes: each is rated only against its own members."""

    A = "A"
    B = "B"
    C = "C"


class GenerationSettings(BaseModel):
    """Generation arguments of a task; unset fields do not apply to it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_new_tokens: int | None = Field(default=None, gt=0)
    min_new_tokens: int | None = Field(default=None, gt=0)
    num_inference_steps: int | None = Field(default=None, gt=0)
    num_images_per_prompt: int | None = Field(default=None, gt=0)


class Task(BaseModel):
    """One benchmark task with its standard settings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: TaskId
    display_name: str
    about: str
    dataset: str = Field(description="Reference Hub dataset; the first `samples` non-empty train rows.")
    input_columns: tuple[str, ...]
    precision: Precision
    phases: tuple[Phase, ...] = Field(description="Measured phases; the score sums their GPU energy.")
    generation: GenerationSettings = GenerationSettings()
    samples: int = 1000
    batch_size: int = 1
    warmup_runs: int = 10
    repetitions: int = 10
    has_size_classes: bool = False


_TEXT_GEN_PHASES = (Phase.PREPROCESS, Phase.PREFILL, Phase.DECODE)
_FORWARD_PHASES = (Phase.PREPROCESS, Phase.FORWARD)

TASKS: dict[TaskId, Task] = {
    task.id: task
    for task in (
        Task(
            id=TaskId.TEXT_GENERATION,
            display_name="Text Generation",
            about="Continue a prompt: chat-style and encyclopedic text, 10 new tokens per query.",
            dataset="EnergyStarAI/text_generation",
            input_columns=("text",),
            precision=Precision.FP16,
            phases=_TEXT_GEN_PHASES,
            generation=GenerationSettings(max_new_tokens=10, min_new_tokens=10),
            has_size_classes=True,
        ),
        Task(
            id=TaskId.SUMMARIZATION,
            display_name="Summarization",
            about="Shorten news articles, dialogues and papers; 10 new tokens per query.",
            dataset="EnergyStarAI/summarization",
            input_columns=("text",),
            precision=Precision.FP32,
            phases=_TEXT_GEN_PHASES,
            generation=GenerationSettings(max_new_tokens=10, min_new_tokens=10),
        ),
        Task(
            id=TaskId.EXTRACTIVE_QA,
            display_name="Extractive Question Answering",
            about="Find the answer to a question as a span of a given passage.",
            dataset="EnergyStarAI/extractive_qa",
            input_columns=("question", "context"),
            precision=Precision.FP32,
            phases=_FORWARD_PHASES,
        ),
        Task(
            id=TaskId.TEXT_CLASSIFICATION,
            display_name="Binary Text Classification",
            about="Label a review or a tweet, for example as positive or negative.",
            dataset="EnergyStarAI/text_classification",
            input_columns=("text",),
            precision=Precision.FP32,
            phases=_FORWARD_PHASES,
        ),
        Task(
            id=TaskId.SENTENCE_SIMILARITY,
            display_name="Semantic Sentence Similarity",
            about="Score how close in meaning two sentences are.",
            dataset="EnergyStarAI/sentence_similarity",
            input_columns=("sentence1", "sentence2"),
            precision=Precision.FP32,
            phases=_FORWARD_PHASES,
        ),
        Task(
            id=TaskId.IMAGE_CLASSIFICATION,
            display_name="Image Classification",
            about="Say what an image shows, from a fixed set of classes.",
            dataset="EnergyStarAI/image_classification",
            input_columns=("image",),
            precision=Precision.FP32,
            phases=_FORWARD_PHASES,
        ),
        Task(
            id=TaskId.OBJECT_DETECTION,
            display_name="Object Detection",
            about="Find and box the objects in an image.",
            dataset="EnergyStarAI/object_detection",
            input_columns=("image",),
            precision=Precision.FP32,
            phases=_FORWARD_PHASES,
        ),
        Task(
            id=TaskId.AUTOMATIC_SPEECH_RECOGNITION,
            display_name="Speech-to-Text (ASR)",
            about="Transcribe spoken audio to text; 100 new tokens per query.",
            dataset="EnergyStarAI/ASR",
            input_columns=("audio",),
            precision=Precision.FP32,
            phases=_TEXT_GEN_PHASES,
            generation=GenerationSettings(max_new_tokens=100, min_new_tokens=100),
        ),
        Task(
            id=TaskId.IMAGE_GENERATION,
            display_name="Image Generation",
            about="Draw one image from a text prompt in 30 denoising steps.",
            dataset="EnergyStarAI/image_generation",
            input_columns=("prompt",),
            precision=Precision.FP32,
            phases=(Phase.PREPROCESS, Phase.CALL),
            generation=GenerationSettings(num_inference_steps=30, num_images_per_prompt=1),
        ),
        Task(
            id=TaskId.IMAGE_CAPTIONING,
            display_name="Image Captioning",
            about="Describe an image in words; 100 new tokens per query.",
            dataset="EnergyStarAI/image_captioning",
            input_columns=("image",),
            precision=Precision.FP32,
            phases=_TEXT_GEN_PHASES,
            generation=GenerationSettings(max_new_tokens=100, min_new_tokens=100),
        ),
    )
}

# Class limits in parameters: FP16 weights with 20 % overhead, M(GB) = 1.2 × P(billions), on a
# 24 GB consumer GPU (A) and an 80 GB H100 (B); anything larger needs several GPUs (C).
CLASS_A_MAX_PARAMETERS = 20_000_000_000
CLASS_B_MAX_PARAMETERS = 66_000_000_000

SIZE_CLASS_ABOUT: dict[SizeClass, str] = {
    SizeClass.A: "Up to 20 B parameters: fits one consumer GPU (24 GB).",
    SizeClass.B: "20 B to 66 B parameters: fits one cloud GPU (H100, 80 GB).",
    SizeClass.C: "Over 66 B parameters: needs several cloud GPUs.",
}


def size_class_for(parameters: int) -> SizeClass:
    """The text-generation size class of a model with this many parameters (limits inclusive)."""
    if parameters <= 0:
        raise ValueError(f"parameter count must be positive, got {parameters}")
    if parameters <= CLASS_A_MAX_PARAMETERS:
        return SizeClass.A
    if parameters <= CLASS_B_MAX_PARAMETERS:
        return SizeClass.B
    return SizeClass.C


def get_task(task_id: str) -> Task:
    """Look a task up by id, with an error that lists the valid ids."""
    try:
        return TASKS[TaskId(task_id)]
    except ValueError:
        valid = ", ".join(t.value for t in TaskId)
        raise ValueError(f"unknown task {task_id!r}; valid tasks: {valid}") from None
