"""Star bands: worked examples from methodology §3, and agreement with pandas.cut(scores, 5)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.rating import band_edges, rate, stars_for


def stars(scores):
    return stars_for(scores, band_edges(scores)).tolist()


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([1, 2, 3, 4, 5, 6], [5, 5, 4, 3, 2, 1]),  # min gets 5, max 1
        ([0, 2, 10], [5, 5, 1]),  # 2 lies exactly on the first inner edge: the lower-energy band
        ([0, 4, 6, 10], [5, 4, 3, 1]),  # 4 and 6 on inner edges
        ([1, 1, 1, 9], [5, 5, 5, 1]),  # ties share a band
        ([1.0, 1.1, 1.2, 1.3, 100.0], [5, 5, 5, 5, 1]),  # one outlier squeezes the rest into the top band
        ([3.3], [3]),  # one model: zero range
        ([2.0, 2.0, 2.0], [3, 3, 3]),  # all equal: zero range
    ],
)
def test_worked_examples(scores, expected):
    assert stars(scores) == expected


def test_edges_are_five_equal_bands_over_min_max():
    assert band_edges([10.0, 20.0, 60.0]) == (10.0, 20.0, 30.0, 40.0, 50.0, 60.0)
    assert band_edges([5.0]) is None


def test_bad_populations_are_rejected():
    with pytest.raises(ValueError, match="empty"):
        band_edges([])
    with pytest.raises(ValueError, match="finite"):
        band_edges([1.0, float("nan")])


@given(st.lists(st.floats(min_value=1e-6, max_value=1e6, allow_nan=False), min_size=2, max_size=60))
def test_agrees_with_pandas_cut(scores):
    if max(scores) == min(scores):
        return
    try:
        bands = pd.cut(pd.Series(scores), 5, labels=False)
    except ValueError:  # pandas refuses edges that collapse on a range a few ulps wide
        return
    assert stars(scores) == (5 - bands).tolist()


def test_range_a_few_ulps_wide_still_gives_min_5_and_max_1():
    assert stars([1.0000000000000002e-06, 1e-06]) == [1, 5]


@given(st.lists(st.sampled_from([0.5, 1.0, 1.5, 2.0, 2.5, 3.0]), min_size=2, max_size=20))
def test_agrees_with_pandas_cut_on_edges(scores):
    """Scores drawn from a grid land exactly on edges often."""
    if max(scores) == min(scores):
        return
    assert stars(scores) == (5 - pd.cut(pd.Series(scores), 5, labels=False)).tolist()


def _entries(rows):
    return pd.DataFrame(rows, columns=["result_id", "task", "hardware", "size_class", "score_wh"])


def test_rate_keeps_classes_and_hardware_apart():
    h100, a100 = "NVIDIA H100 80GB HBM3", "NVIDIA A100-SXM4-80GB"
    entries = _entries(
        [
            ("a1", "text_generation", h100, "A", 1.0),
            ("a2", "text_generation", h100, "A", 2.0),
            ("b1", "text_generation", h100, "B", 50.0),
            ("b2", "text_generation", h100, "B", 100.0),
            ("x1", "text_generation", a100, "A", 0.1),
            ("c1", "text_classification", h100, None, 0.3),
            ("c2", "text_classification", h100, None, 0.6),
            ("c3", "text_classification", h100, None, 0.9),
        ]
    )
    populations, given_stars = rate(entries)
    assert given_stars == {"a1": 5, "a2": 1, "b1": 5, "b2": 1, "x1": 3, "c1": 5, "c2": 3, "c3": 1}
    keys = {(p.key.task, p.key.hardware, p.key.size_class): p for p in populations}
    assert len(keys) == 4
    assert keys[("text_generation", a100, "A")].rateable is False
    assert keys[("text_generation", h100, "B")].band_edges_wh == (50.0, 60.0, 70.0, 80.0, 90.0, 100.0)
    assert keys[("text_classification", h100, None)].result_ids == ("c1", "c2", "c3")


def test_rate_empty():
    assert rate(_entries([])) == ([], {})


def test_stars_vectorised_over_many():
    scores = np.linspace(0, 1, 101)
    result = stars_for(scores, band_edges(scores))
    assert np.bincount(result, minlength=6)[1:].tolist() == [20, 20, 20, 20, 21]
