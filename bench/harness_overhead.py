"""Harness overhead: a runner run against a bare loop doing the same inference, side by side. Goal: under 5 %.

Run: python bench/harness_overhead.py

For each model (a tiny and a small GPT-2 generating 10 tokens, a tiny and a small BERT classifier, all
built here with random weights), on CPU, with the same samples, warm-up and repetitions:

- runner: `runner.engine.run`, a child process with optimum-benchmark's backend, our scenario and
  CodeCarbon; we read its model windows (generate, or forward) from measurements.json;
- bare: a plain process that loads the same folder with transformers, tokenises the same rows before
  timing, and loops over the same calls inside a CodeCarbon task (so both pay for the meter).

The table compares the fastest window of each over the repetitions (wall time and CodeCarbon's CPU +
RAM energy; on a shared machine noise only adds, so the minimum is the steadiest statistic) and the
whole run, process start to result, for scale. The runner's windows also hold what the reference's
do per query: slicing the dataset, moving the inputs, counting tokens.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.catalog import TASKS, TaskId
from runner.engine import run
from runner.gates import Window
from runner.spec import RunSpec

GOAL = 0.05
MEASUREMENTS_FILE = "measurements.json"  # runner.scenario's, not imported: the bare process must stay bare
SAMPLES = 40
REPETITIONS = 5
WARMUP_RUNS = 3


@dataclass(frozen=True)
class Case:
    label: str
    task: TaskId
    kind: str  # gpt2 or bert
    width: int
    layers: int


CASES = [
    Case("tiny GPT-2 (2 × 64)", TaskId.TEXT_GENERATION, "gpt2", 64, 2),
    Case("small GPT-2 (6 × 384)", TaskId.TEXT_GENERATION, "gpt2", 384, 6),
    Case("tiny BERT (2 × 64)", TaskId.TEXT_CLASSIFICATION, "bert", 64, 2),
    Case("small BERT (6 × 384)", TaskId.TEXT_CLASSIFICATION, "bert", 384, 6),
]


@dataclass(frozen=True)
class Measured:
    window_s: float  # fastest of the repetitions
    window_kwh: float  # CodeCarbon CPU + RAM (+ GPU), least of the repetitions
    process_s: float  # process start to result
    parameters: int


def build(case: Case, root: Path) -> tuple[Path, Path]:
    from tests.runner import tiny

    builder = tiny.build_gpt2 if case.kind == "gpt2" else tiny.build_bert_classifier
    model = builder(root / "model", width=case.width, layers=case.layers)
    return model, tiny.text_dataset(root / "data", rows=SAMPLES)


def runner_side(case: Case, model: Path, dataset: Path, workdir: Path) -> Measured:
    spec = RunSpec(
        model=str(model),
        task=case.task,
        device="cpu",
        dataset=str(dataset),
        samples=SAMPLES,
        repetitions=REPETITIONS,
        warmup_runs=WARMUP_RUNS,
    )
    start = time.perf_counter()
    result = run(spec, workdir)
    process_s = time.perf_counter() - start
    target = "generate" if case.task is TaskId.TEXT_GENERATION else "forward"
    windows = [
        Window.model_validate(w)
        for w in json.loads((workdir / MEASUREMENTS_FILE).read_text())["windows"]
        if w["target"] == target and w["repetition"] is not None
    ]
    return Measured(
        window_s=min(w.duration_s for w in windows),
        window_kwh=min(w.cpu_kwh + w.ram_kwh + w.gpu_kwh for w in windows),
        process_s=process_s,
        parameters=result.parameters,
    )


def bare_side(case: Case, model: Path, dataset: Path) -> Measured:
    from runner.scenario import GENERATE_DEFAULTS  # the runner's generation arguments, passed on as they are

    task = TASKS[case.task]
    kwargs = GENERATE_DEFAULTS | {
        "max_new_tokens": task.generation.max_new_tokens,
        "min_new_tokens": task.generation.min_new_tokens,
    }
    start = time.perf_counter()
    command = [sys.executable, __file__, "--bare", case.task.value, str(model), str(dataset), json.dumps(kwargs)]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    process_s = time.perf_counter() - start
    bare = json.loads(out.stdout.strip().splitlines()[-1])
    return Measured(
        window_s=min(bare["durations_s"]),
        window_kwh=min(bare["energies_kwh"]),
        process_s=process_s,
        parameters=bare["parameters"],
    )


def bare_loop(task_id: TaskId, model_path: Path, dataset: Path, kwargs: dict) -> None:
    """The same inference without the harness: transformers alone, inputs ready before timing."""
    import torch
    from codecarbon import OfflineEmissionsTracker
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer

    task = TASKS[task_id]
    generates = task_id is TaskId.TEXT_GENERATION
    auto = AutoModelForCausalLM if generates else AutoModelForSequenceClassification
    model = auto.from_pretrained(model_path, torch_dtype=getattr(torch, task.precision.value)).eval()
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    rows = [json.loads(line)["text"] for line in (dataset / "train.jsonl").read_text().splitlines()]
    # As energy_star tokenises: token type ids for the classifiers, none for generation.
    inputs = [tokenizer(text, return_tensors="pt", return_token_type_ids=not generates) for text in rows[:SAMPLES]]

    @torch.inference_mode()
    def one(sample: dict) -> None:
        if generates:
            model.generate(**sample, **kwargs)
        else:
            model(**sample)

    tracker = OfflineEmissionsTracker(country_iso_code="USA", output_methods=[], log_level="error")
    tracker.start_task("warm")  # CodeCarbon's first start costs about a second: outside the windows
    tracker.stop_task()
    for _ in range(WARMUP_RUNS):
        one(inputs[0])
    durations, energies = [], []
    for repetition in range(REPETITIONS):
        tracker.start_task(f"loop_{repetition}")
        start = time.perf_counter()
        for sample in inputs:
            one(sample)
        durations.append(time.perf_counter() - start)
        data = tracker.stop_task()
        energies.append(data.cpu_energy + data.ram_energy + data.gpu_energy)
    parameters = sum(p.numel() for p in model.parameters())
    print(json.dumps({"durations_s": durations, "energies_kwh": energies, "parameters": parameters}))


def main() -> None:
    print(f"{SAMPLES} samples, {WARMUP_RUNS} warm-up runs, fastest of {REPETITIONS} repetitions; CPU; goal +{GOAL:.0%}")
    print()
    print(
        "| model | parameters | runner window (s) | bare loop (s) | time ratio | runner (kWh) | bare (kWh) "
        "| energy ratio | runner process (s) | bare process (s) | load after (1 min) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="harness-overhead-") as tmp:
        for index, case in enumerate(CASES):
            root = Path(tmp) / f"case-{index}"
            model, dataset = build(case, root)
            ours = runner_side(case, model, dataset, root / "run")
            bare = bare_side(case, model, dataset)
            print(
                f"| {case.label} | {ours.parameters:,} | {ours.window_s:.3f} | {bare.window_s:.3f} "
                f"| {ours.window_s / bare.window_s:.3f} | {ours.window_kwh:.3e} | {bare.window_kwh:.3e} "
                f"| {ours.window_kwh / bare.window_kwh:.3f} | {ours.process_s:.1f} | {bare.process_s:.1f} "
                f"| {os.getloadavg()[0]:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bare", nargs=4, metavar=("TASK", "MODEL", "DATASET", "KWARGS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        bare_loop(TaskId(args.bare[0]), Path(args.bare[1]), Path(args.bare[2]), json.loads(args.bare[3]))
    else:
        main()
