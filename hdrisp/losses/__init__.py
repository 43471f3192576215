"""Losses of hdrisp: the RGB-uv histogram and its distances, the perceptual and SSIM terms, and
the per-level total of the paper's schedule.

- :func:`rgbuv_histogram`, :class:`HistogramLoss` — HistoGAN's histogram, exact and fast;
- :func:`hellinger_distance` and the exploration distances of :data:`DISTANCES`;
- :func:`ssim`, :func:`ms_ssim` (torchmetrics), :class:`SSIMLoss`;
- :func:`build_perceptual` — VGG-19 relu5_4, ``"off"`` or the EfficientNet-Lite0 substitute;
- :class:`LevelLoss` — the total of the paper's per-level table, ``schedule="paper"`` or ``"code"``.

:data:`LOSSES` maps names to the losses a training config can ask for; each returns a dict of
named terms plus ``"loss"``.
"""

from hdrisp.losses.distances import (
    DISTANCES,
    chi_squared_distance,
    hellinger_distance,
    jensen_shannon_divergence,
    l1_distance,
    wasserstein_marginals,
)
from hdrisp.losses.histogram import KERNELS, HistogramLoss, rgbuv_histogram
from hdrisp.losses.level import SCHEDULES, TERMS, LevelLoss, level_weights
from hdrisp.losses.perceptual import FeatureMSELoss, build_perceptual, find_vgg19_weights
from hdrisp.losses.ssim import SSIMLoss, ms_ssim, ssim

#: name → loss class; every one returns ``{"loss": total, <term>: value, ...}``.
LOSSES: dict[str, type] = {"level": LevelLoss}

__all__ = [
    "DISTANCES", "KERNELS", "LOSSES", "SCHEDULES", "TERMS",
    "FeatureMSELoss", "HistogramLoss", "LevelLoss", "SSIMLoss",
    "build_perceptual", "chi_squared_distance", "find_vgg19_weights", "hellinger_distance",
    "jensen_shannon_divergence", "l1_distance", "level_weights", "ms_ssim", "rgbuv_histogram",
    "ssim", "wasserstein_marginals",
]
