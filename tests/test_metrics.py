"""Metrics: PSNR/SSIM against scikit-image, CIEDE2000 against Sharma, Wu and Dalal (2005)."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

from hdrisp.errors import HdrispError, MetricNotApplicable, WeightsUnavailableError
from hdrisp.evaluation import metrics

# Sharma, Wu & Dalal, "The CIEDE2000 color-difference formula: implementation notes,
# supplementary test data, and mathematical observations", Color Res. Appl. 30(1), 2005,
# Table 1: L1, a1, b1, L2, a2, b2, ΔE00 (kL = kC = kH = 1). Typed in from the paper.
SHARMA_2005 = [
    (50.0000, 2.6772, -79.7751, 50.0000, 0.0000, -82.7485, 2.0425),
    (50.0000, 3.1571, -77.2803, 50.0000, 0.0000, -82.7485, 2.8615),
    (50.0000, 2.8361, -74.0200, 50.0000, 0.0000, -82.7485, 3.4412),
    (50.0000, -1.3802, -84.2814, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, -1.1848, -84.8006, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, -0.9009, -85.5211, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, 0.0000, 0.0000, 50.0000, -1.0000, 2.0000, 2.3669),
    (50.0000, -1.0000, 2.0000, 50.0000, 0.0000, 0.0000, 2.3669),
    # pairs 9-16: hue angles on either side of 0°/180°/270°, where the mean hue wraps
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0009, 7.1792),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0010, 7.1792),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0011, 7.2195),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0012, 7.2195),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0009, -2.4900, 4.8045),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0010, -2.4900, 4.8045),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0011, -2.4900, 4.7461),
    (50.0000, 2.5000, 0.0000, 50.0000, 0.0000, -2.5000, 4.3065),
    (50.0000, 2.5000, 0.0000, 73.0000, 25.0000, -18.0000, 27.1492),
    (50.0000, 2.5000, 0.0000, 61.0000, -5.0000, 29.0000, 22.8977),
    (50.0000, 2.5000, 0.0000, 56.0000, -27.0000, -3.0000, 31.9030),
    (50.0000, 2.5000, 0.0000, 58.0000, 24.0000, 15.0000, 19.4535),
    (50.0000, 2.5000, 0.0000, 50.0000, 3.1736, 0.5854, 1.0000),
    (50.0000, 2.5000, 0.0000, 50.0000, 3.2972, 0.0000, 1.0000),
    (50.0000, 2.5000, 0.0000, 50.0000, 1.8634, 0.5757, 1.0000),
    (50.0000, 2.5000, 0.0000, 50.0000, 3.2592, 0.3350, 1.0000),
    (60.2574, -34.0099, 36.2677, 60.4626, -34.1751, 39.4387, 1.2644),
    (63.0109, -31.0961, -5.8663, 62.8187, -29.7946, -4.0864, 1.2630),
    (61.2901, 3.7196, -5.3901, 61.4292, 2.2480, -4.9620, 1.8731),
    (35.0831, -44.1164, 3.7933, 35.0232, -40.0716, 1.5901, 1.8645),
    (22.7233, 20.0904, -46.6940, 23.0331, 14.9730, -42.5619, 2.0373),
    (36.4612, 47.8580, 18.3852, 36.2715, 50.5065, 21.2231, 1.4146),
    (90.8027, -2.0831, 1.4410, 91.1528, -1.6435, 0.0447, 1.4441),
    (90.9257, -0.5406, -0.9208, 88.6381, -0.8985, -0.7239, 1.5381),
    (6.7747, -0.2908, -2.4247, 5.8714, -0.0985, -2.2286, 0.6377),
    (2.0776, 0.0795, -1.1350, 0.9033, -0.0636, -0.5514, 0.9082),
]


def _batch(images: list[np.ndarray]) -> torch.Tensor:
    """H×W×3 float64 images → B×3×H×W tensor."""
    return torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).contiguous()


def _noisy_pair(rng: np.random.Generator, shape=(3, 96, 128, 3), sigma=0.08):
    clean = rng.random(shape)
    noisy = np.clip(clean + sigma * rng.standard_normal(shape), 0.0, 1.0)
    return clean, noisy


def test_psnr_matches_scikit_image_per_image_mean() -> None:
    from skimage.metrics import peak_signal_noise_ratio

    rng = np.random.default_rng(1)
    clean = rng.random((3, 64, 80, 3))
    # a different noise level per image, so a batch-MSE PSNR would differ from the mean
    noisy = np.stack([np.clip(c + s * rng.standard_normal(c.shape), 0, 1)
                      for c, s in zip(clean, (0.02, 0.1, 0.3), strict=True)])
    expected = np.mean([peak_signal_noise_ratio(c, n, data_range=1.0)
                        for c, n in zip(clean, noisy, strict=True)])
    # torchmetrics keeps the data range in float32: agreement to ~1e-7 relative
    assert metrics.psnr(_batch(list(noisy)), _batch(list(clean))) == pytest.approx(expected,
                                                                                  abs=1e-5)


def test_ssim_matches_scikit_image_with_the_same_settings() -> None:
    """torchmetrics averages the SSIM map over every pixel (borders reflection-padded);
    scikit-image's ``full=True`` map uses symmetric padding. Replicating a 6-pixel border
    makes both paddings identical, so the whole-map means must agree exactly."""
    from skimage.metrics import structural_similarity

    rng = np.random.default_rng(2)
    clean, noisy = _noisy_pair(rng, (2, 60, 72, 3))
    pad = ((6, 6), (6, 6), (0, 0))
    clean = np.stack([np.pad(c, pad, mode="edge") for c in clean])
    noisy = np.stack([np.pad(n, pad, mode="edge") for n in noisy])
    expected = np.mean([
        structural_similarity(n, c, channel_axis=-1, gaussian_weights=True, sigma=1.5,
                              use_sample_covariance=False, data_range=1.0, full=True)[1].mean()
        for c, n in zip(clean, noisy, strict=True)
    ])
    # exact in float64; float32 arithmetic leaves ~7e-7
    assert metrics.ssim(_batch(list(noisy)), _batch(list(clean))) == pytest.approx(expected,
                                                                                  abs=2e-6)


def test_ssim_is_close_to_scikit_images_border_cropped_mean() -> None:
    from skimage.metrics import structural_similarity

    rng = np.random.default_rng(3)
    clean, noisy = _noisy_pair(rng, (2, 128, 160, 3))
    expected = np.mean([
        structural_similarity(n, c, channel_axis=-1, gaussian_weights=True, sigma=1.5,
                              use_sample_covariance=False, data_range=1.0)
        for c, n in zip(clean, noisy, strict=True)
    ])
    # only the 5-pixel border differs (≈ 14 % of these pixels), by a small amount (5e-5 here)
    assert metrics.ssim(_batch(list(noisy)), _batch(list(clean))) == pytest.approx(expected,
                                                                                  abs=5e-4)


@pytest.mark.parametrize("row", SHARMA_2005, ids=[f"pair{i + 1}" for i in range(34)])
def test_ciede2000_reproduces_sharma_wu_dalal_table(row: tuple[float, ...]) -> None:
    lab1, lab2, expected = np.array(row[:3]), np.array(row[3:6]), row[6]
    assert metrics.ciede2000(lab1, lab2) == pytest.approx(expected, abs=1e-4)
    assert metrics.ciede2000(lab2, lab1) == pytest.approx(expected, abs=1e-4)  # symmetric


def test_ciede2000_works_on_whole_arrays() -> None:
    table = np.array(SHARMA_2005)
    out = metrics.ciede2000(table[:, :3].reshape(2, 17, 3), table[:, 3:6].reshape(2, 17, 3))
    assert out.shape == (2, 17)
    np.testing.assert_allclose(out.ravel(), table[:, 6], atol=1e-4)


def test_delta_e2000_converts_srgb_through_d65_lab() -> None:
    # published CIELAB (D65, 2°) of the sRGB primaries and white
    lab = {"red": (53.2408, 80.0925, 67.2032), "green": (87.7347, -86.1827, 83.1793),
           "blue": (32.2970, 79.1875, -107.8602), "white": (100.0, 0.0, 0.0)}
    rgb = {"red": (1, 0, 0), "green": (0, 1, 0), "blue": (0, 0, 1), "white": (1, 1, 1)}

    def flat(name: str) -> torch.Tensor:
        return torch.tensor(rgb[name], dtype=torch.float64).view(1, 3, 1, 1).expand(1, 3, 8, 8)

    for a, b in (("red", "white"), ("green", "blue"), ("blue", "red")):
        expected = float(metrics.ciede2000(np.array(lab[a]), np.array(lab[b])))
        assert metrics.delta_e2000(flat(a), flat(b)) == pytest.approx(expected, abs=0.01)
    assert metrics.delta_e2000(flat("red"), flat("red")) == 0.0


def test_delta_e2000_is_a_batch_mean() -> None:
    rng = np.random.default_rng(4)
    clean, noisy = _noisy_pair(rng, (3, 16, 16, 3))
    each = [metrics.delta_e2000(_batch([n]), _batch([c])) for c, n in zip(clean, noisy,
                                                                           strict=True)]
    assert metrics.delta_e2000(_batch(list(noisy)), _batch(list(clean))) == pytest.approx(
        np.mean(each))
    assert min(each) > 1.0


def test_hellinger_is_the_loss_distance_per_image() -> None:
    from hdrisp.losses import hellinger_distance, rgbuv_histogram

    rng = np.random.default_rng(5)
    clean, noisy = _noisy_pair(rng, (2, 48, 48, 3), sigma=0.2)
    pred, target = _batch(list(noisy)).float(), _batch(list(clean)).float()
    value = metrics.hellinger(pred, target)
    per_image = [float(hellinger_distance(rgbuv_histogram(pred[i:i + 1]),
                                          rgbuv_histogram(target[i:i + 1]), reduction="mean"))
                 for i in range(2)]
    assert value == pytest.approx(np.mean(per_image), rel=1e-5)
    assert 0.0 < value < 1.0
    assert metrics.hellinger(target, target) == pytest.approx(0.0, abs=1e-6)


def test_ms_ssim_refuses_small_images_and_scores_large_ones() -> None:
    rng = np.random.default_rng(6)
    small = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with pytest.raises(MetricNotApplicable, match="176×176"):
        metrics.ms_ssim(small, small)
    with pytest.raises(MetricNotApplicable, match="window"):
        metrics.ssim(small[..., :8, :8], small[..., :8, :8])
    clean, noisy = _noisy_pair(rng, (1, 176, 176, 3), sigma=0.1)
    value = metrics.ms_ssim(_batch(list(noisy)), _batch(list(clean)))
    assert 0.0 < value < 0.99
    assert metrics.ms_ssim(_batch(list(clean)), _batch(list(clean))) == pytest.approx(1.0,
                                                                                    abs=1e-5)


def test_inputs_are_checked() -> None:
    img = torch.rand(1, 3, 16, 16)
    with pytest.raises(HdrispError, match="divide 8-bit"):
        metrics.psnr(img * 255, img)
    with pytest.raises(HdrispError, match="differ in shape"):
        metrics.psnr(img, img[..., :8])
    with pytest.raises(HdrispError, match="B×3×H×W"):
        metrics.psnr(img[:, 0], img[:, 0])
    with pytest.raises(HdrispError, match="NaN"):
        metrics.delta_e2000(img * float("nan"), img)


def test_piqe_prefers_a_clean_photo_over_damaged_ones() -> None:
    import cv2
    from skimage.data import astronaut

    rgb = astronaut()[::2, ::2].copy()  # 256×256
    rng = np.random.default_rng(7)
    noisy = np.clip(rgb + 30 * rng.standard_normal(rgb.shape), 0, 255).astype(np.uint8)
    blurred = cv2.GaussianBlur(rgb, (0, 0), 3)

    def score(img: np.ndarray) -> float:
        return metrics.piqe(torch.from_numpy(img).permute(2, 0, 1)[None].float() / 255)

    clean = score(rgb)
    assert 0.0 <= clean <= 100.0
    assert score(noisy) > clean + 10
    assert score(blurred) > clean + 10


def test_learned_metrics_say_how_to_get_pyiqa(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyiqa", None)  # as if not installed
    metrics._pyiqa_model.cache_clear()
    try:
        for name in ("nima", "musiq", "liqe"):
            with pytest.raises(WeightsUnavailableError, match=r"pip install 'hdrisp\[iqa\]'"):
                metrics.METRICS[name].fn(torch.rand(1, 3, 32, 32))
    finally:
        metrics._pyiqa_model.cache_clear()


def test_registry() -> None:
    assert metrics.FULL_REFERENCE == ("psnr", "ssim", "ms_ssim", "delta_e2000", "lowfreq_delta_e",
                                      "hellinger")
    assert {m.kind for m in metrics.METRICS.values()} == {"full-reference", "no-reference"}
    assert metrics.get_metric("psnr").higher_is_better
    assert not metrics.get_metric("delta_e2000").higher_is_better
    with pytest.raises(HdrispError, match="unknown metric"):
        metrics.get_metric("vmaf")


def test_lowfreq_delta_e_sees_blotches_not_noise() -> None:
    """Fine noise of high per-pixel ΔE barely moves the low-frequency 99th percentile; a
    coloured blotch over 4 % of the frame dominates it, as would a halo or a cast."""
    rng = np.random.default_rng(0)
    target = torch.full((1, 3, 256, 256), 0.5)
    noisy = (target + 0.08 * torch.from_numpy(rng.standard_normal((1, 3, 256, 256)))
             .float()).clamp(0, 1)
    blotch = target.clone()
    blotch[:, 0, 100:151, 100:151] = 0.7  # a red blotch, 51×51 pixels
    assert metrics.delta_e2000(noisy, target) > metrics.delta_e2000(blotch, target)
    assert metrics.lowfreq_delta_e(noisy, target) < 5.0  # measured 4.1 (per pixel: 14.6)
    assert metrics.lowfreq_delta_e(blotch, target) > 3 * metrics.lowfreq_delta_e(noisy, target)
    error_map = metrics.lowfreq_delta_e_map(blotch[0].permute(1, 2, 0).numpy(),
                                            target[0].permute(1, 2, 0).numpy())
    assert error_map.shape == (128, 128) and error_map[0, 0] < 0.5
