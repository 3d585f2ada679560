"""A model's parameter count, which sets its size class and its GPUs: from safetensors headers where they
cover every weight, else from the model (or a pipeline's sub-models) built on the meta device, shapes only."""

from __future__ import annotations

from pathlib import Path

from optimum_benchmark.backends.transformers_utils import get_transformers_auto_model_class_for_task

from runner.model_checks import components
from runner.params import count_safetensors_parameters
from runner.resolve import Resolved
from runner.scenario import failures_as
from runner.spec import RunSpec

# Weight files of a pipeline's sub-models: safetensors, or the older pickled formats.
_PICKLED_WEIGHTS = ("*.bin", "*.pt", "*.pth", "*.ckpt")


def count_parameters(
    model: Resolved, ob_task: str, config: dict, spec: RunSpec, pipeline: dict | None = None
) -> tuple[int, str]:
    """The parameter count and how it was obtained: safetensors headers, else the model built on the meta device.

    For a Diffusers pipeline (`pipeline`, its index) the count sums its sub-models (UNet or transformer, VAE,
    text encoders); the headers serve only when every sub-model's weights are in safetensors files."""
    from accelerate import init_empty_weights
    from transformers import AutoConfig

    with failures_as("load", "counting the model's parameters"):
        if pipeline is not None:
            if all(any(folder.glob("*.safetensors")) for folder in _weight_folders(model.path, pipeline)):
                counted = count_safetensors_parameters(model.path)
                if counted is not None:
                    return counted, "safetensors headers"
            return count_pipeline_parameters(model.path, pipeline), "pipeline's models built on the meta device"
        counted = count_safetensors_parameters(model.path)
        if counted is not None:
            return counted, "safetensors headers"
        pretrained = AutoConfig.from_pretrained(model.path, trust_remote_code=spec.trust_remote_code)
        auto_class = get_transformers_auto_model_class_for_task(ob_task, config.get("model_type"))
        with init_empty_weights():  # no memory: shapes only
            empty = auto_class.from_config(pretrained, trust_remote_code=spec.trust_remote_code)
        return sum(p.numel() for p in empty.parameters()), "model built on the meta device"


def _weight_folders(path: Path, index: dict) -> list[Path]:
    """The component folders of a pipeline that hold weight files of any format."""
    folders = [path / name for name in components(index)]
    return [
        folder
        for folder in folders
        if any(any(folder.glob(pattern)) for pattern in ("*.safetensors", *_PICKLED_WEIGHTS))
    ]


def count_pipeline_parameters(path: Path, index: dict) -> int:
    """A pipeline's parameters from its sub-models built on the meta device from their configs (no memory).
    Schedulers, tokenizers and processors hold no weights; a component class that cannot be found is an error,
    since skipping it would under-count."""
    import diffusers
    import transformers
    from accelerate import init_empty_weights

    total = 0
    for name, (library, class_name) in components(index).items():
        if library == "transformers":
            module = transformers
        elif library == "diffusers":
            module = diffusers
        else:  # older indexes name the diffusers.pipelines module, e.g. ["stable_diffusion", "…SafetyChecker"]
            module = getattr(diffusers.pipelines, library, None)
        cls = getattr(module, class_name, None)
        if not isinstance(cls, type):
            raise ValueError(f"component {name} is a {library}.{class_name}, which cannot be found to count it")
        with init_empty_weights():
            if issubclass(cls, transformers.PreTrainedModel):
                built = cls(cls.config_class.from_pretrained(path / name))
            elif issubclass(cls, diffusers.ModelMixin):
                built = cls.from_config(cls.load_config(path / name))
            else:
                continue
        total += sum(p.numel() for p in built.parameters())
    return total
