"""The index's keys of a result's measurements: an index written before their format matches nothing and
says so (rebuild-index recomputes it), and values match within the stated tolerance only."""

from __future__ import annotations

import logging

from core.fingerprint import FORMAT, SAME_VALUE_REL_TOL, shared_share


def test_keys_from_an_older_index_are_not_compared_and_a_rebuild_is_asked_for(caplog) -> None:
    v1 = "0123456789abcdef fedcba9876543210"  # before FORMAT: short hashes of the exact values
    with caplog.at_level(logging.WARNING, logger="core.fingerprint"):
        assert shared_share(f"{FORMAT} 1.00000000e-03", [("old", v1), ("older", "")]) is None
    assert "2 stored results have no v2 measured_values" in caplog.text and "rebuild-index" in caplog.text


def test_values_within_the_tolerance_are_one_measurement_and_values_beyond_it_are_not() -> None:
    stored = [("r1", f"{FORMAT} 1.00000000e-03 2.00000000e+01")]
    close = 1e-3 * (1 + SAME_VALUE_REL_TOL / 2)
    assert shared_share(f"{FORMAT} {close:.8e} 2.00000000e+01", stored) == ("r1", 2, 2)
    apart = 1e-3 * (1 + SAME_VALUE_REL_TOL * 10)
    assert shared_share(f"{FORMAT} {apart:.8e} 2.00100000e+01", stored) is None
