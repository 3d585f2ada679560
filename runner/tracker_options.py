"""CodeCarbon's offline tracker options, shared by the runner (runner/scenario.py) and bench/gpu_check.py.

A light module (no optimum-benchmark import), so the GPU check measures with exactly the runner's settings
without paying for the runner's imports. Every option that changes CodeCarbon's energies is given, so no
CODECARBON_* variable or .codecarbon.config file (in $HOME or the working folder) can change them: its
`_set_from_conf` takes a constructor argument over both.
"""

from __future__ import annotations

from typing import Any

CODECARBON_MEASUREMENT: dict[str, Any] = {
    "pue": 1.0,
    "force_cpu_power": None,
    "force_ram_power": None,
    "force_mode_cpu_load": False,
    "rapl_include_dram": False,
    "rapl_prefer_psys": False,
}


def offline_tracker_options(country_iso_code: str, gpu_ids: list[Any]) -> dict[str, Any]:
    """The keyword arguments of `OfflineEmissionsTracker` for one run."""
    return {
        "country_iso_code": country_iso_code,
        "gpu_ids": gpu_ids,
        "tracking_mode": "machine",
        "measure_power_secs": 1,
        "output_methods": [],  # we write each window's data ourselves; no emissions.csv
        "log_level": "warning",
        "allow_multiple_runs": True,  # the lock file would make concurrent runs on one machine fail
        **CODECARBON_MEASUREMENT,
    }
