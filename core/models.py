"""The records the project stores: benchmark requests, results and releases.

Every record is validated on construction, so an invalid one cannot exist in memory. Derived
figures (the score, its spread, queries per Wh) are computed from the raw per-repetition values
and never stored beside them.
"""

from __future__ import annotations

import math
import statistics
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from huggingface_hub.utils import HFValidationError, validate_repo_id
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from core.catalog import TASKS, GenerationSettings, Phase, Precision, SizeClass, TaskId, size_class_for

EnergyKWh = Annotated[float, Field(ge=0, allow_inf_nan=False, description="Units: kWh, full precision.")]
Seconds = Annotated[float, Field(gt=0, allow_inf_nan=False, description="Units: s.")]
RecordId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")]
CommitSha = Annotated[str, Field(pattern=r"^[0-9a-f]{40}$")]

# The reference hardware (methodology §3, "NVIDIA H100 80GB"), as NVML names it: the SXM card. An H100 PCIe or
# NVL draws a different power envelope, so its results form populations of their own.
REFERENCE_GPU = "NVIDIA H100 80GB HBM3"
CPU_HARDWARE = "CPU"


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_model_id(model_id: str) -> str:
    """A Hub-style model id (`org/name` or `name`), which is also used as a safe path in the store."""
    try:
        validate_repo_id(model_id)
    except HFValidationError as err:
        raise ValueError(f"invalid model id {model_id!r}: {err}") from None
    return model_id


# --- Requests -------------------------------------------------------------------------------


class RequestStatus(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    FINISHED = "FINISHED"
    FAILED = "FAILED"


class Source(StrEnum):
    """Who produced the measurement: our runner on an open model, or a vendor's own run."""

    OPEN = "open"
    VENDOR = "vendor"


# A RUNNING request goes back to PENDING when its worker's lease expires.
_ALLOWED_TRANSITIONS: dict[RequestStatus, set[RequestStatus]] = {
    RequestStatus.PENDING: {RequestStatus.RUNNING, RequestStatus.FAILED},
    RequestStatus.RUNNING: {RequestStatus.FINISHED, RequestStatus.FAILED, RequestStatus.PENDING},
    RequestStatus.FINISHED: set(),
    RequestStatus.FAILED: set(),
}


class StatusChange(_Record):
    status: RequestStatus
    at: AwareDatetime


class Request(_Record):
    """One request to benchmark one model revision on one task; one file per request."""

    id: RecordId
    model_id: str
    revision: CommitSha | None = Field(default=None, description="Resolved commit sha; None for a local model.")
    task: TaskId
    precision: Precision
    submitter: str = Field(min_length=1, max_length=96)
    source: Source = Source.OPEN
    history: tuple[StatusChange, ...] = Field(min_length=1, description="Every status change, oldest first.")
    attempts: int = Field(default=0, ge=0)
    failure_reason: str | None = None
    log_excerpt: str | None = Field(default=None, max_length=20_000)
    result_id: RecordId | None = None
    worker_id: str | None = Field(default=None, description="The worker running it (RUNNING only).")
    lease_expires_at: AwareDatetime | None = Field(
        default=None, description="A RUNNING request whose lease expires goes back to PENDING: its worker died."
    )

    _check_model = field_validator("model_id")(_check_model_id)

    @model_validator(mode="after")
    def _consistent_history(self) -> Request:
        if self.history[0].status is not RequestStatus.PENDING:
            raise ValueError("history must start with PENDING")
        for before, after in zip(self.history, self.history[1:], strict=False):
            if after.status not in _ALLOWED_TRANSITIONS[before.status]:
                raise ValueError(f"history: {before.status} cannot change to {after.status}")
            if after.at < before.at:
                raise ValueError("history: status changes must be in time order")
        if self.status is RequestStatus.FAILED and not self.failure_reason:
            raise ValueError("failure_reason is required when the status is FAILED")
        if self.status is RequestStatus.FINISHED and not self.result_id:
            raise ValueError("result_id is required when the status is FINISHED")
        if (self.status is RequestStatus.RUNNING) != (self.lease_expires_at is not None and self.worker_id is not None):
            raise ValueError("worker_id and lease_expires_at are set exactly while the request is RUNNING")
        return self

    @property
    def status(self) -> RequestStatus:
        return self.history[-1].status

    @property
    def submitted_at(self) -> datetime:
        return self.history[0].at

    @property
    def updated_at(self) -> datetime:
        return self.history[-1].at

    def moved_to(self, status: RequestStatus, at: datetime, **changes: object) -> Request:
        """A copy in the new status; raises ValueError for a transition the queue does not allow."""
        if status not in _ALLOWED_TRANSITIONS[self.status]:
            raise ValueError(f"request {self.id}: {self.status} cannot change to {status}")
        if status is RequestStatus.RUNNING:
            changes.setdefault("attempts", self.attempts + 1)
        else:
            changes |= {"worker_id": None, "lease_expires_at": None}
        data = self.model_dump() | changes | {"history": [*self.history, StatusChange(status=status, at=at)]}
        return Request.model_validate(data)

    def with_lease(self, expires_at: datetime) -> Request:
        """The same RUNNING request with its lease extended (the worker's heartbeat)."""
        return Request.model_validate(self.model_dump() | {"lease_expires_at": expires_at})


# --- Results --------------------------------------------------------------------------------


class EnergySource(StrEnum):
    """How an energy figure was obtained."""

    COUNTER = "counter"  # a hardware energy counter (NVML total energy, RAPL)
    ESTIMATE = "estimate"  # a model of power × time (CodeCarbon's TDP or per-DIMM estimates)


class Hardware(_Record):
    gpu_name: str = Field(min_length=1, description="e.g. 'NVIDIA H100 80GB HBM3', or 'CPU' for a CPU-only run.")
    gpu_count: int = Field(ge=0)
    gpu_uuids: tuple[str, ...] = ()
    driver: str | None = None
    cuda: str | None = None
    cpu_name: str | None = None
    tdp_w: float | None = Field(default=None, gt=0, allow_inf_nan=False, description="GPUs' power limits, summed.")
    idle_power_w: float | None = Field(
        default=None, ge=0, allow_inf_nan=False, description="GPUs' power before the run: the idle baseline."
    )

    @model_validator(mode="after")
    def _cpu_means_no_gpu(self) -> Hardware:
        if (self.gpu_name == CPU_HARDWARE) != (self.gpu_count == 0):
            raise ValueError("gpu_count must be 0 exactly when gpu_name is 'CPU'")
        return self

    @property
    def is_reference(self) -> bool:
        return self.gpu_name == REFERENCE_GPU


class BenchmarkSettings(_Record):
    dataset: str = Field(min_length=1)
    dataset_revision: str | None = None
    samples: int = Field(gt=0)
    batch_size: int = Field(gt=0)
    precision: Precision
    generation: GenerationSettings = GenerationSettings()
    warmup_runs: int = Field(ge=0)
    repetitions: int = Field(gt=0)
    random_weights: bool = Field(description="Weights initialised at random (the reference's no_weights).")


class PhaseMeasurement(_Record):
    """One phase of one repetition, over all of its queries."""

    gpu_kwh: EnergyKWh
    cpu_kwh: EnergyKWh
    ram_kwh: EnergyKWh
    duration_s: Seconds
    queries: int = Field(gt=0)
    tokens: int | None = Field(default=None, ge=0)
    latency_p50_s: Seconds | None = None
    latency_p95_s: Seconds | None = None


class Repetition(_Record):
    phases: dict[Phase, PhaseMeasurement] = Field(min_length=1)


class EnergyMethods(_Record):
    gpu: EnergySource
    cpu: EnergySource
    ram: EnergySource


class ValidityCheck(_Record):
    name: str = Field(min_length=1)
    passed: bool
    detail: str = ""


class ReviewStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Attestation(_Record):
    """The vendor's three clauses (methodology §5); each must be agreed to."""

    public_data_sharing: Literal[True]
    data_integrity: Literal[True]
    model_representation: Literal[True]
    attested_by: str = Field(min_length=1)
    attested_at: AwareDatetime


class Result(_Record):
    """One benchmark of one model on one task: raw per-repetition, per-phase measurements."""

    id: RecordId
    request_id: RecordId | None = None
    model_id: str
    revision: CommitSha | None = None
    task: TaskId
    size_class: SizeClass | None = None
    parameters: int | None = Field(default=None, gt=0)
    hardware: Hardware
    software: dict[str, str] = Field(description="Package name → version.")
    settings: BenchmarkSettings
    repetitions: tuple[Repetition, ...] = Field(min_length=1)
    energy_methods: EnergyMethods
    checks: tuple[ValidityCheck, ...] = ()
    source: Source
    attestation: Attestation | None = None
    review: ReviewStatus = ReviewStatus.APPROVED
    review_note: str | None = Field(default=None, max_length=2000, description="The maintainer's reason.")
    reviewed_by: str | None = None
    reviewed_at: AwareDatetime | None = None
    validation: tuple[ValidityCheck, ...] = Field(
        default=(), description="A vendor upload's archive checks (the gates themselves are in `checks`)."
    )
    measured_at: AwareDatetime
    logs_path: str | None = Field(default=None, description="Folder of the raw logs in the results repo.")

    _check_model = field_validator("model_id")(_check_model_id)

    @field_validator("logs_path")
    @classmethod
    def _relative_logs_path(cls, value: str | None) -> str | None:
        if value is not None and (value.startswith("/") or ".." in value.split("/")):
            raise ValueError(f"logs_path must be a relative path inside the repo, got {value!r}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Result:
        task = TASKS[self.task]
        if task.has_size_classes:
            if self.size_class is None:
                raise ValueError(f"size_class is required for {self.task}")
            if self.parameters is not None and size_class_for(self.parameters) is not self.size_class:
                expected = size_class_for(self.parameters)
                raise ValueError(
                    f"size_class {self.size_class} does not match {self.parameters} parameters (class {expected})"
                )
        elif self.size_class is not None:
            raise ValueError(f"size_class applies only to text generation, not {self.task}")
        if len(self.repetitions) != self.settings.repetitions:
            raise ValueError(
                f"repetitions: {len(self.repetitions)} recorded but settings.repetitions is {self.settings.repetitions}"
            )
        expected_phases = set(task.phases)
        for index, repetition in enumerate(self.repetitions):
            if set(repetition.phases) != expected_phases:
                raise ValueError(
                    f"repetitions.{index}.phases: {self.task} measures {sorted(expected_phases)}, "
                    f"got {sorted(repetition.phases)}"
                )
            for phase, measurement in repetition.phases.items():
                if measurement.queries != self.settings.samples:
                    raise ValueError(
                        f"repetitions.{index}.phases.{phase}.queries: {measurement.queries} "
                        f"but settings.samples is {self.settings.samples}"
                    )
        if self.source is Source.VENDOR and self.attestation is None:
            raise ValueError("attestation is required for a vendor result")
        if self.source is Source.OPEN and self.review is not ReviewStatus.APPROVED:
            raise ValueError("review applies to vendor results only")
        return self

    # Derived figures: computed on demand, never stored.

    @property
    def provider(self) -> str:
        return self.model_id.split("/")[0] if "/" in self.model_id else ""

    @property
    def score_component(self) -> Literal["gpu", "cpu"]:
        """GPU energy is the score; a CPU-only run (the local loop) is scored on its CPU energy."""
        return "cpu" if self.hardware.gpu_count == 0 else "gpu"

    def energy_wh_per_1k(self, component: Literal["gpu", "cpu", "ram"]) -> tuple[float, ...]:
        """One value per repetition: the component's energy summed over the measured phases.

        Units: Wh per 1,000 queries.
        """
        scale = 1000.0 * 1000.0 / self.settings.samples  # kWh → Wh, then per 1,000 queries
        return tuple(
            math.fsum(getattr(m, f"{component}_kwh") for m in rep.phases.values()) * scale for rep in self.repetitions
        )

    @property
    def score_wh(self) -> float:
        """The rated figure: mean over repetitions of the score component. Units: Wh per 1,000 queries."""
        return statistics.fmean(self.energy_wh_per_1k(self.score_component))

    @property
    def score_std_wh(self) -> float | None:
        """Sample standard deviation over repetitions; None with a single repetition."""
        values = self.energy_wh_per_1k(self.score_component)
        return statistics.stdev(values) if len(values) > 1 else None

    @property
    def score_cv(self) -> float | None:
        std = self.score_std_wh
        return std / self.score_wh if std is not None and self.score_wh > 0 else None

    @property
    def duration_s(self) -> float:
        """Mean over repetitions of the measured phases' total duration. Units: s."""
        return statistics.fmean(math.fsum(m.duration_s for m in rep.phases.values()) for rep in self.repetitions)

    @property
    def throughput_qps(self) -> float:
        """Queries per second over the measured phases."""
        return self.settings.samples / self.duration_s

    @property
    def queries_per_wh(self) -> float | None:
        return 1000.0 / self.score_wh if self.score_wh > 0 else None

    @property
    def is_valid(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def is_rateable(self) -> bool:
        """Valid, approved (vendor results need review) and with a positive score."""
        return self.is_valid and self.review is ReviewStatus.APPROVED and self.score_wh > 0


# --- Releases -------------------------------------------------------------------------------


class PopulationKey(_Record):
    """Who is rated against whom: one task on one hardware (and one class, for text generation)."""

    task: TaskId
    hardware: str
    size_class: SizeClass | None = None

    def label(self) -> str:
        size_class = [f"class {self.size_class}"] if self.size_class else []
        return " / ".join([TASKS[self.task].display_name, self.hardware, *size_class])


class Population(_Record):
    key: PopulationKey
    band_edges_wh: tuple[float, float, float, float, float, float] | None = Field(
        description="Six edges of five equal-width bands over [min, max]; None when the range is zero."
    )
    result_ids: tuple[RecordId, ...] = Field(min_length=1)

    @property
    def rateable(self) -> bool:
        """False when the population's range is zero: everyone gets 3 stars, flagged."""
        return self.band_edges_wh is not None


class Release(_Record):
    """Frozen ratings: every population with its band edges, and every included result's stars."""

    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    cut_at: AwareDatetime
    populations: tuple[Population, ...]
    stars: dict[RecordId, Annotated[int, Field(ge=1, le=5)]]

    @model_validator(mode="after")
    def _every_member_rated_once(self) -> Release:
        members = [rid for population in self.populations for rid in population.result_ids]
        if len(members) != len(set(members)):
            raise ValueError("populations: a result belongs to more than one population")
        if set(members) != set(self.stars):
            raise ValueError("stars: must rate exactly the members of the populations")
        return self
