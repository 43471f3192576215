"""SSIM and MS-SSIM as loss terms, computed by torchmetrics.

Both use a Gaussian window of 11 pixels, σ = 1.5, data range 1 (images in [0, 1]) and return
the batch mean (higher is more similar; the loss term is 1 − value). MS-SSIM uses the standard
five scales with weights (0.0448, 0.2856, 0.3001, 0.2363, 0.1333).

Small images: five scales need a side of at least :data:`MS_SSIM_MIN_SIDE` (176) pixels. For
smaller images :func:`ms_ssim` by default *falls back to fewer scales*: the largest number k
that fits, with the first k weights rescaled to sum to 1, and a one-time warning naming k
(this keeps tutorial runs on small crops working). ``fallback="error"`` raises instead.
"""

from __future__ import annotations

import warnings
from typing import Literal

import torch
from torchmetrics.functional.image import (
    multiscale_structural_similarity_index_measure,
    structural_similarity_index_measure,
)

from hdrisp.errors import ConfigError, InputShapeError, check_image_batch, check_same_shape

MS_SSIM_WEIGHTS: tuple[float, ...] = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
KERNEL_SIZE = 11
SIGMA = 1.5
#: the smallest side torchmetrics accepts for five scales with an 11-pixel window
MS_SSIM_MIN_SIDE = 176

_scales_for_shape: dict[tuple[int, int], int] = {}
_warned: set[tuple[int, int]] = set()


def _check(x: torch.Tensor, y: torch.Tensor, name: str) -> None:
    check_image_batch(x, f"{name}: the prediction", channels=None, value_range=None)
    check_image_batch(y, f"{name}: the target", channels=None, value_range=None)
    check_same_shape(x, y, name)
    if min(x.shape[-2:]) < KERNEL_SIZE:
        raise InputShapeError(f"{name}: images of {x.shape[-2]}×{x.shape[-1]} are smaller than the "
                         f"{KERNEL_SIZE}-pixel window")


def ssim(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean SSIM of two B×C×H×W batches in [0, 1] (Gaussian window 11, σ 1.5); a scalar."""
    _check(x, y, "ssim")
    return structural_similarity_index_measure(
        x, y, gaussian_kernel=True, sigma=SIGMA, kernel_size=KERNEL_SIZE, data_range=1.0,
        reduction="elementwise_mean")


def _ms_ssim_with(x: torch.Tensor, y: torch.Tensor, weights: tuple[float, ...]) -> torch.Tensor:
    return multiscale_structural_similarity_index_measure(
        x, y, gaussian_kernel=True, sigma=SIGMA, kernel_size=KERNEL_SIZE, data_range=1.0,
        reduction="elementwise_mean", betas=weights, normalize="relu")


def ms_ssim(x: torch.Tensor, y: torch.Tensor,
            fallback: Literal["fewer-scales", "error"] = "fewer-scales") -> torch.Tensor:
    """Mean MS-SSIM of two B×C×H×W batches in [0, 1], five scales; a scalar.

    Args:
        fallback: for images smaller than :data:`MS_SSIM_MIN_SIDE`: ``"fewer-scales"`` uses
            as many scales as fit (weights rescaled to sum to 1, warned once per size);
            ``"error"`` raises InputShapeError.
    """
    _check(x, y, "ms_ssim")
    shape = (int(x.shape[-2]), int(x.shape[-1]))
    if min(shape) >= MS_SSIM_MIN_SIDE:
        return _ms_ssim_with(x, y, MS_SSIM_WEIGHTS)
    if fallback == "error":
        raise InputShapeError(f"ms_ssim: five scales need images of at least {MS_SSIM_MIN_SIDE}×"
                         f"{MS_SSIM_MIN_SIDE}, got {shape[0]}×{shape[1]} (use "
                         f"fallback='fewer-scales' or the SSIM term)")
    if fallback != "fewer-scales":
        raise ConfigError(f"ms_ssim: unknown fallback {fallback!r} (fewer-scales, error)")
    scales = _scales_for_shape.get(shape)
    if scales is None:   # the largest number of scales torchmetrics accepts for this size
        probe = torch.rand(1, 1, *shape)
        for scales in range(len(MS_SSIM_WEIGHTS) - 1, 0, -1):
            try:
                _ms_ssim_with(probe, probe, _rescaled(scales))
                break
            except (ValueError, RuntimeError):
                continue
        _scales_for_shape[shape] = scales
    if shape not in _warned:
        _warned.add(shape)
        warnings.warn(f"ms_ssim: {shape[0]}×{shape[1]} images are too small for 5 scales; "
                      f"using {scales} (weights rescaled to sum to 1)", stacklevel=2)
    if scales == 1:
        return ssim(x, y)
    return _ms_ssim_with(x, y, _rescaled(scales))


def _rescaled(scales: int) -> tuple[float, ...]:
    first = MS_SSIM_WEIGHTS[:scales]
    total = sum(first)
    return tuple(w / total for w in first)


class SSIMLoss(torch.nn.Module):
    """The term 1 − SSIM (``multiscale=False``) or 1 − MS-SSIM; ``forward(pred, target)``."""

    def __init__(self, multiscale: bool = False,
                 fallback: Literal["fewer-scales", "error"] = "fewer-scales") -> None:
        super().__init__()
        self.multiscale, self.fallback = multiscale, fallback

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if self.multiscale:
            return 1.0 - ms_ssim(pred, target, fallback=self.fallback)
        return 1.0 - ssim(pred, target)
