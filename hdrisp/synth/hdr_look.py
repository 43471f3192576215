"""The synthetic targets' "HDR look": exposure fusion, local detail and saturation boost.

The paper's targets were edited in Photomatix Pro (a local tone-mapping "HDR look"). This
classical stand-in, applied to a clean *linear* image, is:

1. **Brackets**: the linear image at each exposure ``2^ev`` (``ev`` in ``evs``, default
   −2, 0, +2), clipped to [0, 1] and sRGB-encoded to 8 bits, like a bracketed burst.
2. **Exposure fusion** (Mertens, Kautz & Van Reeth, 2007) with OpenCV's
   ``MergeMertens``: each pixel of each bracket is weighted by contrast, saturation and
   well-exposedness and the brackets are blended in a Laplacian pyramid. Shadows come from
   the bright bracket and highlights from the dark one: the dynamic range is compressed
   locally.
3. **Detail boost** ("clarity"): the luma ``Y`` gains ``detail·(Y − blur_σ(Y))`` with a
   Gaussian of about ``detail_sigma`` pixels (computed at half resolution), added to the
   three channels.
4. **Saturation boost**: each channel moves away from luma by the factor ``saturation``.
5. Clip to [0, 1] and round to 8 bits (sRGB-encoded).

The parameters are fixed for a data set (the look is one editor's style, not random) and
are stored in its manifest. Everything is OpenCV or vectorised numpy: about 10 ms for
448×448 on one core.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import cv2
import numpy as np

from hdrisp.errors import InputShapeError
from hdrisp.raw.color import linear_to_srgb, to_uint8

_LUMA = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)  # Rec. 709 weights


@dataclass(frozen=True)
class HDRLook:
    """Parameters of the tone-mapping operator (see the module docstring).

    Attributes:
        evs: exposure offsets of the synthetic brackets, in stops.
        contrast_weight, saturation_weight, exposure_weight: MergeMertens' weight exponents.
        detail: strength of the local detail boost (0 = none).
        detail_sigma: Gaussian standard deviation of the detail boost's base layer, in pixels.
        saturation: saturation factor (1 = unchanged).
    """

    evs: tuple[float, ...] = (-2.0, 0.0, 2.0)
    contrast_weight: float = 1.0
    saturation_weight: float = 1.0
    exposure_weight: float = 1.0
    detail: float = 0.6
    detail_sigma: float = 8.0
    saturation: float = 1.25

    def to_dict(self) -> dict:
        """A plain, JSON-friendly dict of the parameters."""
        out = asdict(self)
        out["evs"] = list(self.evs)
        return out


_LUT_SIZE = 1 << 16
# 8-bit sRGB code of each linear value k / (_LUT_SIZE − 1): fine enough that the table's
# own rounding stays below a tenth of a code value even in the steep deep shadows
_SRGB8_LUT = to_uint8(linear_to_srgb(np.linspace(0.0, 1.0, _LUT_SIZE)))


def exposure_brackets(linear: np.ndarray, evs: tuple[float, ...]) -> list[np.ndarray]:
    """uint8 sRGB H×W×3 renderings of a linear image at each exposure offset ``ev`` (stops).

    Each is ``round(255·srgb(clip(linear·2^ev, 0, 1)))``, read from a 65536-entry table.
    """
    image = np.ascontiguousarray(linear, dtype=np.float32)
    flat = image.reshape(image.shape[0], -1)  # one channel, so a scalar scales every value
    brackets = []
    for ev in evs:
        # saturating, rounding conversion: clip(linear·2^ev, 0, 1) as a table index
        index = cv2.multiply(flat, (_LUT_SIZE - 1) * 2.0**ev, dtype=cv2.CV_16U)
        brackets.append(_SRGB8_LUT[index].reshape(image.shape))
    return brackets


def _luma(rgb: np.ndarray) -> np.ndarray:
    """float32 H×W Rec. 709 weighted sum of an H×W×3 image's channels."""
    return cv2.transform(rgb, _LUMA[None, :]).reshape(rgb.shape[:2])


def _blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of about ``sigma`` pixels, done at half resolution (5× faster)."""
    h, w = image.shape[:2]
    if min(h, w) < 8 or sigma < 2:
        return cv2.GaussianBlur(image, (0, 0), sigma)
    half = cv2.GaussianBlur(cv2.pyrDown(image), (0, 0), sigma / 2)
    return cv2.pyrUp(half, dstsize=(w, h))


def hdr_look(linear: np.ndarray, look: HDRLook | None = None) -> np.ndarray:
    """Tone-map a linear RGB image into an 8-bit "HDR look" picture.

    Args:
        linear: float32 H×W×3 linear sRGB (D65), 1.0 = display white; highlights may exceed 1.
        look: the operator's parameters (default :class:`HDRLook()`).

    Returns:
        uint8 H×W×3 sRGB-encoded RGB.
    """
    look = look or HDRLook()
    image = np.ascontiguousarray(linear, dtype=np.float32)
    if image.ndim != 3 or image.shape[2] != 3:
        raise InputShapeError(f"hdr_look needs an H×W×3 image, got shape {image.shape}")
    merge = cv2.createMergeMertens(look.contrast_weight, look.saturation_weight,
                                   look.exposure_weight)
    # OpenCV's threaded fusion is not deterministic (now and then one pixel differs by one
    # level between two identical calls, measured), and a set must be the same bytes for the
    # same arguments: the fusion runs on one OpenCV thread
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        fused = merge.process(exposure_brackets(image, look.evs))  # float32, about [0, 1]
    finally:
        cv2.setNumThreads(threads)
    luma = _luma(fused)
    # detail D = detail·(Y − blur(Y)) is added to every channel, so the luma becomes Y + D
    # (the weights sum to 1); the saturation step Y' + s·(RGB' − Y') then simplifies to
    # s·RGB + (1 − s)·Y + D, computed below in one pass over the colour image
    s, d = np.float32(look.saturation), np.float32(look.detail)
    grey = (1 - s) * luma
    if look.detail:
        grey += d * (luma - _blur(luma, look.detail_sigma))
    out = s * fused + grey[..., None]
    flat = out.reshape(out.shape[0], -1)
    return cv2.multiply(flat, 255.0, dtype=cv2.CV_8U).reshape(out.shape)  # rounds, clips


def hdr_look_of_view(linear: np.ndarray, scale: float, look: HDRLook | None = None) -> np.ndarray:
    """The look of a view that shows its photograph enlarged ``scale`` times (generator
    version 5).

    An editor gives a *photograph* its look; a crop or a frame shows part of it, maybe enlarged.
    The look itself is not a per-pixel function (its fusion pyramid is as deep as the picture
    allows and its detail boost spans a fixed number of pixels), so rendered on an enlargement
    it comes out differently from the photograph's own (``benchmarks/probe_look_scale.py``).
    For ``scale`` > 1 the view is therefore reduced to the photograph's own size (area
    averaging), given the look, and enlarged back (bicubic, in float, rounded to 8 bits);
    views at or below the photograph's size get :func:`hdr_look` directly.

    Args:
        linear: float32 H×W×3 linear sRGB of the view.
        scale: the view's output pixels per photograph pixel (``view["scale"]``).
        look: the operator's parameters (default :class:`HDRLook()`).

    Returns:
        uint8 H×W×3 sRGB-encoded RGB.

    Examples:
        >>> scene = np.full((64, 96, 3), 0.18, np.float32)
        >>> hdr_look_of_view(scene, 2.0).shape
        (64, 96, 3)
    """
    h, w = linear.shape[:2]
    small_h, small_w = max(8, round(h / scale)), max(8, round(w / scale))
    if scale <= 1.0 or (small_h, small_w) == (h, w):
        return hdr_look(linear, look)
    small = cv2.resize(np.ascontiguousarray(linear, dtype=np.float32), (small_w, small_h),
                       interpolation=cv2.INTER_AREA)
    toned = hdr_look(small, look).astype(np.float32)
    big = cv2.resize(toned, (w, h), interpolation=cv2.INTER_CUBIC)
    return np.clip(np.rint(big), 0, 255).astype(np.uint8)
