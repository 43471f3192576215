"""Raw I/O: write_dng round trips through rawpy, PNG raws, real DNGs against rawpy, bad input."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
import rawpy
import tifffile

from hdrisp.errors import HdrispError, RawFormatError
from hdrisp.raw import RawImage, read_raw, write_dng
from hdrisp.raw.bayer import CFA_PATTERNS, pack

LEVELS = (60.0, 61.0, 62.0, 63.0)  # distinct per position, so an index mix-up shows
# a white-preserving camera → sRGB matrix (rows sum to 1), which LibRaw returns unchanged
MATRIX = np.array([[1.6, -0.5, -0.1], [-0.2, 1.5, -0.3], [0.05, -0.45, 1.4]])


def rawpy_cfa(rp) -> str:
    return "".join(rp.color_desc.decode()[i] for i in rp.raw_pattern.ravel())


def rawpy_black_by_position(rp) -> tuple[float, ...]:
    return tuple(float(rp.black_level_per_channel[i]) for i in rp.raw_pattern.ravel())


@pytest.mark.parametrize("cfa", CFA_PATTERNS)
def test_write_dng_reads_back_bit_exact_through_rawpy(tmp_path: Path, cfa: str) -> None:
    mosaic = np.random.default_rng(1).integers(0, 4096, size=(32, 48)).astype(np.uint16)
    path = write_dng(tmp_path / f"{cfa}.dng", mosaic, cfa, LEVELS, 4000, wb=(2.0, 1.0, 1.5),
                     color_matrix=MATRIX)
    with rawpy.imread(str(path)) as rp:
        assert rp.raw_type == rawpy.RawType.Flat
        assert rp.raw_image_visible.dtype == np.uint16
        np.testing.assert_array_equal(rp.raw_image_visible, mosaic)
        assert rawpy_cfa(rp) == cfa
        assert rawpy_black_by_position(rp) == LEVELS
        assert rp.white_level == 4000
        np.testing.assert_allclose(rp.camera_whitebalance[:3], [2.0, 1.0, 1.5], rtol=1e-6)
        np.testing.assert_allclose(rp.color_matrix[:, :3], MATRIX, atol=1e-3)
    raw = read_raw(path)
    np.testing.assert_array_equal(raw.mosaic, mosaic)
    assert (raw.cfa, raw.black_level, raw.white_level) == (cfa, LEVELS, 4000.0)
    assert raw.wb == pytest.approx((2.0, 1.0, 1.5), rel=1e-6)
    np.testing.assert_allclose(raw.color_matrix, MATRIX, atol=1e-3)
    assert raw.camera == "hdrisp synthetic" and raw.path == str(path)


def test_write_dng_without_optional_metadata(tmp_path: Path) -> None:
    mosaic = np.arange(24 * 32, dtype=np.uint16).reshape(24, 32)
    raw = read_raw(write_dng(tmp_path / "plain.dng", mosaic, "GRBG", 64, 1023, camera="cam X"))
    assert raw.black_level == (64.0,) * 4 and raw.white_level == 1023.0
    assert raw.color_matrix is None and raw.camera == "cam X"
    np.testing.assert_array_equal(raw.mosaic, mosaic)
    with pytest.raises(RawFormatError, match="H×W mosaic"):
        write_dng(tmp_path / "bad.dng", np.zeros((4, 4, 3)), "RGGB", 0, 1023)
    with pytest.raises(RawFormatError, match="unknown CFA"):
        write_dng(tmp_path / "bad.dng", mosaic, "RGB", 0, 1023)
    with pytest.raises(RawFormatError, match="0, 65535"):
        write_dng(tmp_path / "bad.dng", mosaic.astype(np.int32) - 1, "RGGB", 0, 1023)
    with pytest.raises(RawFormatError, match="too small"):
        write_dng(tmp_path / "bad.dng", mosaic[:20], "RGGB", 0, 1023)
    assert not (tmp_path / "bad.dng").exists()


def test_png_raw_uses_zurich_defaults_and_overrides(tmp_path: Path) -> None:
    mosaic = np.random.default_rng(2).integers(0, 1024, size=(8, 12)).astype(np.uint16)
    path = tmp_path / "0.png"
    iio.imwrite(path, mosaic)
    raw = read_raw(path)
    assert isinstance(raw, RawImage)
    np.testing.assert_array_equal(raw.mosaic, mosaic)
    assert (raw.cfa, raw.black_level, raw.white_level) == ("RGGB", (0.0,) * 4, 1023.0)
    assert raw.wb is None and raw.color_matrix is None and raw.camera is None
    raw = read_raw(path, cfa="gbrg", black_level=(1, 2, 3, 4), white_level=4095)
    assert (raw.cfa, raw.black_level, raw.white_level) == ("GBRG", (1.0, 2.0, 3.0, 4.0), 4095.0)
    np.testing.assert_allclose(raw.normalized()[0, :2], (mosaic[0, :2] - [1, 2]) / [4094, 4093],
                               rtol=1e-6)
    with pytest.raises(RawFormatError, match="not above the black"):
        read_raw(path, black_level=2000)


def test_odd_png_raw_cropped_only_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "odd.png"
    iio.imwrite(path, np.arange(7 * 10, dtype=np.uint16).reshape(7, 10))
    with pytest.raises(RawFormatError, match="odd-sized mosaic 7×10"):
        read_raw(path)
    assert read_raw(path, crop_odd=True).mosaic.shape == (6, 10)


# ------------------------------------------- real files (tests/data, and extra raws if given)


def test_real_dng_has_the_documented_metadata(real_dng: Path) -> None:
    raw = read_raw(real_dng)
    assert raw.mosaic.shape == (1156, 1734) and raw.mosaic.dtype == np.uint16
    assert raw.cfa == "RGGB"
    assert raw.black_level == (2056.0,) * 4 and raw.white_level == 15000.0
    assert raw.camera == "Canon EOS Kiss X4"
    # AsShotNeutral in the file is (1, 2.477, 1.462): multipliers 1/neutral, then G = 1
    assert raw.wb == pytest.approx((2.477, 1.0, 2.477 / 1.462), rel=1e-4)
    assert raw.color_matrix is not None and raw.color_matrix.shape == (3, 3)
    np.testing.assert_allclose(raw.color_matrix.sum(axis=1), 1.0, atol=1e-4)


def test_every_real_raw_agrees_with_rawpy(real_raw_files: list[Path]) -> None:
    for path in real_raw_files:
        raw = read_raw(path)
        with rawpy.imread(str(path)) as rp:
            np.testing.assert_array_equal(raw.mosaic, rp.raw_image_visible, err_msg=str(path))
            assert raw.cfa == rawpy_cfa(rp), path
            assert raw.black_level == rawpy_black_by_position(rp), path
            assert raw.white_level == float(rp.white_level), path
            expected = np.asarray(rp.color_matrix)[:3, :3]
            if np.any(expected):
                np.testing.assert_array_equal(raw.color_matrix, expected)
            # rawpy's own per-pixel colour map agrees with the pattern we derived
            colours = np.array(list(rp.color_desc.decode()))[rp.raw_colors_visible[:4, :4]]
            assert "".join(colours[:2, :2].ravel()) == raw.cfa, path


@pytest.mark.parametrize("offset", [(0, 0), (0, 1), (1, 0), (1, 1), (200, 301)])
def test_packing_a_crop_matches_rawpy_raw_pattern(real_raw_files: list[Path], offset) -> None:
    top, left = offset
    h = w = 64
    for path in real_raw_files:
        raw = read_raw(path)
        with rawpy.imread(str(path)) as rp:
            visible = rp.raw_image_visible
            pattern = rp.raw_pattern
            desc = rp.color_desc.decode()
        # pattern of the crop, straight from rawpy (not from hdrisp)
        crop_cfa = "".join(desc[pattern[(top + i) % 2, (left + j) % 2]] for i in (0, 1)
                           for j in (0, 1))
        packed = pack(raw.mosaic[top : top + h, left : left + w], crop_cfa)
        # where R sits in rawpy's raw_pattern, relative to the crop
        (r_row, r_col), = [(i, j) for i in (0, 1) for j in (0, 1)
                           if desc[pattern[(top + i) % 2, (left + j) % 2]] == "R"]
        # the authors' [B, Gb, R, Gr] of the 2×2 block whose top-left sample is that R
        positions = {"B": (r_row + 1, r_col + 1), "Gb": (r_row, r_col + 1),
                     "R": (r_row, r_col), "Gr": (r_row + 1, r_col)}
        ph, pw = packed.shape[1:]
        for channel, name in enumerate(("B", "Gb", "R", "Gr")):
            i, j = positions[name]
            expected = visible[top + i : top + i + 2 * ph : 2, left + j : left + j + 2 * pw : 2]
            np.testing.assert_array_equal(packed[channel], expected, err_msg=f"{path} {name}")
            colour = desc[pattern[(top + i) % 2, (left + j) % 2]]
            assert colour == name[0], (path, name)


# ------------------------------------------------------------------ bad input


def _truncated_dng(tmp: Path) -> Path:
    mosaic = np.random.default_rng(0).integers(0, 1024, size=(128, 128)).astype(np.uint16)
    good = write_dng(tmp / "whole.dng", mosaic, "RGGB", 64, 1023)
    data = good.read_bytes()
    path = tmp / "truncated.dng"
    path.write_bytes(data[: len(data) * 2 // 3])
    return path


def _jpeg_as_dng(tmp: Path) -> Path:
    path = tmp / "photo.dng"
    iio.imwrite(path, np.full((32, 32, 3), 128, np.uint8), extension=".jpg")
    return path


def _png(tmp: Path, name: str, array: np.ndarray) -> Path:
    path = tmp / name
    iio.imwrite(path, array)
    return path


def _rgb16_png(tmp: Path) -> Path:
    import cv2  # Pillow cannot write 16-bit RGB PNGs

    path = tmp / "rgb16.png"
    cv2.imwrite(str(path), np.full((8, 8, 3), 4000, np.uint16))
    return path


def _dng_tags() -> list:
    return [(50706, "B", 4, (1, 4, 0, 0), True), (271, "s", 0, "test", True),
            (272, "s", 0, "test", True), (50717, "I", 1, 1023, True)]


def _xtrans_dng(tmp: Path) -> Path:
    path = tmp / "xtrans.dng"
    xtrans = [1, 1, 0, 1, 1, 2, 1, 1, 2, 1, 1, 0, 2, 0, 1, 0, 2, 1,
              1, 1, 2, 1, 1, 0, 1, 1, 0, 1, 1, 2, 0, 2, 1, 2, 0, 1]
    tifffile.imwrite(path, np.zeros((36, 48), np.uint16), photometric=32803, metadata=None,
                     extratags=_dng_tags() + [(33421, "H", 2, (6, 6), True),
                                              (33422, "B", 36, bytes(xtrans), True)])
    return path


def _linear_dng(tmp: Path) -> Path:
    path = tmp / "linear.dng"
    tifffile.imwrite(path, np.zeros((32, 48, 3), np.uint16), photometric=34892, metadata=None,
                     extratags=_dng_tags())
    return path


def _rgb_tiff(tmp: Path) -> Path:
    path = tmp / "rgb.tif"
    tifffile.imwrite(path, np.zeros((32, 48, 3), np.uint16), photometric="rgb")
    return path


def _truncated_png(tmp: Path) -> Path:
    good = _png(tmp, "whole.png", np.random.default_rng(0).integers(0, 1024, (64, 64)
                                                                     ).astype(np.uint16))
    path = tmp / "cut.png"
    path.write_bytes(good.read_bytes()[:200])
    return path


def _empty(tmp: Path) -> Path:
    path = tmp / "empty.dng"
    path.write_bytes(b"")
    return path


def _folder(tmp: Path) -> Path:
    path = tmp / "folder.dng"
    path.mkdir()
    return path


# builder, words the message must contain
BAD_INPUTS: dict[str, tuple[Callable[[Path], Path], str]] = {
    "empty file": (_empty, "empty file"),
    "truncated DNG": (_truncated_dng, "truncated"),
    "JPEG renamed .dng": (_jpeg_as_dng, "JPEG image"),
    "8-bit RGB PNG": (lambda t: _png(t, "rgb8.png", np.zeros((8, 8, 3), np.uint8)), "3-channel"),
    "8-bit grey PNG": (lambda t: _png(t, "grey8.png", np.zeros((8, 8), np.uint8)), "8-bit"),
    "16-bit RGB PNG": (_rgb16_png, "3-channel"),
    "3-channel TIFF": (_rgb_tiff, "3-channel TIFF"),
    "odd-sized PNG raw": (lambda t: _png(t, "odd.png", np.zeros((9, 8), np.uint16)), "odd-sized"),
    "truncated PNG": (_truncated_png, "truncated PNG"),
    "directory": (_folder, "directory"),
    "missing file": (lambda t: t / "nothing.dng", "no such file"),
    "X-Trans DNG": (_xtrans_dng, "X-Trans"),
    "linear DNG": (_linear_dng, "linear (already demosaiced)"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_raises_naming_the_file(tmp_path: Path, case: str) -> None:
    build, words = BAD_INPUTS[case]
    path = build(tmp_path)
    with pytest.raises(RawFormatError) as info:
        read_raw(path)
    assert isinstance(info.value, HdrispError)
    assert info.value.path == str(path)
    assert words in info.value.problem
    assert "\n" not in str(info.value)
