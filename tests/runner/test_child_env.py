"""No secret reaches the benchmark child, nor anything it leaves behind (issue 11, item 12).

A model allowed to run its own code prints its whole environment (and a token it found some other way) into
child.log, stdout, a file of its working folder and its error message; the engine runs it with tokens in the
parent's environment. Nothing of the run may show them: not the child's environment, the log, the failure's
message and excerpt (public on FAILED), the result, nor the folder published with it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.catalog import TaskId
from runner import engine
from runner.engine import REDACTED, RunFailed, child_environment, run
from runner.spec import RunSpec

HF_TOKEN = "hf_parent_token_0123456789abcdef"
OTHER_SECRETS = {
    "AIES_HF_TOKEN": "hf_settings_token_0123456789",
    "AWS_SECRET_ACCESS_KEY": "aws-secret-0123456789",
    "CUDA_API_KEY": "cuda-prefixed-secret-0123",  # an allowed prefix does not let a secret-named variable through
    "DB_PASSWORD": "db-password-0123456789",
}
# Known to the worker only (its settings file): the child could read it from a file, so its code holds it.
WORKER_TOKEN = "hf_worker_file_token_987654321"
SECRETS = [HF_TOKEN, WORKER_TOKEN, *OTHER_SECRETS.values()]


def _spec(model: Path, dataset: Path) -> RunSpec:
    return RunSpec(
        model=str(model),
        task=TaskId.TEXT_CLASSIFICATION,
        dataset=str(dataset),
        device="cpu",
        samples=4,
        repetitions=2,
        warmup_runs=1,
        timeout_s=300,
        trust_remote_code=True,
    )


@pytest.fixture(scope="module")
def env_runs(assets, tmp_path_factory) -> dict[str, tuple[Path, object]]:
    """The environment-printing model run to its end and run to a failure, with secrets in the parent."""
    from tests.runner import tiny

    root = tmp_path_factory.mktemp("env-runs")
    outcomes = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_TOKEN", HF_TOKEN)
        for name, value in OTHER_SECRETS.items():
            patch.setenv(name, value)
        patch.setenv("OMP_NUM_THREADS", "1")
        for case in ("runs", "fails"):
            model = tiny.build_environment_printing_model(
                root / f"model-{case}", leaked=WORKER_TOKEN, fail=case == "fails"
            )
            workdir = root / case
            try:
                outcome: object = run(_spec(model, assets.text), workdir, secrets=[WORKER_TOKEN])
            except RunFailed as err:
                outcome = err
            outcomes[case] = (workdir, outcome)
    return outcomes


def _everything_shown(workdir: Path, outcome: object) -> str:
    """Every file the run left (the published log folder), and the result or the failure's message and excerpt."""
    files = [path.read_bytes().decode(errors="replace") for path in sorted(workdir.rglob("*")) if path.is_file()]
    if isinstance(outcome, RunFailed):
        return "\n".join([*files, str(outcome), outcome.log_excerpt])
    return "\n".join([*files, outcome.model_dump_json()])


def _child_environment(workdir: Path) -> dict[str, str]:
    lines = (workdir / "environment.txt").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


@pytest.mark.parametrize("case", ["runs", "fails"])
def test_the_child_sees_no_secret_and_nothing_shown_holds_one(env_runs, case):
    workdir, outcome = env_runs[case]
    if case == "fails":
        assert isinstance(outcome, RunFailed) and outcome.error_class == "load", outcome
        assert "environment: " in str(outcome) and "found elsewhere" in outcome.log_excerpt  # the code ran
    else:
        assert not isinstance(outcome, RunFailed), f"{outcome}\n{getattr(outcome, 'log_excerpt', '')}"
        assert "ENVIRONMENT BEGIN" in (workdir / "child.log").read_text()
    seen = _child_environment(workdir)
    assert "PATH" in seen and seen["HF_HUB_OFFLINE"] == "1"
    assert not {"HF_TOKEN", *OTHER_SECRETS} & set(seen), sorted(seen)
    secret_named = {name for name in seen if any(word in name.upper() for word in ("TOKEN", "SECRET", "KEY", "PASS"))}
    assert secret_named == {"HF_HUB_DISABLE_IMPLICIT_TOKEN", "HF_TOKEN_PATH", "TOKENIZERS_PARALLELISM"}  # ours
    shown = _everything_shown(workdir, outcome)
    assert not [secret for secret in SECRETS if secret in shown]
    assert REDACTED in shown  # the token the code held was found and redacted, in child.log and the rest


def test_the_child_environment_is_an_allowlist():
    parent = {
        "PATH": "/usr/bin",
        "HOME": "/home/w",
        "LC_ALL": "C.UTF-8",
        "CUDA_VISIBLE_DEVICES": "0",
        "NVIDIA_VISIBLE_DEVICES": "all",
        "HF_HOME": "/cache/hf",
        "PYTHONPATH": "/extra",
        "HF_TOKEN": HF_TOKEN,
        "SOMETHING_ELSE": "x",
        "GITHUB_TOKEN": "ghp_x",
        "NVIDIA_API_KEY": "nvapi-x",
        "CUDA_AUTH": "y",
        "SSH_AUTH_SOCK": "/tmp/agent",
    } | OTHER_SECRETS
    env = child_environment(parent)
    assert {"PATH", "HOME", "LC_ALL", "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "HF_HOME"} <= set(env)
    assert env["PYTHONPATH"] == os.pathsep.join([str(engine.REPO_ROOT), "/extra"])
    assert env["HF_HUB_OFFLINE"] == "1" and env["HF_TOKEN_PATH"] == os.devnull
    refused = {"HF_TOKEN", "SOMETHING_ELSE", "GITHUB_TOKEN", "NVIDIA_API_KEY", "CUDA_AUTH", "SSH_AUTH_SOCK"}
    assert not (refused | set(OTHER_SECRETS)) & set(env)


ROOT = Path(__file__).resolve().parents[2]
_PROBE = """
import ctypes, os, subprocess, sys
from runner.engine import PR_GET_DUMPABLE, hide_own_environment
assert hide_own_environment()
print(ctypes.CDLL(None).prctl(PR_GET_DUMPABLE, 0, 0, 0, 0))
print(subprocess.run([sys.executable, "-c", READER], capture_output=True, text=True).stdout.strip())
"""
_READER = """
import os
try:
    open(f"/proc/{os.getppid()}/environ", "rb").read()
    print("read")
except PermissionError:
    print("refused")
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
def test_a_child_of_the_same_user_cannot_read_the_workers_environment():
    """A model's own code runs as the worker's user: without this it reads the token from /proc/<ppid>/environ.
    Root reads it anyway (CAP_SYS_PTRACE), and a python under /root cannot be run as another user here: under
    root only the flag is checked, and the read is shown to succeed, as the README warns."""
    probe = _PROBE.replace("READER", repr(_READER))
    env = {**os.environ, "HF_TOKEN": "hf_probe_secret", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd="/", env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "read" if os.geteuid() == 0 else "refused"]
