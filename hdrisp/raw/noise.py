"""Noise against signal, measured on a single raw frame (a photon-transfer estimate).

A sensor's noise variance grows linearly with the signal above black — shot noise — on top of
a constant read noise:

    Var[DN] = a · (E[DN] − black) + b

:func:`noise_curve` measures a and b from one ordinary frame, without flat fields: it cuts each
CFA plane into ``tile × tile`` tiles and takes each tile's mean and variance. Texture adds
variance, so within each of ``bins`` signal bins it keeps the *lower decile* of the tile
variances — and divides it by what that choice costs on pure noise, the decile of a sample
variance of n = tile² values, χ²_{n−1}(0.1)/(n−1) (≈ 0.78 for 8×8 tiles). A straight line
through the per-bin values gives a (slope, DN per DN) and b (intercept, DN²).

Lesson 01 derives this step by step and checks its numbers against this function.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from hdrisp.raw.bayer import as_four_levels, cfa_position_names
from hdrisp.raw.stats import channel_planes


@dataclass(frozen=True)
class NoiseFit:
    """What :func:`noise_curve` measured.

    Attributes:
        slope: a, the shot-noise variance per DN of signal above black.
        intercept: b, the variance at zero signal (read noise and rounding), DN².
        bin_signal, bin_variance: the per-bin points the line was fitted to.
        tile_signal, tile_variance: every usable tile (signal above black, DN and DN²).
    """

    slope: float
    intercept: float
    bin_signal: np.ndarray
    bin_variance: np.ndarray
    tile_signal: np.ndarray
    tile_variance: np.ndarray


def decile_factor(n: int, quantile: float = 0.1) -> float:
    """The ``quantile`` of the sample variance of n Gaussian values, over the true variance:
    χ²_{n−1}(q)/(n−1)."""
    return float(stats.chi2.ppf(quantile, n - 1) / (n - 1))


def noise_curve(mosaic: np.ndarray, cfa: str, black_level: float | tuple[float, ...],
                white_level: float, tile: int = 8, bins: int = 12,
                subtract_black: bool = True) -> NoiseFit:
    """Fit ``Var[DN] = a·(E[DN] − black) + b`` to the tiles of one frame (module docstring).

    Args:
        mosaic: H×W raw digital numbers (black level included, as the file stores them).
        cfa: its pattern.
        black_level: one value or four (raster order of ``mosaic[0:2, 0:2]``).
        white_level: the saturation value; tiles above 90 % of the range are left out.
        tile: tile side, in samples of one CFA plane.
        bins: number of signal bins (equal numbers of tiles each); bins with fewer than 10
            tiles are skipped.
        subtract_black: measure the signal above black (right); False fits against the raw
            DN, to show what forgetting the black level does to the intercept.

    Returns:
        A :class:`NoiseFit`.

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> signal = np.kron(np.linspace(20, 900, 64).reshape(8, 8), np.ones((16, 16)))
        >>> frame = 64 + signal + rng.normal(0, np.sqrt(0.5 * signal + 4.0))  # a = 0.5, black 64
        >>> fit = noise_curve(frame, "RGGB", 64, 1023)
        >>> round(fit.slope, 1)
        0.5
        >>> without = noise_curve(frame, "RGGB", 64, 1023, subtract_black=False)
        >>> round(fit.intercept - without.intercept)   # off by a · black ≈ 0.51 × 64
        33
    """
    arr = np.asarray(mosaic, dtype=np.float64)
    levels = as_four_levels(black_level)   # raster order of the mosaic's own 2×2 block
    positions = cfa_position_names(cfa)
    means, variances = [], []
    for name, plane in channel_planes(arr, cfa).items():
        black = levels[positions.index(name)]
        ph, pw = plane.shape[0] // tile * tile, plane.shape[1] // tile * tile
        tiles = plane[:ph, :pw].reshape(ph // tile, tile, pw // tile, tile).swapaxes(1, 2)
        tiles = tiles.reshape(-1, tile * tile)
        means.append(tiles.mean(1) - black)
        variances.append(tiles.var(1, ddof=1))
    signal, variance = np.concatenate(means), np.concatenate(variances)
    span = float(white_level) - max(levels)
    usable = (signal > 4) & (signal < 0.9 * span)          # away from black and from clipping
    signal, variance = signal[usable], variance[usable]
    if not subtract_black:
        signal = signal + float(np.mean(levels))
    factor = decile_factor(tile * tile)
    edges = np.quantile(signal, np.linspace(0, 1, bins + 1))
    bin_signal, bin_variance = [], []
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        inside = (signal >= low) & (signal < high)
        if inside.sum() >= 10:
            bin_signal.append(signal[inside].mean())
            bin_variance.append(np.quantile(variance[inside], 0.1) / factor)
    slope, intercept = np.polyfit(bin_signal, bin_variance, 1)
    return NoiseFit(float(slope), float(intercept), np.asarray(bin_signal),
                    np.asarray(bin_variance), signal, variance)


__all__ = ["NoiseFit", "decile_factor", "noise_curve"]
