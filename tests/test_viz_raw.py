"""Raw inspection figures: they draw the data and the marks they promise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from hdrisp.raw import read_raw, write_dng
from hdrisp.raw.figures import channel_histograms_figure, clipped_figure, false_colour_figure


def _raw(tmp_path: Path):
    mosaic = np.random.default_rng(0).integers(64, 1000, size=(40, 48)).astype(np.uint16)
    mosaic[:4, :6] = 1023  # 24 clipped samples, 6 per channel
    return read_raw(write_dng(tmp_path / "v.dng", mosaic, "BGGR", (64, 65, 66, 67), 1023))


def test_false_colour_figure_window(tmp_path: Path) -> None:
    raw = _raw(tmp_path)
    fig = false_colour_figure(raw, window=(3, 5, 8, 10))
    assert isinstance(fig, Figure)
    image = fig.axes[0].get_images()[0].get_array()
    assert image.shape == (8, 10, 3)  # window snapped to (2, 4), keeps the BGGR phase
    assert image[0, 0, 0] == image[0, 0, 1] == 0 and image[0, 0, 2] > 0  # blue sample


def test_channel_histograms_mark_levels(tmp_path: Path) -> None:
    raw = _raw(tmp_path)
    fig = channel_histograms_figure(raw, bins=64)
    assert len(fig.axes) == 4
    titles = sorted(ax.get_title() for ax in fig.axes)
    assert titles == sorted(f"{n}: {100 * 6 / 480:.3f} % clipped" for n in ("R", "Gb", "Gr", "B"))
    blacks = sorted(ax.lines[0].get_xdata()[0] for ax in fig.axes)
    assert blacks == [64, 65, 66, 67]
    assert all(ax.lines[1].get_xdata()[0] == 1023 for ax in fig.axes)


def test_clipped_figure_overlays_saturated_samples(tmp_path: Path) -> None:
    raw = _raw(tmp_path)
    fig = clipped_figure(raw)
    overlay = fig.axes[0].get_images()[1].get_array()
    assert np.count_nonzero(overlay[..., 3]) == 24
    assert "1.250 %" in fig.axes[0].get_title()
