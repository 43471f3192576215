"""Image-quality metrics for evaluating a developed image against its target.

Full-reference metrics take two ``B×3×H×W`` sRGB tensors with values in
[0, 1] (the prediction first, the target second) and return the mean over the
batch as a Python float:

======================  =====================================================  =========
name                    what it measures                                       better
======================  =====================================================  =========
``psnr``                peak signal-to-noise ratio, dB, mean of per-image PSNR  higher
``ssim``                SSIM (Gaussian window 11, σ 1.5), as the loss computes  higher
``ms_ssim``             5-scale MS-SSIM, as the loss computes                   higher
``delta_e2000``         mean CIEDE2000 colour difference in CIELAB (D65, 2°)    lower
``lowfreq_delta_e``     99th percentile of ΔE00 after a low-pass: blotches,     lower
                        halos and casts over large areas
``hellinger``           Hellinger distance of the RGB-uv histograms (HistoGAN)  lower
======================  =====================================================  =========

SSIM, MS-SSIM and the histogram distance are *the loss's own maths*
(:mod:`hdrisp.losses`), so a metric and the matching loss term never disagree.

No-reference metrics take one ``B×3×H×W`` tensor. ``piqe`` (Venkatanath et al.,
2015; lower is better, 0–100) needs no trained parameters and runs offline via
the small ``pypiqe`` package. ``nima``, ``musiq`` and ``liqe`` (the paper's
metrics; higher is better) run through the optional ``pyiqa`` package, which
downloads its network weights on first use; without it they raise
:class:`~hdrisp.errors.WeightsUnavailableError` saying how to get them.

:data:`METRICS` maps each name to a :class:`Metric` (function, direction, kind).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
import torch
from pypiqe import piqe as pypiqe_score
from skimage.color import deltaE_ciede2000, rgb2lab
from torchmetrics.functional.image import peak_signal_noise_ratio

from hdrisp.errors import (
    ConfigError,
    InputShapeError,
    MetricNotApplicable,
    WeightsUnavailableError,
    check_image_batch,
    check_same_shape,
)
from hdrisp.losses import hellinger_distance, rgbuv_histogram
from hdrisp.losses import ms_ssim as ms_ssim_of_the_loss
from hdrisp.losses import ssim as ssim_of_the_loss
from hdrisp.losses.ssim import MS_SSIM_MIN_SIDE
from hdrisp.raw.color import to_uint8


def _as_srgb_batch(img: torch.Tensor, name: str) -> torch.Tensor:
    """Check a ``B×3×H×W`` tensor of sRGB values in [0, 1]; return it clamped, in float32+."""
    img = check_image_batch(img, name).detach()
    if img.dtype not in (torch.float32, torch.float64):
        img = img.float()
    return img.clamp(0.0, 1.0)


def _as_pair(pred: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    pred = _as_srgb_batch(pred, "prediction")
    target = _as_srgb_batch(target, "target")
    check_same_shape(pred, target, "metric")
    dtype = torch.promote_types(pred.dtype, target.dtype)
    return pred.to(dtype), target.to(dtype)


# --------------------------------------------------------------------------- full reference


def psnr(pred: torch.Tensor, target: torch.Tensor) -> float:
    """Peak signal-to-noise ratio in dB (peak 1.0), averaged over the images of the batch.

    Args:
        pred, target: ``B×3×H×W`` sRGB in [0, 1].

    Returns:
        The mean of the per-image PSNR values (``inf`` for identical images).

    Examples:
        >>> import torch
        >>> round(psnr(torch.full((1, 3, 8, 8), 0.5), torch.full((1, 3, 8, 8), 0.6)), 2)
        20.0
    """
    pred, target = _as_pair(pred, target)
    per_image = peak_signal_noise_ratio(
        pred, target, data_range=1.0, reduction="none", dim=(1, 2, 3)
    )
    return float(per_image.mean())


def ssim(pred: torch.Tensor, target: torch.Tensor) -> float:
    """SSIM (Gaussian window 11, σ 1.5, data range 1), batch mean: the loss's own function.

    Args:
        pred, target: ``B×3×H×W`` sRGB in [0, 1], both sides at least 11 pixels.

    Raises:
        MetricNotApplicable: for images smaller than the window.
    """
    pred, target = _as_pair(pred, target)
    try:
        with torch.no_grad():
            return float(ssim_of_the_loss(pred, target))
    except ValueError as exc:  # the loss refuses images smaller than its window
        raise MetricNotApplicable(str(exc)) from None


def ms_ssim(pred: torch.Tensor, target: torch.Tensor) -> float:
    """Five-scale MS-SSIM, batch mean: the loss's own function, never fewer scales.

    Args:
        pred, target: ``B×3×H×W`` sRGB in [0, 1], both sides at least
            ``hdrisp.losses.ssim.MS_SSIM_MIN_SIDE`` (176) pixels.

    Raises:
        MetricNotApplicable: for images too small for five scales (the loss would fall back
            to fewer scales: a different metric, so the table says n/a instead).
    """
    pred, target = _as_pair(pred, target)
    height, width = pred.shape[-2:]
    if min(height, width) < MS_SSIM_MIN_SIDE:
        raise MetricNotApplicable(
            f"MS-SSIM (5 scales, 11-pixel window) needs images of at least {MS_SSIM_MIN_SIDE}"
            f"×{MS_SSIM_MIN_SIDE} pixels; these are {height}×{width}"
        )
    with torch.no_grad():
        return float(ms_ssim_of_the_loss(pred, target, fallback="error"))


def ciede2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """CIEDE2000 colour difference between CIELAB colours (kL = kC = kH = 1).

    Args:
        lab1, lab2: arrays ``...×3`` of (L*, a*, b*), broadcastable to one shape.

    Returns:
        ΔE00 per colour, float64, shape ``...``. scikit-image's implementation of
        Sharma, Wu and Dalal (2005).
    """
    lab1 = np.asarray(lab1, dtype=np.float64)
    lab2 = np.asarray(lab2, dtype=np.float64)
    if lab1.shape[-1] != 3 or lab2.shape[-1] != 3:
        raise InputShapeError(f"CIELAB arrays need 3 values last, got {lab1.shape} and "
                              f"{lab2.shape}")
    lab1, lab2 = np.broadcast_arrays(lab1, lab2)
    return deltaE_ciede2000(lab1, lab2, channel_axis=-1)


def srgb_to_lab(img: np.ndarray) -> np.ndarray:
    """CIELAB (D65, 2° observer) of sRGB values in [0, 1], any shape ``...×3``."""
    return rgb2lab(np.asarray(img, dtype=np.float64), illuminant="D65", observer="2",
                   channel_axis=-1)


def delta_e2000(pred: torch.Tensor, target: torch.Tensor) -> float:
    """Mean CIEDE2000 colour difference (ΔE00) per pixel, averaged over the batch.

    Args:
        pred, target: ``B×3×H×W`` sRGB in [0, 1] (converted to CIELAB, D65, 2°).

    Returns:
        Mean ΔE00; about 1 is a just-noticeable difference, 0 means identical.

    Examples:
        >>> import torch
        >>> grey = torch.full((1, 3, 4, 4), 0.5)
        >>> delta_e2000(grey, grey)
        0.0
        >>> warmer = grey.clone(); warmer[:, 0] = 0.55     # red +5 % of full scale
        >>> round(delta_e2000(warmer, grey), 1)
        6.5
    """
    pred, target = _as_pair(pred, target)
    lab_pred = srgb_to_lab(pred.permute(0, 2, 3, 1).cpu().double().numpy())
    lab_target = srgb_to_lab(target.permute(0, 2, 3, 1).cpu().double().numpy())
    return float(ciede2000(lab_pred, lab_target).mean())


LOWFREQ_SIGMA = 1 / 64  # Gaussian σ as a fraction of the shorter side
LOWFREQ_SIDE = 128  # the low-passed images are compared at this shorter side
LOWFREQ_PERCENTILE = 99.0


def lowfreq_delta_e_map(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """ΔE00 between two H×W×3 sRGB images in [0, 1] after the same low-pass filter.

    Both images are blurred with a Gaussian of σ = shorter side × ``LOWFREQ_SIGMA`` (7 pixels
    on a 448-pixel patch), which removes noise, texture and edges and keeps what covers an
    area: colour casts, blotches, halos, vignetting. The blurred images are then reduced to
    a shorter side of ``LOWFREQ_SIDE`` pixels (area average) and compared pixel by pixel.

    Returns:
        float64 h×w map of ΔE00 (h or w equal to ``LOWFREQ_SIDE`` unless the images are
        smaller).
    """
    pred = np.asarray(pred, dtype=np.float32)
    target = np.asarray(target, dtype=np.float32)
    if pred.shape != target.shape or pred.ndim != 3 or pred.shape[2] != 3:
        raise InputShapeError(f"two H×W×3 images of one size are needed, got {pred.shape} "
                              f"and {target.shape}")
    height, width = pred.shape[:2]
    sigma = max(0.5, min(height, width) * LOWFREQ_SIGMA)
    factor = min(1.0, LOWFREQ_SIDE / min(height, width))
    size = (max(1, round(width * factor)), max(1, round(height * factor)))

    def low_pass(img: np.ndarray) -> np.ndarray:
        blurred = cv2.GaussianBlur(img, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
        if factor < 1.0:
            blurred = cv2.resize(blurred, size, interpolation=cv2.INTER_AREA)
        return np.clip(blurred, 0.0, 1.0)

    return ciede2000(srgb_to_lab(low_pass(pred)), srgb_to_lab(low_pass(target)))


def lowfreq_delta_e(pred: torch.Tensor, target: torch.Tensor) -> float:
    """The 99th percentile of the low-passed ΔE00 map (:func:`lowfreq_delta_e_map`), batch mean.

    Large-area colour errors — blotches, halos, a ring-shaped vignette, a wrong cast over the
    sky — dominate it, while noise and fine detail do not: a network that scores well on
    PSNR but paints blotches scores badly here.

    Examples:
        >>> import torch
        >>> grey = torch.full((1, 3, 64, 64), 0.5)
        >>> blotch = grey.clone(); blotch[:, 0, 16:48, 16:48] = 0.6   # a reddish square
        >>> lowfreq_delta_e(grey, grey)
        0.0
        >>> lowfreq_delta_e(blotch, grey) > 5
        True
    """
    pred, target = _as_pair(pred, target)
    values = []
    for p, t in zip(pred.permute(0, 2, 3, 1).cpu().numpy(),
                    target.permute(0, 2, 3, 1).cpu().numpy(), strict=True):
        error = lowfreq_delta_e_map(p, t)
        values.append(float(np.percentile(error, LOWFREQ_PERCENTILE)))
    return float(np.mean(values)) if not any(math.isnan(v) for v in values) else math.nan


def hellinger(pred: torch.Tensor, target: torch.Tensor) -> float:
    """Hellinger distance between the RGB-uv histograms of two images, batch mean.

    The histogram and the distance are the loss's own (:mod:`hdrisp.losses`,
    64 bins, inverse-quadratic kernel, intensity weighting); the distance is
    taken per image and averaged, so it does not depend on the batch size
    (unlike the authors' loss reduction). 0 means identical colour distributions,
    1 means disjoint ones.

    Args:
        pred, target: ``B×3×H×W`` sRGB in [0, 1].
    """
    pred, target = _as_pair(pred, target)
    with torch.no_grad():
        distance = hellinger_distance(
            rgbuv_histogram(pred), rgbuv_histogram(target), reduction="mean"
        )
    return float(distance)


# --------------------------------------------------------------------------- no reference


def piqe(img: torch.Tensor) -> float:
    """PIQE no-reference quality score (0 best … 100 worst), mean over the batch.

    Perception-based Image Quality Evaluator (Venkatanath et al., NCC 2015), as
    MATLAB's ``piqe``: block-wise distortion and noise statistics of the luma of
    the 8-bit image; no trained parameters. Computed with the ``pypiqe`` package.

    Args:
        img: ``B×3×H×W`` sRGB in [0, 1].
    """
    img = _as_srgb_batch(img, "image")
    as_uint8 = to_uint8(img.permute(0, 2, 3, 1).cpu().numpy())
    # pypiqe converts with OpenCV's BGR→grey weights: hand it BGR so the luma is right
    scores = [pypiqe_score(np.ascontiguousarray(rgb[..., ::-1]))[0] for rgb in as_uint8]
    return float(np.mean(scores))


PYIQA_METRICS = {"nima": "nima", "musiq": "musiq", "liqe": "liqe"}
"""hdrisp name → pyiqa metric name of the learned no-reference metrics the paper reports."""


@functools.cache
def _pyiqa_model(name: str):  # pragma: no cover - exercised only where pyiqa is installed
    try:
        import pyiqa
    except ImportError:
        raise WeightsUnavailableError(
            f"{name.upper()} needs the optional package pyiqa: pip install 'hdrisp[iqa]'"
            " (several GB), then run it once with network access so pyiqa downloads the"
            " network weights into its cache; offline, use the 'piqe' metric instead"
        ) from None
    try:
        return pyiqa.create_metric(PYIQA_METRICS[name], device="cpu", as_loss=False)
    except Exception as exc:  # network errors, missing files: pyiqa raises many kinds
        raise WeightsUnavailableError(
            f"pyiqa could not load the {name.upper()} weights ({type(exc).__name__}: {exc})."
            " pyiqa downloads them on first use: run once with network access, or copy the"
            " weights file into pyiqa's cache folder"
        ) from None


def _pyiqa_metric(name: str) -> Callable[[torch.Tensor], float]:
    def score(img: torch.Tensor) -> float:
        model = _pyiqa_model(name)
        img = _as_srgb_batch(img, "image").float()
        with torch.no_grad():
            return float(model(img).mean())

    score.__name__ = name
    score.__doc__ = (
        f"{name.upper()} no-reference quality (higher is better) through pyiqa; batch mean of"
        " a ``B×3×H×W`` sRGB tensor in [0, 1]. Raises WeightsUnavailableError without pyiqa."
    )
    return score


nima = _pyiqa_metric("nima")
musiq = _pyiqa_metric("musiq")
liqe = _pyiqa_metric("liqe")


# --------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class Metric:
    """A named metric: its function, whether it needs a target, and which way is better.

    Attributes:
        name: registry key, also the table column.
        fn: ``fn(pred, target) -> float`` (full reference) or ``fn(img) -> float``.
        kind: ``"full-reference"`` or ``"no-reference"``.
        higher_is_better: the direction of improvement.
        unit: a short unit for table headers ("dB", "ΔE00", "") .
    """

    name: str
    fn: Callable[..., float]
    kind: Literal["full-reference", "no-reference"]
    higher_is_better: bool
    unit: str = ""

    @property
    def arrow(self) -> str:
        """"↑" when higher is better, "↓" otherwise (for table headers)."""
        return "↑" if self.higher_is_better else "↓"


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("psnr", psnr, "full-reference", True, "dB"),
        Metric("ssim", ssim, "full-reference", True),
        Metric("ms_ssim", ms_ssim, "full-reference", True),
        Metric("delta_e2000", delta_e2000, "full-reference", False, "ΔE00"),
        Metric("lowfreq_delta_e", lowfreq_delta_e, "full-reference", False, "ΔE00"),
        Metric("hellinger", hellinger, "full-reference", False),
        Metric("piqe", piqe, "no-reference", False),
        Metric("nima", nima, "no-reference", True),
        Metric("musiq", musiq, "no-reference", True),
        Metric("liqe", liqe, "no-reference", True),
    )
}
"""Every metric by name."""

FULL_REFERENCE: tuple[str, ...] = tuple(
    name for name, m in METRICS.items() if m.kind == "full-reference"
)
"""Names of the metrics that compare with a target, in table order."""

OFFLINE_NO_REFERENCE: tuple[str, ...] = ("piqe",)
"""No-reference metrics that need nothing beyond the installed packages."""


def get_metric(name: str) -> Metric:
    """The :class:`Metric` called ``name``; a ConfigError for an unknown name."""
    try:
        return METRICS[name]
    except KeyError:
        raise ConfigError(
            f"unknown metric {name!r} (known: {', '.join(METRICS)})"
        ) from None
