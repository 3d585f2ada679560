"""runner/ob_compat.py: optimum-benchmark 0.6.0's own PyTorch backend and inference scenario on transformers 5.

Each check runs in a fresh interpreter, since what the module patches depends on import order.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _python(code: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def test_without_it_the_pytorch_backend_does_not_import_on_transformers_5():
    """What the module is for. When this fails, optimum-benchmark imports by itself: see the module's last paragraph."""
    done = _python("import optimum_benchmark.backends.pytorch.backend")
    assert done.returncode != 0
    assert "cannot import name 'SpecialTokensMixin' from 'transformers'" in done.stderr


def test_through_the_runner_the_backend_imports_and_every_auto_class_exists():
    done = _python(
        """
        import runner.ob_compat  # noqa: F401
        import json, transformers
        from optimum_benchmark.backends.pytorch.backend import PyTorchBackend  # noqa: F401
        from optimum_benchmark.task_utils import TASKS_TO_AUTO_MODEL_CLASS_NAMES

        names = {n for v in TASKS_TO_AUTO_MODEL_CLASS_NAMES.values() for n in ((v,) if isinstance(v, str) else v)}
        print(json.dumps({
            "version": transformers.__version__,
            "missing": sorted(n for n in names if not hasattr(transformers, n)),
            "image_to_text": TASKS_TO_AUTO_MODEL_CLASS_NAMES["image-to-text"],
        }))
        """
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["version"].startswith("5."), found
    assert found["missing"] == []
    assert found["image_to_text"] == "AutoModelForImageTextToText"


def test_a_processor_flattens_through_get_attributes(assets):
    """Whisper's processor: optimum-benchmark reads its tokenizer's and feature extractor's settings."""
    done = _python(
        f"""
        import runner.ob_compat  # noqa: F401
        import json
        from optimum_benchmark.backends.transformers_utils import get_flat_artifact_dict
        from transformers import AutoProcessor

        flat = get_flat_artifact_dict(AutoProcessor.from_pretrained({str(assets.whisper)!r}))
        print(json.dumps({{key: str(value) for key, value in flat.items()}}))
        """
    )
    assert done.returncode == 0, done.stderr
    flat = json.loads(done.stdout.strip().splitlines()[-1])
    assert "sampling_rate" in flat  # from the feature extractor
    assert "model_max_length" in flat  # from the tokenizer


def test_a_model_runs_through_optimum_benchmarks_backend_and_scenario(assets):
    """optimum-benchmark's own Benchmark.launch with its PyTorch backend and inference scenario, not the runner's."""
    done = _python(
        f"""
        import runner.ob_compat  # noqa: F401
        import json
        from optimum_benchmark import Benchmark, BenchmarkConfig, InferenceConfig, InlineConfig, PyTorchConfig

        config = BenchmarkConfig(
            name="compat",
            launcher=InlineConfig(device_isolation=False),
            backend=PyTorchConfig(model={str(assets.gpt2)!r}, device="cpu", task="text-generation", no_weights=False),
            scenario=InferenceConfig(
                iterations=2, duration=0, warmup_runs=1, latency=True, memory=True,
                input_shapes={{"batch_size": 1, "sequence_length": 8}},
                generate_kwargs={{"max_new_tokens": 4, "min_new_tokens": 4}},
            ),
        )
        report = Benchmark.launch(config)
        print(json.dumps({{
            "prefill": report.prefill.latency.values,
            "decode": report.decode.latency.values,
            "memory": report.load_model.memory.max_ram,
        }}))
        """,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(report["prefill"]) >= 2 and all(seconds > 0 for seconds in report["prefill"])
    assert len(report["decode"]) >= 2 and all(seconds > 0 for seconds in report["decode"])
    assert report["memory"] > 0
