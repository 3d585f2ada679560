import pytest

from core.catalog import TASKS, Phase, Precision, SizeClass, TaskId, get_task, size_class_for


def test_catalog_has_the_ten_tasks_of_the_methodology():
    assert set(TASKS) == set(TaskId)
    assert len(TASKS) == 10


@pytest.mark.parametrize("task", TASKS.values(), ids=lambda t: t.id.value)
def test_every_task_uses_the_standard_protocol(task):
    assert (task.samples, task.batch_size, task.repetitions) == (1000, 1, 10)
    assert task.warmup_runs > 0
    assert task.phases[0] is Phase.PREPROCESS
    assert task.input_columns
    assert task.dataset.startswith("EnergyStarAI/")


def test_task_specific_settings():
    text_gen = TASKS[TaskId.TEXT_GENERATION]
    assert text_gen.precision is Precision.FP16
    assert text_gen.phases == (Phase.PREPROCESS, Phase.PREFILL, Phase.DECODE)
    assert (text_gen.generation.max_new_tokens, text_gen.generation.min_new_tokens) == (10, 10)
    assert text_gen.has_size_classes
    assert [t.id for t in TASKS.values() if t.has_size_classes] == [TaskId.TEXT_GENERATION]
    assert TASKS[TaskId.IMAGE_GENERATION].phases == (Phase.PREPROCESS, Phase.CALL)
    assert TASKS[TaskId.IMAGE_GENERATION].generation.num_inference_steps == 30
    assert TASKS[TaskId.AUTOMATIC_SPEECH_RECOGNITION].generation.max_new_tokens == 100
    assert TASKS[TaskId.EXTRACTIVE_QA].input_columns == ("question", "context")
    assert all(t.precision is Precision.FP32 for t in TASKS.values() if t.id is not TaskId.TEXT_GENERATION)


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        (1, SizeClass.A),
        (7_000_000_000, SizeClass.A),
        (20_000_000_000, SizeClass.A),
        (20_000_000_001, SizeClass.B),
        (66_000_000_000, SizeClass.B),
        (66_000_000_001, SizeClass.C),
        (405_000_000_000, SizeClass.C),
    ],
)
def test_size_class_limits_are_inclusive(parameters, expected):
    assert size_class_for(parameters) is expected


@pytest.mark.parametrize("bad", [0, -5])
def test_size_class_rejects_non_positive_counts(bad):
    with pytest.raises(ValueError, match="must be positive"):
        size_class_for(bad)


def test_get_task_names_the_valid_ids():
    assert get_task("summarization").display_name == "Summarization"
    with pytest.raises(ValueError, match=r"unknown task 'translation'.*text_generation"):
        get_task("translation")
