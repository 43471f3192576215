"""Bayer toolkit on synthetic mosaics: packing positions, levels, sampling, demosaicing."""

from __future__ import annotations

import numpy as np
import pytest

from hdrisp.errors import HdrispError, RawFormatError
from hdrisp.raw.bayer import (
    CFA_PATTERNS,
    demosaic,
    mosaic_rgb,
    normalize,
    normalize_legacy,
    pack,
    preview,
    rggb_offset,
    unpack,
)
from hdrisp.raw.color import linear_to_srgb
from hdrisp.raw.stats import (
    channel_planes,
    channel_statistics,
    clipped_map,
    false_colour_mosaic,
)


def colour_at(cfa: str, row: int, col: int) -> str:
    """The filter colour of pixel (row, col) of a mosaic whose 2×2 block is ``cfa``."""
    return cfa[(row % 2) * 2 + col % 2]


def coded_mosaic(h: int, w: int) -> np.ndarray:
    """Each pixel holds its own raster index, so a value tells where it came from."""
    return np.arange(h * w, dtype=np.float64).reshape(h, w)


def test_pack_rggb_matches_authors_slicing_by_hand() -> None:
    m = np.array([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]])
    packed = pack(m, "RGGB")
    assert packed.dtype == np.float32 and packed.shape == (4, 2, 2)
    np.testing.assert_array_equal(packed[0], [[6, 8], [14, 16]])  # B  = raw[1::2, 1::2]
    np.testing.assert_array_equal(packed[1], [[2, 4], [10, 12]])  # Gb = raw[0::2, 1::2]
    np.testing.assert_array_equal(packed[2], [[1, 3], [9, 11]])  # R  = raw[0::2, 0::2]
    np.testing.assert_array_equal(packed[3], [[5, 7], [13, 15]])  # Gr = raw[1::2, 0::2]


@pytest.mark.parametrize("cfa", CFA_PATTERNS)
def test_pack_channel_positions_pixel_by_pixel(cfa: str) -> None:
    h, w = 10, 14
    m = coded_mosaic(h, w)
    packed = pack(m, cfa)
    # the documented output size: one row/column fewer in half-resolution when shifted
    dr, dc = {"RGGB": (0, 0), "GRBG": (0, 1), "GBRG": (1, 0), "BGGR": (1, 1)}[cfa]
    assert packed.shape == (4, h // 2 - dr, w // 2 - dc)
    expected_colour = {0: "B", 1: "G", 2: "R", 3: "G"}
    for ch in range(4):
        for i in range(packed.shape[1]):
            for j in range(packed.shape[2]):
                row, col = divmod(int(packed[ch, i, j]), w)
                assert colour_at(cfa, row, col) == expected_colour[ch]
                # every channel's (i, j) sample comes from the same 2×2 block, the block whose
                # top-left pixel is the red sample of packed[2, i, j]
                r_row, r_col = divmod(int(packed[2, i, j]), w)
                assert (row - r_row, col - r_col) == {0: (1, 1), 1: (0, 1), 2: (0, 0),
                                                      3: (1, 0)}[ch]
                assert (r_row, r_col) == (2 * i + dr, 2 * j + dc)
    # Gb (channel 1) shares rows with red, Gr (channel 3) with blue
    np.testing.assert_array_equal(packed[1] // w, packed[2] // w)
    np.testing.assert_array_equal(packed[3] // w, packed[0] // w)


@pytest.mark.parametrize("cfa", CFA_PATTERNS)
def test_unpack_inverts_pack(cfa: str) -> None:
    rng = np.random.default_rng(3)
    m = rng.integers(0, 1024, size=(12, 16)).astype(np.uint16)
    dr, dc = rggb_offset(cfa)
    back = unpack(pack(m, cfa))
    assert back.dtype == np.float32
    np.testing.assert_array_equal(back, m[dr : dr + back.shape[0], dc : dc + back.shape[1]])
    if cfa == "RGGB":
        np.testing.assert_array_equal(back, m)
    packed = rng.random((4, 3, 5)).astype(np.float32)
    np.testing.assert_array_equal(pack(unpack(packed)), packed)


def test_pack_refuses_odd_sizes_unless_asked() -> None:
    m = coded_mosaic(7, 10)
    with pytest.raises(RawFormatError, match="odd-sized mosaic 7×10"):
        pack(m)
    packed = pack(m, crop_odd=True)
    assert packed.shape == (4, 3, 5)
    np.testing.assert_array_equal(unpack(packed), m[:6, :10])
    with pytest.raises(RawFormatError, match="unknown CFA"):
        pack(coded_mosaic(4, 4), "RGBG")
    with pytest.raises(RawFormatError, match="4×h×w"):
        unpack(np.zeros((3, 2, 2)))


def test_normalize_uses_per_position_black_levels() -> None:
    m = np.array([[110, 220, 110, 220], [330, 440, 330, 440]], dtype=np.uint16)
    out = normalize(m, (10, 20, 30, 40), 1010)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[:, :2], [[100 / 1000, 200 / 990], [300 / 980, 400 / 970]],
                               rtol=1e-6)
    np.testing.assert_array_equal(out[:, 2:], out[:, :2])
    np.testing.assert_array_equal(normalize(np.array([[5, 2000]]), 10, 1010), [[0.0, 1.0]])
    with pytest.raises(HdrispError, match="white level"):
        normalize(m, 100, 50)


def test_normalize_legacy_is_plain_division_by_1020() -> None:
    out = normalize_legacy(np.array([[0, 510, 1020, 1023]], dtype=np.uint16))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.float32([[0, 0.5, 1.0, 1023 / 1020]]))


@pytest.mark.parametrize("cfa", CFA_PATTERNS)
def test_mosaic_rgb_samples_the_right_channel(cfa: str) -> None:
    h, w = 6, 9  # odd width is fine when sampling
    rgb = np.stack([np.full((h, w), v) for v in (1, 2, 3)], axis=2)
    m = mosaic_rgb(rgb, cfa)
    assert m.shape == (h, w)
    for row in range(h):
        for col in range(w):
            assert m[row, col] == {"R": 1, "G": 2, "B": 3}[colour_at(cfa, row, col)]


@pytest.mark.parametrize("cfa", CFA_PATTERNS)
def test_bilinear_demosaic_reproduces_planes_and_ramps(cfa: str) -> None:
    h, w = 16, 20
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    rgb = np.stack([0.01 * xx + 0.02 * yy, 0.5 - 0.01 * yy, 0.1 + 0.015 * xx], axis=2)
    out = demosaic(mosaic_rgb(rgb, cfa), cfa)
    assert out.shape == (h, w, 3) and out.dtype == np.float32
    # bilinear interpolation is exact for linear ramps away from the border
    np.testing.assert_allclose(out[2:-2, 2:-2], rgb[2:-2, 2:-2], atol=1e-5)
    flat = demosaic(mosaic_rgb(np.broadcast_to([0.2, 0.4, 0.6], (h, w, 3)), cfa), cfa)
    np.testing.assert_allclose(flat, np.broadcast_to([0.2, 0.4, 0.6], (h, w, 3)), atol=1e-6)


@pytest.mark.parametrize("method", ["malvar2004", "menon2007"])
def test_library_demosaic_by_name(method: str) -> None:
    yy, xx = np.mgrid[0:24, 0:24].astype(np.float32)
    rgb = np.stack([0.3 + 0.005 * xx, 0.4 + 0.002 * yy, 0.5 - 0.004 * xx], axis=2)
    out = demosaic(mosaic_rgb(rgb, "GBRG"), "GBRG", method=method)
    assert out.shape == (24, 24, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out[4:-4, 4:-4], rgb[4:-4, 4:-4], atol=2e-3)
    with pytest.raises(RawFormatError, match="unknown demosaic method"):
        demosaic(mosaic_rgb(rgb, "RGGB"), method="nearest")


def test_preview_applies_wb_matrix_and_srgb_curve() -> None:
    m = np.full((8, 8), 0.2, dtype=np.float32)
    out = preview(m, "RGGB")
    assert out.shape == (8, 8, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out, linear_to_srgb(0.2), atol=1e-6)
    out = preview(m, "BGGR", wb=(2.0, 1.0, 0.5))
    np.testing.assert_allclose(out[4, 4], linear_to_srgb(np.array([0.4, 0.2, 0.1])), atol=1e-6)
    swap = np.array([[0, 0, 1], [0, 1, 0], [1, 0, 0]])  # camera R → sRGB B and back
    out = preview(m, "RGGB", wb=(2.0, 1.0, 0.5), color_matrix=swap, exposure=4.0)
    np.testing.assert_allclose(out[4, 4], linear_to_srgb(np.array([0.4, 0.8, 1.0])), atol=1e-6)
    assert out.min() >= 0 and out.max() <= 1


def test_false_colour_clipped_map_and_channel_planes() -> None:
    m = np.array([[1, 2], [3, 4]] * 2, dtype=np.float32).reshape(4, 2)
    fc = false_colour_mosaic(m, "GBRG")
    np.testing.assert_array_equal(fc[0, 0], [0, 1, 0])  # G
    np.testing.assert_array_equal(fc[0, 1], [0, 0, 2])  # B
    np.testing.assert_array_equal(fc[1, 0], [3, 0, 0])  # R
    np.testing.assert_array_equal(clipped_map(np.array([[9, 10, 11]]), 10), [[False, True, True]])
    planes = channel_planes(coded_mosaic(4, 4), "GBRG")
    assert list(planes) == ["R", "Gb", "Gr", "B"]
    np.testing.assert_array_equal(planes["R"], [[4, 6], [12, 14]])  # (1, 0)
    np.testing.assert_array_equal(planes["Gb"], [[5, 7], [13, 15]])  # red row, (1, 1)
    np.testing.assert_array_equal(planes["Gr"], [[0, 2], [8, 10]])  # blue row, (0, 0)


def test_channel_statistics_on_known_values() -> None:
    # BGGR 4×4: B at (0, 0), Gr (blue row) at (0, 1), Gb (red row) at (1, 0), R at (1, 1)
    m = np.zeros((4, 4), dtype=np.uint16)
    m[0::2, 0::2] = [[100, 200], [300, 1023]]  # B, one clipped
    m[0::2, 1::2] = 50  # Gr, all below black 64
    m[1::2, 0::2] = 500  # Gb
    m[1::2, 1::2] = [[1023, 1023], [1023, 0]]  # R, three clipped
    stats = channel_statistics(m, "BGGR", 1023, black_level=64, percentiles=(50,))
    assert stats["B"]["min"] == 100 and stats["B"]["max"] == 1023
    assert stats["B"]["p50"] == 250 and stats["B"]["clipped"] == 0.25
    assert stats["R"]["clipped"] == 0.75 and stats["R"]["mean"] == pytest.approx(767.25)
    assert stats["Gr"]["below_black"] == 1.0 and stats["Gb"]["below_black"] == 0.0
    assert stats["Gb"]["min"] == stats["Gb"]["max"] == 500
