"""The paper-style comparison figure: methods side by side, with a zoomed crop in a red box.

:func:`comparison_figure` lays out, for each scene, one row of full images (a
red rectangle marks the crop) and below it one row of the enlarged crops
(framed in red), one column per method. :func:`compare_files` develops raw
files with the network and the classical baselines and saves that figure (the
``hdrisp compare`` command).

The figure is a plain :class:`matplotlib.figure.Figure` (no pyplot state), so
it works under any backend, in notebooks and headless.
"""

from __future__ import annotations

import math
import os
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

import cv2
import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from tqdm.auto import tqdm

from hdrisp import isp
from hdrisp.data.normalization import file_normalization
from hdrisp.errors import ConfigError, InputShapeError, OutputError, output_error
from hdrisp.evaluation.report import (
    develop_methods,
    given_note,
    load_models,
    recorded_metadata,
    with_metadata,
)
from hdrisp.raw import pack
from hdrisp.runtime import Runtime

Crop = tuple[int, int, int, int]  # (top, left, height, width) in pixels

CROP_COLOUR = "red"


def pick_crop(image: np.ndarray, fraction: float = 0.25) -> Crop:
    """The square window with the most detail (gradient energy) in an H×W×3 image.

    Args:
        image: H×W×3 (or H×W) image, any range.
        fraction: window side as a fraction of the image's shorter side.

    Returns:
        ``(top, left, size, size)``.
    """
    grey = np.asarray(image, dtype=np.float64)
    if grey.ndim == 3:
        grey = grey.mean(axis=2)
    height, width = grey.shape
    size = max(8, int(round(min(height, width) * fraction)))
    size = min(size, height, width)
    gy, gx = np.gradient(grey)
    energy = np.hypot(gx, gy)
    integral = np.pad(energy.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    step = max(1, size // 8)
    tops = np.arange(0, height - size + 1, step)
    lefts = np.arange(0, width - size + 1, step)
    t, lft = np.meshgrid(tops, lefts, indexing="ij")
    sums = (integral[t + size, lft + size] - integral[t, lft + size]
            - integral[t + size, lft] + integral[t, lft])
    i, j = np.unravel_index(int(np.argmax(sums)), sums.shape)
    return int(tops[i]), int(lefts[j]), size, size


def _display(img: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(img)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise InputShapeError(f"image {name!r} must be H×W×3, got shape {arr.shape}")
    if arr.dtype == np.uint8:
        return arr
    return np.clip(arr.astype(np.float32), 0.0, 1.0)


def comparison_figure(
    scenes: Mapping[str, np.ndarray] | Sequence[Mapping[str, np.ndarray]],
    *,
    crops: Sequence[Crop | None] | None = None,
    fraction: float = 0.25,
    scene_titles: Sequence[str] | None = None,
    panel_width: float = 2.6,
) -> Figure:
    """Methods side by side, each with an enlarged crop marked by a red box.

    Args:
        scenes: for each scene, method label → H×W×3 image (uint8, or float in [0, 1]);
            every image of a scene has the same size. One mapping is one scene.
        crops: per scene, ``(top, left, height, width)`` or None to pick the most detailed
            window (:func:`pick_crop` on the methods' mean).
        fraction: crop side as a fraction of the shorter image side, when picked.
        scene_titles: a title per scene (e.g. the file name), shown left of its rows.
        panel_width: inches per column.

    Returns:
        The figure: per scene a row of full images and a row of crops, a column per method
        (a method missing from a scene leaves its panels empty).
    """
    if isinstance(scenes, Mapping):
        scenes = [scenes]
    if not scenes or not all(scenes):
        raise ConfigError("the comparison needs at least one scene with at least one image")
    columns = list(dict.fromkeys(label for scene in scenes for label in scene))
    n_cols = len(columns)
    heights = []
    prepared = []
    for k, scene in enumerate(scenes):
        images = {label: _display(img, label) for label, img in scene.items()}
        shapes = {img.shape[:2] for img in images.values()}
        if len(shapes) != 1:
            raise InputShapeError(f"scene {k}: images differ in size {sorted(shapes)}")
        (h, w), = shapes
        crop = crops[k] if crops is not None and crops[k] is not None else pick_crop(
            np.mean([np.asarray(i, np.float32) / (255.0 if i.dtype == np.uint8 else 1.0)
                     for i in images.values()], axis=0), fraction)
        top, left, ch, cw = crop
        if not (0 <= top and 0 <= left and ch > 0 and cw > 0 and top + ch <= h
                and left + cw <= w):
            raise ConfigError(f"scene {k}: crop {crop} (top, left, height, width) is outside"
                              f" the {h}×{w} images")
        prepared.append((images, crop))
        heights += [h / w, crop[2] / crop[3]]
    title_space = 0.3  # inches per scene for the method names
    fig = Figure(figsize=(panel_width * n_cols,
                          panel_width * sum(heights) + title_space * len(prepared)),
                 layout="constrained")
    grid = fig.add_gridspec(len(heights), n_cols, height_ratios=heights)
    for k, (images, (top, left, ch, cw)) in enumerate(prepared):
        for label, img in images.items():
            col = columns.index(label)  # a method keeps its column when a scene lacks one
            full = fig.add_subplot(grid[2 * k, col])
            full.imshow(img, interpolation="lanczos")
            full.add_patch(Rectangle((left - 0.5, top - 0.5), cw, ch, fill=False,
                                     edgecolor=CROP_COLOUR, linewidth=1.2))
            full.set_title(label, fontsize=9)
            zoom = fig.add_subplot(grid[2 * k + 1, col])
            zoom.imshow(img[top:top + ch, left:left + cw], interpolation="nearest")
            for spine in zoom.spines.values():
                spine.set_edgecolor(CROP_COLOUR)
                spine.set_linewidth(1.5)
            for ax in (full, zoom):
                ax.set_xticks([])
                ax.set_yticks([])
            if label == next(iter(images)) and scene_titles is not None:
                full.set_ylabel(textwrap.fill(scene_titles[k], 24), fontsize=8)
    return fig


def check_figure_path(path: str | os.PathLike) -> Path:
    """Refuse, before any work, a figure file matplotlib cannot write or a folder we cannot
    write into (:class:`~hdrisp.errors.OutputError` naming the file)."""
    out = Path(path)
    fmt = out.suffix.lstrip(".").lower()
    if fmt not in Figure().canvas.get_supported_filetypes():
        raise OutputError(f"cannot write a figure as {out.suffix or 'a file without suffix'}"
                          " (use .png, .pdf, .svg or .jpg)", out)
    if out.is_dir():
        raise OutputError("is a folder; give the figure's file name", out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(exc, out.parent) from None
    if not os.access(out.parent, os.W_OK):
        raise OutputError("cannot write into this folder (permission denied)", out.parent)
    return out


def save_figure(fig: Figure, path: str | os.PathLike, dpi: int = 150) -> Path:
    """Save a figure atomically (temporary file, then rename); the suffix picks the format."""
    out = check_figure_path(path)
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        fig.savefig(tmp, format=out.suffix.lstrip(".").lower(), dpi=dpi)
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise output_error(exc, out) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


def compare_files(
    raw_paths: Sequence[str | os.PathLike],
    out: str | os.PathLike,
    weights: str | os.PathLike | None = None,
    *,
    random_weights: bool = False,
    level: int = 0,
    pynet_weights: str | os.PathLike | None = None,
    baselines: Sequence[str] | None = None,
    max_side: int | None = 1024,
    seed: int = 0,
    device: str = "cpu",
    precision: str = "fp32",
    progress: bool = False,
) -> Path:
    """Develop raw files with the network and the baselines; save the comparison figure.

    Args:
        raw_paths: camera raws or PNG raws (:func:`hdrisp.raw.read_raw`).
        out: the figure file (.png, .pdf, .svg …).
        weights: RawTonemapNet weights, or ``random_weights=True``.
        level: the network's level (lower-resolution levels are compared at their size).
        pynet_weights: add PyNET with these weights.
        baselines: names from :data:`hdrisp.isp.BASELINES` (default: all that apply).
        max_side: bin each mosaic by an integer factor so its longer side is at most this
            (None or 0: full resolution; the network is then tiled).
        device, precision: where and how the networks run (:mod:`hdrisp.runtime`).
        progress: show a progress bar (one step per file and method).

    Returns:
        The path written. A footnote says what each method was given (the classical rows:
        the raw's as-shot white balance and colour matrix, from the file or, for a synthetic
        PNG, from its set's manifest; ``greyworld``: neither).
    """
    check_figure_path(out)
    runtime = Runtime.resolve(device, precision)
    models = load_models(level, weights, random_weights, pynet_weights, seed, runtime)
    names = tuple(isp.BASELINES) if baselines is None else tuple(baselines)
    scenes, titles, notes = [], [], []
    with tqdm(total=len(raw_paths) * (len(models) + len(names)), desc="compare",
              unit="image", disable=not progress) as bar:
        for path in raw_paths:
            bar.set_postfix_str(Path(path).name)
            rule = file_normalization(path)  # the rule training and develop follow
            mosaic = isp.to_rggb(isp.as_linear_mosaic(rule.read(path)))
            mosaic = with_metadata(mosaic, recorded_metadata(path))  # a synthetic PNG's
            if max_side:
                mosaic = isp.downscale(mosaic, math.ceil(max(mosaic.data.shape) / max_side))
            packed = torch.from_numpy(pack(rule.from_unit(mosaic.data), mosaic.cfa))
            images = develop_methods(mosaic, models, names, packed=packed, runtime=runtime,
                                     on_method=lambda _: bar.update(1))
            h, w = min(img.shape[:2] for img in images.values())
            scenes.append({label: _fit(img, h, w) for label, img in images.items()})
            titles.append(Path(path).name)
            notes.append(f"{Path(path).name}: " + given_note(
                list(models), [n for n in names if n in images], mosaic))
    fig = comparison_figure(scenes, scene_titles=titles)
    fig.supxlabel("\n".join(textwrap.fill(n, 160) for n in notes), fontsize=6, x=0.01,
                  ha="left")
    return save_figure(fig, out)


def _fit(img: np.ndarray, height: int, width: int) -> np.ndarray:
    if img.shape[:2] == (height, width):
        return img
    return cv2.resize(img, (width, height), interpolation=cv2.INTER_AREA)
