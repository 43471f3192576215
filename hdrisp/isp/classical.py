"""Classical camera pipelines: the "built-in ISP" and tone-mapping rows of the comparisons.

A small, readable ISP as named stages (numpy/OpenCV, no torch)::

    levels → white balance → demosaic → camera→sRGB matrix → exposure → sRGB curve

and, on its linear result, the classical tone-mapping operators of OpenCV's
``photo`` module (still in the main modules of OpenCV 5): Reinhard et al. 2005
(``createTonemapReinhard``), Drago et al. 2003 (``createTonemapDrago``),
Mantiuk et al. 2006 (``createTonemapMantiuk``) and Mertens et al. 2007
exposure fusion (``createMergeMertens``) of synthetic brackets. LibRaw's own
develop (``rawpy`` ``postprocess``) is the camera-software reference, for files
LibRaw reads.

Every baseline takes a :class:`LinearMosaic` (a normalised Bayer mosaic with
whatever metadata is known) and returns a float32 ``H×W×3`` sRGB image in
[0, 1] the size of the mosaic. :data:`BASELINES` names them;
:func:`run_baseline` also accepts a :class:`~hdrisp.raw.RawImage` and returns
8 bits. The paper's and the synthetic PNG raws carry no metadata: their white
balance is grey-world and their camera RGB is taken as linear sRGB.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
import rawpy

from hdrisp.errors import BaselineUnavailable, ConfigError, InputShapeError, RawFormatError
from hdrisp.raw import bayer
from hdrisp.raw.color import linear_to_srgb
from hdrisp.raw.io import RawImage
from hdrisp.raw.normalization import Normalization


@dataclass(frozen=True, eq=False)
class LinearMosaic:
    """A Bayer mosaic scaled so that black is 0 and white is 1, with what is known of its camera.

    Attributes:
        data: float32 H×W mosaic, values in [0, 1], H and W even.
        cfa: pattern of ``data[0:2, 0:2]`` in raster order ("RGGB", "BGGR", "GRBG", "GBRG").
        wb: camera white-balance multipliers (R, G, B) with G = 1, or None (→ grey-world).
        color_matrix: 3×3 white-balanced camera RGB → linear sRGB, or None (→ identity).
        path: a camera raw file LibRaw reads, or None.
        window: (top, left, height, width) of the file's visible mosaic that ``data``
            covers, in the file's pixels; None for all of it (``data`` may be binned).
    """

    data: np.ndarray
    cfa: str = "RGGB"
    wb: tuple[float, float, float] | None = None
    color_matrix: np.ndarray | None = None
    path: str | None = None
    window: tuple[int, int, int, int] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "data", np.asarray(self.data, dtype=np.float32))
        if self.data.ndim != 2 or self.data.shape[0] % 2 or self.data.shape[1] % 2:
            raise RawFormatError(f"a mosaic is H×W with even sides, got {self.data.shape}",
                                 self.path)
        bayer.check_cfa(self.cfa)


def as_linear_mosaic(raw: RawImage | LinearMosaic) -> LinearMosaic:
    """Black/white levels stage: a :class:`RawImage` → a :class:`LinearMosaic` in [0, 1].

    PNG raws keep ``path`` None (LibRaw cannot develop them).
    """
    if isinstance(raw, LinearMosaic):
        return raw
    if not isinstance(raw, RawImage):
        raise InputShapeError(f"expected a RawImage or LinearMosaic, got {type(raw).__name__}")
    libraw_file = raw.path if raw.path and Path(raw.path).suffix.lower() != ".png" else None
    return LinearMosaic(raw.normalized(), raw.cfa, raw.wb, raw.color_matrix, libraw_file)


def from_packed(packed: np.ndarray, normalization: Normalization | None = None) -> LinearMosaic:
    """The model's input back as a mosaic: packed ``[B, Gb, R, Gr]`` → RGGB in [0, 1].

    Args:
        packed: float 4×h×w, a network input (an RGGB mosaic, normalised).
        normalization: how it was normalised (the data set's,
            ``PairedRawDataset.normalization``); default the authors' ÷1020 of 10-bit data
            with black 0 and white 1023.

    Returns:
        A 2h×2w RGGB :class:`LinearMosaic` with black at 0 and white at 1, clipped, no
        metadata (:meth:`~hdrisp.raw.normalization.Normalization.to_unit`).
    """
    mosaic = bayer.unpack(np.asarray(packed, dtype=np.float32))
    return LinearMosaic((normalization or Normalization()).to_unit(mosaic), "RGGB")


def crop(x: LinearMosaic, top: int, left: int, height: int, width: int) -> LinearMosaic:
    """The part ``data[top:top+height, left:left+width]`` (even offsets keep the CFA phase,
    odd ones shift it; the pattern is updated either way)."""
    h, w = x.data.shape
    if not (0 <= top and 0 <= left and height > 0 and width > 0
            and top + height <= h and left + width <= w):
        raise InputShapeError(f"crop {height}×{width} at ({top}, {left}) is outside the "
                              f"{h}×{w} mosaic")
    shifted = np.roll(np.array(list(x.cfa)).reshape(2, 2), (-(top % 2), -(left % 2)), (0, 1))
    win_top, win_left, win_h, win_w = x.window or (0, 0, h, w)
    sy, sx = win_h / h, win_w / w  # file pixels per data pixel (> 1 once binned)
    window = (win_top + round(top * sy), win_left + round(left * sx),
              round(height * sy), round(width * sx))
    return replace(x, data=np.ascontiguousarray(x.data[top:top + height, left:left + width]),
                   cfa="".join(shifted.ravel()), window=window)


def to_rggb(x: LinearMosaic) -> LinearMosaic:
    """Crop the leading row and/or column that bring a mosaic to RGGB phase (and the
    trailing ones that keep its sides even): the layout the network's packing expects."""
    dr, dc = bayer.rggb_offset(x.cfa)
    h, w = x.data.shape
    return x if (dr, dc) == (0, 0) else crop(x, dr, dc, h - 2 * dr, w - 2 * dc)


def downscale(x: LinearMosaic, factor: int) -> LinearMosaic:
    """Bin a mosaic by an integer factor: average ``factor×factor`` same-colour samples.

    The result is still a mosaic with the same CFA (each of the four 2×2 positions is
    binned on its own), ``factor`` times smaller on each side (trailing samples that do
    not fill a bin are dropped). Metadata and the file path are kept.
    """
    if factor == 1:
        return x
    if factor < 1:
        raise ConfigError(f"downscale factor must be a positive integer, got {factor}")
    h, w = (s // 2 // factor * factor for s in x.data.shape)
    if h == 0 or w == 0:
        raise InputShapeError(f"mosaic {x.data.shape} is too small to bin by {factor}")
    out = np.empty((2 * h // factor, 2 * w // factor), dtype=np.float32)
    for r in (0, 1):
        for c in (0, 1):
            plane = x.data[r::2, c::2][:h, :w]
            binned = plane.reshape(h // factor, factor, w // factor, factor).mean(axis=(1, 3))
            out[r::2, c::2] = binned
    return replace(crop(x, 0, 0, 2 * h, 2 * w), data=out)


# --------------------------------------------------------------------------- ISP stages


def grey_world_gains(x: LinearMosaic, clip_level: float = 0.98) -> tuple[float, float, float]:
    """White-balance gains (R, G, B), G = 1, that make the mean unclipped colour grey.

    Samples at or above ``clip_level`` (saturated) are left out of the means.
    """
    masks = bayer.colour_masks(x.data.shape, x.cfa) & (x.data < clip_level)
    means = [float(x.data[m].mean()) if m.any() else 0.0 for m in masks]
    if min(means) <= 0:
        return (1.0, 1.0, 1.0)  # a black or single-colour frame: leave it as it is
    return (means[1] / means[0], 1.0, means[1] / means[2])


def white_balance_gains(x: LinearMosaic, mode: str = "auto") -> tuple[float, float, float]:
    """The gains to use: ``"metadata"`` (the camera's), ``"grey-world"``, or ``"auto"``
    (the camera's when known, else grey-world)."""
    if mode == "auto":
        mode = "metadata" if x.wb is not None else "grey-world"
    if mode == "grey-world":
        return grey_world_gains(x)
    if mode == "metadata":
        if x.wb is None:
            raise BaselineUnavailable("the raw has no white-balance metadata; use grey-world",
                                      x.path)
        return tuple(float(g) for g in x.wb)  # type: ignore[return-value]
    raise ConfigError(f"unknown white-balance mode {mode!r} (auto, metadata, grey-world)")


def white_balance(x: LinearMosaic, gains: Sequence[float]) -> LinearMosaic:
    """Multiply each sample by its colour's gain and clip at white (keeps highlights neutral)."""
    masks = bayer.colour_masks(x.data.shape, x.cfa)
    gain_map = np.tensordot(np.asarray(gains, dtype=np.float32), masks.astype(np.float32), 1)
    return replace(x, data=np.clip(x.data * gain_map, 0.0, 1.0).astype(np.float32))


def camera_to_srgb(rgb: np.ndarray, color_matrix: np.ndarray | None) -> np.ndarray:
    """Apply a 3×3 camera RGB → linear sRGB matrix to an H×W×3 image (identity when None)."""
    if color_matrix is None:
        return rgb
    matrix = np.asarray(color_matrix, dtype=np.float32)
    if matrix.shape != (3, 3):
        raise InputShapeError(f"color_matrix must be 3×3, got {matrix.shape}")
    return np.clip(rgb @ matrix.T, 0.0, None).astype(np.float32)


def auto_exposure_gain(rgb: np.ndarray, percentile: float = 99.0, max_gain: float = 16.0) -> float:
    """Linear gain that brings the ``percentile``-th brightest luminance to white (≤ max_gain).

    The same rule as LibRaw's auto-brightness: 1 % of the pixels may clip.
    """
    luminance = rgb @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)
    level = float(np.percentile(luminance, percentile))
    return float(min(max_gain, 1.0 / level)) if level > 0 else 1.0


def develop_linear(
    raw: RawImage | LinearMosaic, *, wb: str = "auto", demosaic_method: str = "bilinear"
) -> np.ndarray:
    """The linear part of the ISP: levels → white balance → demosaic → camera→sRGB.

    Args:
        raw: the mosaic and its metadata.
        wb: white-balance mode (see :func:`white_balance_gains`).
        demosaic_method: "bilinear", "malvar2004" or "menon2007"
            (:func:`hdrisp.raw.bayer.demosaic`).

    Returns:
        float32 H×W×3 linear sRGB (scene-referred: white ≈ 1, values ≥ 0, may exceed 1).
    """
    x = as_linear_mosaic(raw)
    balanced = white_balance(x, white_balance_gains(x, wb))
    rgb = bayer.demosaic(balanced.data, x.cfa, demosaic_method)
    return camera_to_srgb(np.clip(rgb, 0.0, None), x.color_matrix)


def encode_srgb(linear: np.ndarray) -> np.ndarray:
    """Display stage: clip linear values to [0, 1] and apply the sRGB transfer curve (float32)."""
    return linear_to_srgb(np.clip(linear, 0.0, 1.0).astype(np.float32))


# --------------------------------------------------------------------------- baselines


def classical_isp(raw: RawImage | LinearMosaic) -> np.ndarray:
    """The plain pipeline: :func:`develop_linear`, auto exposure, sRGB curve → H×W×3 in [0, 1]."""
    linear = develop_linear(raw)
    return encode_srgb(linear * auto_exposure_gain(linear))


def libraw_develop(raw: RawImage | LinearMosaic) -> np.ndarray:
    """LibRaw's own develop (rawpy ``postprocess``: AHD demosaic, camera white balance,
    camera matrix, auto-brightness, sRGB) of the file, cut to the mosaic's window and
    resized to its size → H×W×3 in [0, 1].

    Raises:
        BaselineUnavailable: without a camera raw file LibRaw reads (PNG raws, dataset patches).
    """
    x = as_linear_mosaic(raw)
    if x.path is None:
        raise BaselineUnavailable(
            "LibRaw's develop needs a camera raw file that LibRaw reads; PNG raws and"
            " dataset patches have none"
        )
    try:
        with rawpy.imread(x.path) as rp:
            rgb = rp.postprocess(use_camera_wb=x.wb is not None, use_auto_wb=x.wb is None,
                                 output_bps=16, user_flip=0)
    except rawpy.LibRawError as exc:
        raise BaselineUnavailable(f"LibRaw cannot develop this file ({exc})", x.path) from None
    img = rgb.astype(np.float32) / 65535.0
    if x.window is not None:
        top, left, win_h, win_w = x.window
        img = img[top:top + win_h, left:left + win_w]
    h, w = x.data.shape
    if img.shape[:2] != (h, w):
        img = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
    return np.clip(img, 0.0, 1.0)
