"""Which stars a result's label carries: the newest release by default, a named one, or none (latest view)."""

import re

import pytest

from core.catalog import TaskId
from core.releases import cut_release
from core.repos import ResultsRepo
from core.store import NotFound
from core.store.local import LocalStore
from label.tab import NOT_RATED, label_for
from leaderboard.tables import LATEST, LATEST_QUERY, LeaderboardData
from tests.factories import later, make_result

URL = "https://example.org/board"


@pytest.fixture
def data(tmp_path):
    repo = ResultsRepo(LocalStore(tmp_path / "results"))
    repo.add(
        make_result(result_id="a", model_id="org/a", score_wh=1.0),
        make_result(result_id="b", model_id="org/b", score_wh=5.0),
        make_result(result_id="solo", model_id="org/solo", task=TaskId.IMAGE_CLASSIFICATION, score_wh=2.0),
    )
    cut_release(repo, "2026-5", cut_at=later(60))
    repo.add(make_result(result_id="c", model_id="org/c", score_wh=50.0, measured_at=later(90)))
    cut_release(repo, "2026-11", cut_at=later(120))
    return LeaderboardData(repo)


def test_the_default_is_the_newest_release_by_cut_time(data):
    """ "2026-11" sorts before "2026-5" as text; the label must still carry the November stars."""
    default = label_for(data, "b", None, URL)
    assert (default.stars, default.scored) == (5, "November 2026")  # c, measured after May, uses far more
    assert label_for(data, "b", "2026-5", URL).stars == 1


def test_a_lone_model_is_flagged_not_rated_with_three_stars(data):
    solo = label_for(data, "solo", None, URL)
    assert solo.stars == 3 and solo.too_few_to_rate
    assert not label_for(data, "a", None, URL).too_few_to_rate


@pytest.mark.parametrize("release", [LATEST, LATEST_QUERY])
def test_the_latest_view_prints_no_stars(data, release):
    label = label_for(data, "a", release, URL)
    assert (label.stars, label.scored, label.too_few_to_rate) == (None, NOT_RATED, False)


def test_unknown_result_or_release_is_not_found(data):
    with pytest.raises(NotFound, match="no result"):
        label_for(data, "nope", None, URL)
    with pytest.raises(NotFound, match="no release"):
        label_for(data, "a", "1999-01", URL)


def test_no_label_for_an_unreviewed_vendor_result_or_a_failed_measurement(tmp_path):
    from core.models import ReviewStatus, Source, ValidityCheck
    from leaderboard.detail import model_choices

    repo = ResultsRepo(LocalStore(tmp_path / "results"))
    repo.add(
        make_result(result_id="ok", model_id="org/ok"),
        make_result(result_id="v", model_id="acme/secret", source=Source.VENDOR, review=ReviewStatus.PENDING),
        make_result(result_id="no", model_id="acme/no", source=Source.VENDOR, review=ReviewStatus.REJECTED),
        make_result(
            result_id="bad", model_id="org/bad", checks=(ValidityCheck(name="cv", passed=False, detail="cv 31 %"),)
        ),
    )
    data = LeaderboardData(repo)
    assert label_for(data, "ok", None, URL).model_id == "org/ok"
    for result_id, reason in [
        ("v", "a vendor-measured result awaiting a maintainer's review"),
        ("no", "a vendor-measured result rejected in review"),
        ("bad", "it failed its validity checks (cv: cv 31 %)"),
    ]:
        with pytest.raises(NotFound, match=re.escape(f"result {result_id!r} has no label: {reason}")):
            label_for(data, result_id, None, URL)
    assert model_choices(repo.table().frame) == ["org/bad", "org/ok"]  # unreviewed vendor results stay private
