"""Valid records for tests, with every knob a test needs to make one specific value wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.catalog import TASKS, SizeClass, TaskId
from core.models import (
    Attestation,
    BenchmarkSettings,
    EnergyMethods,
    EnergySource,
    Hardware,
    PhaseMeasurement,
    Repetition,
    Request,
    RequestStatus,
    Result,
    ReviewStatus,
    Source,
    StatusChange,
    ValidityCheck,
)

H100 = Hardware(gpu_name="NVIDIA H100 80GB HBM3", gpu_count=1, driver="550.54.15", cuda="12.4")
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def result_dict(
    *,
    result_id: str = "r1",
    model_id: str = "org/model",
    task: TaskId = TaskId.TEXT_CLASSIFICATION,
    score_wh: float = 1.0,
    spread: float = 0.0,
    hardware: Hardware = H100,
    size_class: SizeClass | None = None,
    parameters: int | None = None,
    measured_at: datetime = T0,
    checks: tuple[ValidityCheck, ...] = (ValidityCheck(name="gpu_energy_positive", passed=True),),
    source: Source = Source.OPEN,
    review: ReviewStatus = ReviewStatus.APPROVED,
    repetitions: int = 10,
) -> dict:
    """A result whose score is exactly `score_wh` (Wh per 1,000 queries) on average.

    The score is split evenly over the task's phases; repetition i adds (i - mean) × spread.
    """
    spec = TASKS[task]
    samples = spec.samples
    if spec.has_size_classes and size_class is None:
        size_class = SizeClass.A
    reps = []
    for index in range(repetitions):
        rep_wh = score_wh + (index - (repetitions - 1) / 2) * spread
        phase_kwh = rep_wh / len(spec.phases) / 1000.0 * samples / 1000.0
        measurement = {"gpu_kwh": phase_kwh, "cpu_kwh": phase_kwh / 4, "ram_kwh": phase_kwh / 8}
        if hardware.gpu_count == 0:  # a CPU run: the score is CPU energy
            measurement = {"gpu_kwh": 0.0, "cpu_kwh": phase_kwh, "ram_kwh": phase_kwh / 8}
        reps.append(
            Repetition(
                phases={
                    phase: PhaseMeasurement(**measurement, duration_s=12.5, queries=samples) for phase in spec.phases
                }
            )
        )
    return dict(
        id=result_id,
        model_id=model_id,
        revision="a" * 40,
        task=task,
        size_class=size_class,
        parameters=parameters,
        hardware=hardware,
        software={"torch": "2.13.0", "optimum-benchmark": "0.6.0", "codecarbon": "3.3.2"},
        settings=BenchmarkSettings(
            dataset=spec.dataset,
            dataset_revision="b" * 40,
            samples=samples,
            batch_size=spec.batch_size,
            precision=spec.precision,
            generation=spec.generation,
            warmup_runs=spec.warmup_runs,
            repetitions=repetitions,
            random_weights=False,
        ),
        repetitions=tuple(reps),
        energy_methods=EnergyMethods(gpu=EnergySource.COUNTER, cpu=EnergySource.ESTIMATE, ram=EnergySource.ESTIMATE),
        checks=checks,
        source=source,
        attestation=(
            Attestation(
                public_data_sharing=True,
                data_integrity=True,
                model_representation=True,
                attested_by="vendor-user",
                attested_at=measured_at,
            )
            if source is Source.VENDOR
            else None
        ),
        review=review,
        measured_at=measured_at,
    )


def make_result(**kwargs) -> Result:
    return Result.model_validate(result_dict(**kwargs))


def make_request(
    *, request_id: str = "q1", model_id: str = "org/model", task: TaskId = TaskId.TEXT_CLASSIFICATION, at: datetime = T0
) -> Request:
    return Request(
        id=request_id,
        model_id=model_id,
        task=task,
        precision=TASKS[task].precision,
        submitter="alice",
        history=(StatusChange(status=RequestStatus.PENDING, at=at),),
    )


def later(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def standard_settings(task: TaskId, **changes) -> BenchmarkSettings:
    """The catalog's standard settings of a task, as a run records them; `changes` override fields."""
    spec = TASKS[task]
    values = dict(
        dataset=spec.dataset,
        dataset_revision="b" * 40,
        samples=spec.samples,
        batch_size=spec.batch_size,
        precision=spec.precision,
        generation=spec.generation,
        warmup_runs=spec.warmup_runs,
        repetitions=spec.repetitions,
        random_weights=False,
    )
    return BenchmarkSettings(**(values | changes))
