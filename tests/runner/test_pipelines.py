"""Diffusers pipelines in the child, in process: the tiny pipeline, its parameter count, and what is refused.

The end-to-end image-generation run is in test_engine.py; these check the child's pieces on folders built here.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from core.catalog import TASKS, TaskId
from runner.engine import RunFailed
from runner.params import count_safetensors_parameters
from runner.spec import RunSpec

IMAGE_GENERATION = TASKS[TaskId.IMAGE_GENERATION]
MODELS = ("unet", "vae", "text_encoder")


@pytest.fixture(scope="module")
def pipelines(assets, tmp_path_factory) -> dict[str, Path]:
    """The tiny pipeline saved as safetensors, as pickled .bin files, and with one model of each."""
    from tests.runner import tiny

    root = tmp_path_factory.mktemp("pipelines")
    safe = assets.tiny_sd
    pickled = tiny.build_tiny_sd(root / "pickled", safe_serialization=False)
    mixed = root / "mixed"
    shutil.copytree(safe, mixed)
    (mixed / "text_encoder" / "model.safetensors").unlink()
    shutil.copy(pickled / "text_encoder" / "pytorch_model.bin", mixed / "text_encoder")
    return {"safetensors": safe, "pickled": pickled, "mixed": mixed}


def _count(folder: Path) -> tuple[int, str]:
    from runner.counting import count_parameters
    from runner.model_checks import pipeline_index
    from runner.resolve import Resolved

    spec = RunSpec(model=str(folder), task=TaskId.IMAGE_GENERATION, device="cpu")
    model = Resolved(path=folder, name="local/pipeline", revision=None)
    return count_parameters(model, "text-to-image", {}, spec, pipeline_index(folder))


def test_the_tiny_pipeline_loads_and_draws_offline(pipelines):
    import torch
    from diffusers import DiffusionPipeline, StableDiffusionPipeline

    pipeline = DiffusionPipeline.from_pretrained(pipelines["safetensors"], local_files_only=True)
    assert isinstance(pipeline, StableDiffusionPipeline)
    pipeline.set_progress_bar_config(disable=True)
    images = pipeline(["A red lighthouse"], num_inference_steps=2, output_type="pt").images
    assert images.shape == (1, 3, 16, 16) and torch.isfinite(images).all()
    loaded = sum(p.numel() for name in MODELS for p in getattr(pipeline, name).parameters())
    assert loaded == count_safetensors_parameters(pipelines["safetensors"])


def test_a_pipeline_in_safetensors_is_counted_from_the_headers(pipelines):
    expected = sum(count_safetensors_parameters(pipelines["safetensors"] / name) for name in MODELS)
    assert _count(pipelines["safetensors"]) == (expected, "safetensors headers")


@pytest.mark.parametrize("variant", ["pickled", "mixed"])
def test_a_pipeline_with_pickled_weights_is_built_on_the_meta_device(pipelines, variant):
    """Headers alone would miss the pickled models (all of them, or the text encoder of the mixed one)."""
    counted, method = _count(pipelines[variant])
    assert method == "pipeline's models built on the meta device"
    assert counted == count_safetensors_parameters(pipelines["safetensors"])


def test_an_unknown_component_class_fails_the_count_rather_than_skipping_it(pipelines, tmp_path):
    folder = tmp_path / "pipeline"
    shutil.copytree(pipelines["pickled"], folder)
    index = json.loads((folder / "model_index.json").read_text())
    index["unet"] = ["diffusers", "NoSuchUNet"]
    (folder / "model_index.json").write_text(json.dumps(index))
    with pytest.raises(RunFailed) as failed:
        _count(folder)
    assert failed.value.error_class == "load"
    assert "component unet is a diffusers.NoSuchUNet" in str(failed.value)


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("bert_classifier", "is a Transformers model (config.json, no model_index.json), but Image Generation runs"),
        ("custom_pipeline", "the pipeline runs code of its own (unet/aies_unet.py), so it needs trust_remote_code"),
    ],
)
def test_a_run_refuses_before_loading_anything(assets, tmp_path, monkeypatch, model, message):
    """The child's whole benchmark, in process: refused before any model code is imported or any file written."""
    from runner.child import benchmark

    monkeypatch.chdir(tmp_path)
    spec = RunSpec(
        model=str(getattr(assets, model)), task=TaskId.IMAGE_GENERATION, dataset=str(assets.prompts), device="cpu"
    )
    with pytest.raises(RunFailed) as refused:
        benchmark(spec, result_id="test", request_id=None)
    assert refused.value.error_class == "refused"
    assert message in str(refused.value)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("task", "files", "error_class", "message"),
    [
        (TaskId.TEXT_CLASSIFICATION, ["model_index.json"], "refused", "is a Diffusers pipeline"),
        (TaskId.IMAGE_GENERATION, ["config.json"], "refused", "is a Transformers model"),
        (TaskId.IMAGE_GENERATION, [], "load", "has no model_index.json"),
    ],
)
def test_the_task_decides_the_library(tmp_path, task, files, error_class, message):
    from runner.model_checks import is_pipeline

    for name in files:
        (tmp_path / name).write_text("{}")
    spec = RunSpec(model=str(tmp_path), task=task, device="cpu")
    with pytest.raises(RunFailed) as refused:
        is_pipeline(spec, TASKS[task], tmp_path)
    assert (refused.value.error_class, message in str(refused.value)) == (error_class, True)


def test_a_quantized_checkpoint_is_refused_before_loading(tmp_path, monkeypatch):
    """Its packed weights would load in their own format and under-count its parameters (its size class)."""
    import json

    from runner.child import benchmark

    model = tmp_path / "model"
    model.mkdir()
    config = {
        "architectures": ["GPT2LMHeadModel"],
        "model_type": "gpt2",
        "quantization_config": {"quant_method": "awq"},
    }
    (model / "config.json").write_text(json.dumps(config))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    spec = RunSpec(model=str(model), task=TaskId.TEXT_GENERATION, dataset=str(tmp_path), device="cpu")
    with pytest.raises(RunFailed) as refused:
        benchmark(spec, result_id="test", request_id=None)
    assert refused.value.error_class == "refused"
    assert "a quantized checkpoint (awq); the task runs in float16" in str(refused.value)
    assert not list(work.iterdir())


def test_a_pipeline_for_image_generation_is_a_pipeline(pipelines):
    from runner.model_checks import is_pipeline

    spec = RunSpec(model=str(pipelines["safetensors"]), task=TaskId.IMAGE_GENERATION, device="cpu")
    assert is_pipeline(spec, IMAGE_GENERATION, pipelines["safetensors"])


@pytest.mark.parametrize(
    ("index", "code_file"),
    [
        ({"_class_name": ["aies_pipeline", "AiesPipeline"]}, "aies_pipeline.py"),
        ({"_class_name": "StableDiffusionPipeline", "unet": ["aies_unet", "AiesUNet"]}, "unet/aies_unet.py"),
    ],
)
def test_a_pipeline_with_code_of_its_own_needs_trust_remote_code(tmp_path, index, code_file):
    from runner.model_checks import check_pipeline_code

    (tmp_path / code_file).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / code_file).write_text("raise RuntimeError('never runs')\n")
    spec = RunSpec(model=str(tmp_path), task=TaskId.IMAGE_GENERATION, device="cpu")
    with pytest.raises(RunFailed) as refused:
        check_pipeline_code(index, tmp_path, spec)
    assert refused.value.error_class == "refused" and code_file in str(refused.value)
    check_pipeline_code(index, tmp_path, spec.model_copy(update={"trust_remote_code": True}))  # allowed: no error


def test_a_standard_pipeline_needs_no_code_of_its_own(pipelines):
    from runner.model_checks import check_pipeline_code, pipeline_index

    folder = pipelines["safetensors"]
    spec = RunSpec(model=str(folder), task=TaskId.IMAGE_GENERATION, device="cpu")
    check_pipeline_code(pipeline_index(folder), folder, spec)


def test_a_failure_once_the_model_has_run_is_ours_not_the_models(assets, tmp_path, monkeypatch):
    """Writing the measurements fails (a full disk): an internal error, not a load or inference failure."""
    from runner import scenario
    from runner.child import benchmark

    def full_disk(self, **options):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(scenario.Measurements, "model_dump_json", full_disk)
    monkeypatch.chdir(tmp_path)
    spec = RunSpec(
        model=str(assets.bert_classifier),
        task=TaskId.TEXT_CLASSIFICATION,
        dataset=str(assets.text),
        device="cpu",
        samples=4,
        repetitions=2,
        warmup_runs=1,
    )
    with pytest.raises(RunFailed) as failed:
        benchmark(spec, result_id="test", request_id=None)
    assert failed.value.error_class == "internal"
    assert "OSError while writing the measurements: [Errno 28] No space left on device" in str(failed.value)
