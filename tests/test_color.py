"""sRGB transfer curve and XYZ/sRGB matrices against published IEC 61966-2-1 values."""

from __future__ import annotations

import numpy as np
import pytest

from hdrisp.raw.color import SRGB_TO_XYZ, XYZ_TO_SRGB, linear_to_srgb, srgb_to_linear


@pytest.mark.parametrize(
    ("linear", "encoded"),
    [
        (0.0, 0.0),
        (1.0, 1.0),
        (0.0031308, 0.04045),  # the knee: 12.92 × 0.0031308 = 0.04045 (to 1e-6)
        (0.001, 0.01292),  # linear segment
        (0.18, 0.4613561295),  # middle grey: 1.055 × 0.18^(1/2.4) − 0.055
        (0.5, 0.7353569831),
        (0.214041140, 0.5),
    ],
)
def test_curve_matches_standard_values(linear: float, encoded: float) -> None:
    assert float(linear_to_srgb(linear)) == pytest.approx(encoded, abs=2e-6)
    assert float(srgb_to_linear(encoded)) == pytest.approx(linear, abs=2e-6)


def test_curve_round_trip_and_monotone_on_any_shape() -> None:
    x = np.linspace(0, 1, 2001).reshape(3, 23, 29)
    enc = linear_to_srgb(x)
    assert enc.shape == x.shape
    assert np.all(np.diff(enc.ravel()) > 0)
    np.testing.assert_allclose(srgb_to_linear(enc), x, atol=1e-12)


def test_curve_keeps_float32_and_mirrors_negatives() -> None:
    x = np.array([-0.5, -0.001, 0.25], dtype=np.float32)
    enc = linear_to_srgb(x)
    assert enc.dtype == np.float32
    assert enc[0] == pytest.approx(-float(linear_to_srgb(0.5)), rel=1e-6)
    assert enc[1] == pytest.approx(-0.01292, rel=1e-5)
    assert not np.any(np.isnan(srgb_to_linear(np.array([-1.0, 2.0]))))


def test_matrices_map_d65_white_and_primaries() -> None:
    d65 = np.array([0.95047, 1.0, 1.08883])
    np.testing.assert_allclose(XYZ_TO_SRGB @ d65, [1.0, 1.0, 1.0], atol=2e-3)
    # the sRGB red primary's XYZ (IEC 61966-2-1 forward matrix, first column)
    np.testing.assert_allclose(SRGB_TO_XYZ @ [1.0, 0.0, 0.0], [0.4124, 0.2126, 0.0193], atol=5e-4)
    np.testing.assert_allclose(SRGB_TO_XYZ @ XYZ_TO_SRGB, np.eye(3), atol=1e-12)
    assert XYZ_TO_SRGB.shape == SRGB_TO_XYZ.shape == (3, 3)
    assert XYZ_TO_SRGB.dtype == np.float64
    with pytest.raises(ValueError):
        XYZ_TO_SRGB[0, 0] = 0.0  # read-only, so no helper corrupts it by accident
