"""Beyond GPU energy: a deployment's daily and yearly impact, from the methodology's formulas (§7).

Energy per 1,000 queries scales to a deployment by its queries per day; the facility's PUE, the grid's
carbon intensity, the site's water use and the ADEME factors of a region turn that energy into CO2e,
water, primary energy and abiotic depletion. Every figure is an estimate built on the measured one.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

# Grid carbon intensity presets, g CO2e per kWh (methodology §7).
GRID_PRESETS: dict[str, float] = {
    "World average": 475.0,
    "USA (2024 average)": 402.49,
    "Natural gas, combined cycle": 402.0,
    "Coal": 995.0,
    "Wind": 26.0,
}

# ADEME Base Empreinte: (abiotic depletion, kg Sb eq / kWh; primary energy, MJ / kWh).
REGION_FACTORS: dict[str, tuple[float, float]] = {
    "World": (7.378e-8, 9.99),
    "Europe (EEA)": (6.423e-8, 12.9),
    "USA": (9.855e-8, 11.4),
    "China": (8.515e-8, 14.1),
    "France": (4.858e-8, 11.3),
}

SERVER_FACTOR = 2.0  # rough rule: the whole server draws about twice the GPU's energy


class ImpactError(ValueError):
    """An input the calculator cannot use; the message says which and why."""


class ImpactInputs(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    gpu_wh_per_1k: float = Field(
        ge=0, allow_inf_nan=False, description="Measured GPU energy. Units: Wh / 1,000 queries."
    )
    cpu_wh_per_1k: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    ram_wh_per_1k: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    server_basis: Literal["rule of thumb", "measured components"] = "rule of thumb"
    queries_per_day: float = Field(gt=0, allow_inf_nan=False)
    pue: float = Field(ge=1.0, le=5.0, allow_inf_nan=False)
    grid_g_per_kwh: float = Field(ge=0, le=2000, allow_inf_nan=False)
    wue_l_per_kwh: float = Field(ge=0, le=50, allow_inf_nan=False)
    region: str = "World"


_FIELD_NAMES = {
    "gpu_wh_per_1k": "GPU energy",
    "cpu_wh_per_1k": "CPU energy",
    "ram_wh_per_1k": "RAM energy",
    "queries_per_day": "Queries per day",
    "pue": "PUE",
    "grid_g_per_kwh": "Grid carbon intensity",
    "wue_l_per_kwh": "WUE",
    "server_basis": "Server energy basis",
}


class Impact(BaseModel):
    """One period's impact. Units in the names."""

    it_kwh: float
    facility_kwh: float
    co2e_kg: float
    water_l: float
    primary_energy_mj: float
    abiotic_depletion_kg_sb: float


def parse_inputs(**values: object) -> ImpactInputs:
    """Validate raw form values; a bad one raises ImpactError naming the input and the rule."""
    for name, value in values.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            if name in ("cpu_wh_per_1k", "ram_wh_per_1k"):
                continue
            raise ImpactError(f"{_FIELD_NAMES.get(name, name)} is empty: enter a number.")
    if values.get("region") not in REGION_FACTORS:
        raise ImpactError(f"Unknown region {values.get('region')!r}; choose one of {', '.join(REGION_FACTORS)}.")
    try:
        return ImpactInputs.model_validate({k: v for k, v in values.items() if v is not None})
    except ValidationError as err:
        first = err.errors()[0]
        name = _FIELD_NAMES.get(str(first["loc"][0]), str(first["loc"][0]))
        raise ImpactError(f"{name}: {first['msg']} (got {first.get('input')!r}).") from None


def server_wh_per_1k(inputs: ImpactInputs) -> float:
    """The whole server's energy per 1,000 queries, from the measured components or the rule of thumb."""
    if inputs.server_basis == "measured components":
        if inputs.cpu_wh_per_1k is None or inputs.ram_wh_per_1k is None:
            raise ImpactError("This result has no CPU and RAM energy: use the rule of thumb instead.")
        return inputs.gpu_wh_per_1k + inputs.cpu_wh_per_1k + inputs.ram_wh_per_1k
    return inputs.gpu_wh_per_1k * SERVER_FACTOR


def impact(inputs: ImpactInputs, *, days: float = 1.0) -> Impact:
    """Impact over `days` days of the deployment."""
    it_kwh = server_wh_per_1k(inputs) / 1000.0 * inputs.queries_per_day / 1000.0 * days
    facility_kwh = it_kwh * inputs.pue
    depletion, primary = REGION_FACTORS[inputs.region]
    return Impact(
        it_kwh=it_kwh,
        facility_kwh=facility_kwh,
        co2e_kg=facility_kwh * inputs.grid_g_per_kwh / 1000.0,
        water_l=it_kwh * inputs.wue_l_per_kwh,  # WUE is defined per kWh of IT energy
        primary_energy_mj=facility_kwh * primary,
        abiotic_depletion_kg_sb=facility_kwh * depletion,
    )


def equivalents(kwh: float) -> dict[str, str]:
    """Everyday equivalents of an energy (methodology §7)."""
    return {
        "1,000 W microwave": f"{kwh:,.3g} hours",
        "e-bike": f"{20 * kwh:,.3g}–{40 * kwh:,.3g} miles",
        "10 W LED bulb": f"{100 * kwh:,.3g} hours",
    }
