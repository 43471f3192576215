"""Colour-space helpers: the sRGB transfer curve and the XYZ ↔ linear-sRGB matrices.

All functions are plain numpy and work on arrays of any shape (the curve is
applied element-wise). Values are relative: 1.0 is diffuse white.
"""

from __future__ import annotations

import numpy as np

# Linear sRGB (D65) from CIE XYZ (D65), IEC 61966-2-1:1999 (rounded to four decimals there).
XYZ_TO_SRGB: np.ndarray = np.array(
    [
        [3.2406, -1.5372, -0.4986],
        [-0.9689, 1.8758, 0.0415],
        [0.0557, -0.2040, 1.0570],
    ],
    dtype=np.float64,
)
XYZ_TO_SRGB.setflags(write=False)

# CIE XYZ (D65) from linear sRGB: the exact inverse of XYZ_TO_SRGB, so a round trip is lossless.
SRGB_TO_XYZ: np.ndarray = np.linalg.inv(XYZ_TO_SRGB)
SRGB_TO_XYZ.setflags(write=False)

_LINEAR_KNEE = 0.0031308  # linear value where the curve switches from the line to the power law
_ENCODED_KNEE = 0.04045  # the same point on the encoded (gamma) side (12.92 * _LINEAR_KNEE)


def srgb_to_linear(x: np.ndarray | float) -> np.ndarray:
    """Decode sRGB values to linear light (IEC 61966-2-1 piecewise curve).

    Args:
        x: encoded values, any shape; nominally in [0, 1]. Negative inputs are mirrored
            (sign kept) so the curve is odd and never produces NaN.

    Returns:
        Linear values, same shape; float32 for float32 input, float64 otherwise.
    """
    arr = np.asarray(x)
    dtype = np.float32 if arr.dtype == np.float32 else np.float64
    arr = arr.astype(dtype, copy=False)
    mag = np.abs(arr)
    out = np.where(mag <= _ENCODED_KNEE, mag / 12.92, ((mag + 0.055) / 1.055) ** 2.4)
    return (np.sign(arr) * out).astype(dtype, copy=False)


def linear_to_srgb(x: np.ndarray | float) -> np.ndarray:
    """Encode linear light as sRGB values (IEC 61966-2-1 piecewise curve).

    Args:
        x: linear values, any shape; nominally in [0, 1]. Values are not clipped;
            negative inputs are mirrored (sign kept).

    Returns:
        Encoded values, same shape; float32 for float32 input, float64 otherwise.
    """
    arr = np.asarray(x)
    dtype = np.float32 if arr.dtype == np.float32 else np.float64
    arr = arr.astype(dtype, copy=False)
    mag = np.abs(arr)
    out = np.where(mag <= _LINEAR_KNEE, mag * 12.92, 1.055 * mag ** (1.0 / 2.4) - 0.055)
    return (np.sign(arr) * out).astype(dtype, copy=False)


def to_uint8(img: np.ndarray) -> np.ndarray:
    """Quantise values in [0, 1] to 8 bits: clip, ×255, round half to even; any shape.

    The one quantiser of hdrisp (develop, baselines, logs, figures). A torch image
    ``3×H×W`` goes in as ``t.permute(1, 2, 0).cpu().numpy()``.

    Examples:
        >>> to_uint8(np.array([-0.1, 0.0, 0.5, 1.0, 1.7])).tolist()
        [0, 0, 128, 255, 255]
    """
    return np.round(np.clip(np.asarray(img, dtype=np.float32), 0.0, 1.0) * 255.0).astype(np.uint8)
