"""Figures for inspection (display layer only; the numbers come from lower modules).

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot, so it
works under any backend, in notebooks (displayed inline) and in scripts
(``fig.savefig(...)``).

Raw inspection:

- :func:`false_colour_figure` — the mosaic with each sample in its filter's colour.
- :func:`channel_histograms_figure` — per-CFA-channel histograms with black, white and
  clipping marks.
- :func:`clipped_figure` — map of saturated pixels.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from hdrisp.raw.color import linear_to_srgb
from hdrisp.raw.stats import (
    channel_planes,
    channel_statistics,
    clipped_map,
    false_colour_mosaic,
)

if TYPE_CHECKING:
    from hdrisp.raw.io import RawImage

_CHANNEL_COLOURS = {"R": "tab:red", "Gb": "tab:green", "Gr": "darkgreen", "B": "tab:blue"}


def _window(raw: RawImage, window: tuple[int, int, int, int] | None) -> tuple[slice, slice]:
    """(top, left, height, width) → slices, snapped to even top/left to keep the CFA phase."""
    if window is None:
        return slice(None), slice(None)
    top, left, height, width = window
    top, left = top // 2 * 2, left // 2 * 2
    return slice(top, top + height), slice(left, left + width)


def _title(raw: RawImage) -> str:
    return raw.camera or (raw.path or "raw mosaic")


def false_colour_figure(
    raw: RawImage,
    window: tuple[int, int, int, int] | None = None,
    *,
    gamma: bool = True,
    figsize: tuple[float, float] = (7.0, 5.0),
) -> Figure:
    """Show the mosaic with each sample drawn in its filter's colour (R, G or B).

    Args:
        raw: the raw image.
        window: (top, left, height, width) crop in mosaic pixels, or None for the whole
            mosaic (zoom in, e.g. 32×32, to see individual filters).
        gamma: apply the sRGB curve to the normalised values so dark mosaics are visible.
        figsize: matplotlib figure size in inches.
    """
    rows, cols = _window(raw, window)
    crop = raw.normalized()[rows, cols]
    image = false_colour_mosaic(crop, raw.cfa)
    if gamma:
        image = linear_to_srgb(image)
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(np.clip(image, 0, 1), interpolation="nearest")
    ax.set_title(f"{_title(raw)}: {raw.cfa} mosaic in false colour")
    ax.set_xlabel("column (px)")
    ax.set_ylabel("row (px)")
    return fig


def channel_histograms_figure(
    raw: RawImage, bins: int = 256, *, log: bool = True, figsize: tuple[float, float] = (9, 6)
) -> Figure:
    """Histograms of the four CFA channels in digital numbers, one panel each.

    Each panel marks the channel's black level (dashed), the white level (solid) and
    shades the clipped range at and above white; the title gives the clipped fraction.
    """
    planes = channel_planes(raw.mosaic, raw.cfa)
    stats = channel_statistics(raw.mosaic, raw.cfa, raw.white_level, raw.black_level)
    upper = max(float(raw.white_level), float(raw.mosaic.max())) * 1.02
    lower = min(float(raw.mosaic.min()), min(raw.black_level)) - 0.01 * upper
    edges = np.linspace(lower, upper, bins + 1)
    fig = Figure(figsize=figsize, layout="constrained")
    axes = fig.subplots(2, 2, sharex=True)
    for ax, (name, plane) in zip(axes.ravel(), planes.items(), strict=True):
        counts, _ = np.histogram(plane, bins=edges)
        ax.stairs(counts, edges, fill=True, color=_CHANNEL_COLOURS[name], alpha=0.7)
        ax.axvline(stats[name]["black"], color="k", linestyle="--", linewidth=1, label="black")
        ax.axvline(raw.white_level, color="k", linewidth=1, label="white")
        ax.axvspan(raw.white_level, upper, color="grey", alpha=0.2, label="clipped")
        ax.set_title(f"{name}: {100 * stats[name]['clipped']:.3f} % clipped")
        if log:
            ax.set_yscale("log")
        ax.set_xlabel("raw value (DN)")
        ax.set_ylabel("pixels")
    axes[0, 0].legend(loc="upper right", fontsize="small")
    fig.suptitle(f"{_title(raw)}: per-channel histograms")
    return fig


def clipped_figure(raw: RawImage, *, figsize: tuple[float, float] = (7.0, 5.0)) -> Figure:
    """Map of the samples at or above the white level (white = clipped) over a dimmed preview."""
    clipped = clipped_map(raw.mosaic, raw.white_level)
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(linear_to_srgb(raw.normalized()) * 0.3, cmap="gray", vmin=0, vmax=1)
    overlay = np.zeros(clipped.shape + (4,), dtype=np.float32)
    overlay[clipped] = (1.0, 0.0, 1.0, 1.0)
    ax.imshow(overlay, interpolation="nearest")
    fraction = np.count_nonzero(clipped) / clipped.size
    ax.set_title(f"{_title(raw)}: clipped samples (magenta), {100 * fraction:.3f} %")
    ax.set_xlabel("column (px)")
    ax.set_ylabel("row (px)")
    return fig
