"""The page's prose: the About / FAQ page and the citation. Task and class texts come from the catalog."""

from __future__ import annotations

from core.catalog import SIZE_CLASS_ABOUT, TASKS

DATASET_SOURCES = {
    "text_generation": "WikiText, OSCAR, UltraChat",
    "summarization": "CNN Daily Mail, SamSUM, ArXiv",
    "extractive_qa": "SQuAD v2, XTreme, SquadShifts",
    "text_classification": "IMDB, Tweet Eval, Yelp Reviews",
    "sentence_similarity": "STS Benchmark, Sentence Compression, Phrase Similarity",
    "image_classification": "ImageNet ILSVRC, Food 101, Bean Disease",
    "object_detection": "COCO 2017, Visual Genome, Plastic in River",
    "automatic_speech_recognition": "LibriSpeech, Common Voice, People's Speech",
    "image_generation": "COCO 2014 Captions, DiffusionDB, Nouns",
    "image_captioning": "COCO 2014, Red Caps, New Yorker Caption Contest",
}

CITATION = """@misc{ai_energy_score,
  title        = {AI Energy Score: energy-efficiency ratings for AI models},
  author       = {{AI Energy Score contributors}},
  year         = {2026},
  howpublished = {\\url{https://huggingface.co/spaces/AIEnergyScore/Leaderboard}},
  note         = {GPU energy in Wh per 1,000 queries, NVIDIA H100, batch size 1, 10 repetitions}
}"""


def _task_rows() -> str:
    rows = ["| Task | Dataset (1,000 queries) | Precision | Measured phases |", "|---|---|---|---|"]
    for task in TASKS.values():
        phases = ", ".join(p.value for p in task.phases)
        dataset = f"{task.dataset} ({DATASET_SOURCES[task.id.value]})"
        rows.append(f"| {task.display_name} | {dataset} | {task.precision.value} | {phases} |")
    return "\n".join(rows)


def about_markdown() -> str:
    classes = "\n".join(f"- **Class {c.value}**: {text}" for c, text in SIZE_CLASS_ABOUT.items())
    return f"""
## What is measured

Each model runs one task on a fixed dataset of 1,000 queries, batch size 1, on one NVIDIA H100 80GB,
after warm-up runs, **10 times**. The score is the **GPU energy in Wh per 1,000 queries**: the energy
of the task's measured phases, read from the GPU's cumulative energy counter (NVML), averaged over
the repetitions. Loading the model and the data is never part of it.

{_task_rows()}

**Measured or estimated?** GPU energy comes from a hardware counter. CPU and RAM energy are shown
"for transparency" and never rated; on most servers CodeCarbon *estimates* them (CPU from its TDP and
load, RAM from a fixed power per memory module), and the table says so. Every result keeps its raw
per-repetition, per-phase values, the hardware, the software versions and its validity checks.

## Stars

Within each **population** — one release × one task × one hardware (× one size class for text
generation) — the range from the lowest to the highest score is cut into **five equal bands**. The
lowest-energy band gets 5 stars, the highest 1 star; a score exactly on an edge gets the extra star.
A population with a single model (or all equal) cannot be split: everyone gets 3 stars, flagged
"not enough models to rate".

**Caveat:** one very inefficient outlier stretches the range and pushes everyone else into the top
band. We keep the official rule and show each population's band edges next to its ratings.

## Text-generation classes

{classes}

The class follows from the parameter count of the benchmarked revision. The limits are the
reference's: memory M (GB) = 1.2 × P (billions of parameters), so 24 GB / 1.2 = 20 B and
80 GB / 1.2 ≈ 66 B. Classes A and B run on one GPU, class C on several. Before a run, the runner
checks the real need instead, FP16 weights (2 bytes a parameter) with 20 % overhead, about 2.4 GB
per billion, and runs the model on the fewest GPUs that hold it, so that no idle GPU adds its draw
to the score; the count is shown next to the hardware ("5 × NVIDIA H100 80GB HBM3").

## Releases

Ratings are relative, so they are recalibrated at each release (about every six months): a release
freezes every rating and its band edges, and earlier releases stay viewable. A measurement never
changes once made; models are re-rated, never re-measured. "Latest measurements (provisional
stars)" rates everything measured so far, live: its stars may change until the next release freezes
them, so its labels carry no stars ("Not rated yet").

## How this implementation differs from the reference one

- Text generation runs in FP16, as the documentation says (the reference configs set no dtype, so
  everything ran in FP32).
- Summarization generates 10 new tokens, as its configuration intended (the reference measured a
  single forward pass).
- Prefill and the whole generation are measured directly; decode is their difference, checked to be
  positive and never clamped (the reference's went negative, silently, in a published sample).
- All 10 repetitions are kept (the reference's latest runner dropped them), with full precision
  (the reference's summary rounded to 0.01 Wh and turned parse errors into 0).
- Random weights (which the reference used for most tasks; fine for energy) are recorded on each result.
- GPUs per run: the fewest that hold the model by the memory rule above, where the reference gave
  class C every GPU of its machine. A class A or B model larger than one GPU's memory is refused with
  that rule, not spread over two: the reference rates class B as "one H100", and ratings here are
  per task, GPU model and class, with no GPU count, so a two-GPU class B run would be rated against
  single-GPU ones while adding a second GPU's draw. The reference's 66 B limit assumes 1.2 GB per
  billion parameters, half of what FP16 weights take, so on one H100 80GB (about 85.5 GB) class B
  ends near 35 B parameters in FP16; larger class B models can run on a GPU with more memory (an
  H200's 141 GB hold over 58 B), rated against that GPU's results. Class C results may differ in GPU
  count inside their population; the count is shown beside each.
- Runs on CPU-only machines (the local development loop) are scored on their estimated CPU energy,
  shown as hardware "CPU" and rated only against each other; the default view is the reference
  NVIDIA H100 80GB (HBM3). An H100 PCIe or NVL has another power envelope, so its results are rated
  only against results on the same model of GPU.

## Submissions

- **Open models**: submit a Hub model id (with a revision, resolved to its commit) and a task in the
  Submit tab. It is checked first (the model exists and is public, and ungated or granted to us, loads with Transformers
  or Diffusers, fits the task, and for text generation has safetensors weights to count its parameters),
  then queued once: the same model, revision and task already pending, running or finished is shown
  instead of queued again; after a failure it may be submitted again. The queue shows every request's
  status, times, failure reason and log excerpt.
- **Proprietary models**: vendors run the benchmark on their own H100 (this project's runner, or the
  reference runner once per repetition) and upload the zipped logs with three attestations (public
  data sharing, data integrity, model representation). Every archive is validated before anything is
  stored — its structure and sizes, its records, the hardware, the task's settings, positive energy in
  every scored phase, average power between idle and the GPU's TDP, the spread over repetitions — and
  an accepted one waits for a maintainer's review before it is rated. On the leaderboard such models are
  marked "vendor-measured". The reference logs carry less than ours (no independent counter read, no
  idle baseline, no GPU process list, no token counts, no parameter count), so text generation needs
  this project's runner, and each check says what it could and could not verify.

## Beyond GPU energy

The impact calculator scales a result to a deployment: the whole server draws about twice the GPU
energy (or the measured CPU and RAM are added), the data centre's PUE multiplies it, and the grid's
carbon intensity, the site's water use and ADEME's regional factors turn it into CO2e, water,
primary energy and abiotic depletion. Water is the server's (IT) energy times the WUE, which The
Green Grid defines per kWh of IT energy, so PUE does not multiply it; the others use the facility's
energy. These are estimates built on the measured figure.
"""
