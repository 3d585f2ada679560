"""What only the local folder store must show: its layout, and surviving a killed writer."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

from core.store import Put
from core.store.local import LocalStore


def test_repo_folder_holds_only_repo_files(tmp_path):
    store = LocalStore(tmp_path / "results")
    store.commit([Put("records/org/m/x.json", b"{}")], parent=None, message="add")
    files = sorted(str(p.relative_to(tmp_path / "results")) for p in (tmp_path / "results").rglob("*") if p.is_file())
    assert files == ["records/org/m/x.json"]  # bookkeeping lives in .results.store beside it
    assert (tmp_path / ".results.store" / "HEAD").read_text() == store.head()


def test_a_second_handle_sees_the_same_repo(tmp_path):
    one, two = LocalStore(tmp_path / "r"), LocalStore(tmp_path / "r")
    one.commit([Put("a.txt", b"1")], parent=None, message="add")
    assert two.head() == one.head()
    assert two.read("a.txt") == b"1"


_WRITER = textwrap.dedent(
    """
    import sys
    from core.store import Put
    from core.store.local import LocalStore

    store = LocalStore(sys.argv[1])
    generation = int(sys.argv[2])
    payload = bytes(200_000)
    operations = [Put(f"files/{i:03d}.bin", str(generation).encode() + payload) for i in range(40)]
    operations.append(Put("generation.txt", str(generation).encode()))
    print("ready", flush=True)
    store.commit(operations, parent=store.head(), message=f"generation {generation}")
    print("done", flush=True)
    """
)


def _generations_on_disk(store: LocalStore) -> set[str]:
    return {store.read(path)[:1].decode() for path in store.list("files")}


def test_a_writer_killed_mid_commit_leaves_all_or_nothing(tmp_path):
    """Kill writers at varying moments; every survivor state is one whole generation."""
    root = tmp_path / "repo"
    store = LocalStore(root)
    store.commit(
        [Put(f"files/{i:03d}.bin", b"0" + bytes(10)) for i in range(40)] + [Put("generation.txt", b"0")],
        parent=None,
        message="generation 0",
    )
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    outcomes = []
    for generation, delay in enumerate([0.0, 0.01, 0.02, 0.04, 0.08, 0.15, 0.3, 1.0], start=1):
        generation = generation % 10
        child = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(root), str(generation)], stdout=subprocess.PIPE, env=env, text=True
        )
        assert child.stdout.readline().strip() == "ready"
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait()
        reader = LocalStore(root)  # a fresh process would start like this
        current = reader.read("generation.txt").decode()
        assert _generations_on_disk(reader) == {current}, f"half a commit visible after kill at {delay}s"
        assert not (reader.meta / "journal.json").exists()
        outcomes.append(current == str(generation))
    assert outcomes[-1], "the writer given a full second should have committed"
    assert not all(outcomes), "no writer was killed mid-commit: the test proved nothing"
    store.commit([Put("generation.txt", b"9")], parent=store.head(), message="next writer")
    assert not any(p.name.startswith("txn-") for p in store.meta.iterdir()), "the next writer clears stale staging"


def test_recovery_finishes_a_commit_whose_journal_was_written(tmp_path):
    """A journal on disk is the commit point: the next reader rolls it forward."""
    store = LocalStore(tmp_path / "r")
    store.commit([Put("a.txt", b"old")], parent=None, message="1")
    staging = store.meta / "txn-deadbeef"
    staging.mkdir()
    (staging / "0").write_bytes(b"new")
    journal = {
        "commit": "f" * 40,
        "message": "crashed",
        "staging": staging.name,
        "operations": [{"op": "put", "path": "a.txt", "staged": "0"}, {"op": "put", "path": "b.txt", "staged": "1"}],
    }
    (store.meta / "journal.json").write_text(json.dumps(journal))  # "1" was already moved before the crash
    (tmp_path / "r" / "b.txt").write_bytes(b"moved")
    assert LocalStore(tmp_path / "r").read("a.txt") == b"new"
    assert store.read("b.txt") == b"moved"
    assert store.head() == "f" * 40
    assert not staging.exists()
