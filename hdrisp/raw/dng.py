"""Writing Bayer DNGs that LibRaw/rawpy reads back bit-exact (re-exported by :mod:`hdrisp.raw`).

The file is a single uncompressed 16-bit CFA image (TIFF/EP + DNG 1.4 tags) written with
tifffile: CFARepeatPatternDim/CFAPattern, BlackLevelRepeatDim/BlackLevel (one level per
2×2 position), WhiteLevel, optionally AsShotNeutral (from the white balance) and
ColorMatrix1 (from a camera → sRGB matrix, D65), Make/Model/UniqueCameraModel.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np
import tifffile

from hdrisp.errors import RawFormatError
from hdrisp.raw.bayer import as_four_levels, check_cfa
from hdrisp.raw.color import SRGB_TO_XYZ

_CFA_CODES = {"R": 0, "G": 1, "B": 2}  # TIFF/EP CFAPattern colour codes
_LIBRAW_MIN_SIDE = 22  # LibRaw's identify() rejects smaller images as "not a raw file"


def _rationals(values: Sequence[float]) -> tuple[int, ...]:
    """Flatten floats into (numerator, denominator) pairs for a (S)RATIONAL tag.

    Each value becomes the closest fraction with a denominator up to 10⁶ (so 2/3 stays 2/3).
    """
    out: list[int] = []
    for v in values:
        frac = Fraction(float(v)).limit_denominator(1_000_000)
        out += [frac.numerator, frac.denominator]
    return tuple(out)


def write_dng(
    path: str | os.PathLike,
    mosaic: np.ndarray,
    cfa: str,
    black_level: float | Sequence[float],
    white_level: float,
    wb: Sequence[float] | None = None,
    color_matrix: np.ndarray | None = None,
    *,
    camera: str = "hdrisp synthetic",
) -> Path:
    """Write a Bayer mosaic as an uncompressed DNG that LibRaw/rawpy reads back bit-exact.

    Args:
        path: destination (written atomically: temporary file, then rename).
        mosaic: H×W integer mosaic with values in [0, 65535] (stored as uint16); both sides
            at least 22 pixels, the smallest LibRaw accepts.
        cfa: pattern of ``mosaic[0:2, 0:2]``.
        black_level: one value or four in raster order of the 2×2 block (BlackLevel with
            BlackLevelRepeatDim 2×2). Integers round-trip exactly.
        white_level: saturation value (WhiteLevel).
        wb: white-balance multipliers (R, G, B); stored as AsShotNeutral = 1 / wb.
        color_matrix: 3×3 camera RGB → linear sRGB; stored as ColorMatrix1 (XYZ → camera,
            D65). LibRaw rescales it so that camera (1, 1, 1) maps to sRGB white, so a matrix
            whose rows each sum to 1 reads back unchanged.
        camera: UniqueCameraModel / Model.

    Returns:
        The path written.
    """
    out = Path(path)
    data = np.asarray(mosaic)
    if data.ndim != 2:
        raise RawFormatError(f"write_dng needs an H×W mosaic, got shape {data.shape}", out)
    if data.dtype != np.uint16:
        if np.issubdtype(data.dtype, np.floating) and not np.all(data == np.round(data)):
            raise RawFormatError("write_dng needs integer digital numbers, got fractions", out)
        if data.size and (data.min() < 0 or data.max() > 65535):
            raise RawFormatError("mosaic values must lie in [0, 65535] for a 16-bit DNG", out)
        data = data.astype(np.uint16)
    if min(data.shape) < _LIBRAW_MIN_SIDE:
        raise RawFormatError(f"mosaic {data.shape[0]}×{data.shape[1]} is too small: LibRaw "
                             f"reads no raw with a side under {_LIBRAW_MIN_SIDE} pixels", out)
    try:
        pattern = check_cfa(cfa)
        black = as_four_levels(black_level)
    except RawFormatError as exc:
        raise RawFormatError(exc.problem, out) from None
    if not all(float(white_level) > b for b in black):
        raise RawFormatError(f"white level {white_level} is not above the black levels {black}",
                             out)
    tags = [
        (33421, "H", 2, (2, 2), True),  # CFARepeatPatternDim
        (33422, "B", 4, bytes(_CFA_CODES[c] for c in pattern), True),  # CFAPattern
        (50706, "B", 4, (1, 4, 0, 0), True),  # DNGVersion
        (50707, "B", 4, (1, 1, 0, 0), True),  # DNGBackwardVersion
        (271, "s", 0, "hdrisp", True),  # Make
        (272, "s", 0, camera, True),  # Model
        (50708, "s", 0, camera, True),  # UniqueCameraModel
        (50713, "H", 2, (2, 2), True),  # BlackLevelRepeatDim
        (50714, "2I", 4, _rationals(black), True),  # BlackLevel (RATIONAL)
        (50717, "I", 1, int(round(float(white_level))), True),  # WhiteLevel
    ]
    if wb is not None:
        gains = np.asarray(wb, dtype=np.float64).reshape(-1)
        if gains.size != 3 or np.any(gains <= 0):
            raise RawFormatError(f"wb needs three positive multipliers, got {list(gains)}", out)
        tags.append((50728, "2I", 3, _rationals(1.0 / gains), True))  # AsShotNeutral
    if color_matrix is not None:
        cam_to_srgb = np.asarray(color_matrix, dtype=np.float64)
        if cam_to_srgb.shape != (3, 3) or abs(np.linalg.det(cam_to_srgb)) < 1e-12:
            raise RawFormatError("color_matrix must be an invertible 3×3 matrix", out)
        xyz_to_cam = np.linalg.inv(SRGB_TO_XYZ @ cam_to_srgb)
        tags.append((50721, "2i", 9, _rationals(xyz_to_cam.ravel()), True))  # ColorMatrix1
        tags.append((50778, "H", 1, 21, True))  # CalibrationIlluminant1 = D65
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".dng", dir=out.parent)
    os.close(fd)
    try:
        tifffile.imwrite(tmp, data, photometric=32803, subfiletype=0, metadata=None,
                         software=False, extratags=tags)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out
