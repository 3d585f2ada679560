"""GPU check: CodeCarbon's GPU energy against our direct NVML counter reads, the spread, and the idle baseline.

Run on a GPU machine with the runner's requirements installed (runner/requirements.txt):

    python bench/gpu_check.py [--task text_generation|text_classification] [--samples 200]

It builds a random-weight model of about 300 M parameters from a config, without any download (GPT-2
medium's shape, 24 layers × 1024, for text generation; BERT-large's for classification), and a local
text dataset, then runs `runner.engine.run` on cuda with the catalog's settings (10 warm-up runs, 10
repetitions, the task's precision and generation) except the number of samples and the dataset, so the
settings_conform and dataset_standard gates fail by design. It prints markdown to paste into BENCHMARKS.md:
each measured window with CodeCarbon's and the counter's GPU energy and their gap (goal: within 1 %), the score's
coefficient of variation over the repetitions, the idle baseline, and every gate.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.catalog import TaskId
from runner.engine import Progress, RunFailed, run
from runner.gates import Window
from runner.spec import RunSpec

GOAL_GAP = 0.01
WIDTH = 1024
LAYERS = 24
MEASUREMENTS_FILE = "measurements.json"  # the names runner.child writes; runner.child is not imported here
HARDWARE_FILE = "hardware.json"


def build(task: TaskId, root: Path, samples: int) -> tuple[Path, Path]:
    from tests.runner import tiny  # transformers: only when the check runs

    if task is TaskId.TEXT_GENERATION:
        model = tiny.build_gpt2(root / "model", width=WIDTH, layers=LAYERS)
    else:
        model = tiny.build_bert_classifier(root / "model", width=WIDTH, layers=LAYERS)
    return model, tiny.text_dataset(root / "data", rows=samples)


def print_progress(progress: Progress) -> None:
    eta = f", about {progress.eta_s:.0f} s left" if progress.eta_s is not None else ""
    where = f" {progress.repetition}/{progress.repetitions}" if progress.repetition else ""
    print(f"  {progress.phase}{where}: {progress.done:.0%}{eta}", file=sys.stderr, flush=True)


def report(workdir: Path) -> None:
    result = json.loads((workdir / "summary.json").read_text())
    hardware = json.loads((workdir / HARDWARE_FILE).read_text())
    windows = [
        Window.model_validate(w)
        for w in json.loads((workdir / MEASUREMENTS_FILE).read_text())["windows"]
        if w["repetition"] is not None
    ]
    gpu = hardware["hardware"]
    print(f"GPU: {gpu['gpu_name']} × {gpu['gpu_count']}, driver {gpu['driver']}, CUDA {gpu['cuda']}")
    print(f"model: {result['parameters']:,} parameters, {result['task']}, {result['settings']['precision']}")
    print(f"samples {result['settings']['samples']}, repetitions {result['settings']['repetitions']}")
    idle = f"idle baseline: {hardware['idle_power_w']:.1f} W over {hardware['idle_baseline_s']} s"
    print(f"{idle}; TDP {hardware['tdp_w']} W")
    print()
    if any(w.counter_gpu_kwh is None for w in windows):
        print("this GPU has no readable energy counter: CodeCarbon estimated from power samples, nothing to compare")
        return
    print("| repetition | window | duration (s) | CodeCarbon GPU (Wh) | NVML counter (Wh) | gap | average power (W) |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    gaps = []
    for w in windows:
        gap = (w.gpu_kwh - w.counter_gpu_kwh) / w.counter_gpu_kwh
        gaps.append(gap)
        power_w = w.gpu_kwh * 3.6e6 / w.duration_s
        print(
            f"| {w.repetition} | {w.target} | {w.duration_s:.3f} | {w.gpu_kwh * 1000:.6f} "
            f"| {w.counter_gpu_kwh * 1000:.6f} | {gap:+.3%} | {power_w:.1f} |"
        )
    codecarbon = sum(w.gpu_kwh for w in windows)
    counter = sum(w.counter_gpu_kwh for w in windows)
    worst = max(abs(g) for g in gaps)
    print()
    print(
        f"largest gap of one window: {worst:.3%}; all windows together: {(codecarbon - counter) / counter:+.4%} "
        f"(goal: within {GOAL_GAP:.0%})"
    )
    scores = _scores(result)
    cv = statistics.stdev(scores) / statistics.fmean(scores)
    print(f"score: {statistics.fmean(scores):.6f} Wh per 1,000 queries, CV {cv:.3%} over {len(scores)} repetitions")
    print()
    print("| gate | passed | detail |")
    print("|---|---|---|")
    for check in result["checks"]:
        print(f"| {check['name']} | {'yes' if check['passed'] else 'NO'} | {check['detail']} |")


def _scores(result: dict) -> list[float]:
    """GPU Wh per 1,000 queries of each repetition, from the summary's raw values."""
    scale = 1e6 / result["settings"]["samples"]
    return [sum(p["gpu_kwh"] for p in rep["phases"].values()) * scale for rep in result["repetitions"]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--task",
        choices=[TaskId.TEXT_GENERATION.value, TaskId.TEXT_CLASSIFICATION.value],
        default=TaskId.TEXT_GENERATION.value,
    )
    parser.add_argument("--samples", type=int, default=200, help="queries per repetition (the catalog's is 1,000)")
    parser.add_argument("--keep", type=Path, help="keep the run's log folder here (must not exist)")
    args = parser.parse_args()
    task = TaskId(args.task)
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as tmp:
        model, dataset = build(task, Path(tmp), args.samples)
        workdir = args.keep or Path(tmp) / "run"
        spec = RunSpec(
            model=str(model), task=task, device="cuda", dataset=str(dataset), samples=args.samples, timeout_s=3600
        )
        try:
            run(spec, workdir, on_progress=print_progress)
        except RunFailed as err:
            print(f"run failed ({err.error_class}): {err}\n{err.log_excerpt}", file=sys.stderr)
            return 1
        report(workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
