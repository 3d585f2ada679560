"""What a model folder is and whether it may run: a Transformers model or a Diffusers pipeline, checked before
anything of it loads (own code without trust_remote_code, quantized checkpoints, the wrong library for the task)."""

from __future__ import annotations

import json
from pathlib import Path

from core.catalog import Task, TaskId
from runner.engine import RunFailed
from runner.spec import RunSpec

# The catalog tasks that run a Diffusers pipeline (a folder with model_index.json); the others run a Transformers model.
DIFFUSERS_TASKS = frozenset({TaskId.IMAGE_GENERATION})

PIPELINE_INDEX = "model_index.json"


def model_config(path: Path) -> dict:
    file = path / "config.json"
    try:
        return json.loads(file.read_text())
    except FileNotFoundError:
        raise RunFailed("load", f"{path} has no config.json: not a Transformers model folder") from None
    except json.JSONDecodeError as err:
        raise RunFailed("load", f"{file} is not valid JSON: {err}") from err


def pipeline_index(path: Path) -> dict:
    """A Diffusers pipeline's model_index.json: its class and its components as `name: [library, class]`."""
    file = path / PIPELINE_INDEX
    try:
        index = json.loads(file.read_text())
    except json.JSONDecodeError as err:
        raise RunFailed("load", f"{file} is not valid JSON: {err}") from err
    if not isinstance(index, dict):
        raise RunFailed("load", f"{file} is not a pipeline index (a JSON object)")
    return index


def pipeline_class_name(index: dict) -> str:
    """The pipeline's class (a custom pipeline's index names it as `[module, class]`)."""
    name = index.get("_class_name")
    return str(name[-1] if isinstance(name, list) and name else name)


def is_pipeline(spec: RunSpec, task: Task, path: Path) -> bool:
    """Whether the model is a Diffusers pipeline; refused when the task needs the other library."""
    pipeline = (path / PIPELINE_INDEX).is_file()
    if pipeline and task.id not in DIFFUSERS_TASKS:
        raise RunFailed(
            "refused",
            f"{spec.model} is a Diffusers pipeline (it has {PIPELINE_INDEX}), but {task.display_name} runs a "
            "Transformers model (a folder with config.json); submit it for image generation instead",
        )
    if not pipeline and task.id in DIFFUSERS_TASKS:
        if (path / "config.json").is_file():
            raise RunFailed(
                "refused",
                f"{spec.model} is a Transformers model (config.json, no {PIPELINE_INDEX}), but {task.display_name} "
                "runs a Diffusers text-to-image pipeline",
            )
        raise RunFailed("load", f"{path} has no {PIPELINE_INDEX}: not a Diffusers pipeline folder")
    return pipeline


def components(index: dict) -> dict[str, tuple[str, str]]:
    """The pipeline's components that name a class, as `name: (library, class)` (unset ones are `[null, null]`)."""
    return {
        name: (entry[0], entry[1])
        for name, entry in index.items()
        if not name.startswith("_")
        and isinstance(entry, list)
        and len(entry) == 2
        and all(isinstance(part, str) for part in entry)
    }


def check_pipeline_code(index: dict, path: Path, spec: RunSpec) -> None:
    """A pipeline whose index names Python files of its own folder (a custom pipeline class or component, as
    Diffusers resolves them) needs its own code, which runs only when allowed."""
    class_name = index.get("_class_name")
    files = [path / f"{class_name[0]}.py"] if isinstance(class_name, list) and class_name else []
    files += [path / name / f"{module}.py" for name, (module, _) in components(index).items()]
    own = [f.relative_to(path).as_posix() for f in files if f.is_file()]
    if own and not spec.trust_remote_code:
        raise RunFailed(
            "refused",
            f"{spec.model}: the pipeline runs code of its own ({', '.join(own)}), so it needs trust_remote_code; "
            "that stays off unless an operator allows it for this model",
        )


def check_remote_code(config: dict, spec: RunSpec) -> None:
    """A model whose type transformers does not know needs its own code, which runs only when allowed."""
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    model_type = config.get("model_type")
    if model_type not in CONFIG_MAPPING and not spec.trust_remote_code:
        raise RunFailed(
            "refused",
            f"{spec.model}: model type {model_type!r} is not part of transformers, so the model needs its own code "
            "(trust_remote_code); that stays off unless an operator allows it for this model",
        )


def check_not_quantized(config: dict, spec: RunSpec, precision: str) -> None:
    """Every model runs in its task's precision; a quantized checkpoint would load in its own format (and
    its packed weights would under-count its parameters, hence its size class)."""
    quantization = config.get("quantization_config")
    if quantization:
        method = quantization.get("quant_method", "unnamed") if isinstance(quantization, dict) else "unnamed"
        raise RunFailed(
            "refused",
            f"{spec.model}: a quantized checkpoint ({method}); the task runs in {precision} for every model. "
            "Benchmark the unquantized model.",
        )


def check_model(spec: RunSpec, task: Task, path: Path) -> tuple[dict | None, dict | None]:
    """Every check of the model folder before it loads: (its config.json, None) for a Transformers model,
    (None, its model_index.json) for a Diffusers pipeline."""
    if is_pipeline(spec, task, path):
        pipeline = pipeline_index(path)
        check_pipeline_code(pipeline, path, spec)
        for name in components(pipeline):
            if (path / name / "config.json").is_file():
                check_not_quantized(model_config(path / name), spec, task.precision)
        return None, pipeline
    config = model_config(path)
    check_remote_code(config, spec)
    check_not_quantized(config, spec, task.precision)
    return config, None
