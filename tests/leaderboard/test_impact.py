"""The impact calculator's formulas (methodology §7) and its refusals of bad input."""

import pytest

from leaderboard.impact import GRID_PRESETS, ImpactError, equivalents, impact, parse_inputs
from leaderboard.impact_tab import impact_markdown

GOOD = dict(
    gpu_wh_per_1k=2.0,
    cpu_wh_per_1k=0.5,
    ram_wh_per_1k=0.25,
    server_basis="rule of thumb",
    queries_per_day=1_000_000,
    pue=1.5,
    grid_g_per_kwh=400.0,
    wue_l_per_kwh=2.0,
    region="France",
)


def test_worked_example_rule_of_thumb():
    day = impact(parse_inputs(**GOOD))
    # 2 Wh per 1,000 queries × 2 (server) × 1,000 × 1,000 queries = 4 kWh of IT energy
    assert day.it_kwh == pytest.approx(4.0)
    assert day.facility_kwh == pytest.approx(6.0)
    assert day.co2e_kg == pytest.approx(2.4)
    assert day.water_l == pytest.approx(8.0)
    assert day.primary_energy_mj == pytest.approx(6.0 * 11.3)
    assert day.abiotic_depletion_kg_sb == pytest.approx(6.0 * 4.858e-8)
    year = impact(parse_inputs(**GOOD), days=365)
    assert year.co2e_kg == pytest.approx(2.4 * 365)


def test_measured_components_add_cpu_and_ram():
    day = impact(parse_inputs(**{**GOOD, "server_basis": "measured components"}))
    assert day.it_kwh == pytest.approx(2.75)


def test_measured_components_need_cpu_and_ram():
    with pytest.raises(ImpactError, match="no CPU and RAM energy"):
        impact(parse_inputs(**{**GOOD, "server_basis": "measured components", "cpu_wh_per_1k": None}))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("queries_per_day", None, "Queries per day is empty"),
        ("queries_per_day", "", "Queries per day is empty"),
        ("queries_per_day", -5, "Queries per day: Input should be greater than 0"),
        ("queries_per_day", "lots", "Queries per day: Input should be a valid number"),
        ("pue", 0.8, "PUE: Input should be greater than or equal to 1"),
        ("grid_g_per_kwh", float("nan"), "Grid carbon intensity: Input should be a finite number"),
        ("wue_l_per_kwh", -1, "WUE: Input should be greater than or equal to 0"),
        ("region", "Atlantis", "Unknown region 'Atlantis'"),
    ],
)
def test_bad_inputs_get_a_specific_message(field, value, message):
    with pytest.raises(ImpactError, match=message):
        parse_inputs(**{**GOOD, field: value})
    assert impact_markdown(**{**GOOD, field: value}).startswith("⚠️ **")


def test_markdown_answer_and_equivalents():
    text = impact_markdown(**GOOD)
    assert "| Carbon emissions (kg CO2e) | 2.4 | 876 |" in text
    assert equivalents(1.0) == {"1,000 W microwave": "1 hours", "e-bike": "20–40 miles", "10 W LED bulb": "100 hours"}
    assert GRID_PRESETS["World average"] == 475.0
