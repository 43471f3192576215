"""The table of real cameras (hdrisp.synth.cameras) against LibRaw's own colour maths and the
real Canon 550D DNG shipped with the lessons."""

from __future__ import annotations

import numpy as np
import pytest
import rawpy
import tifffile

from hdrisp.errors import ConfigError
from hdrisp.raw import write_dng
from hdrisp.raw.color import SRGB_TO_XYZ
from hdrisp.synth.cameras import (
    CAMERAS,
    LEVELS,
    NOISE_PROFILES,
    camera,
    camera_to_srgb,
    illuminant_xy,
    noise_variance,
    srgb_to_camera,
    white_balance_gains,
)
from hdrisp.tutorial import sample_raw_file

DNG = sample_raw_file()  # the real DNG's one home: the lessons' package data
D65 = illuminant_xy("D65")


def _white_xyz(xy):
    x, y = xy
    return np.array([x / y, 1.0, (1 - x - y) / y])


def test_the_table_spans_many_makes_and_kinds():
    names = [c.name for c in CAMERAS]
    assert len(names) == len(set(names)) >= 70
    makes = {c.make for c in CAMERAS}
    assert {"Canon", "Nikon", "Sony", "Fujifilm", "Olympus", "Panasonic", "Pentax", "Leica",
            "Samsung"} <= makes and len(makes) >= 12
    assert {c.kind for c in CAMERAS} >= {"dslr", "mirrorless", "compact", "phone"}
    assert camera("canon", "eos 550d").matrix[0] == 6941
    with pytest.raises(ConfigError, match="no camera"):
        camera("Canon", "EOS 9999D")


@pytest.mark.parametrize("cam", CAMERAS, ids=lambda c: c.name)
def test_libraw_reads_the_tables_matrices_as_we_do(cam, tmp_path):
    """A DNG whose ColorMatrix1 is the table's matrix: LibRaw's camera → sRGB matrix and
    its daylight multipliers are ours (to LibRaw's rounding of the sRGB primaries)."""
    m = cam.xyz_to_camera
    path = write_dng(tmp_path / "cam.dng", np.full((32, 32), 500, np.uint16), "RGGB", 64, 1023,
                     color_matrix=np.linalg.inv(m @ SRGB_TO_XYZ))
    with tifffile.TiffFile(path) as tif:
        stored = tif.pages[0].tags[50721].value
    np.testing.assert_allclose(np.array(stored[0::2]) / np.array(stored[1::2]), m.ravel(),
                               atol=1e-6)
    with rawpy.imread(str(path)) as rp:
        libraw_matrix = np.asarray(rp.color_matrix)[:3, :3]
        daylight = np.asarray(rp.daylight_whitebalance)[:3]
    np.testing.assert_allclose(libraw_matrix, camera_to_srgb(m), atol=1e-3)
    np.testing.assert_allclose(daylight / daylight[1], white_balance_gains(m, D65), atol=2e-3)


def test_the_real_dng_carries_the_550d_matrix_but_for_one_coefficient():
    """The Magic Lantern DNG's ColorMatrix1 is Adobe's Canon EOS 550D matrix with its first
    coefficient written 0.6461 instead of 0.6941 (Magic Lantern's source quotes Adobe's row
    in a comment above its own); LibRaw develops the file with the file's matrix, and our
    maths on that matrix gives LibRaw's numbers."""
    with tifffile.TiffFile(DNG) as tif:
        tag = tif.pages[0].tags[50721].value
    file_matrix = (np.array(tag[0::2]) / np.array(tag[1::2])).reshape(3, 3)
    table = camera("Canon", "EOS 550D").xyz_to_camera
    diff = np.round((file_matrix - table) * 10000).astype(int)
    assert diff[0, 0] == 6461 - 6941
    diff[0, 0] = 0
    assert not diff.any()
    with rawpy.imread(str(DNG)) as rp:
        libraw_matrix = np.asarray(rp.color_matrix)[:3, :3]
        daylight = np.asarray(rp.daylight_whitebalance)[:3]
        assert not np.asarray(rp.rgb_xyz_matrix).any()  # rawpy leaves it empty for DNGs
    np.testing.assert_allclose(libraw_matrix, camera_to_srgb(file_matrix), atol=1e-3)
    np.testing.assert_allclose(daylight / daylight[1], white_balance_gains(file_matrix, D65),
                               atol=2e-3)


@pytest.mark.parametrize("cam", CAMERAS[::7], ids=lambda c: c.name)
def test_white_balance_makes_the_illuminants_white_neutral(cam):
    """Gains are 1 / (camera response to the illuminant's white), green = 1: a white
    surface under that light reads equal in all three channels once balanced."""
    m = cam.xyz_to_camera
    for xy in (D65, illuminant_xy("A"), illuminant_xy("FL11"), illuminant_xy(3200, "planckian"),
               illuminant_xy(9000, "daylight")):
        response = m @ _white_xyz(xy)
        gains = np.array(white_balance_gains(m, xy))
        assert gains[1] == 1.0
        balanced = response * gains
        np.testing.assert_allclose(balanced / balanced[1], 1.0, atol=1e-12)


def test_tungsten_needs_more_blue_and_less_red_gain_than_daylight_on_every_camera():
    for cam in CAMERAS:
        m = cam.xyz_to_camera
        day = white_balance_gains(m, D65)
        tungsten = white_balance_gains(m, illuminant_xy("A"))
        shade = white_balance_gains(m, illuminant_xy(9000, "daylight"))
        assert tungsten[0] < day[0] < shade[0], cam.name
        assert tungsten[2] > day[2] > shade[2], cam.name
        assert 1.0 < day[0] < 4.0 and 1.0 < day[2] < 3.0, cam.name


@pytest.mark.parametrize("cam", CAMERAS[::5], ids=lambda c: c.name)
def test_camera_matrices_keep_grey_grey_and_invert(cam):
    s = srgb_to_camera(cam.xyz_to_camera)
    np.testing.assert_allclose(s.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(camera_to_srgb(cam.xyz_to_camera) @ s, np.eye(3), atol=1e-10)


def test_illuminants():
    np.testing.assert_allclose(illuminant_xy(6504, "daylight"), D65, atol=5e-4)
    np.testing.assert_allclose(illuminant_xy(2856, "planckian"), illuminant_xy("A"), atol=1e-3)
    warm, cold = illuminant_xy(2000, "planckian"), illuminant_xy(20000, "planckian")
    assert warm[0] > 0.5 > 0.3 > cold[0]
    with pytest.raises(ConfigError, match="unknown illuminant"):
        illuminant_xy("D64")
    with pytest.raises(ConfigError, match="daylight CCT"):
        illuminant_xy(3000, "daylight")
    with pytest.raises(ConfigError, match="kind"):
        illuminant_xy(3000, "candle")


def test_levels_cover_10_to_14_bits_and_are_consistent():
    assert {lv.bits for lv in LEVELS} == {10, 12, 14}
    for lv in LEVELS:
        assert 0 <= lv.black < lv.white < 2**lv.bits, lv
        assert lv.white > 2 ** (lv.bits - 1), lv  # the white level uses the top bit
    assert any(lv.black >= 2000 for lv in LEVELS)  # Canon's 14-bit black of ~2048
    canon = next(lv for lv in LEVELS if lv.camera == "Canon EOS 550D")
    assert (canon.black, canon.white) == (2048, 15831)


def test_noise_profiles_grow_with_iso():
    cameras = {p.camera for p in NOISE_PROFILES}
    assert len(cameras) >= 5
    for name in cameras:
        rows = sorted((p for p in NOISE_PROFILES if p.camera == name), key=lambda p: p.iso)
        assert len(rows) >= 4
        shots = [p.shot for p in rows]
        assert shots == sorted(shots), name
        # from ISO 100 to 102400 the shot coefficient spans ~3 decades
    isos = {p.iso for p in NOISE_PROFILES}
    assert min(isos) <= 100 and max(isos) >= 102400
    r5 = next(p for p in NOISE_PROFILES if p.camera == "Canon EOS R5" and p.iso == 100)
    assert r5.read < 0  # as published ...
    assert noise_variance(r5, 0.0) == 0.0  # ... and floored
    assert noise_variance(r5, 0.5) == pytest.approx(r5.shot * 0.5 + r5.read)
