"""Bayer mosaic operations: levels, packing, sampling, demosaicing and a quick preview.

A *mosaic* is an H×W array holding one colour sample per pixel; its colour
filter array (CFA) is named by the colours of ``mosaic[0:2, 0:2]`` in raster
order: ``"RGGB"``, ``"BGGR"``, ``"GRBG"`` or ``"GBRG"``.

Packing follows the authors' convention: an RGGB mosaic
becomes a 4×H/2×W/2 array with channels ``[B, Gb, R, Gr]`` where

- ``B  = rggb[1::2, 1::2]``
- ``Gb = rggb[0::2, 1::2]`` (the green in the *red* row; the authors call it Gb)
- ``R  = rggb[0::2, 0::2]``
- ``Gr = rggb[1::2, 0::2]`` (the green in the *blue* row)

A mosaic with another pattern is first brought to RGGB phase by dropping its
first row and/or first column (see :func:`rggb_offset`), then its last row
and/or column so that both sides stay even. So a BGGR H×W mosaic packs to
4×(H/2 − 1)×(W/2 − 1), a GRBG one to 4×H/2×(W/2 − 1), a GBRG one to
4×(H/2 − 1)×W/2. :func:`unpack` always returns the RGGB mosaic.

Everything here is numpy (and OpenCV / colour-demosaicing for demosaicing); it
knows nothing about files. Inspection statistics live in :mod:`hdrisp.raw.stats`.
"""

from __future__ import annotations

from collections.abc import Sequence

import colour_demosaicing
import cv2
import numpy as np

from hdrisp.errors import RawFormatError
from hdrisp.raw.color import linear_to_srgb

CFA_PATTERNS: tuple[str, ...] = ("RGGB", "BGGR", "GRBG", "GBRG")
PACKED_CHANNELS: tuple[str, ...] = ("B", "Gb", "R", "Gr")
LEGACY_SCALE = 1020.0  # the authors' divisor: 4 * 255, for 10-bit data, no black subtraction
DEMOSAIC_METHODS: tuple[str, ...] = ("bilinear", "malvar2004", "menon2007")

# (row, column) of each packed channel inside an RGGB 2×2 block, in PACKED_CHANNELS order
_PACKED_POSITIONS = ((1, 1), (0, 1), (0, 0), (1, 0))
_COLOUR_INDEX = {"R": 0, "G": 1, "B": 2}


def check_cfa(cfa: str) -> str:
    """Return ``cfa`` upper-cased, or raise :class:`RawFormatError` if it is not a Bayer pattern."""
    name = str(cfa).upper()
    if name not in CFA_PATTERNS:
        raise RawFormatError(
            f"unknown CFA pattern {cfa!r}; expected one of {', '.join(CFA_PATTERNS)}"
        )
    return name


def cfa_colour_indices(cfa: str) -> np.ndarray:
    """The 2×2 block of colour indices (0 = R, 1 = G, 2 = B) of a CFA, in raster order."""
    name = check_cfa(cfa)
    return np.array([_COLOUR_INDEX[c] for c in name], dtype=np.int64).reshape(2, 2)


def cfa_position_names(cfa: str) -> tuple[str, str, str, str]:
    """Names of the four 2×2 positions of a CFA in raster order, in the packing's vocabulary.

    The green sharing a row with red is ``"Gb"`` and the other ``"Gr"`` (the authors' naming),
    e.g. ``"RGGB"`` → ``("R", "Gb", "Gr", "B")`` and ``"GBRG"`` → ``("Gr", "B", "R", "Gb")``.
    """
    name = check_cfa(cfa)
    red_row = name.index("R") // 2
    names = []
    for pos, colour in enumerate(name):
        if colour == "G":
            names.append("Gb" if pos // 2 == red_row else "Gr")
        else:
            names.append(colour)
    return tuple(names)  # type: ignore[return-value]


def rggb_offset(cfa: str) -> tuple[int, int]:
    """Rows and columns to drop at the top/left so that a ``cfa`` mosaic starts on R (RGGB phase).

    ``"RGGB"`` → (0, 0), ``"GRBG"`` → (0, 1), ``"GBRG"`` → (1, 0), ``"BGGR"`` → (1, 1).
    """
    red = check_cfa(cfa).index("R")
    return red // 2, red % 2


def _check_mosaic(mosaic: np.ndarray) -> np.ndarray:
    arr = np.asarray(mosaic)
    if arr.ndim != 2:
        raise RawFormatError(f"a Bayer mosaic is a 2-D H×W array, got shape {arr.shape}")
    return arr


def as_four_levels(black_level: float | Sequence[float]) -> tuple[float, float, float, float]:
    """One black level, or four in raster order of the 2×2 block, as a tuple of four floats."""
    levels = np.asarray(black_level, dtype=np.float64).reshape(-1)
    if levels.size == 1:
        levels = np.repeat(levels, 4)
    if levels.size != 4:
        raise RawFormatError(f"black_level needs 1 or 4 values, got {levels.size}")
    return tuple(float(v) for v in levels)  # type: ignore[return-value]


def _levels_block(black_level: float | Sequence[float]) -> np.ndarray:
    """A scalar or four raster-order black levels as a float64 2×2 block."""
    return np.array(as_four_levels(black_level)).reshape(2, 2)


def normalize(
    mosaic: np.ndarray, black_level: float | Sequence[float], white_level: float
) -> np.ndarray:
    """Subtract per-position black levels and scale to [0, 1].

    Args:
        mosaic: H×W raw values (any integer or float dtype, digital numbers).
        black_level: one value, or four for the positions of ``mosaic[0:2, 0:2]`` in raster order.
        white_level: the saturation value (digital numbers), above every black level.

    Returns:
        float32 H×W, ``(mosaic − black) / (white − black)`` clipped to [0, 1].

    Examples:
        >>> normalize(np.array([[64, 576], [1088, 2000]]), black_level=64,
        ...           white_level=1088).tolist()
        [[0.0, 0.5], [1.0, 1.0]]
    """
    arr = _check_mosaic(mosaic)
    black = _levels_block(black_level)
    if not np.all(float(white_level) > black):
        raise RawFormatError(
            f"white level {white_level} must be above every black level {black.ravel().tolist()}"
        )
    h, w = arr.shape
    black_map = np.tile(black, ((h + 1) // 2, (w + 1) // 2))[:h, :w]
    out = (arr.astype(np.float64) - black_map) / (float(white_level) - black_map)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def normalize_legacy(mosaic: np.ndarray) -> np.ndarray:
    """The authors' scaling: ``mosaic / 1020`` as float32, no black level, no clipping.

    Their 10-bit data (white 1023) therefore reaches 1023/1020 ≈ 1.003 at saturation.
    """
    return (_check_mosaic(mosaic).astype(np.float32) / np.float32(LEGACY_SCALE)).astype(
        np.float32
    )


def rggb_crop(mosaic: np.ndarray, cfa: str = "RGGB", *, crop_odd: bool = False) -> np.ndarray:
    """The largest even-sized view of ``mosaic`` in RGGB phase (see the module docstring).

    Args:
        mosaic: H×W mosaic with pattern ``cfa``.
        cfa: its pattern.
        crop_odd: accept an odd H or W by dropping the last row/column; refused otherwise.

    Returns:
        A view of ``mosaic``: H'×W' with H', W' even and ``[0:2, 0:2]`` in RGGB order.
    """
    arr = _check_mosaic(mosaic)
    h, w = arr.shape
    if (h % 2 or w % 2) and not crop_odd:
        raise RawFormatError(
            f"odd-sized mosaic {h}×{w}: a Bayer mosaic has even sides (pass crop_odd=True "
            "to drop the last row/column)"
        )
    dr, dc = rggb_offset(cfa)
    h2, w2 = (h - dr) // 2 * 2, (w - dc) // 2 * 2
    if h2 < 2 or w2 < 2:
        raise RawFormatError(f"mosaic {h}×{w} is too small to hold one 2×2 Bayer block")
    return arr[dr : dr + h2, dc : dc + w2]


def pack(mosaic: np.ndarray, cfa: str = "RGGB", *, crop_odd: bool = False) -> np.ndarray:
    """Pack a Bayer mosaic into four half-resolution planes ``[B, Gb, R, Gr]``.

    Args:
        mosaic: H×W mosaic (values are kept as they are: normalise first if needed).
        cfa: pattern of ``mosaic[0:2, 0:2]``; non-RGGB mosaics lose one leading row and/or
            column (and the matching trailing one) to reach RGGB phase.
        crop_odd: accept odd H or W by dropping the last row/column; otherwise refused.

    Returns:
        float32 4×H'/2×W'/2 (H' = H, W' = W for an even RGGB mosaic).
    """
    rggb = rggb_crop(mosaic, cfa, crop_odd=crop_odd)
    planes = [rggb[r::2, c::2] for r, c in _PACKED_POSITIONS]
    return np.stack(planes).astype(np.float32)


def unpack(packed: np.ndarray) -> np.ndarray:
    """Inverse of :func:`pack`: a 4×h×w ``[B, Gb, R, Gr]`` array → float32 2h×2w RGGB mosaic."""
    arr = np.asarray(packed)
    if arr.ndim != 3 or arr.shape[0] != 4:
        raise RawFormatError(f"a packed mosaic is 4×h×w, got shape {arr.shape}")
    _, h, w = arr.shape
    out = np.empty((2 * h, 2 * w), dtype=np.float32)
    for plane, (r, c) in zip(arr, _PACKED_POSITIONS, strict=True):
        out[r::2, c::2] = plane
    return out


def mosaic_rgb(rgb: np.ndarray, cfa: str = "RGGB") -> np.ndarray:
    """Sample an H×W×3 RGB image through a CFA: the H×W mosaic a Bayer sensor would record.

    Keeps the dtype of ``rgb``; H and W may be odd.
    """
    img = np.asarray(rgb)
    if img.ndim != 3 or img.shape[2] != 3:
        raise RawFormatError(f"mosaic_rgb needs an H×W×3 image, got shape {img.shape}")
    h, w, _ = img.shape
    index = np.tile(cfa_colour_indices(cfa), ((h + 1) // 2, (w + 1) // 2))[:h, :w]
    return np.take_along_axis(img, index[..., None], axis=2)[..., 0]


def colour_masks(shape: tuple[int, int], cfa: str) -> np.ndarray:
    """Boolean 3×H×W masks: where the R, G and B samples of a ``cfa`` mosaic of ``shape`` lie."""
    h, w = shape
    index = np.tile(cfa_colour_indices(cfa), ((h + 1) // 2, (w + 1) // 2))[:h, :w]
    return np.stack([index == c for c in range(3)])


_KERNEL_RB = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=np.float32) / 4
_KERNEL_G = np.array([[0, 1, 0], [1, 4, 1], [0, 1, 0]], dtype=np.float32) / 4


def _demosaic_bilinear(mosaic: np.ndarray, cfa: str) -> np.ndarray:
    """Bilinear interpolation as a normalised convolution (exact borders, samples kept)."""
    masks = colour_masks(mosaic.shape, cfa).astype(np.float32)
    out = np.empty(mosaic.shape + (3,), dtype=np.float32)
    for c in range(3):
        kernel = _KERNEL_G if c == 1 else _KERNEL_RB
        num = cv2.filter2D(mosaic * masks[c], -1, kernel, borderType=cv2.BORDER_CONSTANT)
        den = cv2.filter2D(masks[c], -1, kernel, borderType=cv2.BORDER_CONSTANT)
        out[..., c] = num / den
    return out


def demosaic(mosaic: np.ndarray, cfa: str = "RGGB", method: str = "bilinear") -> np.ndarray:
    """Interpolate the missing colours of a mosaic.

    Args:
        mosaic: H×W float mosaic (normalised values in [0, 1] are typical; any scale works).
        cfa: its pattern.
        method: ``"bilinear"`` (fast, for inspection), or ``"malvar2004"`` / ``"menon2007"``
            (reference quality, from the colour-demosaicing package).

    Returns:
        float32 H×W×3 linear RGB in the mosaic's units; sampled values are kept as they are
        by the bilinear method.
    """
    arr = _check_mosaic(mosaic).astype(np.float32)
    name = check_cfa(cfa)
    if method == "bilinear":
        return _demosaic_bilinear(arr, name)
    if method in ("malvar2004", "menon2007"):
        fn = {
            "malvar2004": colour_demosaicing.demosaicing_CFA_Bayer_Malvar2004,
            "menon2007": colour_demosaicing.demosaicing_CFA_Bayer_Menon2007,
        }[method]
        return np.asarray(fn(arr, name), dtype=np.float32)
    raise RawFormatError(
        f"unknown demosaic method {method!r}; expected one of {', '.join(DEMOSAIC_METHODS)}"
    )


def preview(
    mosaic: np.ndarray,
    cfa: str = "RGGB",
    wb: Sequence[float] | None = None,
    color_matrix: np.ndarray | None = None,
    *,
    exposure: float = 1.0,
    method: str = "bilinear",
) -> np.ndarray:
    """A quick display rendering of a normalised mosaic (for inspection, not a real ISP).

    Steps: demosaic → multiply by ``wb`` (R, G, B) → ``color_matrix`` (camera RGB → linear
    sRGB) → multiply by ``exposure`` → clip to [0, 1] → sRGB transfer curve.

    Args:
        mosaic: H×W normalised mosaic in [0, 1] (e.g. from :func:`normalize`).
        cfa: its pattern.
        wb: white-balance multipliers (R, G, B), or None for none.
        color_matrix: 3×3 camera RGB → linear sRGB, or None to leave camera RGB as it is.
        exposure: linear gain applied before clipping.
        method: demosaicing method (see :func:`demosaic`).

    Returns:
        float32 H×W×3 sRGB-encoded image in [0, 1].
    """
    rgb = demosaic(mosaic, cfa, method)
    if wb is not None:
        gains = np.asarray(wb, dtype=np.float32).reshape(-1)
        if gains.size != 3:
            raise RawFormatError(f"wb needs three multipliers (R, G, B), got {gains.size}")
        rgb = rgb * gains
    if color_matrix is not None:
        matrix = np.asarray(color_matrix, dtype=np.float32)
        if matrix.shape != (3, 3):
            raise RawFormatError(f"color_matrix must be 3×3, got shape {matrix.shape}")
        rgb = rgb @ matrix.T
    rgb = np.clip(rgb * np.float32(exposure), 0.0, 1.0)
    return linear_to_srgb(rgb.astype(np.float32))
