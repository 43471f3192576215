"""Classical ISP stages and baselines: on synthetic mosaics with known answers and the real DNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hdrisp import isp
from hdrisp.errors import BaselineUnavailable, HdrispError
from hdrisp.raw import bayer, read_raw, to_uint8


def _smooth_scene(height: int = 64, width: int = 96) -> np.ndarray:
    """A smooth linear RGB scene in [0.05, 0.8] (little demosaicing error)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    r = 0.4 + 0.3 * np.sin(x / 17.0)
    g = 0.4 + 0.3 * np.cos(y / 13.0)
    b = 0.4 + 0.3 * np.sin((x + y) / 23.0)
    return np.stack([r, g, b], axis=-1).astype(np.float32)


@pytest.fixture(scope="module")
def real_mosaic(real_dng: Path) -> isp.LinearMosaic:
    """The real DNG as a LinearMosaic, binned ×4 (289×433 → fast baselines)."""
    return isp.downscale(isp.as_linear_mosaic(read_raw(real_dng)), 4)


def test_every_baseline_gives_a_finite_8bit_image_from_the_real_dng(
        real_mosaic: isp.LinearMosaic) -> None:
    h, w = real_mosaic.data.shape
    for name in isp.BASELINES:
        img = isp.run_baseline(name, real_mosaic, as_uint8=False)
        assert img.shape == (h, w, 3), name
        assert np.isfinite(img).all(), name
        assert img.min() >= 0.0 and img.max() <= 1.0, name
        out = to_uint8(img)
        assert out.dtype == np.uint8
        # a real picture: neither black, nor white, nor flat
        assert 30 < out.mean() < 220 and out.std() > 15, (name, out.mean(), out.std())
        # run_baseline quantises the same image (OpenCV's Mertens may differ by 1 LSB between
        # its first and later calls)
        again = isp.run_baseline(name, real_mosaic).astype(int)
        assert np.abs(again - out).max() <= 1, name


def _exposure_matched_delta_e(reference: np.ndarray, image: np.ndarray) -> float:
    """Mean CIEDE2000 of two sRGB images after scaling ``image``'s linear values by one gain:
    the median ratio of the two luminances over pixels unclipped in both."""
    import torch

    from hdrisp.evaluation.metrics import delta_e2000
    from hdrisp.raw.color import linear_to_srgb, srgb_to_linear

    weights = np.array([0.2126, 0.7152, 0.0722], np.float32)
    ref_lin, img_lin = srgb_to_linear(reference), srgb_to_linear(image)
    ref_y, img_y = ref_lin @ weights, img_lin @ weights
    fair = (ref_lin.max(2) < 0.98) & (img_lin.max(2) < 0.98) & (img_y > 1e-3)
    gain = float(np.median(ref_y[fair] / img_y[fair]))
    matched = linear_to_srgb(np.clip(img_lin * gain, 0.0, 1.0))

    def batch(x: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).permute(2, 0, 1)[None]

    return delta_e2000(batch(matched), batch(reference))


def test_classical_isp_is_close_to_librarys_own_rendering(real_dng: Path,
                                                        real_mosaic: isp.LinearMosaic) -> None:
    """LibRaw's own develop of the same DNG (AHD demosaic, as-shot white balance, camera
    matrix to sRGB, linear output, no auto-brightness), cut and binned like the mosaic,
    against the classical ISP after matching exposure: mean ΔE2000 ≤ 5 (measured 3.6; the
    same ISP without the colour matrix gives 6.8, with grey-world white balance 10.9)."""
    from dataclasses import replace

    import cv2
    import rawpy

    from hdrisp.raw.color import linear_to_srgb

    with rawpy.imread(str(real_dng)) as rp:
        linear = rp.postprocess(use_camera_wb=True, no_auto_bright=True, gamma=(1, 1),
                                output_bps=16, user_flip=0, output_color=rawpy.ColorSpace.sRGB)
    top, left, height, width = real_mosaic.window
    h, w = real_mosaic.data.shape
    linear = linear[top:top + height, left:left + width].astype(np.float32) / 65535.0
    reference = linear_to_srgb(np.clip(cv2.resize(linear, (w, h), interpolation=cv2.INTER_AREA),
                                       0.0, 1.0))
    ours = _exposure_matched_delta_e(reference, isp.classical_isp(real_mosaic))
    assert ours <= 5.0, ours
    # the bound tells a right colour pipeline from a wrong one
    for wrong in (replace(real_mosaic, color_matrix=None), replace(real_mosaic, wb=None)):
        assert _exposure_matched_delta_e(reference, isp.classical_isp(wrong)) > 6.0


def test_libraw_baseline_is_cut_to_the_mosaics_window(real_dng: Path) -> None:
    full = isp.as_linear_mosaic(read_raw(real_dng))
    whole = isp.libraw_develop(full)
    part = isp.crop(full, 200, 300, 256, 384)
    assert part.window == (200, 300, 256, 384)
    np.testing.assert_allclose(isp.libraw_develop(part), whole[200:456, 300:684], atol=1e-6)


def test_grey_world_recovers_channel_gains() -> None:
    scene = _smooth_scene()
    grey = scene.mean(axis=2, keepdims=True) * np.ones(3, np.float32)  # a neutral scene
    camera = grey * np.array([0.5, 1.0, 0.8], np.float32)  # what the sensor sees
    mosaic = isp.LinearMosaic(bayer.mosaic_rgb(camera, "GRBG"), "GRBG")
    assert isp.grey_world_gains(mosaic) == pytest.approx((2.0, 1.0, 1.25), rel=1e-3)


def test_white_balance_uses_metadata_when_known() -> None:
    data = bayer.mosaic_rgb(_smooth_scene(), "RGGB")
    assert isp.white_balance_gains(isp.LinearMosaic(data, wb=(2.0, 1.0, 1.5))) == (2.0, 1.0, 1.5)
    assert isp.white_balance_gains(isp.LinearMosaic(data)) == pytest.approx(
        isp.grey_world_gains(isp.LinearMosaic(data)))
    with pytest.raises(BaselineUnavailable, match="grey-world"):
        isp.white_balance_gains(isp.LinearMosaic(data), "metadata")


def test_linear_pipeline_inverts_a_simulated_camera() -> None:
    scene = _smooth_scene()
    ccm = np.array([[1.6, -0.4, -0.2], [-0.3, 1.5, -0.2], [0.0, -0.5, 1.5]])  # rows sum to 1
    camera_rgb = scene @ np.linalg.inv(ccm).T  # white-balanced camera RGB
    wb = (2.0, 1.0, 1.6)
    raw = np.clip(camera_rgb / np.array(wb), 0, 1).astype(np.float32)
    mosaic = isp.LinearMosaic(bayer.mosaic_rgb(raw, "BGGR"), "BGGR", wb=wb, color_matrix=ccm)
    linear = isp.develop_linear(mosaic)
    inner = (slice(2, -2), slice(2, -2))  # bilinear demosaicing is least exact at the border
    np.testing.assert_allclose(linear[inner], scene[inner], atol=0.02)


def test_downscale_bins_each_cfa_position() -> None:
    colour = np.array([0.2, 0.5, 0.9], np.float32)
    data = bayer.mosaic_rgb(np.ones((40, 62, 3), np.float32) * colour, "GBRG")
    small = isp.downscale(isp.LinearMosaic(data, "GBRG"), 3)
    assert small.data.shape == (12, 20) and small.cfa == "GBRG"
    np.testing.assert_allclose(small.data, bayer.mosaic_rgb(np.ones((12, 20, 3)) * colour,
                                                            "GBRG"), rtol=1e-6)
    assert small.window == (0, 0, 36, 60)
    rng = np.random.default_rng(0)
    noise = isp.LinearMosaic(rng.random((8, 8)).astype(np.float32))
    assert isp.downscale(noise, 2).data[0, 0] == pytest.approx(noise.data[0:4:2, 0:4:2].mean())


def test_to_rggb_drops_the_leading_row_and_column() -> None:
    data = bayer.mosaic_rgb(_smooth_scene(10, 12), "BGGR")
    out = isp.to_rggb(isp.LinearMosaic(data, "BGGR"))
    assert out.cfa == "RGGB" and out.data.shape == (8, 10)
    np.testing.assert_array_equal(out.data, data[1:9, 1:11])
    assert out.window == (1, 1, 8, 10)


def test_from_packed_undoes_the_models_input_scaling() -> None:
    rng = np.random.default_rng(1)
    raw10 = rng.integers(0, 1024, size=(16, 24)).astype(np.uint16)
    packed = bayer.pack(bayer.normalize_legacy(raw10), "RGGB")
    mosaic = isp.from_packed(packed)
    assert mosaic.cfa == "RGGB" and mosaic.wb is None
    np.testing.assert_allclose(mosaic.data, raw10 / 1023.0, atol=1e-6)


def test_tone_mappers_keep_the_order_of_brightness_and_survive_black_pixels() -> None:
    ramp = np.geomspace(1e-3, 1.0, 64, dtype=np.float32)  # a 30 dB linear ramp, grey
    scene = np.ones((16, 64, 3), np.float32) * ramp[None, :, None]
    scene[:, :2] = 0.0  # black pixels: log(0) must not poison the operators
    mosaic = isp.LinearMosaic(bayer.mosaic_rgb(scene, "RGGB"), wb=(1.0, 1.0, 1.0))
    for name in ("classical", "reinhard", "drago", "mantiuk", "mertens"):
        out = isp.run_baseline(name, mosaic, as_uint8=False)
        assert np.isfinite(out).all(), name
        luma = out[4:12, 4:-4].mean(axis=(0, 2))
        assert np.all(np.diff(luma) > -2e-3), name  # non-decreasing along the ramp
        assert luma[-1] - luma[0] > 0.3, name
        # a grey scene stays grey (white balance given as neutral)
        assert np.abs(out[4:12, 4:-4] - out[4:12, 4:-4].mean(axis=2, keepdims=True)).max() < 0.02


def test_libraw_is_not_available_for_png_raws(tmp_path: Path) -> None:
    import imageio.v3 as iio

    path = tmp_path / "0.png"
    iio.imwrite(path, (np.arange(32 * 32, dtype=np.uint16).reshape(32, 32) % 1024))
    mosaic = isp.as_linear_mosaic(read_raw(path))
    assert mosaic.path is None
    with pytest.raises(BaselineUnavailable, match="PNG raws"):
        isp.run_baseline("libraw", mosaic)
    assert isp.run_baseline("classical", mosaic).shape == (32, 32, 3)


def test_bad_inputs_are_refused() -> None:
    data = np.zeros((8, 8), np.float32)
    with pytest.raises(HdrispError, match="unknown baseline"):
        isp.run_baseline("photoshop", isp.LinearMosaic(data))
    with pytest.raises(HdrispError, match="even sides"):
        isp.LinearMosaic(np.zeros((7, 8), np.float32))
    with pytest.raises(HdrispError, match="outside"):
        isp.crop(isp.LinearMosaic(data), 4, 4, 8, 8)
    with pytest.raises(HdrispError, match="RawImage or LinearMosaic"):
        isp.as_linear_mosaic(data)


def test_cli_lists_the_same_names_as_the_registries() -> None:
    from hdrisp.cli.evaluate import BASELINE_NAMES, NO_REFERENCE_NAMES
    from hdrisp.evaluation.metrics import METRICS

    assert BASELINE_NAMES == tuple(isp.BASELINES)
    assert NO_REFERENCE_NAMES == tuple(n for n, m in METRICS.items() if m.kind == "no-reference")
