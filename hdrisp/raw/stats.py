"""Inspection of a Bayer mosaic as arrays and numbers (figures: :mod:`hdrisp.raw.figures`).

- :func:`false_colour_mosaic`: each sample shown in its filter's colour.
- :func:`clipped_map`: where the sensor saturated.
- :func:`channel_planes` / :func:`channel_statistics`: per-CFA-position planes and their
  min / max / mean / percentiles / clipped fraction.
- :func:`raw_statistics`: everything ``hdrisp raw inspect`` prints, as a JSON-ready dict.

CFA positions are named as in :mod:`hdrisp.raw.bayer`: ``R``, ``B``, ``Gb`` (the green in the
red row, the authors' naming) and ``Gr`` (the green in the blue row).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hdrisp.raw.bayer import cfa_colour_indices, cfa_position_names

if TYPE_CHECKING:  # only for the annotation: raw_statistics takes what read_raw returns
    from hdrisp.raw.io import RawImage

DEFAULT_PERCENTILES: tuple[float, ...] = (1.0, 50.0, 99.0)


def false_colour_mosaic(mosaic: np.ndarray, cfa: str) -> np.ndarray:
    """Place every sample in its filter's colour channel, the other two channels zero.

    Args:
        mosaic: H×W mosaic (normalised values in [0, 1] display directly).
        cfa: its pattern.

    Returns:
        float32 H×W×3 (same units as ``mosaic``).
    """
    arr = np.asarray(mosaic, dtype=np.float32)
    h, w = arr.shape
    index = np.tile(cfa_colour_indices(cfa), ((h + 1) // 2, (w + 1) // 2))[:h, :w]
    out = np.zeros((h, w, 3), dtype=np.float32)
    np.put_along_axis(out, index[..., None], arr[..., None], axis=2)
    return out


def clipped_map(mosaic: np.ndarray, white_level: float) -> np.ndarray:
    """Boolean H×W map of the samples at or above ``white_level`` (saturated pixels)."""
    return np.asarray(mosaic) >= white_level


def channel_planes(mosaic: np.ndarray, cfa: str) -> dict[str, np.ndarray]:
    """The four CFA positions of a mosaic as views, keyed ``R``, ``Gb``, ``Gr``, ``B``.

    ``Gb`` is the green sharing rows with red. Each plane is ``mosaic[r::2, c::2]`` for the
    position (r, c) of that colour in the 2×2 block.
    """
    names = cfa_position_names(cfa)
    planes = {name: mosaic[pos // 2 :: 2, pos % 2 :: 2] for pos, name in enumerate(names)}
    return {name: planes[name] for name in ("R", "Gb", "Gr", "B")}


def channel_statistics(
    mosaic: np.ndarray,
    cfa: str,
    white_level: float,
    black_level: float | Sequence[float] | None = None,
    percentiles: Sequence[float] = DEFAULT_PERCENTILES,
) -> dict[str, dict[str, float]]:
    """Per-CFA-position statistics in digital numbers.

    Args:
        mosaic: H×W raw mosaic (digital numbers).
        cfa: its pattern.
        white_level: saturation level; samples ``>= white_level`` count as clipped.
        black_level: one value or four in raster order; when given, the fraction of samples
            below black is reported as ``below_black``.
        percentiles: percentiles to report, as keys ``p1``, ``p50`` … (``p99.9`` for 99.9).

    Returns:
        ``{"R": {...}, "Gb": {...}, "Gr": {...}, "B": {...}}``, each with ``min``, ``max``,
        ``mean``, the percentiles, ``clipped`` (fraction in [0, 1]) and, with black levels,
        ``black`` and ``below_black``.
    """
    arr = np.asarray(mosaic)
    blacks = None
    if black_level is not None:
        blacks = np.broadcast_to(np.asarray(black_level, dtype=np.float64).reshape(-1), (4,))
    names = cfa_position_names(cfa)
    out: dict[str, dict[str, float]] = {}
    for name, plane in channel_planes(arr, cfa).items():
        values = plane.ravel()
        stats: dict[str, float] = {
            "min": float(values.min()),
            "max": float(values.max()),
            "mean": float(values.mean(dtype=np.float64)),
        }
        for q, v in zip(percentiles, np.percentile(values, list(percentiles)), strict=True):
            stats[f"p{q:g}"] = float(v)
        stats["clipped"] = float(np.count_nonzero(values >= white_level) / values.size)
        if blacks is not None:
            black = float(blacks[names.index(name)])
            stats["black"] = black
            stats["below_black"] = float(np.count_nonzero(values < black) / values.size)
        out[name] = stats
    return out


def raw_statistics(
    raw: RawImage, percentiles: Sequence[float] = DEFAULT_PERCENTILES
) -> dict[str, Any]:
    """Everything ``hdrisp raw inspect`` reports about a :class:`~hdrisp.raw.RawImage`.

    Returns:
        A JSON-serialisable dict: ``path``, ``camera``, ``cfa``, ``height``, ``width``,
        ``black_level`` (4, raster order), ``white_level``, ``wb`` (R, G, B or None),
        ``color_matrix`` (3×3 nested lists or None), ``channels`` (see
        :func:`channel_statistics`) and ``clipped`` (fraction of all samples).
    """
    mosaic = raw.mosaic
    return {
        "path": raw.path,
        "camera": raw.camera,
        "cfa": raw.cfa,
        "height": int(mosaic.shape[0]),
        "width": int(mosaic.shape[1]),
        "black_level": [float(b) for b in raw.black_level],
        "white_level": float(raw.white_level),
        "wb": None if raw.wb is None else [float(g) for g in raw.wb],
        "color_matrix": None if raw.color_matrix is None else np.asarray(raw.color_matrix).tolist(),
        "channels": channel_statistics(mosaic, raw.cfa, raw.white_level, raw.black_level,
                                       percentiles),
        "clipped": float(np.count_nonzero(clipped_map(mosaic, raw.white_level)) / mosaic.size),
    }
