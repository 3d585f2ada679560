"""Vendor log archives: a good one is stored for review; each bad one is refused with its own message and
nothing is written. Then the maintainer's review."""

from __future__ import annotations

import json
import math
import re
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.archive import ArchiveLimits
from core.catalog import TaskId
from core.models import ReviewStatus, Source
from core.repos import ResultsRepo
from core.store import Put
from core.store.local import LocalStore
from submission import vendor
from submission.open_model import Refused
from submission.review import ReviewError, decide, pending_reviews, reviews_table
from tests.factories import T0, later
from tests.submission import run_logs

ALL_TICKED = dict.fromkeys(vendor.ATTESTATION_CLAUSES, True)


@pytest.fixture
def results(tmp_path) -> ResultsRepo:
    return ResultsRepo(LocalStore(tmp_path / "results"))


@pytest.fixture
def uploads(tmp_path) -> LocalStore:
    return LocalStore(tmp_path / "uploads")


def attestation():
    return vendor.attestation_for("acme-admin", ALL_TICKED, T0)


def good_folder(tmp_path: Path, task: TaskId = TaskId.TEXT_CLASSIFICATION, **window_options) -> Path:
    raw = run_logs.windows(task, **window_options)
    return run_logs.write_run(tmp_path / f"run-{task.value}", task, raw_windows=raw)


def upload(
    results: ResultsRepo,
    archive: Path,
    *,
    limits: ArchiveLimits | None = None,
    uploads: LocalStore | None = None,
    model_id: str = "acme/secret-model",
    daily_limit: int = 100,
    by: str = "acme-admin",
    at: datetime = T0,
) -> vendor.VendorReport:
    """Validate, compare and, if accepted, store: what the Submit tab does."""
    return vendor.receive(
        archive,
        model_id=model_id,
        attestation=vendor.attestation_for(by, ALL_TICKED, at),
        results=results,
        uploads=uploads or LocalStore(archive.parent / "uploads-of-test"),
        daily_limit=daily_limit,
        limits=limits or ArchiveLimits(),
        clock=lambda: at,
    )


def test_a_good_archive_is_stored_pending_review_with_its_zip_and_report_kept_private(
    tmp_path, results, uploads
) -> None:
    archive = run_logs.zip_folder(good_folder(tmp_path), tmp_path / "good.zip")
    report = upload(results, archive, uploads=uploads)
    assert report.accepted, report.failures()
    stored = results.get(report.result.id)
    assert stored.source is Source.VENDOR and stored.review is ReviewStatus.PENDING
    assert stored.model_id == "acme/secret-model" and stored.attestation.attested_by == "acme-admin"
    assert stored.is_valid and not stored.is_rateable  # valid, but not rated before a maintainer approves it
    assert [check.name for check in stored.validation][:3] == ["archive_safe", "run_folder", "hardware"]
    folder = vendor.uploads_folder(stored.id)  # the raw logs and the full report: private, in the uploads store
    assert uploads.read(f"{folder}/archive.zip") == archive.read_bytes()
    saved = json.loads(uploads.read(f"{folder}/validation.json"))
    assert saved["archive_sha256"] == report.archive_sha256 and all(c["passed"] for c in saved["checks"])
    assert saved["result"]["id"] == stored.id
    # The public results repo holds the result and the index, never the upload.
    assert stored.logs_path is None
    assert all(path.startswith(("records/", "index/")) for path in results.store.list())
    assert "Accepted" in report.markdown() and stored.id in report.markdown()
    assert list(pending_reviews(results)["id"]) == [stored.id]
    shown = reviews_table(pending_reviews(results)).iloc[0]
    assert (shown["Model"], shown["Task"], shown["Result"]) == (
        "acme/secret-model",
        "Binary Text Classification",
        stored.id,
    )


def test_an_h100_other_than_the_reference_is_accepted_as_its_own_hardware(tmp_path, results) -> None:
    members = _on_gpu("NVIDIA H100 PCIe", 350.0)(_good_members(tmp_path))
    report = upload(results, _zip(tmp_path / "pcie.zip", members))
    assert report.accepted, report.failures()
    hardware = {check.name: check.detail for check in report.result.validation}["hardware"]
    assert "NVIDIA H100 PCIe: an H100 other than the reference NVIDIA H100 80GB HBM3" in hardware
    assert not report.result.hardware.is_reference


def _stored_open_result(tmp_path: Path, results: ResultsRepo) -> tuple[str, Path]:
    """A published open result as the worker stores it: the result, and its run folder as logs.zip."""
    from runner.validate import check_root

    folder = good_folder(tmp_path / "open")
    opened = check_root(folder, "run").result
    opened = opened.model_copy(update={"id": "q1-a1", "model_id": "org/open-model", "logs_path": "logs/q1-a1"})
    logs = run_logs.zip_folder(folder, tmp_path / "logs.zip", prefix="")
    results.add(opened, extra=[Put("logs/q1-a1/logs.zip", logs.read_bytes())])
    return opened.id, logs


def _same_logs_variants(tmp_path: Path) -> dict[str, Path]:
    """The same measured windows, in other bytes."""
    members = _good_members(tmp_path / "variants")
    variants = {"the same zip again": None}
    variants["zipped again under another name"] = _zip(
        tmp_path / "renamed.zip", {name.replace("run/", "other-name/"): data for name, data in members.items()}
    )
    reserialised = {
        name: json.dumps(json.loads(data), indent=4, sort_keys=True).encode() if name.endswith(".json") else data
        for name, data in members.items()
    }
    assert reserialised != members
    variants["measurements.json re-serialised"] = _zip(tmp_path / "reserialised.zip", reserialised)
    decoy = {name.replace("run/", "decoy/"): data for name, data in members.items() if name.endswith("s.json")}
    decoy = {name: data.replace(b"0", b"1") for name, data in decoy.items()}  # another run's numbers
    variants["with a decoy second run folder"] = _zip(tmp_path / "decoy.zip", members | decoy)
    return variants


def test_the_same_logs_are_stored_once_by_meaning_not_bytes(tmp_path, results, uploads) -> None:
    archive = run_logs.zip_folder(good_folder(tmp_path), tmp_path / "good.zip")
    first = upload(results, archive, uploads=uploads)
    head, uploaded = results.store.head(), uploads.head()
    for how, variant in _same_logs_variants(tmp_path).items():
        report = upload(results, variant or archive, uploads=uploads)
        assert not report.accepted, how
        assert f"logs_unique: these logs are already stored: they measure exactly what result {first.result.id}" in (
            " ".join(report.failures())
        ), (how, report.failures())
        assert "nothing was stored" in report.markdown()
    assert results.store.head() == head and uploads.head() == uploaded and len(results.table().frame) == 1


def test_a_published_open_results_own_logs_are_not_a_vendor_result(tmp_path, results, uploads) -> None:
    open_id, logs = _stored_open_result(tmp_path, results)
    head = results.store.head()
    report = upload(results, logs, uploads=uploads)
    assert not report.accepted
    assert f"they measure exactly what result {open_id} measured" in " ".join(report.failures())
    assert results.store.head() == head and uploads.head() is None


def test_a_copy_with_one_number_changed_is_flagged_for_the_reviewer(tmp_path, results, uploads) -> None:
    task = TaskId.TEXT_CLASSIFICATION
    first = upload(results, run_logs.zip_folder(good_folder(tmp_path), tmp_path / "good.zip"), uploads=uploads)
    edited = run_logs.windows(task)
    forward = next(window for window in edited if window["target"] == "forward")
    forward["gpu_kwh"] *= 1.0001
    forward["codecarbon_gpu_kwh"] *= 1.0001
    folder = run_logs.write_run(tmp_path / "edited", task, raw_windows=edited)
    report = upload(results, run_logs.zip_folder(folder, tmp_path / "edited.zip"), uploads=uploads)
    assert report.accepted, report.failures()
    unique = {check.name: check.detail for check in report.result.validation}["logs_unique"]
    assert unique.startswith(vendor.FLAG) and f"equal those of result {first.result.id}" in unique
    waiting = pending_reviews(results).set_index("id")
    assert waiting.loc[report.result.id, "flags"] == unique and waiting.loc[first.result.id, "flags"] == ""
    shown = reviews_table(pending_reviews(results))
    assert sorted(shown["Flags"]) == ["", unique]  # both uploaded at T0: ids sort by their random part


def test_an_independent_measurement_is_not_flagged(tmp_path, results, uploads) -> None:
    upload(results, run_logs.zip_folder(good_folder(tmp_path), tmp_path / "good.zip"), uploads=uploads)
    other = good_folder(tmp_path / "other", power_w=310.0, seconds=21.0)
    report = upload(results, run_logs.zip_folder(other, tmp_path / "other.zip"), uploads=uploads)
    assert report.accepted, report.failures()
    unique = {check.name: check.detail for check in report.result.validation}["logs_unique"]
    assert unique == "no stored result measured the same windows"


def _swap_repetitions_1_and_3(raw: list[dict]) -> None:
    for window in raw:
        window["repetition"] = {1: 3, 3: 1}.get(window["repetition"], window["repetition"])


def _each_float(change: Callable[[float], float]) -> Callable[[list[dict]], None]:
    def edit(raw: list[dict]) -> None:
        for window in raw:
            for key in ("duration_s", "gpu_kwh", "cpu_kwh", "ram_kwh", "codecarbon_gpu_kwh"):
                window[key] = change(window[key])

    return edit


STORED_LOGS_DISGUISED = {
    "repetitions 1 and 3 swapped": _swap_repetitions_1_and_3,
    "every float 1 ulp up": _each_float(lambda value: math.nextafter(value, math.inf)),
    "every float × (1 + 1e-9)": _each_float(lambda value: value * (1 + 1e-9)),
}


@pytest.mark.parametrize("how", STORED_LOGS_DISGUISED)
def test_stored_logs_reordered_or_nudged_are_refused(tmp_path, results, uploads, how) -> None:
    """Raw files and summary rewritten consistently (the gates pass), but the same measurements: refused,
    at upload and again by the guard inside the commit."""
    task = TaskId.TEXT_CLASSIFICATION
    first = upload(results, run_logs.zip_folder(good_folder(tmp_path), tmp_path / "good.zip"), uploads=uploads)
    raw = run_logs.windows(task)
    STORED_LOGS_DISGUISED[how](raw)
    archive = run_logs.zip_folder(run_logs.write_run(tmp_path / "copy", task, raw_windows=raw), tmp_path / "copy.zip")
    head, uploaded = results.store.head(), uploads.head()
    report = upload(results, archive, uploads=uploads)
    assert not report.accepted, how
    [failure] = [failure for failure in report.failures() if failure.startswith("logs_unique:")]
    assert failure.startswith("logs_unique: these logs are already stored:") and first.result.id in failure, failure
    assert results.store.head() == head and uploads.head() == uploaded
    checked = vendor.validate_archive(archive, model_id="acme/m", attestation=attestation(), clock=lambda: T0)
    assert checked.accepted, checked.failures()  # valid logs: only the comparison refuses them
    with pytest.raises(Refused, match=f"already uploaded: they are result `{first.result.id}`"):
        vendor.store_accepted(results, uploads, checked, archive, daily_limit=100, now=T0)
    assert results.store.head() == head and len(results.table().frame) == 1


def test_each_user_has_a_daily_upload_limit(tmp_path, results, uploads) -> None:
    def nth(n: int, at: datetime):
        folder = good_folder(tmp_path / str(n), power_w=300.0 + n)
        return upload(
            results, run_logs.zip_folder(folder, tmp_path / f"{n}.zip"), uploads=uploads, daily_limit=2, at=at
        )

    assert nth(1, T0).accepted and nth(2, later(60)).accepted
    head, uploaded = results.store.head(), uploads.head()
    with pytest.raises(Refused, match="may upload 2 archives a day; the next one after 2026-11-02 00:00 UTC"):
        nth(3, later(120))
    assert results.store.head() == head and uploads.head() == uploaded
    other = good_folder(tmp_path / "4", power_w=304.0)
    report = upload(results, run_logs.zip_folder(other, tmp_path / "4.zip"), uploads=uploads, daily_limit=2, by="bob")
    assert report.accepted  # the limit is per user
    assert nth(5, T0 + timedelta(hours=24, minutes=1)).accepted  # and per 24 hours


def test_a_refused_result_leaves_no_upload_behind(tmp_path, results, uploads) -> None:
    """Two uploads of the same logs race: the second's guard refuses it inside the commit, after its upload
    was written; that upload is deleted again."""
    archive = run_logs.zip_folder(good_folder(tmp_path), tmp_path / "good.zip")
    report = vendor.compare_with_stored(
        vendor.validate_archive(archive, model_id="acme/m", attestation=attestation(), clock=lambda: T0),
        results.table().frame,
    )
    upload(results, archive, uploads=uploads)  # the other one wins
    with pytest.raises(Refused, match="already uploaded"):
        vendor.store_accepted(results, uploads, report, archive, daily_limit=100, now=T0)
    assert uploads.list(vendor.uploads_folder(report.result.id)) == []
    assert len(results.table().frame) == 1


def test_text_generation_logs_are_checked_for_tokens_and_decode(tmp_path, results) -> None:
    archive = run_logs.zip_folder(good_folder(tmp_path, TaskId.TEXT_GENERATION), tmp_path / "tg.zip")
    report = upload(results, archive)
    assert report.accepted, report.failures()
    names = {check.name for check in report.result.checks}
    assert {"tokens_produced", "decode_positive"} <= names


def test_the_attestation_needs_all_three_clauses() -> None:
    for missing in vendor.ATTESTATION_CLAUSES:
        with pytest.raises(Refused, match=missing.replace("_", " ")):
            vendor.attestation_for("acme", ALL_TICKED | {missing: False}, T0)


def test_a_vendor_model_needs_a_provider_name(tmp_path) -> None:
    archive = run_logs.zip_folder(good_folder(tmp_path), tmp_path / "good.zip")
    with pytest.raises(Refused, match="provider/model"):
        vendor.validate_archive(archive, model_id="secret-model", attestation=attestation())
    with pytest.raises(Refused, match=r"^Enter the model's name as `provider/model`: the label prints both.$"):
        vendor.validate_archive(archive, model_id="  ", attestation=attestation())


# --- The corpus of bad archives: each maker writes one archive into a folder and names what must be said.


def _zip(path: Path, members: dict[str, bytes], *, compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as zipped:
        for name, data in members.items():
            zipped.writestr(name, data)
    return path


def _good_members(tmp_path: Path, task: TaskId = TaskId.TEXT_CLASSIFICATION, **options) -> dict[str, bytes]:
    folder = good_folder(tmp_path, task, **options)
    return {f"run/{p.relative_to(folder).as_posix()}": p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _edit_json(members: dict[str, bytes], name: str, edit: Callable[[dict], None]) -> dict[str, bytes]:
    data = json.loads(members[name])
    edit(data)
    return members | {name: json.dumps(data).encode()}


def too_big(tmp_path):
    return (
        _zip(tmp_path / "a.zip", _good_members(tmp_path)),
        ArchiveLimits(max_archive_bytes=1000),
        "the limit is 1,000",
    )


def bomb_ratio(tmp_path):
    return _zip(tmp_path / "a.zip", {"run/summary.json": b"0" * 20_000_000}), None, "expands more than 200"


def bomb_total(tmp_path):
    members = {f"run/{i}.json": bytes(range(256)) * 400 for i in range(10)}
    return _zip(tmp_path / "a.zip", members), ArchiveLimits(max_total_bytes=500_000), "unpacks to 1,024,000 bytes"


def traversal(tmp_path):
    return _zip(tmp_path / "a.zip", {"../evil.json": b"{}"}), None, "climbs out of the archive"


def absolute(tmp_path):
    return _zip(tmp_path / "a.zip", {"/etc/evil.json": b"{}"}), None, "is an absolute path"


def symlink(tmp_path):
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as zipped:
        link = zipfile.ZipInfo("run/summary.json")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zipped.writestr(link, "/etc/passwd")
    return path, None, "is a symbolic link"


def nested_by_name(tmp_path):
    inner = _zip(tmp_path / "inner.zip", {"x.json": b"{}"}).read_bytes()
    return _zip(tmp_path / "a.zip", {"run/inner.zip": inner}), None, "is an archive"


def nested_by_content(tmp_path):
    inner = _zip(tmp_path / "inner.zip", {"x.json": b"{}"}).read_bytes()
    return _zip(tmp_path / "a.zip", {"run/summary.json": inner}), None, "is an archive"


def too_many_files(tmp_path):
    members = {f"run/{i}.json": b"{}" for i in range(30)}
    return _zip(tmp_path / "a.zip", members), ArchiveLimits(max_files=20), "holds more than 20 entries"


def not_a_zip(tmp_path):
    path = tmp_path / "a.zip"
    path.write_bytes(b"%PDF-1.7 not a zip at all")
    return path, None, "is not a zip archive"


def empty(tmp_path):
    return _zip(tmp_path / "a.zip", {}), None, "is empty"


def no_run_folder(tmp_path):
    return _zip(tmp_path / "a.zip", {"notes.txt": b"hello"}), None, "holds no run folder"


def missing_file(tmp_path):
    members = _good_members(tmp_path)
    del members["run/measurements.json"]
    return _zip(tmp_path / "a.zip", members), None, "missing measurements.json"


def bad_json(tmp_path):
    members = _good_members(tmp_path) | {"run/measurements.json": b"{not json"}
    return _zip(tmp_path / "a.zip", members), None, "run_folder: a.zip"


def schema(tmp_path):
    members = _edit_json(_good_members(tmp_path), "run/summary.json", lambda d: d["settings"].update(batch_size=0))
    return _zip(tmp_path / "a.zip", members), None, "settings.batch_size: Input should be greater than 0"


def cpu_run(tmp_path):
    def to_cpu(data: dict) -> None:
        data["hardware"] = {"gpu_name": "CPU", "gpu_count": 0}

    members = _edit_json(_good_members(tmp_path), "run/summary.json", to_cpu)
    return _zip(tmp_path / "a.zip", members), None, "hardware: a CPU run"


def nonstandard_settings(tmp_path):
    members = _edit_json(_good_members(tmp_path), "run/summary.json", lambda d: d["settings"].update(warmup_runs=1))
    return _zip(tmp_path / "a.zip", members), None, "settings_conform: differs from the catalog: warmup_runs 1"


def zero_gpu_phase(tmp_path):
    raw = run_logs.windows(TaskId.TEXT_CLASSIFICATION)
    raw[1] |= {"gpu_kwh": 0.0, "codecarbon_gpu_kwh": 0.0}  # repetition 1's forward window
    folder = run_logs.write_run(tmp_path / "run", raw_windows=raw)
    return run_logs.zip_folder(folder, tmp_path / "a.zip"), None, "GPU energy not positive: repetition 1 forward"


def implausible_power(tmp_path):
    members = _good_members(tmp_path, power_w=900.0)
    return _zip(tmp_path / "a.zip", members), None, "average_power_in_range: outside idle 70.0 W"


def wrong_tokens(tmp_path):
    raw = run_logs.windows(TaskId.TEXT_GENERATION)
    raw[2]["new_tokens"] = 9000  # repetition 1 generated 9 tokens per query, not 10
    folder = run_logs.write_run(tmp_path / "run", TaskId.TEXT_GENERATION, raw_windows=raw)
    return run_logs.zip_folder(folder, tmp_path / "a.zip"), None, "repetition 1 generate: 9000 new tokens"


def missing_repetition(tmp_path):
    members = _edit_json(
        _good_members(tmp_path),
        "run/measurements.json",
        lambda d: d.update(windows=[w for w in d["windows"] if w["repetition"] != 10]),
    )
    return _zip(tmp_path / "a.zip", members), None, "10 repetitions recorded, 9 in the raw windows"


def tampered_summary(tmp_path):
    def lower(data: dict) -> None:
        data["repetitions"][0]["phases"]["forward"]["gpu_kwh"] /= 2

    members = _edit_json(_good_members(tmp_path), "run/summary.json", lower)
    return _zip(tmp_path / "a.zip", members), None, "records_match_raw: repetition 1 forward gpu_kwh"


def tampered_summary_and_windows(tmp_path):
    """Halved in measurements.json and summary.json alike: only the CodeCarbon files and the report still say."""

    def halve_windows(data: dict) -> None:
        for window in data["windows"]:
            window["gpu_kwh"] /= 2
            window["codecarbon_gpu_kwh"] /= 2

    def halve_phases(data: dict) -> None:
        for repetition in data["repetitions"]:
            repetition["phases"]["forward"]["gpu_kwh"] /= 2
            repetition["phases"]["preprocess"]["gpu_kwh"] /= 2

    members = _edit_json(_good_members(tmp_path), "run/measurements.json", halve_windows)
    members = _edit_json(members, "run/summary.json", halve_phases)
    return _zip(tmp_path / "a.zip", members), None, "repetition-01/forward_codecarbon.json gpu_energy"


def tampered_report(tmp_path):
    members = _edit_json(
        _good_members(tmp_path), "run/benchmark_report.json", lambda d: d["forward"]["energy"].update(gpu=0.0)
    )
    return _zip(tmp_path / "a.zip", members), None, "benchmark_report.json forward gpu 0.0"


def missing_codecarbon_file(tmp_path):
    members = _good_members(tmp_path)
    del members["run/repetition-07/forward_codecarbon.json"]
    return _zip(tmp_path / "a.zip", members), None, "repetition-07/forward_codecarbon.json is missing"


def easier_dataset(tmp_path):
    members = _edit_json(
        _good_members(tmp_path), "run/summary.json", lambda d: d["settings"].update(dataset="acme/one-word-prompts")
    )
    return _zip(tmp_path / "a.zip", members), None, "dataset_standard: measured on acme/one-word-prompts"


def another_process_on_the_gpu(tmp_path):
    """The summary says the GPU was ours alone; the process list it recorded says otherwise."""
    miner = {"pid": 999, "description": "pid 999 (miner)"}
    members = _edit_json(_good_members(tmp_path), "run/measurements.json", lambda d: d["gpu_processes"].append(miner))
    return _zip(tmp_path / "a.zip", members), None, "gpu_exclusive: not shown to be alone on the GPU: pid 999 (miner)"


def no_process_lists(tmp_path):
    members = _edit_json(_good_members(tmp_path), "run/hardware.json", lambda d: d.pop("gpu_processes_before_start"))
    return _zip(tmp_path / "a.zip", members), None, "no GPU process lists in hardware.json and measurements.json"


def power_capped(tmp_path):
    members = _edit_json(_good_members(tmp_path), "run/hardware.json", lambda d: d.update(enforced_power_limit_w=450.0))
    return _zip(tmp_path / "a.zip", members), None, "power_limit_default: the GPUs' power limit was set to 450 W"


def noisy(tmp_path):
    members = _good_members(tmp_path, spread=0.05)
    return _zip(tmp_path / "a.zip", members), None, "cv_below_threshold: coefficient of variation"


def inflated_power_limit(tmp_path):
    members = _good_members(tmp_path, power_w=5000.0)
    members = _edit_json(members, "run/hardware.json", lambda d: d.update(tdp_w=1e9, idle_power_w=0.0))
    members = _edit_json(members, "run/summary.json", lambda d: d["hardware"].update(tdp_w=1e9, idle_power_w=0.0))
    return _zip(tmp_path / "a.zip", members), None, "power_limits: recorded power limit 1000000000.0 W"


def hardware_json_disagrees(tmp_path):
    members = _edit_json(_good_members(tmp_path), "run/hardware.json", lambda d: d.update(tdp_w=5000.0))
    return _zip(tmp_path / "a.zip", members), None, "hardware.json tdp_w 5000.0, summary 700.0"


def unknown_gpu(tmp_path):
    members = _edit_json(
        _good_members(tmp_path), "run/summary.json", lambda d: d["hardware"].update(gpu_name="RTX 4090 (not H100)")
    )
    return _zip(tmp_path / "a.zip", members), None, "unknown GPU 'RTX 4090 (not H100)'"


def _on_gpu(gpu_name: str, tdp_w: float) -> Callable[[dict[str, bytes]], dict[str, bytes]]:
    def edit(members: dict[str, bytes]) -> dict[str, bytes]:
        limits = {"tdp_w": tdp_w, "enforced_power_limit_w": tdp_w}
        members = _edit_json(members, "run/hardware.json", lambda d: d.update(limits))
        return _edit_json(members, "run/summary.json", lambda d: d["hardware"].update(gpu_name=gpu_name, tdp_w=tdp_w))

    return edit


def several_gpus_for_one_model(tmp_path):
    members = _good_members(tmp_path)
    members = _edit_json(members, "run/summary.json", lambda d: d["hardware"].update(gpu_count=2, tdp_w=1400.0))
    members = _edit_json(members, "run/hardware.json", lambda d: d.update(tdp_w=1400.0, enforced_power_limit_w=1400.0))
    return _zip(tmp_path / "a.zip", members), None, "only class C text generation runs on several GPUs"


def not_an_h100(tmp_path):
    members = _on_gpu("NVIDIA A100-SXM4-80GB", 400.0)(_good_members(tmp_path))
    return _zip(tmp_path / "a.zip", members), None, "vendor results must be measured on an NVIDIA H100"


def shortened_durations(tmp_path):
    def faster(data: dict) -> None:
        for repetition in data["repetitions"]:
            for phase in repetition["phases"].values():
                phase["duration_s"] = 0.001

    members = _edit_json(_good_members(tmp_path), "run/summary.json", faster)
    return _zip(tmp_path / "a.zip", members), None, "repetition 1 preprocess duration_s: summary 0.001"


def malformed_hardware_json(tmp_path):
    members = _good_members(tmp_path) | {"run/hardware.json": b"[]"}
    return _zip(tmp_path / "a.zip", members), None, "must each hold a JSON object"


def copied_reference_runs(tmp_path):
    root = run_logs.write_reference_runs(tmp_path / "ref", runs=1)
    for run in range(2, 11):
        shutil.copytree(root / "run-01", root / f"run-{run:02d}")
    return run_logs.zip_folder(root, tmp_path / "a.zip"), None, "repetition 2 equals repetition 1"


def reference_malformed_config(tmp_path):
    root = run_logs.write_reference_runs(tmp_path / "ref", runs=2)
    for config in root.rglob("benchmark_config.json"):
        config.write_text(json.dumps({"backend": ["not", "a", "section"]}))
    return run_logs.zip_folder(root, tmp_path / "a.zip"), None, "run_folder: a.zip: 'list' object has no attribute"


def reference_zero_latency(tmp_path):
    root = run_logs.write_reference_runs(tmp_path / "ref")
    report = root / "run-01" / "benchmark_report.json"
    data = json.loads(report.read_text())
    data["forward"]["latency"]["values"] = [0]
    report.write_text(json.dumps(data))
    return run_logs.zip_folder(root, tmp_path / "a.zip"), None, "duration_s"


def duplicate_forms(tmp_path):
    return _zip(tmp_path / "a.zip", {"run/x.json": b"1", "run/./x.json": b"2"}), None, "'run/./x.json' appears twice"


def duplicate_case(tmp_path):
    return _zip(tmp_path / "a.zip", {"run/S.json": b"1", "run/s.json": b"2"}), None, "'run/s.json' appears twice"


def duplicate_unicode_forms(tmp_path):
    composed, decomposed = "run/caf\u00e9.json", "run/cafe\u0301.json"  # one name on macOS and in NFC
    return _zip(tmp_path / "a.zip", {composed: b"1", decomposed: b"2"}), None, f"{decomposed!r} appears twice"


def duplicate_compatibility_forms(tmp_path):
    members = {"run/\ufb01le.json": b"1", "run/FILE.json": b"2"}  # the "fi" ligature, then case
    return _zip(tmp_path / "a.zip", members), None, "'run/FILE.json' appears twice"


def file_and_folder_in_another_case(tmp_path):
    members = {"run/A/b.json": b"1", "run/a": b"2"}  # one path on macOS and Windows: a file and a folder
    return _zip(tmp_path / "a.zip", members), None, "'run/a' is a file, but 'run/A/b.json' needs a folder"


def file_then_folder_of_its_name(tmp_path):
    members = {"run/x": b"1", "run/x/y.json": b"2"}
    return _zip(tmp_path / "a.zip", members), None, "'run/x' is a file, but 'run/x/y.json' needs a folder"


def too_deep(tmp_path):
    return _zip(tmp_path / "a.zip", {"a/" * 40 + "summary.json": b"{}"}), None, "is nested too deep"


def tar_inside(tmp_path):
    import tarfile

    with tarfile.open(tmp_path / "inner.tar", "w") as tar:
        tar.add(_zip(tmp_path / "x.zip", {"x": b"1"}), arcname="x.zip")
    members = {"run/measurements.json": (tmp_path / "inner.tar").read_bytes()}
    return _zip(tmp_path / "a.zip", members), None, "'run/measurements.json' is an archive"


def corrupt_stream(tmp_path):
    path = _zip(tmp_path / "a.zip", {"run/a.json": b"{}", "run/b.json": bytes(range(256)) * 64})
    data = bytearray(path.read_bytes())
    start = data.index(b"run/b.json") + len(b"run/b.json")  # the local header's name, then the deflated bytes
    data[start + 10 : start + 60] = b"\xff" * 50
    path.write_bytes(bytes(data))
    return path, None, "is damaged or uses an unsupported zip feature"


def many_entries(tmp_path):
    members = {f"run/d{i}/": b"" for i in range(30)} | {"run/summary.json": b"{}"}
    return _zip(tmp_path / "a.zip", members), ArchiveLimits(max_files=25), "holds more than 25 entries"


def reference_single_run(tmp_path):
    root = run_logs.write_reference_runs(tmp_path / "ref", runs=1)
    return (
        run_logs.zip_folder(root, tmp_path / "a.zip"),
        None,
        "settings_conform: differs from the catalog: repetitions 1",
    )


def reference_negative_decode(tmp_path):
    root = run_logs.write_reference_runs(tmp_path / "ref", TaskId.SUMMARIZATION, decode_gpu_kwh=-1e-4)
    return run_logs.zip_folder(root, tmp_path / "a.zip"), None, "decode_positive: decode = generate − prefill not pos"


def reference_text_generation(tmp_path):
    root = run_logs.write_reference_runs(tmp_path / "ref", TaskId.TEXT_GENERATION)
    return run_logs.zip_folder(root, tmp_path / "a.zip"), None, "do not record the parameter count"


def reference_all_samples(tmp_path):
    root = run_logs.write_reference_runs(tmp_path / "ref", num_samples=-1)
    return run_logs.zip_folder(root, tmp_path / "a.zip"), None, "scenario.num_samples is -1"


BAD_ARCHIVES = [
    too_big,
    bomb_ratio,
    bomb_total,
    traversal,
    absolute,
    symlink,
    nested_by_name,
    nested_by_content,
    too_many_files,
    not_a_zip,
    empty,
    no_run_folder,
    missing_file,
    bad_json,
    schema,
    cpu_run,
    nonstandard_settings,
    zero_gpu_phase,
    implausible_power,
    wrong_tokens,
    missing_repetition,
    tampered_summary,
    tampered_summary_and_windows,
    tampered_report,
    missing_codecarbon_file,
    easier_dataset,
    another_process_on_the_gpu,
    no_process_lists,
    power_capped,
    noisy,
    inflated_power_limit,
    hardware_json_disagrees,
    unknown_gpu,
    not_an_h100,
    several_gpus_for_one_model,
    shortened_durations,
    malformed_hardware_json,
    copied_reference_runs,
    reference_malformed_config,
    reference_zero_latency,
    duplicate_forms,
    duplicate_case,
    duplicate_unicode_forms,
    duplicate_compatibility_forms,
    file_and_folder_in_another_case,
    file_then_folder_of_its_name,
    too_deep,
    tar_inside,
    corrupt_stream,
    many_entries,
    reference_single_run,
    reference_negative_decode,
    reference_text_generation,
    reference_all_samples,
]


@pytest.mark.parametrize("make", BAD_ARCHIVES, ids=lambda make: make.__name__)
def test_a_bad_archive_is_refused_with_its_own_message_and_nothing_is_written(tmp_path, results, make) -> None:
    archive, limits, words = make(tmp_path)
    head = results.store.head()
    report = upload(results, archive, limits=limits)
    assert not report.accepted
    assert any(words in failure for failure in report.failures()), report.failures()
    assert results.store.head() == head and results.table().frame.empty
    assert "Rejected" in report.markdown() and "nothing was stored" in report.markdown()
    shown = report.markdown()
    assert str(tmp_path) not in shown and tempfile.gettempdir() not in shown  # no server path, extraction's too


def test_each_bad_archive_has_a_distinct_message(tmp_path) -> None:
    messages = []
    for index, make in enumerate(BAD_ARCHIVES):
        folder = tmp_path / str(index)
        folder.mkdir()
        archive, limits, _ = make(folder)
        report = vendor.validate_archive(
            archive, model_id="acme/m", attestation=attestation(), limits=limits or ArchiveLimits()
        )
        messages.append(tuple(report.failures()))
    assert len(set(messages)) == len(BAD_ARCHIVES)


def test_extraction_leaves_nothing_behind_when_it_fails(tmp_path) -> None:
    from core.archive import ArchiveError, extract_zip

    members = {"run/a.json": b"{}", "run/b.json": b"0" * 5_000_000}
    archive = _zip(tmp_path / "a.zip", members)
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises(ArchiveError):
        extract_zip(archive, target)
    assert list(target.iterdir()) == []


def test_a_stored_archive_still_validates_with_the_cli_reader(tmp_path, results, uploads) -> None:
    from runner.validate import check_logs

    archive = run_logs.zip_folder(good_folder(tmp_path), tmp_path / "good.zip")
    report = upload(results, archive, uploads=uploads)
    copy = tmp_path / "copy.zip"
    copy.write_bytes(uploads.read(f"{vendor.uploads_folder(report.result.id)}/archive.zip"))
    assert check_logs(copy).ok


def test_the_reference_runners_logs_are_validated_too(tmp_path, results) -> None:
    # Two powers: at one, the factory's windows of both tasks are the same measured values, a copy.
    for task, power_w in ((TaskId.TEXT_CLASSIFICATION, 300.0), (TaskId.SUMMARIZATION, 310.0)):
        root = run_logs.write_reference_runs(tmp_path / task.value, task, power_w=power_w)
        report = upload(results, run_logs.zip_folder(root, tmp_path / f"{task.value}.zip"))
        assert report.accepted, report.failures()
        details = {check.name: check.detail for check in report.result.validation}
        assert "the reference runner (10 run folders)" in details["run_folder"]
        assert "attestation" in details["gpu_exclusive"] and "no second read" in details["gpu_energy_from_counter"]
        stored = results.get(report.result.id)
        assert stored.settings.random_weights and stored.settings.precision.value == "float32"
        assert len(stored.repetitions) == 10 and stored.hardware.tdp_w == 700.0
        assert stored.measured_at == datetime(2026, 10, 10, 12, tzinfo=UTC)  # the last run's CodeCarbon time


def test_reference_logs_from_a_multi_gpu_node_count_the_gpus_that_ran(tmp_path, results) -> None:
    """optimum-benchmark's environment lists every GPU of the machine; the benchmark ran on its device_ids."""
    root = run_logs.write_reference_runs(tmp_path / "node")
    for config_path in root.glob("run-*/benchmark_config.json"):
        config = json.loads(config_path.read_text())
        config["environment"].update(gpu=["NVIDIA H100 80GB HBM3"] * 8, gpu_count=8)
        config["backend"]["device_ids"] = "3"
        config_path.write_text(json.dumps(config))
    report = upload(results, run_logs.zip_folder(root, tmp_path / "node.zip"))
    assert report.accepted, report.failures()
    assert (report.result.hardware.gpu_count, report.result.hardware.tdp_w) == (1, 700.0)


# --- Review


def stored_vendor_result(tmp_path, results) -> str:
    report = upload(results, run_logs.zip_folder(good_folder(tmp_path), tmp_path / "good.zip"))
    return report.result.id


def test_an_approved_vendor_result_becomes_rateable(tmp_path, results) -> None:
    result_id = stored_vendor_result(tmp_path, results)
    decided = decide(results, result_id, approve=True, reviewer="maintainer", note=None, now=later(5))
    assert decided.review is ReviewStatus.APPROVED and decided.reviewed_by == "maintainer"
    stored = results.get(result_id)
    assert stored.is_rateable and stored.reviewed_at == later(5)
    assert pending_reviews(results).empty
    assert bool(results.table().frame.set_index("id").loc[result_id, "rateable"])


def test_a_rejection_needs_a_reason_and_a_decision_is_final(tmp_path, results) -> None:
    result_id = stored_vendor_result(tmp_path, results)
    head = results.store.head()
    with pytest.raises(ReviewError, match="say why"):
        decide(results, result_id, approve=False, reviewer="maintainer", note="  ", now=later(5))
    assert results.store.head() == head
    decide(results, result_id, approve=False, reviewer="maintainer", note="logs from an A100", now=later(5))
    stored = results.get(result_id)
    assert stored.review is ReviewStatus.REJECTED and stored.review_note == "logs from an A100"
    assert not stored.is_rateable
    with pytest.raises(ReviewError, match="already rejected by maintainer"):
        decide(results, result_id, approve=True, reviewer="other", note=None, now=later(6))


def test_open_results_are_not_reviewed(tmp_path, results) -> None:
    from tests.factories import make_result

    results.add(make_result(result_id="open1"))
    with pytest.raises(ReviewError, match="open-model result"):
        decide(results, "open1", approve=True, reviewer="m", note=None, now=later(1))


# --- Names: checked, never cleaned


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("acme/secret\x00model", "control character U+0000"),
        ("acme/secret\u200bmodel", "control character U+200B"),  # a zero-width space: invisible
        ("acme/model\x1b[31m", "control character U+001B"),
        ("\u0430cme/secret-model", "U+0430 (CYRILLIC SMALL LETTER A)"),  # looks like acme
        ("\uff41cme/secret-model", "U+FF41 (FULLWIDTH LATIN SMALL LETTER A)"),  # NFKC makes it acme
    ],
)
def test_a_vendor_model_name_is_checked_not_cleaned(tmp_path, results, name, words) -> None:
    archive = run_logs.zip_folder(good_folder(tmp_path), tmp_path / "good.zip")
    with pytest.raises(Refused, match=re.escape(words)):
        upload(results, archive, model_id=name)
    assert results.table().frame.empty


@pytest.mark.parametrize(
    "gpu_name", ["NVIDIA H100 80GB HBM3 ", " NVIDIA H100 PCIe", "NVIDIA H100\u00a0PCIe", "NVIDIA Н100 PCIe"]
)
def test_a_hardware_name_must_be_exact(tmp_path, results, gpu_name) -> None:
    members = _on_gpu(gpu_name, 350.0)(_good_members(tmp_path))
    report = upload(results, _zip(tmp_path / "lookalike.zip", members))
    assert not report.accepted
    assert f"hardware: GPU {gpu_name!r}:" in " ".join(report.failures()), report.failures()
    assert results.table().frame.empty


def test_on_a_space_an_upload_is_for_an_organisation_of_the_uploader(tmp_path, results) -> None:
    archive = run_logs.zip_folder(good_folder(tmp_path), tmp_path / "good.zip")
    member_of = frozenset({"alice", "acme"})
    with pytest.raises(
        Refused, match=r"only for an organisation you belong to on the Hub \(yours: acme, alice\), not rival"
    ):
        vendor.receive(
            archive,
            model_id="rival/model",
            attestation=attestation(),
            results=results,
            uploads=LocalStore(tmp_path / "uploads"),
            daily_limit=5,
            memberships=member_of,
        )
    report = vendor.receive(
        archive,
        model_id="acme/model",
        attestation=attestation(),
        results=results,
        uploads=LocalStore(tmp_path / "uploads"),
        daily_limit=5,
        memberships=member_of,
    )
    assert report.accepted, report.failures()


def test_the_review_listing_shows_who_attested_and_when(tmp_path, results) -> None:
    result_id = stored_vendor_result(tmp_path, results)
    shown = reviews_table(pending_reviews(results)).iloc[0]
    attested = (shown["Result"], shown["Attested by"], shown["Attested (UTC)"])
    assert attested == (result_id, "acme-admin", "2026-11-01 00:00")
