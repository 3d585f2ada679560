"""The leaderboard's figures say what their axes measure."""

import pytest

from core.models import CPU_HARDWARE, Hardware
from core.releases import build_release, rated_results
from core.repos import ResultsRepo
from leaderboard.plots import energy_by_stars
from tests.factories import later, make_result

CPU = Hardware(gpu_name=CPU_HARDWARE, gpu_count=0)


def _rated(*results):
    frame = ResultsRepo.frame_of(results)
    return rated_results(frame, build_release("r", frame, cut_at=later(60)))


@pytest.mark.parametrize(
    ("hardware", "title"),
    [
        ([None, None], "GPU energy (Wh / 1,000 queries)"),
        ([CPU, CPU], "CPU energy (Wh / 1,000 queries)"),
        ([None, CPU], "Energy (GPU; CPU-only runs: CPU) (Wh / 1,000 queries)"),
    ],
    ids=["gpu", "cpu", "mixed"],
)
def test_the_energy_axis_names_the_energy_the_rows_are_scored_on(hardware, title):
    results = [
        make_result(result_id=f"r{i}", model_id=f"o/m{i}", score_wh=1.0 + i, **({"hardware": h} if h else {}))
        for i, h in enumerate(hardware)
    ]
    figure = energy_by_stars(_rated(*results))
    assert figure.layout.xaxis.title.text == title


def test_one_population_shows_its_four_inner_band_edges():
    figure = energy_by_stars(_rated(*[make_result(result_id=f"r{i}", model_id=f"o/m{i}", score_wh=i) for i in (1, 6)]))
    assert sorted(shape.x0 for shape in figure.layout.shapes) == [2.0, 3.0, 4.0, 5.0]
