"""Checks of tests/hub_server.py through the REAL huggingface_hub client (nothing mocked).

The client is pointed at the server with ``endpoint=server.url``.  It uploads LFS files through
Xet, as in production (``hf_xet`` is installed); the tests of the LFS batch path patch
``constants.HF_HUB_DISABLE_XET``, which the client reads at each upload.  The ``datasets`` check
runs in a subprocess with ``HF_ENDPOINT`` in its environment, as ``datasets`` and ``hf://`` URLs
read the endpoint at import.
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import textwrap
import threading
import urllib.error
import urllib.request
from pathlib import Path

import huggingface_hub.constants
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from huggingface_hub import CommitOperationAdd, HfApi, HfFileSystem, hf_hub_download, snapshot_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from tests.hub_server import LocalHubServer, safetensors_bytes

TOKEN = "hf_local_secret_token_123"
REPO = "tester/results"


@pytest.fixture
def server():
    with LocalHubServer(token=TOKEN) as srv:
        yield srv


@pytest.fixture
def api(server: LocalHubServer) -> HfApi:
    return HfApi(endpoint=server.url, token=TOKEN)


@pytest.fixture
def repo(api: HfApi) -> str:
    api.create_repo(REPO, repo_type="dataset")
    return REPO


def _parquet_bytes(rows: dict[str, list]) -> bytes:
    buf = io.BytesIO()
    pq.write_table(pa.table(rows), buf)
    return buf.getvalue()


def _upload(api: HfApi, path: str, data: bytes, message: str = "upload", **kwargs) -> str:
    info = api.upload_file(
        path_or_fileobj=data, path_in_repo=path, repo_id=REPO, repo_type="dataset", commit_message=message, **kwargs
    )
    return info.oid


def test_create_repo_conflict_and_repo_info(server: LocalHubServer, api: HfApi) -> None:
    url = api.create_repo(REPO, repo_type="dataset")
    assert url.repo_id == REPO and url.repo_type == "dataset"
    with pytest.raises(HfHubHTTPError) as excinfo:
        api.create_repo(REPO, repo_type="dataset")
    assert excinfo.value.response.status_code == 409
    assert api.create_repo(REPO, repo_type="dataset", exist_ok=True).repo_id == REPO

    info = api.repo_info(REPO, repo_type="dataset")
    assert info.sha == server.head(REPO) and len(info.sha) == 40
    assert [s.rfilename for s in info.siblings] == [".gitattributes"]  # like the Hub's initial commit
    assert server.commit_count(REPO) == 1
    assert api.repo_exists(REPO, repo_type="dataset")
    assert not api.repo_exists(REPO)  # same name, other repo type

    api.delete_repo(REPO, repo_type="dataset")
    assert server.head(REPO) is None
    api.delete_repo(REPO, repo_type="dataset", missing_ok=True)


@pytest.fixture
def without_xet(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client's path when HF_HUB_DISABLE_XET is set (or hf_xet is missing): the LFS batch API."""
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_DISABLE_XET", True)


def _cas_calls(server: LocalHubServer) -> list[tuple[str, str]]:
    return [(m, p.removeprefix(server.cas_path)) for m, p in server.request_log if p.startswith(server.cas_path)]


def test_upload_json_regular_and_parquet_through_lfs(
    server: LocalHubServer, api: HfApi, repo: str, without_xet: None
) -> None:
    table = _parquet_bytes({"model": ["a", "b"], "score": [1.5, 2.5]})
    _upload(api, "runs/r1.json", b'{"score": 1}')
    server.request_log.clear()
    _upload(api, "data/train.parquet", table)
    puts = [p for m, p in server.request_log if m == "PUT"]
    assert len(puts) == 1 and puts[0].startswith("/_lfs/dataset/")  # basic LFS transfer
    assert not _cas_calls(server)

    tree = {e.path: e for e in api.list_repo_tree(repo, repo_type="dataset", recursive=True)}
    assert tree["data/train.parquet"].lfs is not None
    assert tree["data/train.parquet"].lfs.size == len(table) == tree["data/train.parquet"].size
    assert tree["runs/r1.json"].lfs is None and tree["runs/r1.json"].size == 12
    assert sorted(api.list_repo_files(repo, repo_type="dataset")) == [
        ".gitattributes",
        "data/train.parquet",
        "runs/r1.json",
    ]
    top = {e.path for e in api.list_repo_tree(repo, repo_type="dataset")}
    assert top == {".gitattributes", "data", "runs"}
    assert [e.path for e in api.list_repo_tree(repo, "runs", repo_type="dataset")] == ["runs/r1.json"]
    assert server.files(repo)["data/train.parquet"] == table

    # Same content again: the batch endpoint says "already uploaded", no second PUT.
    server.request_log.clear()
    _upload(api, "data/copy.parquet", table)
    assert not [p for m, p in server.request_log if m == "PUT"]
    assert server.files(repo)["data/copy.parquet"] == table

    # The preupload answer names the oid already there: the client leaves the unchanged file out.
    before = server.commit_count(repo)
    _upload(api, "runs/r1.json", b'{"score": 1}')
    assert server.commit_count(repo) == before


def test_lfs_upload_without_xet_puts_then_verifies(
    api: HfApi, repo: str, server: LocalHubServer, without_xet: None
) -> None:
    table = _parquet_bytes({"x": [1, 2, 3]})
    server.request_log.clear()
    _upload(api, "data/t.parquet", table)
    assert [m for m, p in server.request_log if p.startswith("/_lfs/")] == ["PUT", "POST"]  # upload + verify
    assert server.files(repo)["data/t.parquet"] == table


def test_lfs_upload_goes_through_xet(api: HfApi, repo: str, server: LocalHubServer) -> None:
    table = _parquet_bytes({"x": list(range(1000)), "y": [i / 7 for i in range(1000)]})
    blob = bytes(range(256)) * 4000  # about 1 MB, compressible: LZ4 chunks that repeat
    server.request_log.clear()
    api.create_commit(
        repo,
        [CommitOperationAdd("data/t.parquet", table), CommitOperationAdd("data/blob.bin", blob)],
        commit_message="xet",
        repo_type="dataset",
    )
    assert ("GET", f"/api/datasets/{repo}/xet-write-token/main") in server.request_log
    calls = _cas_calls(server)
    assert ("POST", "/v1/shards") in calls and any(p.startswith("/v1/xorbs/default/") for _, p in calls)
    assert not [p for _, p in server.request_log if p.startswith("/_lfs/") or p.endswith("/objects/batch")]
    assert server.files(repo)["data/t.parquet"] == table and server.files(repo)["data/blob.bin"] == blob
    tree = {e.path: e for e in api.list_repo_tree(repo, "data", repo_type="dataset")}
    assert tree["data/blob.bin"].lfs is not None and tree["data/blob.bin"].lfs.size == len(blob)

    # The same content again: hf_xet's own dedup finds every chunk, so no xorb is sent.
    server.request_log.clear()
    _upload(api, "data/copy.bin", blob)
    assert not [p for _, p in _cas_calls(server) if p.startswith("/v1/xorbs/")]
    assert server.files(repo)["data/copy.bin"] == blob


def test_cas_calls_need_a_xet_token(api: HfApi, repo: str, server: LocalHubServer) -> None:
    for token in (None, TOKEN):  # the Hub token is no CAS token
        request = urllib.request.Request(f"{server.url}{server.cas_path}/v1/shards", data=b"x", method="POST")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        with pytest.raises(urllib.error.HTTPError) as excinfo:
            urllib.request.urlopen(request, timeout=10)
        assert excinfo.value.code == 401
    with pytest.raises(HfHubHTTPError) as hub_error:  # and a CAS token needs write access
        HfApi(endpoint=server.url, token="hf_wrong").upload_file(
            path_or_fileobj=_parquet_bytes({"x": [1]}), path_in_repo="t.parquet", repo_id=repo, repo_type="dataset"
        )
    assert hub_error.value.response.status_code == 401


def test_download_at_main_and_at_old_commit(api: HfApi, repo: str, server: LocalHubServer, tmp_path: Path) -> None:
    old = _upload(api, "runs/r1.json", b'{"v": 1}', "v1")
    new = _upload(api, "runs/r1.json", b'{"v": 2}', "v2")
    assert new == server.head(repo) != old

    def download(revision: str | None) -> bytes:
        path = hf_hub_download(
            repo, "runs/r1.json", repo_type="dataset", revision=revision, endpoint=server.url, cache_dir=tmp_path
        )
        return Path(path).read_bytes()

    assert download(None) == b'{"v": 2}'
    assert download(old) == b'{"v": 1}'
    assert server.files(repo, revision=old)["runs/r1.json"] == b'{"v": 1}'

    table = _parquet_bytes({"x": list(range(100))})
    _upload(api, "data/t.parquet", table)
    path = api.hf_hub_download(repo, "data/t.parquet", repo_type="dataset", cache_dir=tmp_path)
    assert Path(path).read_bytes() == table


def test_file_exists_and_paths_info(api: HfApi, repo: str) -> None:
    first = _upload(api, "runs/r1.json", b"{}")
    _upload(api, "data/t.parquet", _parquet_bytes({"x": [1]}))
    assert api.file_exists(repo, "runs/r1.json", repo_type="dataset")
    assert not api.file_exists(repo, "runs/nope.json", repo_type="dataset")
    assert not api.file_exists(repo, "runs/r1.json", repo_type="dataset", revision="no-such-branch")

    infos = api.get_paths_info(repo, ["runs/r1.json", "data", "missing.txt"], repo_type="dataset", expand=True)
    by_path = {i.path: i for i in infos}
    assert set(by_path) == {"runs/r1.json", "data"}
    assert by_path["runs/r1.json"].size == 2 and by_path["runs/r1.json"].last_commit.oid == first
    assert not hasattr(by_path["data"], "size")  # a RepoFolder


def test_delete_file_and_folder(api: HfApi, repo: str, server: LocalHubServer) -> None:
    _upload(api, "runs/r1.json", b"{}")
    _upload(api, "runs/r2.json", b"[]")
    api.delete_file("runs/r1.json", repo, repo_type="dataset")
    assert "runs/r1.json" not in api.list_repo_files(repo, repo_type="dataset")
    with pytest.raises(EntryNotFoundError):
        api.delete_file("runs/r1.json", repo, repo_type="dataset")
    api.delete_folder("runs", repo, repo_type="dataset")
    assert set(server.files(repo)) == {".gitattributes"}


def test_parent_commit_check(api: HfApi, repo: str, server: LocalHubServer) -> None:
    head = server.head(repo)
    op = CommitOperationAdd("a.json", b"1")
    info = api.create_commit(repo, [op], commit_message="a", repo_type="dataset", parent_commit=head)
    assert server.head(repo) == info.oid != head
    with pytest.raises(HfHubHTTPError) as excinfo:
        api.create_commit(
            repo, [CommitOperationAdd("b.json", b"2")], commit_message="b", repo_type="dataset", parent_commit=head
        )
    assert excinfo.value.response.status_code == 412
    assert "A commit has happened since" in str(excinfo.value)
    assert server.head(repo) == info.oid and "b.json" not in server.files(repo)


def test_concurrent_commits_on_same_parent_exactly_one_wins(api: HfApi, repo: str, server: LocalHubServer) -> None:
    head = server.head(repo)
    barrier = threading.Barrier(8)
    outcomes: list[object] = []

    def worker(i: int) -> None:
        client = HfApi(endpoint=server.url, token=TOKEN)
        barrier.wait()
        try:
            ops = [CommitOperationAdd(f"runs/{i}.json", json.dumps({"i": i}).encode())]
            outcomes.append(
                client.create_commit(repo, ops, commit_message=f"w{i}", repo_type="dataset", parent_commit=head)
            )
        except HfHubHTTPError as exc:
            outcomes.append(exc.response.status_code)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    winners = [o for o in outcomes if not isinstance(o, int)]
    assert len(winners) == 1 and sorted(o for o in outcomes if isinstance(o, int)) == [412] * 7
    assert server.commit_count(repo) == 2 and server.head(repo) == winners[0].oid
    assert len([p for p in server.files(repo) if p.startswith("runs/")]) == 1


def test_commits_refs_and_readme(api: HfApi, repo: str, server: LocalHubServer) -> None:
    first = _upload(api, "a.json", b"1", "first")
    api.upload_file(
        path_or_fileobj=b"---\nlicense: mit\n---\n# Results\n",
        path_in_repo="README.md",
        repo_id=repo,
        repo_type="dataset",
        commit_message="card",
    )
    assert ("POST", "/api/validate-yaml") in server.request_log
    commits = api.list_repo_commits(repo, repo_type="dataset")
    assert [c.title for c in commits] == ["card", "first", "initial commit"]
    assert commits[0].commit_id == server.head(repo) and commits[0].authors == ["tester"]
    assert api.list_repo_commits(repo, repo_type="dataset", revision=first)[0].commit_id == first
    refs = api.list_repo_refs(repo, repo_type="dataset")
    assert [(b.name, b.ref, b.target_commit) for b in refs.branches] == [("main", "refs/heads/main", server.head(repo))]
    assert refs.tags == [] and refs.converts == []


def test_hf_file_system_reads_with_ranges(api: HfApi, repo: str, server: LocalHubServer) -> None:
    blob = bytes(range(256)) * 40
    _upload(api, "data/blob.bin", blob)
    table = pa.table({"model": ["m1", "m2", "m3"], "kwh": [0.1, 0.2, 0.3]})
    _upload(api, "data/scores.parquet", _parquet_bytes(table.to_pydict()))
    fs = HfFileSystem(endpoint=server.url, token=TOKEN, skip_instance_cache=True)

    with fs.open(f"datasets/{repo}/data/blob.bin", "rb", block_size=1024) as f:
        assert f.read(10) == blob[:10]
        f.seek(5000)
        assert f.read(300) == blob[5000:5300]
        f.seek(-4, os.SEEK_END)
        assert f.read() == blob[-4:]
    assert fs.cat_file(f"datasets/{repo}/data/blob.bin", start=100, end=110) == blob[100:110]
    assert fs.info(f"datasets/{repo}/data/blob.bin")["size"] == len(blob)
    assert sorted(fs.glob(f"datasets/{repo}/data/*.parquet")) == [f"datasets/{repo}/data/scores.parquet"]
    assert fs.ls(f"datasets/{repo}", detail=False) == [f"datasets/{repo}/data", f"datasets/{repo}/.gitattributes"]
    with fs.open(f"datasets/{repo}/data/scores.parquet", "rb") as f:
        assert pq.read_table(f).equals(table)
    head = server.head(repo)
    assert fs.read_bytes(f"datasets/{repo}@{head}/data/blob.bin") == blob


def test_not_found_errors(api: HfApi, repo: str, server: LocalHubServer, tmp_path: Path) -> None:
    with pytest.raises(EntryNotFoundError):
        hf_hub_download(repo, "nope.json", repo_type="dataset", endpoint=server.url, cache_dir=tmp_path)
    with pytest.raises(RepositoryNotFoundError):
        api.repo_info("tester/missing", repo_type="dataset")
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("tester/missing", "x.json", repo_type="dataset", endpoint=server.url, cache_dir=tmp_path)
    with pytest.raises(RevisionNotFoundError):
        api.repo_info(repo, repo_type="dataset", revision="0" * 40)
    with pytest.raises(RevisionNotFoundError):
        api.list_repo_files(repo, repo_type="dataset", revision="dev")
    with pytest.raises(EntryNotFoundError):
        list(api.list_repo_tree(repo, "no/such/dir", repo_type="dataset"))


def test_auth(server: LocalHubServer, api: HfApi, repo: str, capfd: pytest.CaptureFixture[str]) -> None:
    anonymous = HfApi(endpoint=server.url, token=False)
    wrong = HfApi(endpoint=server.url, token="hf_wrong")
    for client in (anonymous, wrong):
        with pytest.raises(HfHubHTTPError) as excinfo:
            client.create_repo("tester/other", repo_type="dataset")
        assert excinfo.value.response.status_code == 401
        with pytest.raises(HfHubHTTPError) as excinfo:
            client.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo, repo_type="dataset")
        assert excinfo.value.response.status_code == 401
    assert server.head("tester/other") is None and server.commit_count(repo) == 1
    assert anonymous.list_repo_files(repo, repo_type="dataset") == [".gitattributes"]  # reads stay public

    assert api.whoami()["name"] == "tester"
    with pytest.raises(HfHubHTTPError, match="Invalid user token") as excinfo:
        wrong.whoami()
    assert excinfo.value.response.status_code == 401

    api.create_repo("tester/secret", repo_type="dataset", private=True)
    with pytest.raises(RepositoryNotFoundError):
        anonymous.repo_info("tester/secret", repo_type="dataset")
    assert api.repo_info("tester/secret", repo_type="dataset").private is True
    table = _parquet_bytes({"x": [1]})  # the LFS PUT carries no token, even for a private repo
    api.upload_file(path_or_fileobj=table, path_in_repo="t.parquet", repo_id="tester/secret", repo_type="dataset")
    assert server.files("tester/secret")["t.parquet"] == table

    out, err = capfd.readouterr()
    assert TOKEN not in out + err
    assert all(TOKEN not in path for _, path in server.request_log)


def test_open_server_without_token_and_seeded_model_repo(tmp_path: Path) -> None:
    with LocalHubServer() as server:
        sha = server.seed("org/tiny-model", {"config.json": b'{"a": 1}', "model.safetensors": b"\0" * 64})
        api = HfApi(endpoint=server.url, token="any-token-is-accepted")
        info = api.model_info("org/tiny-model", files_metadata=True)
        assert info.sha == sha and server.commit_count("org/tiny-model", "model") == 2
        lfs = {s.rfilename: s.lfs for s in info.siblings}
        assert lfs["model.safetensors"] is not None and lfs["config.json"] is None
        path = hf_hub_download("org/tiny-model", "model.safetensors", endpoint=server.url, cache_dir=tmp_path)
        assert Path(path).read_bytes() == b"\0" * 64
        api.upload_file(path_or_fileobj=b"hi", path_in_repo="notes.txt", repo_id="org/tiny-model")
        assert server.files("org/tiny-model", "model")["notes.txt"] == b"hi"
        assert api.whoami()["name"] == "tester"


def test_subprocess_with_hf_endpoint_datasets_and_unchanged_upload(tmp_path: Path) -> None:
    """HF_ENDPOINT set before import: ``datasets`` reads hf:// URLs, and the client skips an
    unchanged upload, as with the real Hub."""
    with LocalHubServer(token=TOKEN) as server:
        api = HfApi(endpoint=server.url, token=TOKEN)
        api.create_repo(REPO, repo_type="dataset")
        _upload(api, "data/train.parquet", _parquet_bytes({"model": ["a", "b"], "kwh": [1.0, 2.0]}))
        head = server.head(REPO)
        script = textwrap.dedent(
            f"""
            import json, datasets, huggingface_hub
            ds = datasets.load_dataset("parquet", data_files="hf://datasets/{REPO}/data/*.parquet", split="train")
            api = huggingface_hub.HfApi()
            kwargs = dict(path_or_fileobj=b"{{}}", path_in_repo="a.json", repo_id="{REPO}", repo_type="dataset")
            info, again = api.upload_file(**kwargs), api.upload_file(**kwargs)
            print(json.dumps({{"rows": ds.to_dict(), "same_commit": info.oid == again.oid}}))
            """
        )
        env = {
            **os.environ,
            "HF_ENDPOINT": server.url,
            "HF_TOKEN": TOKEN,
            "HF_HOME": str(tmp_path / "hf"),
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        }
        proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr[-3000:]
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        assert result == {"rows": {"model": ["a", "b"], "kwh": [1.0, 2.0]}, "same_commit": True}
        assert server.commit_count(REPO) == 3 and server.head(REPO) != head


# -- model info: safetensors, config, library, gating ---------------------------------------------------------------
CONFIG = json.dumps({"architectures": ["BertModel"], "model_type": "bert", "hidden_size": 4}).encode()


def test_safetensors_builder_writes_files_the_library_reads() -> None:
    st = pytest.importorskip("safetensors.numpy")
    tensors = st.load(safetensors_bytes({"w": ("F32", [3, 4]), "b": ("F16", [4]), "s": ("I64", [])}))
    assert {k: (str(v.dtype), v.shape) for k, v in tensors.items()} == {
        "w": ("float32", (3, 4)),
        "b": ("float16", (4,)),
        "s": ("int64", ()),
    }


def test_model_info_counts_safetensors_parameters_at_each_revision(server: LocalHubServer, api: HfApi) -> None:
    weights = safetensors_bytes({"w": ("F32", [3, 4]), "b": ("F16", [4]), "step": ("I64", [])})
    first = server.seed("org/bert", {"config.json": CONFIG, "model.safetensors": weights})
    info = api.model_info("org/bert")
    assert info.sha == first
    assert info.safetensors.parameters == {"F32": 12, "F16": 4, "I64": 1} and info.safetensors.total == 17
    assert info.config == {"architectures": ["BertModel"], "model_type": "bert"}  # reduced, like the Hub
    assert info.library_name == "transformers" and info.pipeline_tag is None  # inferred from config.json
    assert info.gated is False and info.private is False
    assert "transformers" in info.tags and "safetensors" in info.tags

    bigger = safetensors_bytes({"w": ("BF16", [10, 20]), "b": ("F32", [20])})
    second = server.seed("org/bert", {"model.safetensors": bigger}, message="grow")
    assert api.model_info("org/bert").safetensors.parameters == {"BF16": 200, "F32": 20}
    assert api.model_info("org/bert").sha == second != first
    old = api.model_info("org/bert", revision=first)
    assert old.sha == first and old.safetensors.total == 17

    only = api.model_info("org/bert", expand=["safetensors", "gated"])  # the Hub sends only what was asked
    assert only.safetensors.total == 220 and only.gated is False and only.sha is None and only.config is None


def test_model_info_counts_only_the_shards_the_index_names(server: LocalHubServer, api: HfApi) -> None:
    shard1 = safetensors_bytes({"a": ("F32", [100, 10])})
    shard2 = safetensors_bytes({"b": ("F32", [10]), "c": ("F16", [5, 5])})
    names = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    index = {"metadata": {"total_size": 0}, "weight_map": {"a": names[0], "b": names[1], "c": names[1]}}
    files = {
        "config.json": CONFIG,
        names[0]: shard1,
        names[1]: shard2,
        "model.safetensors.index.json": json.dumps(index).encode(),
        "consolidated.safetensors": safetensors_bytes({"x": ("F32", [1000])}),  # not named: not counted
    }
    server.seed("org/sharded", files)
    info = api.model_info("org/sharded")
    assert info.safetensors.parameters == {"F32": 1010, "F16": 25} and info.safetensors.total == 1035

    # Without an index every *.safetensors file counts, subfolders included.
    server.seed("org/loose", {"a.safetensors": shard1, "sub/b.safetensors": shard2})
    assert api.model_info("org/loose").safetensors.total == 1035
    assert api.model_info("org/loose").library_name is None and api.model_info("org/loose").config is None


def test_model_info_omits_what_cannot_be_read(server: LocalHubServer, api: HfApi) -> None:
    server.seed("org/nothing", {"pytorch_model.bin": b"\x80\x02weights", "config.json": b"[1, 2]"})
    info = api.model_info("org/nothing")
    assert info.safetensors is None and info.config is None  # config.json is not an object
    assert info.library_name == "transformers"  # the file exists

    good = safetensors_bytes({"w": ("F32", [2, 2])})
    broken = {
        "too-short.safetensors": b"\x01\x00",
        "length-past-end.safetensors": struct.pack("<Q", 10_000) + b"{}",
        "not-json.safetensors": struct.pack("<Q", 4) + b"\xff\xfe{}",
        "bad-shape.safetensors": safetensors_bytes({"w": ("F32", [2])}).replace(b"[2]", b'"2"'),
    }
    for name, content in broken.items():
        server.seed(f"org/{name.split('.')[0]}", {"model.safetensors": good, name: content})
        assert api.model_info(f"org/{name.split('.')[0]}").safetensors is None, name  # no partial count

    index = json.dumps({"weight_map": {"w": "missing.safetensors"}}).encode()
    server.seed("org/dangling", {"model.safetensors": good, "model.safetensors.index.json": index})
    assert api.model_info("org/dangling").safetensors is None
    server.seed("org/bad-index", {"model.safetensors": good, "model.safetensors.index.json": b"{"})
    assert api.model_info("org/bad-index").safetensors is None
    server.seed("org/zeros", {"model.safetensors": b"\0" * 64})  # header length 0: no JSON at all
    assert api.model_info("org/zeros").safetensors is None


def test_model_info_metadata_is_explicit_or_inferred_and_kept_on_reseed(server: LocalHubServer, api: HfApi) -> None:
    server.seed("org/chat", {"config.json": CONFIG}, pipeline_tag="text-generation", library_name="peft")
    info = api.model_info("org/chat")
    assert (info.pipeline_tag, info.library_name) == ("text-generation", "peft")
    assert "text-generation" in info.tags and "peft" in info.tags

    server.seed("org/chat", {"README.md": b"# chat"}, message="card")  # no metadata kwargs: kept
    assert (api.model_info("org/chat").pipeline_tag, api.model_info("org/chat").library_name) == (
        "text-generation",
        "peft",
    )
    server.seed("org/chat", {}, library_name=None, message="unset")  # None: inferred again
    info = api.model_info("org/chat")
    assert (info.pipeline_tag, info.library_name) == ("text-generation", "transformers")

    model_index = json.dumps({"_class_name": "StableDiffusionPipeline", "_diffusers_version": "0.30.0"}).encode()
    server.seed("org/sd", {"model_index.json": model_index, "unet/config.json": b"{}"})
    info = api.model_info("org/sd")
    assert info.library_name == "diffusers" and info.pipeline_tag is None
    assert info.config == {"diffusers": {"_class_name": "StableDiffusionPipeline"}}

    quantized = {**json.loads(CONFIG), "quantization_config": {"quant_method": "bitsandbytes", "load_in_4bit": True}}
    server.seed("org/q", {"config.json": json.dumps(quantized).encode()})
    assert api.model_info("org/q").config["quantization_config"] == {
        "quant_method": "bitsandbytes",
        "load_in_4bit": True,
    }

    with pytest.raises(ValueError):
        server.seed("org/chat", {}, gated=True)  # type: ignore[arg-type]
    data = server.seed("tester/data", {"a.json": b"{}"}, repo_type="dataset")
    info = api.dataset_info("tester/data")
    assert info.sha == data and info.tags == [] and not hasattr(info, "library_name")  # models only


def test_gated_repo_info_is_public_but_downloads_need_granted_access(server: LocalHubServer, tmp_path: Path) -> None:
    weights = safetensors_bytes({"w": ("F32", [8])})
    server.seed("org/gated", {"config.json": CONFIG, "model.safetensors": weights}, gated="manual")
    api = HfApi(endpoint=server.url, token=TOKEN)
    anonymous = HfApi(endpoint=server.url, token=False)
    for client in (api, anonymous):
        info = client.model_info("org/gated")
        assert info.gated == "manual" and info.safetensors.total == 8 and info.config["model_type"] == "bert"
        assert sorted(client.list_repo_files("org/gated")) == [".gitattributes", "config.json", "model.safetensors"]

    def download(token: str | bool, filename: str = "model.safetensors") -> bytes:
        path = hf_hub_download("org/gated", filename, endpoint=server.url, token=token, cache_dir=tmp_path / "c")
        return Path(path).read_bytes()

    with pytest.raises(GatedRepoError) as excinfo:
        download(TOKEN)
    assert excinfo.value.response.status_code == 403
    assert "not in the authorized list" in excinfo.value.response.headers["X-Error-Message"]
    with pytest.raises(GatedRepoError) as excinfo:
        download(False)
    assert excinfo.value.response.status_code == 401  # anonymous, as on the Hub
    assert excinfo.value.response.headers["X-Error-Message"] == (
        "Access to model org/gated is restricted. You must have access to it and be authenticated to access it. "
        "Please log in."
    )

    server.seed("org/gated", {"README.md": b"# gated"})  # re-seeding keeps the gate
    assert api.model_info("org/gated").gated == "manual"
    server.grant_access("org/gated")
    assert download(TOKEN) == weights
    folder = snapshot_download("org/gated", endpoint=server.url, token=TOKEN, cache_dir=tmp_path / "snap")
    assert (Path(folder) / "config.json").read_bytes() == CONFIG
    with pytest.raises(GatedRepoError):
        download(False, "config.json")  # access is per user: still locked for anonymous callers

    server.seed("tester/auto", {"a.json": b"{}"}, repo_type="dataset", gated="auto")
    assert api.dataset_info("tester/auto").gated == "auto"
    with pytest.raises(GatedRepoError):
        hf_hub_download(
            "tester/auto", "a.json", repo_type="dataset", endpoint=server.url, token=TOKEN, cache_dir=tmp_path
        )
    server.seed("tester/auto", {}, gated=False, repo_type="dataset")
    assert api.dataset_info("tester/auto").gated is False
    path = hf_hub_download(
        "tester/auto", "a.json", repo_type="dataset", endpoint=server.url, token=TOKEN, cache_dir=tmp_path
    )
    assert Path(path).read_bytes() == b"{}"


def test_private_seeded_model_is_not_found_without_the_token(server: LocalHubServer, tmp_path: Path) -> None:
    server.seed("org/secret", {"config.json": CONFIG}, private=True)
    anonymous = HfApi(endpoint=server.url, token=False)
    with pytest.raises(RepositoryNotFoundError):
        anonymous.model_info("org/secret")
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("org/secret", "config.json", endpoint=server.url, token=False, cache_dir=tmp_path)
    api = HfApi(endpoint=server.url, token=TOKEN)
    server.seed("org/secret", {"README.md": b"# s"}, private=False)  # private only applies on creation
    assert api.model_info("org/secret").private is True
    path = hf_hub_download("org/secret", "config.json", endpoint=server.url, token=TOKEN, cache_dir=tmp_path)
    assert Path(path).read_bytes() == CONFIG


def test_a_differently_cased_id_finds_the_repo_and_its_info_names_it_canonically(server, api) -> None:
    """Like the Hub: `model_info("Org/Name")` answers for `org/name` with `id: "org/name"`; no second repo."""
    sha = server.seed("Acme-Labs/Tiny-Model", {"config.json": b"{}"})
    for variant in ("acme-labs/tiny-model", "ACME-LABS/TINY-MODEL", "Acme-Labs/Tiny-Model"):
        info = api.model_info(variant)
        assert (info.id, info.sha, info.author) == ("Acme-Labs/Tiny-Model", sha, "Acme-Labs")
    path = hf_hub_download("acme-labs/TINY-model", "config.json", endpoint=server.url, token=TOKEN)
    assert Path(path).read_bytes() == b"{}"
    server.seed("acme-labs/tiny-model", {"more.json": b"[]"})  # the same repo, a second commit
    assert api.model_info("Acme-Labs/Tiny-Model").id == "Acme-Labs/Tiny-Model"
    assert server.commit_count("Acme-Labs/Tiny-Model", repo_type="model") == 3
    with pytest.raises(HfHubHTTPError, match="409"):
        api.create_repo("acme-labs/tiny-model", exist_ok=False)
