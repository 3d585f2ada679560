"""The label routes as a client sees them: bad input is a 400 or 404 with its reason, never a 500; HEAD is
answered like GET; labels carry an ETag and Cache-Control, and a matching If-None-Match gets a 304."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from core.models import Hardware
from core.releases import cut_release
from core.repos import ResultsRepo
from core.settings import Settings
from core.store.local import LocalStore
from label import routes
from label.tab import MAX_PRINTED_CHARS
from leaderboard.tables import LeaderboardData
from tests.factories import later, make_result

# Stored names with every kind of control character, which labels print as one line of plain text.
CONTROL_HARDWARE = Hardware(gpu_name="NVIDIA\x00 H100\x1b[31m\nfake\x7f\u202eGPU", gpu_count=1)
LONG_HARDWARE = Hardware(gpu_name="GPU " * 5000, gpu_count=1)  # 20,000 characters, as a stored record may hold


@pytest.fixture
def repo(tmp_path) -> ResultsRepo:
    repo = ResultsRepo(LocalStore(tmp_path / "results"))
    repo.add(
        make_result(result_id="a", model_id="org/a", score_wh=1.0),
        make_result(result_id="b", model_id="org/b", score_wh=5.0),
        make_result(result_id="ctl", model_id="org/ctl", hardware=CONTROL_HARDWARE, score_wh=2.0),
        make_result(result_id="long", model_id="org/long", hardware=LONG_HARDWARE, score_wh=3.0),
    )
    cut_release(repo, "2026-5", cut_at=later(60))
    return repo


@pytest.fixture
def client(repo, tmp_path) -> TestClient:
    app = FastAPI()
    routes.register(app, LeaderboardData(repo), Settings(backend="local", data_dir=tmp_path))
    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(
    "path",
    [
        "/labels/a.png?release=..%2F..%2Fetc%2Fpasswd",
        "/labels/a.png?release=2026-5%00",
        "/labels/a.svg?release=%00",
        "/labels/a.png?release=" + "9" * 5000,
        "/labels/a.png?release=2026%2F5",
        "/labels/a.png?release=%E2%80%AE2026-5",
        "/labels/a.svg?release=%20",
    ],
)
def test_a_malformed_release_is_a_400_naming_the_rule(client, path):
    response = client.get(path)
    assert response.status_code == 400, response.text
    assert "release" in response.json()["detail"]
    assert len(response.text) < 600  # the reason, not the input echoed back


@pytest.mark.parametrize(
    "path",
    [
        "/labels/a%00.png",
        "/labels/%00.svg",
        "/labels/" + "a" * 5000 + ".png",
        "/labels/..%2Fa.png",
        "/labels/a%0Ab.png",
        "/labels/nope.png",
        "/labels/a.png?release=1999-01",
    ],
)
def test_an_unknown_or_malformed_result_or_release_is_a_404(client, path):
    response = client.get(path)
    assert response.status_code == 404, response.text
    assert len(response.text) < 600


def test_control_characters_in_stored_names_still_make_a_label(client):
    for extension in ("png", "svg"):
        response = client.get(f"/labels/ctl.{extension}")
        assert response.status_code == 200, response.text
    svg = client.get("/labels/ctl.svg").text
    assert not any(ord(ch) < 32 or ord(ch) == 0x7F or ch == "\u202e" for ch in svg)
    assert "NVIDIA� H100�[31m fake��GPU" in svg  # each one shown as a replacement mark, on one line


def test_a_very_long_stored_name_is_printed_cut(client):
    """Fitting a name to the label costs time growing with the square of its length: a 20,000-character
    hardware name took 80 s a label. It is printed cut to MAX_PRINTED_CHARS."""
    for extension in ("png", "svg"):
        assert client.get(f"/labels/long.{extension}").status_code == 200
    svg = client.get("/labels/long.svg").text
    assert "GPU " * 10 in svg and "GPU " * (MAX_PRINTED_CHARS // 4) not in svg and "…" in svg


@pytest.mark.parametrize("extension", ["png", "svg"])
def test_head_is_answered_like_get_without_a_body(client, extension):
    get = client.get(f"/labels/a.{extension}?release=2026-5")
    head = client.head(f"/labels/a.{extension}?release=2026-5")
    assert (get.status_code, head.status_code) == (200, 200)
    assert head.content == b""
    for name in ("content-type", "content-length", "content-disposition", "etag", "cache-control"):
        assert head.headers[name] == get.headers[name], name
    assert int(get.headers["content-length"]) == len(get.content)
    assert client.head("/labels/nope.png").status_code == 404


def test_the_etag_follows_the_result_and_the_release(client, repo):
    def etag(path: str) -> str:
        response = client.get(path)
        assert response.status_code == 200
        assert "max-age" in response.headers["cache-control"]
        return response.headers["etag"]

    in_may = etag("/labels/b.png?release=2026-5")
    assert in_may.startswith('"') and in_may.endswith('"')
    assert etag("/labels/b.png?release=2026-5") == in_may  # the same label, the same tag
    assert etag("/labels/b.png") == in_may  # the default is the newest release: this one
    assert etag("/labels/b.png?release=latest") != in_may  # no stars in the latest view
    assert etag("/labels/a.png?release=2026-5") != in_may  # another result
    assert etag("/labels/b.svg?release=2026-5") != in_may  # another format

    repo.add(make_result(result_id="c", model_id="org/c", score_wh=50.0, measured_at=later(90)))
    cut_release(repo, "2026-11", cut_at=later(120))
    assert etag("/labels/b.png") != in_may  # a newer release re-rates b: its default label changed
    assert etag("/labels/b.png?release=2026-5") == in_may  # a cut release never changes


def test_a_matching_if_none_match_is_a_304_without_a_body(client):
    first = client.get("/labels/a.svg?release=2026-5")
    tag = first.headers["etag"]
    for header in (tag, f"W/{tag}", f'"other", {tag}', "*"):
        again = client.get("/labels/a.svg?release=2026-5", headers={"If-None-Match": header})
        assert again.status_code == 304, header
        assert again.content == b""
        assert again.headers["etag"] == tag and again.headers["cache-control"] == first.headers["cache-control"]
    stale = client.get("/labels/a.svg?release=2026-5", headers={"If-None-Match": '"stale"'})
    assert stale.status_code == 200 and stale.content == first.content
    assert client.head("/labels/a.svg?release=2026-5", headers={"If-None-Match": tag}).status_code == 304
