"""Tiny models and datasets for the runner tests, built once per session without any download, and a fake NVML."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

ROWS = 40  # dataset rows: more than any test's sample count
FAKE_IDLE_W = 70.0


@dataclass(frozen=True)
class Assets:
    gpt2: Path
    qwen3_5: Path  # text generation, an architecture transformers 4.57 did not have
    bert_classifier: Path
    vit_classifier: Path
    bert_qa: Path
    bart: Path  # summarization (sequence to sequence)
    bert_encoder: Path  # sentence similarity (a bare encoder)
    vit_gpt2: Path  # image captioning (vision encoder-decoder, no processor class)
    detr: Path  # object detection
    whisper: Path  # speech recognition
    raising: Path  # loads, then raises on its first forward pass
    custom_code: Path  # needs trust_remote_code
    empty: Path  # an empty folder: nothing to load
    tiny_sd: Path  # a Diffusers text-to-image pipeline
    custom_pipeline: Path  # a pipeline that needs trust_remote_code
    text: Path
    qa: Path
    images: Path
    prompts: Path
    sentence_pairs: Path
    audio: Path


@pytest.fixture(scope="session")
def assets(tmp_path_factory) -> Assets:
    from tests.runner import tiny  # transformers loads only when a test needs the models

    root = tmp_path_factory.mktemp("assets")
    models = root / "models"
    data = root / "datasets"
    (models / "empty").mkdir(parents=True)
    return Assets(
        gpt2=tiny.build_gpt2(models / "gpt2"),
        qwen3_5=tiny.build_qwen3_5_lm(models / "qwen3_5"),
        bert_classifier=tiny.build_bert_classifier(models / "bert-classifier"),
        vit_classifier=tiny.build_vit_classifier(models / "vit-classifier"),
        bert_qa=tiny.build_bert_qa(models / "bert-qa"),
        bart=tiny.build_bart(models / "bart"),
        bert_encoder=tiny.build_bert_encoder(models / "bert-encoder"),
        vit_gpt2=tiny.build_vit_gpt2_captioner(models / "vit-gpt2"),
        detr=tiny.build_detr(models / "detr"),
        whisper=tiny.build_whisper(models / "whisper"),
        raising=tiny.build_bert_classifier(models / "raising", vocab_size=5),
        custom_code=tiny.build_custom_code_model(models / "custom-code"),
        empty=models / "empty",
        tiny_sd=tiny.build_tiny_sd(models / "tiny-sd"),
        custom_pipeline=tiny.build_custom_code_pipeline(models / "custom-pipeline"),
        text=tiny.text_dataset(data / "text", rows=ROWS),
        qa=tiny.qa_dataset(data / "qa", rows=ROWS),
        images=tiny.image_dataset(data / "images", rows=ROWS),
        prompts=tiny.prompt_dataset(data / "prompts", rows=ROWS),
        sentence_pairs=tiny.sentence_pair_dataset(data / "sentence-pairs", rows=ROWS),
        audio=tiny.audio_dataset(data / "audio", rows=ROWS),
    )


class FakeNvml(SimpleNamespace):
    """The part of pynvml that runner.hardware uses: H100s (two unless told) drawing 70 W each."""

    class NVMLError(Exception):
        pass

    NVML_DEVICE_MIG_ENABLE = 1

    def __init__(
        self, *, counter: bool = True, processes=(), listing: bool = True, enforced_mw: int = 700_000, mig=(), count=2
    ):
        super().__init__()
        self.count = count  # how many 80 GiB H100s NVML sees (at most 10: one digit in the UUIDs)
        self.enforced_mw = enforced_mw
        self.counter = counter
        self.running = list(processes)
        self.listing = listing
        self.mig = set(mig)  # the indices of the GPUs in MIG mode
        self.opened_by_uuid: list[str] = []

    def nvmlInit(self):
        pass

    def nvmlDeviceGetCount(self):
        return self.count

    def nvmlDeviceGetHandleByIndex(self, index):
        return index

    def nvmlDeviceGetHandleByUUID(self, uuid):
        for index in range(self.nvmlDeviceGetCount()):
            if self.nvmlDeviceGetUUID(index) == uuid:
                self.opened_by_uuid.append(uuid)
                return index
        raise self.NVMLError("Not Found")

    def nvmlDeviceGetMigMode(self, handle):
        mode = self.NVML_DEVICE_MIG_ENABLE if handle in self.mig else 0
        return mode, mode

    def nvmlDeviceGetName(self, handle):
        return b"NVIDIA H100 80GB HBM3"

    def nvmlDeviceGetUUID(self, handle):
        return f"GPU-0000000{handle}-aaaa"

    def nvmlDeviceGetPowerManagementDefaultLimit(self, handle):
        return 700_000

    def nvmlDeviceGetEnforcedPowerLimit(self, handle):
        return self.enforced_mw

    def nvmlDeviceGetMemoryInfo(self, handle):
        return SimpleNamespace(total=80 * 2**30)

    def nvmlSystemGetCudaDriverVersion(self):
        return 12040

    def nvmlSystemGetDriverVersion(self):
        return "550.54.15"

    def nvmlDeviceGetTotalEnergyConsumption(self, handle):
        if not self.counter:
            raise self.NVMLError("Not Supported")
        return int(time.perf_counter() * FAKE_IDLE_W * 1000)  # mJ: 70 W, forever

    def nvmlDeviceGetPowerUsage(self, handle):
        return int(FAKE_IDLE_W * 1000)

    def nvmlDeviceGetComputeRunningProcesses(self, handle):
        if not self.listing:
            raise self.NVMLError("Insufficient Permissions")
        return [SimpleNamespace(pid=pid) for pid in self.running]

    def nvmlDeviceGetGraphicsRunningProcesses(self, handle):
        return []

    def nvmlSystemGetProcessName(self, pid):
        return "python"


@pytest.fixture
def nvml(monkeypatch):
    def install(**kwargs) -> FakeNvml:
        fake = FakeNvml(**kwargs)
        monkeypatch.setitem(sys.modules, "pynvml", fake)
        return fake

    return install
