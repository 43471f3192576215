"""Illuminants for the colour-constancy test: CIE white points → per-channel raw gains.

A camera's raw response to a neutral surface is the illuminant's white seen through the
camera's colour matrix. Re-lighting a raw with another illuminant is modelled the way white
balance itself is (a von Kries, diagonal model in camera RGB): every sample of channel c is
multiplied by ``g_c = r_c(new) / r_c(reference)``, where ``r = C · M · XYZ`` is the camera's
response to the illuminant's white, ``M`` the XYZ → linear sRGB matrix of
:mod:`hdrisp.raw.color` and ``C`` the camera's linear sRGB → camera RGB matrix. The gains are
normalised so that green keeps its value (G = 1): a camera exposes for luminance, and the
red and blue channels carry the cast.

The white points are the CIE standard illuminants' chromaticities (CIE 15:2004, 2° observer):
daylight D75/D65/D50, fluorescent F2 (cool white) and F11 (narrow tri-band, TL84-like),
tungsten A. The reference is D65, the white of the synthetic set's scenes. Only the white
point is modelled: a fluorescent lamp's spiky spectrum changes colours in ways no diagonal
gain can, so this is the cast a *white balance* has to undo, not a full re-lighting.

Which camera matrix? The synthetic set records each pair's ``cam_from_srgb``
(:mod:`hdrisp.synth.unprocess`); for other data :data:`AVERAGE_CAMERA` stands in: the
synthetic sensor's mean matrix (mixing weight 0.275 towards the uniform matrix), whose
tungsten cast against daylight is R ×1.85, B ×0.50. Plain linear sRGB primaries are narrower
than a sensor's channels and would exaggerate it (R ×2.2, B ×0.28).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hdrisp.errors import ConfigError
from hdrisp.raw.color import XYZ_TO_SRGB


@dataclass(frozen=True)
class Illuminant:
    """A CIE standard illuminant: its name, kind, correlated colour temperature and white
    point (x, y)."""

    name: str
    kind: str
    cct: int
    xy: tuple[float, float]


ILLUMINANTS: dict[str, Illuminant] = {i.name: i for i in (
    Illuminant("D75", "daylight (north sky, shade)", 7504, (0.29902, 0.31485)),
    Illuminant("D65", "daylight (average)", 6504, (0.31271, 0.32902)),
    Illuminant("D50", "daylight (horizon)", 5003, (0.34567, 0.35850)),
    Illuminant("F2", "fluorescent (cool white)", 4230, (0.37208, 0.37529)),
    Illuminant("F11", "fluorescent (narrow tri-band)", 4000, (0.38052, 0.37713)),
    Illuminant("A", "tungsten (incandescent)", 2856, (0.44757, 0.40745)),
)}
"""name → :class:`Illuminant`, from the bluest to the reddest."""

REFERENCE = "D65"
"""The illuminant of the unchanged raws (gains 1, 1, 1)."""

DEFAULT_ILLUMINANTS: tuple[str, ...] = ("D75", "D65", "D50", "F11", "A")
"""The cast set's default renderings: shade, daylight, horizon daylight, fluorescent, tungsten."""

_MIX = 0.275  # mean of the synthetic sensor's mixing weight U(0.15, 0.40)
AVERAGE_CAMERA: np.ndarray = (1.0 - _MIX) * np.eye(3) + _MIX * np.full((3, 3), 1.0 / 3.0)
"""Linear sRGB → camera RGB of the synthetic sensor on average (rows sum to 1)."""
AVERAGE_CAMERA.setflags(write=False)


def illuminant(name: str) -> Illuminant:
    """The :class:`Illuminant` called ``name`` (ConfigError listing the known ones)."""
    if name not in ILLUMINANTS:
        raise ConfigError(f"unknown illuminant {name!r} (known: {', '.join(ILLUMINANTS)})")
    return ILLUMINANTS[name]


def check_illuminants(names: Sequence[str]) -> tuple[str, ...]:
    """``names`` validated: known, distinct, at least two, and including :data:`REFERENCE`."""
    names = tuple(names)
    for name in names:
        illuminant(name)
    if len(set(names)) != len(names):
        raise ConfigError(f"illuminants: each may appear once, got {', '.join(names)}")
    if len(names) < 2 or REFERENCE not in names:
        raise ConfigError(f"illuminants: at least two, one of them {REFERENCE} (the raws as "
                          f"they are), got {', '.join(names) or 'none'}")
    return names


def white_xyz(xy: Sequence[float]) -> np.ndarray:
    """CIE XYZ of a white point with chromaticity (x, y), scaled to Y = 1."""
    x, y = (float(v) for v in xy)
    if not (0 < x and 0 < y and x + y < 1):
        raise ConfigError(f"not a chromaticity: ({x}, {y})")
    return np.array([x / y, 1.0, (1.0 - x - y) / y])


def camera_response(xy: Sequence[float], cam_from_srgb: np.ndarray | None = None) -> np.ndarray:
    """The camera RGB of a white of chromaticity ``xy`` (before white balance), G = 1.

    ``cam_from_srgb`` is the camera's linear sRGB → camera RGB matrix
    (default :data:`AVERAGE_CAMERA`).
    """
    matrix = AVERAGE_CAMERA if cam_from_srgb is None else np.asarray(cam_from_srgb, float)
    if matrix.shape != (3, 3):
        raise ConfigError(f"a camera matrix is 3×3, got {matrix.shape}")
    rgb = matrix @ (XYZ_TO_SRGB @ white_xyz(xy))
    if np.any(rgb <= 0):
        raise ConfigError(f"the camera's response to white {tuple(xy)} is not positive: {rgb}")
    return rgb / rgb[1]


def cast_gains(name: str, cam_from_srgb: np.ndarray | None = None,
               reference: str = REFERENCE) -> tuple[float, float, float]:
    """Per-channel raw gains (R, G = 1, B) that move a raw shot under ``reference`` to
    illuminant ``name`` (see the module docstring).

    Examples:
        >>> [round(g, 2) for g in cast_gains("A")]        # tungsten: redder, less blue
        [1.85, 1.0, 0.5]
        >>> cast_gains("D65")
        (1.0, 1.0, 1.0)
    """
    new = camera_response(illuminant(name).xy, cam_from_srgb)
    old = camera_response(illuminant(reference).xy, cam_from_srgb)
    gains = new / old
    return (float(gains[0] / gains[1]), 1.0, float(gains[2] / gains[1]))


__all__ = ["AVERAGE_CAMERA", "DEFAULT_ILLUMINANTS", "ILLUMINANTS", "REFERENCE", "Illuminant",
           "camera_response", "cast_gains", "check_illuminants", "illuminant", "white_xyz"]
