"""The study's figures: bars with seed error bars, and one scene under every illuminant.

- :func:`bar_figure` draws, from the results rows alone, one panel per metric: a bar per
  method (the mean over seeds, the error bar one standard deviation over seeds; baselines,
  which have no seeds, hatched and grey), and a last panel with ΔE00 to the target per
  illuminant.
- :func:`cast_grid` shows scene 0 of the cast set: the raw as the camera saw it (no white
  balance), then each method's rendering under each illuminant, then the one target.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from PIL import Image

from hdrisp import isp
from hdrisp.data import PairedRawDataset
from hdrisp.raw import bayer
from hdrisp.study.cast_set import load_cast_set
from hdrisp.study.design import ARMS
from hdrisp.study.results import METRIC_LABELS, method_label
from hdrisp.study.scoring import CAST_METRICS, TEST_METRICS

_PANELS = [("test", m) for m in TEST_METRICS] + [("cast", m) for m in CAST_METRICS]


def _summary(results: Sequence[dict], set_name: str, metric: str) -> dict[str, tuple]:
    return {r["method"]: (r["mean"], r["std"]) for r in results
            if r["kind"] == "summary" and r["set"] == set_name and r["metric"] == metric}


def bar_figure(results: Sequence[dict], path: str | os.PathLike | None = None, *,
               title: str | None = None) -> Figure:
    """The bars of every metric (module docstring); saved to ``path`` when given."""
    summary = [r for r in results if r["kind"] == "summary"]
    methods = list(dict.fromkeys(r["method"] for r in summary))
    roles = {r["method"]: r["role"] for r in summary}
    labels = {r["method"]: r["label"] for r in summary}
    colours = {m: f"C{i}" for i, m in enumerate(m for m in methods if roles[m] != "baseline")}
    greys = iter(("0.55", "0.8", "0.35", "0.7", "0.45", "0.9"))
    colours.update({m: next(greys, "0.6") for m in methods if roles[m] == "baseline"})
    fig = Figure(figsize=(16, 7.5), layout="constrained")
    axes = fig.subplots(2, 4).ravel()
    for ax, (set_name, metric) in zip(axes, _PANELS, strict=False):
        values = _summary(results, set_name, metric)
        shown = [m for m in methods if m in values]
        x = np.arange(len(shown))
        for i, method in enumerate(shown):
            mean, std = values[method]
            is_arm = roles[method] != "baseline"
            reference = roles[method] == "reference"
            ax.bar(i, mean, yerr=std if is_arm and std is not None else None, capsize=4,
                   color=colours[method], hatch=None if is_arm else "//",
                   edgecolor="black" if reference else "0.3",
                   linewidth=2.0 if reference else 0.6)
        ax.set_xticks(x, [labels[m] for m in shown], rotation=35, ha="right", fontsize=8)
        better = "↑" if metric in ("psnr", "ssim") else "↓"
        where = "test split" if set_name == "test" else "cast set"
        ax.set_title(f"{METRIC_LABELS[metric]} {better} — {where}", fontsize=10)
        _zoom(ax, [values[m] for m in shown])
    ax = axes[len(_PANELS)]
    illuminants = list(dict.fromkeys(r["set"].split(":", 1)[1] for r in results
                                     if r["kind"] == "summary" and r["set"].startswith("cast:")))
    for method in methods:
        series = [next((r["mean"] for r in results if r["kind"] == "summary"
                        and r["set"] == f"cast:{name}" and r["method"] == method), math.nan)
                  for name in illuminants]
        if all(math.isnan(v) for v in series):
            continue
        ax.plot(illuminants, series, marker="s" if roles[method] == "baseline" else "o",
                label=labels[method], color=colours[method],
                linestyle="--" if roles[method] == "baseline" else "-")
    ax.set_title("ΔE00 to target per illuminant ↓ — cast set", fontsize=10)
    ax.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
    return fig


def _zoom(ax, values: list[tuple]) -> None:
    """Start the y axis near the data (bars of PSNR 20 ± 0.1 are unreadable from 0)."""
    lows = [m - (s or 0) for m, s in values if m is not None]
    highs = [m + (s or 0) for m, s in values if m is not None]
    if not lows:
        return
    low, high = min(lows), max(highs)
    pad = 0.15 * (high - low) or 0.05 * abs(high) or 0.1
    ax.set_ylim(max(0.0, low - pad) if low >= 0 else low - pad, high + pad)


def cast_grid(out: str | os.PathLike, methods: Sequence[str], illuminants: Sequence[str],
              path: str | os.PathLike | None = None, *, arms: Sequence[str] = tuple(ARMS),
              labels: dict[str, str] | None = None, seed: int = 0, crop: int | None = None,
              scene: int = 0) -> Figure:
    """Scene ``scene`` of the study folder ``out``'s cast set under every illuminant: the raw
    without white balance, every method (those in ``arms``: the run of ``seed``; the others
    are baselines), and the target. ``labels`` names the rows (default: the built-in names)."""
    labels = dict(labels or {})
    out = Path(out)
    cast = load_cast_set(out / "cast_set")
    items = {i.illuminant: i for i in cast.scene_items(scene)}
    data = PairedRawDataset(cast.root, "test", level=0, layout="paper", patch=crop)
    by_stem = {int(raw.stem): k for k, (raw, _) in enumerate(data.pairs)}
    rows = ["raw (no white balance)", *methods]
    fig = Figure(figsize=(1.9 * (len(illuminants) + 1), 1.9 * len(rows) + 0.6),
                 layout="constrained")
    axes = np.atleast_2d(fig.subplots(len(rows), len(illuminants) + 1))
    target = None
    for j, name in enumerate(illuminants):
        packed, tgt = data[by_stem[items[name].index]]
        mosaic = isp.from_packed(packed.numpy(), data.normalization).data
        green = float(np.percentile(mosaic[0::2, 1::2], 99)) or 1.0
        axes[0, j].imshow(bayer.preview(mosaic, "RGGB", exposure=1.0 / green))
        axes[0, j].set_title(f"{name}", fontsize=9)
        target = tgt.permute(1, 2, 0).numpy()
    for i, method in enumerate(methods, start=1):
        folder = (out / method / f"seed{seed}" / "eval" / "grid") if method in arms else \
            (out / "baselines" / "eval" / method / "grid")
        for j, name in enumerate(illuminants):
            file = folder / f"{name}.png"
            if file.is_file():
                with Image.open(file) as im:
                    axes[i, j].imshow(np.asarray(im))
    for i, row in enumerate(rows):
        axes[i, 0].set_ylabel(row if i == 0 else labels.get(row, method_label(row)),
                              fontsize=8)
        if target is not None:
            axes[i, -1].imshow(target)
    axes[0, -1].set_title("target (all)", fontsize=9)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"one scene of the cast set under each illuminant (seed {seed})", fontsize=10)
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
    return fig


__all__ = ["bar_figure", "cast_grid"]
