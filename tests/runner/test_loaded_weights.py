"""Checks on what really ran: the loaded weights' dtype, the TF32 flags recorded, and a negative decode."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from core.catalog import TaskId
from core.models import EnergySource
from runner import gates
from runner.engine import RunFailed
from runner.gates import KWH_TO_J, Window
from runner.scenario import Measurements, check_weights_dtype, tf32_flags
from tests.runner import tiny

SAMPLES = 10


@pytest.fixture(scope="module")
def bert_folder(tmp_path_factory) -> Path:
    return tiny.build_bert_classifier(tmp_path_factory.mktemp("bert"))


def _bert(folder: Path, dtype: torch.dtype):
    from transformers import AutoModelForSequenceClassification

    return AutoModelForSequenceClassification.from_pretrained(folder, dtype=dtype)


def test_weights_in_the_runs_precision_pass(bert_folder):
    model = _bert(bert_folder, torch.float32)
    # Its buffers (position_ids, token_type_ids) are int64: buffers are not checked.
    assert any(not b.is_floating_point() for b in model.buffers())
    check_weights_dtype(model, "float32")


def test_one_parameter_in_another_dtype_fails_the_run(bert_folder):
    model = _bert(bert_folder, torch.float32)
    model.classifier.to(torch.float16)
    with pytest.raises(RunFailed) as raised:
        check_weights_dtype(model, "float32")
    assert raised.value.error_class == "measurement"
    assert "parameter classifier.weight is float16, expected float32" in str(raised.value)


def test_the_setting_alone_is_not_trusted(bert_folder):
    """Loaded in float16 while the run asks for float32: the weights themselves are refused."""
    with pytest.raises(RunFailed, match="is float16, expected float32"):
        check_weights_dtype(_bert(bert_folder, torch.float16), "float32")


def test_no_floating_precision_is_refused(bert_folder):
    with pytest.raises(RunFailed, match="no floating precision"):
        check_weights_dtype(_bert(bert_folder, torch.float32), None)


def test_only_the_models_keep_in_fp32_modules_may_stay_float32(tmp_path):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny.build_gpt2(tmp_path / "gpt2"), dtype=torch.float16)
    check_weights_dtype(model, "float16")
    model.transformer.ln_f.to(torch.float32)
    with pytest.raises(RunFailed, match=r"parameter transformer\.ln_f\.weight is float32, expected float16"):
        check_weights_dtype(model, "float16")
    model._keep_in_fp32_modules = {"ln_f"}  # what Transformers' loading keeps in float32 at float16
    check_weights_dtype(model, "float16")
    model.transformer.h[0].mlp.c_fc.to(torch.float32)
    with pytest.raises(RunFailed, match=r"parameter transformer\.h\.0\.mlp\.c_fc\.weight is float32"):
        check_weights_dtype(model, "float16")


def test_every_component_of_a_pipeline_is_checked(tmp_path):
    from diffusers import DiffusionPipeline

    pipeline = DiffusionPipeline.from_pretrained(tiny.build_tiny_sd(tmp_path / "sd"), dtype=torch.float32)
    check_weights_dtype(pipeline, "float32")
    pipeline.vae.to(torch.bfloat16)
    with pytest.raises(RunFailed, match=r"parameter vae\.\S+ is bfloat16, expected float32"):
        check_weights_dtype(pipeline, "float32")


def test_tf32_flags_are_read_as_in_force():
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32, torch.get_float32_matmul_precision()
    try:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = False
        torch.set_float32_matmul_precision("high")
        flags = tf32_flags()
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved[:2]
        torch.set_float32_matmul_precision(saved[2])
    assert flags.cuda_matmul_allow_tf32 and not flags.cudnn_allow_tf32
    assert flags.float32_matmul_precision == "high"
    assert "tf32" in Measurements.model_fields  # stored in measurements.json, which requires it


def _window(target: str, *, watts: float, seconds: float, new_tokens: int | None = None) -> Window:
    def kwh(w: float) -> float:
        return w * seconds / KWH_TO_J

    return Window(
        target=target,
        repetition=1,
        duration_s=seconds,
        gpu_kwh=kwh(watts),
        gpu_source=EnergySource.COUNTER,
        codecarbon_gpu_kwh=kwh(watts),
        cpu_kwh=kwh(40),
        ram_kwh=kwh(20),
        queries=SAMPLES,
        new_tokens=new_tokens,
    )


def test_a_negative_decode_fails_the_run_with_its_reason_never_clamped():
    """decode = generate − prefill below zero: no Result can hold it (energies are ≥ 0), so the run fails as
    `measurement`, naming the failed gate, and the raw windows stay in measurements.json (README)."""
    from runner.child import build_repetitions

    windows = (
        _window("preprocess_dataset", watts=100.0, seconds=1.0),
        _window("prefill", watts=2100.0, seconds=20.0, new_tokens=SAMPLES),
        _window("generate", watts=300.0, seconds=120.0, new_tokens=SAMPLES * 10),
    )
    repetitions = gates.phase_values(TaskId.TEXT_GENERATION, windows)
    checks = (gates.decode_positive(repetitions, on_gpu=True),)
    assert not checks[0].passed
    with pytest.raises(RunFailed) as raised:
        build_repetitions(TaskId.TEXT_GENERATION, windows, checks)
    assert raised.value.error_class == "measurement"
    message = str(raised.value)
    assert "decode_positive: decode = generate − prefill not positive: repetition 1: gpu -" in message
    assert "measurements.json" in message
