"""The runner's command line: `python -m runner run | worker | validate | doctor`."""

from __future__ import annotations

import argparse
import functools
import logging
import os
import socket
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

from core.catalog import TaskId
from core.repos import RequestsRepo, ResultsRepo
from core.settings import load_settings
from core.store import StoreError, open_stores
from runner import doctor
from runner.spec import RunSpec


def _run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from runner.engine import Progress, RunFailed, run

    task = TaskId(args.task)
    try:
        model, dataset = _model_and_dataset(args, task)
    except RunFailed as err:
        print(f"failed ({err.error_class}): {err}", file=sys.stderr)
        return 1
    spec = RunSpec(
        model=model,
        task=task,
        revision=args.revision,
        device=args.device,
        dataset=dataset,
        samples=args.samples,
        repetitions=args.repetitions,
        warmup_runs=args.warmup_runs,
        trust_remote_code=args.trust_remote_code,
        timeout_s=args.timeout,
    )
    name = Path(args.model).name
    workdir = Path(args.workdir or f"runs/{datetime.now(UTC):%Y%m%dT%H%M%S}-{name}-{args.task}")
    workdir.mkdir(parents=True, exist_ok=False)
    bar = tqdm(total=1.0, bar_format="{desc} {percentage:3.0f}%|{bar}| {elapsed}{postfix}")

    def on_progress(progress: Progress) -> None:
        where = f" {progress.repetition}/{progress.repetitions}" if progress.repetition else ""
        bar.set_description_str(f"{progress.phase}{where}", refresh=False)
        # The child's own estimate, from the windows measured so far (tqdm's would count the start-up too).
        bar.set_postfix_str(f"about {progress.eta_s:.0f} s left" if progress.eta_s is not None else "", refresh=False)
        bar.n = progress.done
        bar.refresh()

    try:
        result = run(spec, workdir, on_progress=on_progress)
    except RunFailed as err:
        bar.close()
        print(f"failed ({err.error_class}): {err}", file=sys.stderr)
        if err.log_excerpt:
            print(err.log_excerpt[-2000:], file=sys.stderr)
        return 1
    bar.close()
    std = f" ± {result.score_std_wh!r}" if result.score_std_wh is not None else ""
    print(
        f"{result.model_id} on {result.task}: {result.score_wh!r}{std} Wh per 1,000 queries ({result.score_component})"
    )
    for check in result.checks:
        print(f"  {'pass' if check.passed else 'FAIL'} {check.name}: {check.detail}")
    print(f"logs: {workdir}")
    return 0


def _model_and_dataset(args: argparse.Namespace, task: TaskId) -> tuple[str, str | None]:
    """A local model folder; a Hub id downloaded first (the benchmark runs offline), and the task's Hub
    dataset with it unless a local dataset folder is given. Raises RunFailed ("refused" or "load")."""
    from runner.engine import RunFailed

    dataset = _local_folder(args.dataset, "dataset") if args.dataset else None
    if Path(args.model).expanduser().is_dir():
        return _local_folder(args.model, "model"), dataset
    if args.model.startswith((".", "/", "~")) or "\\" in args.model:
        raise RunFailed("refused", f"no model folder {args.model!r}")
    from core.settings import hub_api
    from runner.worker import download_dataset, download_model

    settings = load_settings()
    hub, cache = hub_api(settings), settings.cache_dir / "models"
    model = download_model(hub, args.model, args.revision, cache)
    return model, dataset or download_dataset(hub, task, cache)


def _local_folder(path: str, what: str) -> str:
    """An absolute path: the benchmark process runs in another working directory."""
    from runner.engine import RunFailed

    folder = Path(path).expanduser().resolve()
    if not folder.is_dir():
        raise RunFailed("refused", f"no {what} folder {path!r}")
    return str(folder)


def _worker(args: argparse.Namespace) -> int:
    from core.settings import hub_api
    from runner.engine import run
    from runner.worker import Worker, WorkerConfig

    settings = load_settings()
    stores = open_stores(settings)
    config = WorkerConfig(
        worker_id=args.worker_id or f"{socket.gethostname()}-{os.getpid()}",
        workdir=Path(args.workdir),
        lease_s=args.lease,
        device=args.device,
        models_dir=Path(args.models_dir) if args.models_dir else settings.models_dir,
        trusted_remote_code=frozenset(args.trust_remote_code or ()),
        cache_dir=settings.cache_dir / "models",
        datasets_dir=Path(args.datasets_dir) if args.datasets_dir else settings.data_dir / "datasets",
        timeout_s=args.timeout,
    )
    hub = hub_api(settings)
    execute = functools.partial(run, secrets=[hub.token] if isinstance(hub.token, str) else [])  # never in a log
    worker = Worker(RequestsRepo(stores.requests), ResultsRepo(stores.results), config, execute=execute, hub=hub)
    if args.once:
        done = worker.run_once()
        print(f"{done.id}: {done.status}" if done else "the queue is empty")
        return 0
    stop = threading.Event()
    try:
        worker.loop(stop, poll_s=args.poll)
    except KeyboardInterrupt:
        stop.set()
    if worker.unusable is not None:
        print(f"worker stopped: {worker.unusable}", file=sys.stderr)
        return 3
    return 0


def _validate(args: argparse.Namespace) -> int:
    from runner.validate import LogError, check_logs

    try:
        report = check_logs(Path(args.path))
    except LogError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print("\n".join(report.lines()))
    return 0 if report.ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m runner", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="benchmark one model on one task")
    run.add_argument("model", help="a Hub model id (downloaded first) or a local model folder")
    run.add_argument("--revision", help="branch, tag or commit of a Hub model (default: main)")
    run.add_argument("--task", required=True, choices=[t.value for t in TaskId])
    run.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    run.add_argument("--dataset", help="local dataset folder (default: the task's Hub dataset)")
    run.add_argument("--samples", type=int, help="fewer samples, for trials: the result is then never rated")
    run.add_argument("--repetitions", type=int, help="fewer repetitions, for trials: never rated")
    run.add_argument("--warmup-runs", type=int)
    run.add_argument("--trust-remote-code", action="store_true", help="allow the model's own code (operators only)")
    run.add_argument("--timeout", type=float, default=6 * 3600, help="seconds for the whole run")
    run.add_argument("--workdir", help="the run's log folder (must not exist)")

    worker = commands.add_parser("worker", help="claim and run PENDING requests from the configured store")
    worker.add_argument("--once", action="store_true", help="run at most one request, then exit")
    worker.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    worker.add_argument("--workdir", default="runs", help="folder of the runs' log folders")
    worker.add_argument("--models-dir", help="local model folders by model id (default: <data dir>/models)")
    worker.add_argument("--datasets-dir", help="local task datasets by task id (default: <data dir>/datasets)")
    worker.add_argument("--trust-remote-code", nargs="*", metavar="MODEL_ID", help="models allowed to run their code")
    worker.add_argument("--lease", type=float, default=600, help="seconds a claim lasts without a heartbeat")
    worker.add_argument("--poll", type=float, default=10, help="seconds between looks at an empty queue")
    worker.add_argument("--timeout", type=float, default=6 * 3600, help="seconds for one run")
    worker.add_argument("--worker-id")

    validate = commands.add_parser("validate", help="re-check a run's log folder or zip and print the gate report")
    validate.add_argument("path", help="a run folder, or a zip of one")

    doctor.add_arguments(commands.add_parser("doctor", help="say what this machine lacks for a run, with the fixes"))

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return {"run": _run, "worker": _worker, "validate": _validate, "doctor": doctor.run}[args.command](args)
    except (StoreError, ValueError, FileExistsError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
