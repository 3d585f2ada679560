import json
import math

import pytest
from pydantic import ValidationError

from core.catalog import SizeClass, TaskId
from core.models import (
    Hardware,
    Request,
    RequestStatus,
    Result,
    ReviewStatus,
    Source,
    ValidityCheck,
)
from core.repos import RecordError, dump_record, parse_record
from tests.factories import H100, later, make_request, make_result, result_dict


def test_score_is_the_mean_gpu_energy_per_1000_queries_over_repetitions():
    result = make_result(score_wh=2.5, spread=0.1)
    per_rep = result.energy_wh_per_1k("gpu")
    assert len(per_rep) == 10
    assert per_rep[0] == pytest.approx(2.05)
    assert result.score_wh == pytest.approx(2.5)
    assert result.score_std_wh == pytest.approx(0.1 * math.sqrt(sum((i - 4.5) ** 2 for i in range(10)) / 9))
    assert result.score_cv == pytest.approx(result.score_std_wh / 2.5)
    assert result.queries_per_wh == pytest.approx(400.0)
    assert result.duration_s == pytest.approx(25.0)  # two phases of 12.5 s
    assert result.throughput_qps == pytest.approx(40.0)
    assert result.score_component == "gpu"


def test_score_normalises_by_samples():
    data = result_dict(score_wh=3.0)
    data["settings"] = data["settings"].model_copy(update={"samples": 500})
    data["repetitions"] = tuple(
        rep.model_copy(update={"phases": {p: m.model_copy(update={"queries": 500}) for p, m in rep.phases.items()}})
        for rep in data["repetitions"]
    )
    # same energy over half the queries: twice the energy per 1,000 queries
    assert Result.model_validate(data).score_wh == pytest.approx(6.0)


def test_cpu_run_is_scored_on_cpu_energy():
    result = make_result(hardware=Hardware(gpu_name="CPU", gpu_count=0), score_wh=4.0)
    assert result.score_component == "cpu"
    assert result.score_wh == pytest.approx(4.0)
    assert result.energy_wh_per_1k("gpu") == (0.0,) * 10


def test_derived_figures_are_not_stored():
    stored = make_result(score_wh=2.0).model_dump_json()
    for name in ("score_wh", "score_std_wh", "score_cv", "queries_per_wh"):
        assert name not in stored


def test_full_precision_survives_a_round_trip():
    data = result_dict()
    value = 0.00012345678901234567
    rep0 = data["repetitions"][0]
    phase = next(iter(rep0.phases))
    rep0.phases[phase] = rep0.phases[phase].model_copy(update={"gpu_kwh": value})
    record = Result.model_validate(data)
    again = parse_record(Result, dump_record(record), path="x.json")
    assert again.repetitions[0].phases[phase].gpu_kwh == value
    assert again == record


def _set_phase_value(field: str, value):
    def change(data):
        rep0 = data["repetitions"][0]
        phase = next(iter(rep0.phases))
        rep0.phases[phase] = rep0.phases[phase].model_copy(update={field: value})
        data["repetitions"] = (rep0.model_dump(), *data["repetitions"][1:])

    return change


def _update(**changes):
    return lambda data: data.update(changes)


def _drop(name):
    return lambda data: data.pop(name)


BAD_RESULTS = {
    "missing model_id": (_drop("model_id"), "model_id"),
    "NaN energy": (_set_phase_value("gpu_kwh", float("nan")), "gpu_kwh"),
    "infinite energy": (_set_phase_value("cpu_kwh", float("inf")), "cpu_kwh"),
    "negative energy": (_set_phase_value("gpu_kwh", -1e-6), "gpu_kwh"),
    "zero duration": (_set_phase_value("duration_s", 0.0), "duration_s"),
    "unknown task": (_update(task="translation"), "task"),
    "text generation without a class": (_update(task=TaskId.TEXT_GENERATION, size_class=None), "size_class"),
    "class that contradicts the parameter count": (
        _update(task=TaskId.TEXT_GENERATION, size_class=SizeClass.A, parameters=70_000_000_000),
        "size_class",
    ),
    "class on a task without classes": (_update(size_class=SizeClass.B), "size_class"),
    "wrong number of repetitions": (lambda d: d.update(repetitions=d["repetitions"][:3]), "repetitions"),
    "bad model id": (_update(model_id="../etc/passwd"), "model_id"),
    "bad revision": (_update(revision="main"), "revision"),
    "naive timestamp": (_update(measured_at="2026-11-01T00:00:00"), "measured_at"),
    "unknown field": (_update(score_wh=1.0), "score_wh"),
    "vendor result without attestation": (_update(source=Source.VENDOR), "attestation"),
    "absolute logs path": (_update(logs_path="/etc/passwd"), "logs_path"),
    "CPU hardware with a GPU count": (_update(hardware={"gpu_name": "CPU", "gpu_count": 1}), "gpu_count"),
}


@pytest.mark.parametrize("case", BAD_RESULTS, ids=list(BAD_RESULTS))
def test_bad_result_is_rejected_with_the_field_named(case):
    mutate, field = BAD_RESULTS[case]
    data = result_dict()
    mutate(data)
    with pytest.raises(ValidationError) as caught:
        Result.model_validate(data)
    assert field in str(caught.value)


def test_missing_phase_is_rejected():
    data = result_dict(task=TaskId.TEXT_GENERATION)
    rep = data["repetitions"][0].model_dump()
    del rep["phases"]["decode"]
    data["repetitions"] = (rep, *data["repetitions"][1:])
    with pytest.raises(ValidationError, match=r"repetitions.0.phases.*decode"):
        Result.model_validate(data)


def test_parse_record_names_the_file_and_field():
    data = make_result().model_dump(mode="json")
    data["repetitions"][2]["phases"]["forward"]["gpu_kwh"] = -1
    with pytest.raises(RecordError) as caught:
        parse_record(Result, json.dumps(data).encode(), path="records/org/model/x.json")
    message = str(caught.value)
    assert message.startswith("records/org/model/x.json: ")
    assert "repetitions.2.phases.forward.gpu_kwh" in message


def test_parse_record_rejects_non_json():
    with pytest.raises(RecordError, match=r"broken\.json"):
        parse_record(Result, b"{not json", path="broken.json")


def test_validity_and_rateability():
    assert make_result().is_rateable
    failed = make_result(checks=(ValidityCheck(name="cv_below_threshold", passed=False, detail="cv 0.2"),))
    assert not failed.is_valid and not failed.is_rateable
    pending_vendor = make_result(source=Source.VENDOR, review=ReviewStatus.PENDING)
    assert pending_vendor.is_valid and not pending_vendor.is_rateable
    assert make_result(source=Source.VENDOR).is_rateable
    assert not make_result(score_wh=0.0).is_rateable


def test_the_reference_hardware_is_the_h100_80gb_not_any_h100():
    assert H100.is_reference
    for other in ("NVIDIA H100 PCIe", "NVIDIA H100 NVL", "NVIDIA GH100 prototype"):
        assert not Hardware(gpu_name=other, gpu_count=1).is_reference


def test_open_result_cannot_be_under_review():
    with pytest.raises(ValidationError, match="review applies to vendor results only"):
        make_result(review=ReviewStatus.PENDING)


# Requests

LEASE = {"worker_id": "w1", "lease_expires_at": later(30)}


def test_request_lifecycle_records_each_change():
    request = make_request()
    assert request.status is RequestStatus.PENDING and request.attempts == 0
    running = request.moved_to(RequestStatus.RUNNING, later(1), **LEASE)
    assert running.attempts == 1
    requeued = running.moved_to(RequestStatus.PENDING, later(2))
    done = requeued.moved_to(RequestStatus.RUNNING, later(3), **LEASE).moved_to(
        RequestStatus.FINISHED, later(9), result_id="r1"
    )
    assert [c.status for c in done.history] == ["PENDING", "RUNNING", "PENDING", "RUNNING", "FINISHED"]
    assert done.attempts == 2
    assert done.submitted_at == request.submitted_at
    assert done.updated_at == later(9)
    assert (done.worker_id, done.lease_expires_at) == (None, None)
    assert running.with_lease(later(60)).lease_expires_at == later(60)


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([("FINISHED", {"result_id": "r1"})], "PENDING cannot change to FINISHED"),
        ([("RUNNING", LEASE), ("FAILED", {})], "failure_reason is required"),
        ([("RUNNING", LEASE), ("FINISHED", {})], "result_id is required"),
        ([("RUNNING", LEASE), ("FAILED", {"failure_reason": "OOM"}), ("PENDING", {})], "FAILED cannot change"),
        ([("RUNNING", {})], "worker_id and lease_expires_at are set exactly while"),
    ],
)
def test_request_rejects_bad_transitions(steps, message):
    request = make_request()
    with pytest.raises(ValueError, match=message):
        for minute, (status, changes) in enumerate(steps, start=1):
            request = request.moved_to(RequestStatus(status), later(minute), **changes)


def test_request_history_must_be_in_time_order():
    data = make_request().moved_to(RequestStatus.RUNNING, later(5), **LEASE).model_dump()
    data["history"][1]["at"] = later(-5)
    with pytest.raises(ValidationError, match="time order"):
        Request.model_validate(data)


def test_request_rejects_bad_model_id():
    with pytest.raises(ValidationError, match="model_id"):
        make_request(model_id="not a/valid//id")
