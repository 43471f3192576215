"""Classical tone-mapping baselines and the table of every classical method.

OpenCV's ``photo`` module operators on the linear result of :mod:`hdrisp.isp.classical`:
Reinhard & Devlin 2005, Drago et al. 2003, Mantiuk et al. 2006, and Mertens et al. 2007
exposure fusion of synthetic brackets. :data:`BASELINES` names every classical method
(these, the plain pipeline with and without the raw's metadata, and LibRaw's own develop);
:func:`run_baseline` runs one and :func:`baseline_inputs` says what it was given.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence

import cv2
import numpy as np

from hdrisp.errors import ConfigError
from hdrisp.isp.classical import (
    LinearMosaic,
    as_linear_mosaic,
    auto_exposure_gain,
    classical_isp,
    develop_linear,
    encode_srgb,
    grey_world_isp,
    libraw_develop,
)
from hdrisp.raw.color import to_uint8
from hdrisp.raw.io import RawImage


@contextlib.contextmanager
def _opencv_errors_only() -> Iterator[None]:
    """Silence OpenCV's log warnings (its tone mappers warn about matrix expressions)."""
    logging = cv2.utils.logging
    level = logging.getLogLevel()
    logging.setLogLevel(logging.LOG_LEVEL_ERROR)
    try:
        yield
    finally:
        logging.setLogLevel(level)


def _tone_map(operator, raw: RawImage | LinearMosaic) -> np.ndarray:
    """Run an OpenCV tone mapper (gamma 1) on the linear ISP result, then the sRGB curve."""
    linear = develop_linear(raw)
    # the operators work on log luminance: keep every value strictly positive
    hdr = np.maximum(linear / max(float(linear.max()), 1e-6), 1e-6).astype(np.float32)
    with _opencv_errors_only():
        mapped = operator.process(np.ascontiguousarray(hdr))  # RGB in, RGB out
    return encode_srgb(np.nan_to_num(mapped, nan=0.0))


def reinhard(raw: RawImage | LinearMosaic) -> np.ndarray:
    """Reinhard & Devlin (2005) photoreceptor tone mapping, OpenCV defaults → H×W×3 in [0, 1]."""
    return _tone_map(cv2.createTonemapReinhard(1.0, 0.0, 1.0, 0.0), raw)


def drago(raw: RawImage | LinearMosaic) -> np.ndarray:
    """Drago et al. (2003) adaptive logarithmic tone mapping (bias 0.85) → H×W×3 in [0, 1]."""
    return _tone_map(cv2.createTonemapDrago(1.0, 1.0, 0.85), raw)


def mantiuk(raw: RawImage | LinearMosaic) -> np.ndarray:
    """Mantiuk et al. (2006) contrast-domain tone mapping (scale 0.7) → H×W×3 in [0, 1]."""
    return _tone_map(cv2.createTonemapMantiuk(1.0, 0.7, 1.0), raw)


def exposure_fusion(
    raw: RawImage | LinearMosaic, stops: Sequence[float] = (-2.0, 0.0, 2.0)
) -> np.ndarray:
    """Mertens et al. (2007) exposure fusion of synthetic brackets → H×W×3 in [0, 1].

    The auto-exposed linear image is rendered at each of ``stops`` EV (clipped, sRGB
    curve) and the brackets are fused by contrast, saturation and well-exposedness.
    """
    linear = develop_linear(raw)
    linear = linear * auto_exposure_gain(linear)
    # MergeMertens expects 8-bit-scaled brackets (0…255) and returns about 0…1
    brackets = [encode_srgb(linear * 2.0**ev) * np.float32(255.0) for ev in stops]
    with _opencv_errors_only():
        fused = cv2.createMergeMertens().process(brackets)
    return np.clip(np.nan_to_num(fused, nan=0.0), 0.0, 1.0).astype(np.float32)


Baseline = Callable[[RawImage | LinearMosaic], np.ndarray]

BASELINES: dict[str, Baseline] = {
    "classical": classical_isp,
    "greyworld": grey_world_isp,
    "libraw": libraw_develop,
    "reinhard": reinhard,
    "drago": drago,
    "mantiuk": mantiuk,
    "mertens": exposure_fusion,
}
"""Named classical methods: ``fn(raw) -> float32 H×W×3 sRGB in [0, 1]`` (mosaic size)."""


METADATA_FREE = ("greyworld",)
"""Rows that ignore the raw's metadata on purpose."""


def baseline_inputs(name: str, raw: RawImage | LinearMosaic) -> str:
    """What the row ``name`` is given on ``raw``, in words (for the tables' "given" column).

    Examples:
        >>> import numpy as np
        >>> bare = LinearMosaic(np.zeros((4, 4), np.float32))
        >>> baseline_inputs("classical", bare)
        'grey-world WB, identity matrix (no metadata)'
        >>> tagged = LinearMosaic(np.zeros((4, 4), np.float32), wb=(2.0, 1.0, 1.5),
        ...                       color_matrix=np.eye(3))
        >>> baseline_inputs("drago", tagged), baseline_inputs("greyworld", tagged)
        ('as-shot WB + colour matrix', 'grey-world WB, identity matrix (ignores metadata)')
    """
    if name not in BASELINES:
        raise ConfigError(f"unknown baseline {name!r} (known: {', '.join(BASELINES)})")
    if name in METADATA_FREE:
        return "grey-world WB, identity matrix (ignores metadata)"
    if name == "libraw":
        return "the camera raw file (LibRaw: as-shot WB, its matrix)"
    x = as_linear_mosaic(raw)
    if x.wb is None:
        return "grey-world WB, " + ("colour matrix" if x.color_matrix is not None
                                     else "identity matrix (no metadata)")
    return "as-shot WB + " + ("colour matrix" if x.color_matrix is not None
                              else "identity matrix")


def run_baseline(name: str, raw: RawImage | LinearMosaic, *, as_uint8: bool = True) -> np.ndarray:
    """Develop ``raw`` with the baseline called ``name``.

    Returns:
        H×W×3 sRGB, uint8 (``as_uint8``) or float32 in [0, 1].

    Raises:
        ConfigError: for an unknown name; BaselineUnavailable when it cannot run on ``raw``.
    """
    if name not in BASELINES:
        raise ConfigError(f"unknown baseline {name!r} (known: {', '.join(BASELINES)})")
    img = BASELINES[name](as_linear_mosaic(raw))
    return to_uint8(img) if as_uint8 else img
