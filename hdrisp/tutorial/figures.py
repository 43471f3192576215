"""The figures a lecturer puts on slides, drawn from the package itself (``make figures``).

- :func:`architecture_figure` — the pyramid, drawn from the model's own modules
  (:func:`hdrisp.models.model_blocks`): every level's blocks, resolution, parameters and
  output, the encoder, the upsampling path and the skip connections;
- :func:`pyramid_figure` — what each level of a model outputs for one raw, at true scale
  (``model(x, return_all=True)``);
- :func:`histogram_figure` — the RGB-uv histogram derived: a photograph, its pixels in the
  (u, v) plane over the bin grid, one pixel's soft votes, the histogram;
- the comparison figure of lesson 04 is :func:`hdrisp.evaluation.compare.comparison_figure`;
- ``real_raws``: real cameras' raws — the ColorChecker DNG shipped with the lessons and any
  raw given with ``--raw`` — developed by the network beside the classical pipeline (as-shot
  white balance and colour matrix) and LibRaw's own develop
  (:func:`hdrisp.evaluation.compare.compare_files`), what a user meets on their own raws.

``python -m hdrisp.tutorial.figures OUT`` writes each as PNG and SVG (:func:`write_figures`).
"""

from __future__ import annotations

import argparse
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import imageio.v3 as iio
import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from hdrisp import isp, losses
from hdrisp.data import PairedRawDataset
from hdrisp.evaluation import develop_methods, load_model
from hdrisp.evaluation.compare import compare_files, comparison_figure
from hdrisp.models import model_blocks
from hdrisp.tutorial.helpers import ensure_run, sample_raw_file, synthetic_set
from hdrisp.tutorial.helpers import run_dir as default_run_dir
from hdrisp.tutorial.widgets.histogram import plot_uv_histogram

FIGURES = ("architecture", "pyramid", "histogram", "comparison", "real_raws")
"""The figures :func:`write_figures` can write, by name."""
_LEVEL_COLOURS = {4: "#dbe9f6", 3: "#d5eed8", 2: "#fdebd0", 1: "#f6dbe6", 0: "#e8e0f3"}
_SHORT = {"ConvMultiBlock": "CMB", "UpsampleConv": "Up", "ConvLayer": "Conv"}


def _side_label(side: int, packed: int) -> str:
    ratio = side / packed
    if ratio >= 1:
        return "2H" if ratio == 2 else "H"
    return f"H/{round(1 / ratio)}"


def _kinds(rows) -> str:
    counts = Counter(_SHORT.get(r.kind, r.kind) for r in rows if r.kind != "MaxPool2d")
    parts = [f"{n}×{k}" if n > 1 else k for k, n in counts.items()]
    lines, line = [], ""
    for part in parts:                      # at most ~20 characters a line
        if line and len(line) + len(part) > 20:
            lines.append(line)
            line = ""
        line = f"{line} · {part}" if line else part
    return "\n".join([*lines, line])


def architecture_figure(model_name: str = "rawtonemap", size: int = 224) -> Figure:
    """The pyramid drawn from the model's modules, for a packed ``4×size×size`` input.

    Columns: the shared encoder, then levels 4 → 0; height: the resolution (log scale, H is
    the packed input's side). Each box lists the blocks that level adds (CMB =
    ConvMultiBlock, Up = bilinear ×2 + conv), their parameters and the image the level
    outputs. Solid arrows: the upsampling path; dashed: skip connections from the encoder
    (found where a level's first block takes more channels than the upsampling brings).
    """
    rows = model_blocks(model_name, size=size)
    levels = sorted({r.level for r in rows}, reverse=True)
    encoder = [r for r in rows if r.level == levels[0] and r.side > min(
        x.side for x in rows if x.level == levels[0])]
    encoder_sides = sorted({r.side for r in encoder if r.parameters}, reverse=True)
    fig = Figure(figsize=(13, 6.2), layout="constrained")
    ax = fig.add_subplot()
    ax.set_axis_off()
    y_of = {side: np.log2(side / size) for side in {r.side for r in rows}}
    box_w, box_h = 1.0, 0.82
    centres: dict[Any, tuple[float, float]] = {}

    def box(x: float, y: float, text: str, colour: str) -> None:
        ax.add_patch(FancyBboxPatch((x - box_w / 2, y - box_h / 2), box_w, box_h,
                                    boxstyle="round,pad=0.02", fc=colour, ec="0.3", lw=0.8))
        ax.text(x, y, text, ha="center", va="center", fontsize=7.2)

    def arrow(a: tuple[float, float], b: tuple[float, float], dashed: bool = False) -> None:
        ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=9, lw=0.9,
                                     ls="--" if dashed else "-", color="0.35",
                                     shrinkA=4, shrinkB=4))

    for side in encoder_sides:
        block = [r for r in encoder if r.side == side and r.parameters]
        centres["enc", side] = (0.0, y_of[side])
        box(0.0, y_of[side], f"encoder · {_side_label(side, size)}\n{_kinds(block)}\n"
            f"{block[0].in_channels}→{block[-1].out_channels} ch\n"
            f"{sum(r.parameters for r in block):,} params", "#eeeeee")
    for a, b in zip(encoder_sides[:-1], encoder_sides[1:], strict=True):
        arrow((0.0, y_of[a] - box_h / 2), (0.0, y_of[b] + box_h / 2))
    previous = ("enc", encoder_sides[-1])
    for column, level in enumerate(levels, start=1):
        mine = [r for r in rows if r.level == level and r not in encoder]
        body = [r for r in mine if r.kind != "UpsampleConv"]
        head = mine[-1]
        trunk = body[:-1] if len(body) > 1 else body
        side = Counter(r.side for r in body).most_common(1)[0][0]
        x, y = float(column) * 1.35, y_of[side]
        centres[level] = (x, y)
        up = [r for r in mine if r.kind == "UpsampleConv"]
        text = (f"level {level} · {_side_label(side, size)}\n{_kinds(up + trunk)}\n"
                f"{sum(r.parameters for r in mine):,} new params\n"
                f"→ image 3×{head.side}×{head.side}")
        box(x, y, text, _LEVEL_COLOURS.get(level, "#ffffff"))
        px, py = centres[previous]
        arrow((px + box_w / 2, py), (x - box_w / 2, y))
        first = next((r for r in mine if r.kind != "UpsampleConv"), None)
        if up and first is not None and first.in_channels and up[0].out_channels \
                and first.in_channels > up[0].out_channels and ("enc", side) in centres:
            ex, ey = centres["enc", side]
            arrow((ex + box_w / 2, ey + 0.12), (x - box_w / 2, y + 0.12), dashed=True)
        previous = level
    xs = [c[0] for c in centres.values()]
    ys = [c[1] for c in centres.values()]
    ax.set_xlim(min(xs) - 0.6, max(xs) + 0.6)
    ax.set_ylim(min(ys) - 0.6, max(ys) + 0.6)
    total = sum(r.parameters for r in rows)
    ax.set_title(f"{model_name}: {total:,} parameters; packed input 4×H×W (H = {size} here); "
                 "solid: upsampling path, dashed: skip connections from the encoder",
                 fontsize=9)
    return fig


def pyramid_figure(model: torch.nn.Module, packed: Any, target: Any | None = None,
                   height: float = 3.0) -> Figure:
    """Every level's output of ``model`` for one packed raw, each drawn at its true size
    relative to the others (``model(x, return_all=True)``), and the target if given."""
    x = torch.as_tensor(np.asarray(packed)).float()
    x = x[None] if x.ndim == 3 else x
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            outputs = model(x, return_all=True)
    finally:
        model.train(was_training)
    panels = [(f"level {lvl}  {img.shape[-1]}×{img.shape[-2]}",
               img[0].permute(1, 2, 0).clamp(0, 1).numpy()) for lvl, img in outputs.items()]
    if target is not None:
        t = torch.as_tensor(np.asarray(target)).float()
        t = t.permute(1, 2, 0) if t.shape[0] == 3 else t
        panels.append((f"target  {t.shape[1]}×{t.shape[0]}", t.numpy()))
    largest = max(img.shape[0] for _, img in panels)
    # every image at its true scale; a small one sits in a panel wide enough for its title
    widths = [max(img.shape[1], 0.3 * largest) for _, img in panels]
    fig = Figure(figsize=(height * sum(widths) / largest + 0.2 * len(panels), height + 0.5),
                 layout="constrained")
    axes = fig.subplots(1, len(panels), gridspec_kw={"width_ratios": widths}, squeeze=False)[0]
    for ax, (title, img), width in zip(axes, panels, widths, strict=True):
        ax.imshow(img, interpolation="nearest", extent=(0, img.shape[1], 0, img.shape[0]))
        ax.set_xlim(0, width)
        ax.set_ylim(0, largest)
        ax.set_title(title, fontsize=8)
        ax.set_axis_off()
    return fig


def histogram_figure(image: np.ndarray, sigma: float = 0.02, bins: int = 64) -> Figure:
    """The RGB-uv histogram of an H×W×3 sRGB image in [0, 1], derived in four panels."""
    img = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32)).permute(2, 0, 1)[None]
    eps = 1e-6
    pixels = img[0].reshape(3, -1).T.double()
    u = torch.log(pixels[:, 0] + eps) - torch.log(pixels[:, 1] + eps)
    v = torch.log(pixels[:, 0] + eps) - torch.log(pixels[:, 2] + eps)
    centres = np.linspace(-3, 3, bins)
    fig = Figure(figsize=(14, 3.4), layout="constrained")
    axes = fig.subplots(1, 4)
    axes[0].imshow(image)
    axes[0].set_title("1 · the image (sRGB)", fontsize=9)
    axes[0].set_axis_off()
    pick = torch.randperm(u.numel(), generator=torch.Generator().manual_seed(0))[:4000]
    axes[1].scatter(u[pick], v[pick], s=1, alpha=0.3)
    for c in centres[::4]:
        axes[1].axvline(c, color="0.85", lw=0.4, zorder=0)
        axes[1].axhline(c, color="0.85", lw=0.4, zorder=0)
    axes[1].set(xlim=(-1.5, 1.5), ylim=(-1.5, 1.5), xlabel="u = log R − log G",
                ylabel="v = log R − log B")
    axes[1].set_title("2 · pixels in the (u, v) plane of R (every 4th bin line)", fontsize=9)
    one = float(u[pick[0]])
    near = centres[np.abs(centres - one) < 0.5]
    votes = 1 / (1 + (near - one) ** 2 / sigma**2)
    axes[2].bar(near, votes, width=(centres[1] - centres[0]) * 0.8, color="tab:orange")
    axes[2].axvline(one, color="k", ls=":")
    axes[2].set(xlabel="bin centre (u)", ylabel="vote")
    axes[2].set_title(f"3 · one pixel's soft votes, 1/(1 + d²/σ²), σ = {sigma}", fontsize=9)
    plot_uv_histogram(axes[3], losses.rgbuv_histogram(img, bins=bins, sigma=sigma)[0, 0],
                      "4 · H_R = (I_y·K_u)ᵀ K_v  (h^¼)")
    return fig


def _save(fig: Figure, out: Path, name: str) -> list[Path]:
    paths = []
    for suffix in ("png", "svg"):
        path = out / f"{name}.{suffix}"
        fig.savefig(path, dpi=150)
        paths.append(path)
    return paths


def write_figures(out_dir: str | os.PathLike, *, run_dir: str | os.PathLike | None = None,
                  data_dir: str | os.PathLike | None = None, smoke: bool = False,
                  names: Sequence[str] | None = None,
                  raws: Sequence[str | os.PathLike] = ()) -> list[Path]:
    """Write the slide figures as PNG and SVG into ``out_dir``.

    ``architecture`` and ``histogram`` need nothing trained. ``pyramid``, ``comparison`` and
    ``real_raws`` use the finest checkpoint of ``run_dir`` (default ``runs/tutorial``); when it
    has none, a smoke run is trained there first (about a minute) and the pictures show
    plumbing, not a good model — train the tutorial schedule first (``make tutorial``) for
    real ones. ``real_raws`` develops the shipped chart DNG and ``raws`` (camera raw files)
    at a longer side of 1024 pixels, as PNG only.
    """
    wanted = tuple(names or FIGURES)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if "architecture" in wanted:
        written += _save(architecture_figure(), out, "architecture")
    data_root = synthetic_set(data_dir, smoke=smoke) if set(wanted) - {"architecture"} else None
    if "histogram" in wanted:
        targets = sorted((data_root / "test" / "groundtruth").glob("*.jpg"))[:12]
        photo = max(targets, key=lambda p: iio.imread(p).mean())
        written += _save(histogram_figure(iio.imread(photo).astype(np.float32) / 255), out,
                         "histogram")
    if {"pyramid", "comparison", "real_raws"} & set(wanted):
        run = Path(run_dir) if run_dir else default_run_dir(None, smoke=smoke)
        level, weights = ensure_run(run, data_root, device="cpu", progress=False)
        if "real_raws" in wanted:  # photographs: PNG only (one develop, no raster-in-SVG)
            written.append(compare_files([sample_raw_file(), *raws], out / "real_raws.png",
                                         weights, level=level,
                                         baselines=("classical", "libraw"), max_side=1024))
        model = load_model("rawtonemap", level=level, weights=weights)
        test_set = PairedRawDataset(data_root, "test", level=level)
        if "pyramid" in wanted:
            packed, target = test_set[1]
            written += _save(pyramid_figure(model, packed, target), out, "pyramid")
        if "comparison" in wanted:
            scenes: list[Mapping[str, np.ndarray]] = []
            for index in (1, 2):
                packed, target = test_set[index]
                mosaic = isp.from_packed(packed.numpy(), test_set.normalization)
                methods = develop_methods(mosaic, {"network": model},
                                          baselines=("classical", "reinhard", "mertens"),
                                          packed=packed)
                scenes.append({**methods, "ground truth": target.permute(1, 2, 0).numpy()})
            written += _save(comparison_figure(scenes, scene_titles=["test pair 1",
                                                                     "test pair 2"]),
                             out, "comparison")
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m hdrisp.tutorial.figures OUT [--run RUN] [--smoke] [--only NAME ...]``."""
    parser = argparse.ArgumentParser(prog="python -m hdrisp.tutorial.figures",
                                     description="Write the lessons' slide figures (PNG, SVG).")
    parser.add_argument("out", type=Path)
    parser.add_argument("--run", default=None, help="a training run (default runs/tutorial)")
    parser.add_argument("--data", default=None, help="data folder (default: hdrisp's)")
    parser.add_argument("--smoke", action="store_true", help="the small synthetic set")
    parser.add_argument("--only", nargs="*", default=None, choices=FIGURES)
    parser.add_argument("--raw", nargs="*", default=[], metavar="FILE",
                        help="camera raws to develop beside the shipped chart DNG (real_raws)")
    args = parser.parse_args(argv)
    for path in write_figures(args.out, run_dir=args.run, data_dir=args.data, smoke=args.smoke,
                              names=args.only, raws=args.raw):
        print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())


__all__ = ["architecture_figure", "histogram_figure", "pyramid_figure", "write_figures"]
