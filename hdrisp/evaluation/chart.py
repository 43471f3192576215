"""Colour accuracy on a real X-Rite ColorChecker: 24 patches against their published values.

A developed image of a raw file that shows a ColorChecker Classic is scored on its 24
patches. The patch boxes are located once per raw file and kept with the reference
values in a JSON file (:func:`load_chart`; the project's is
``tests/data/colorchecker_canon550d.json``), in pixels of the raw file's *visible mosaic*,
so a develop at any scale is measured by scaling the boxes (:meth:`Chart.boxes_for`).

The measurement, step by step (:func:`score_chart`):

1. **Patch means**: decode each box of the sRGB image to linear light and average it
   (:func:`patch_means`); the mean of the light, not of the code values.
2. **One exposure gain** ``g`` (:func:`neutral_gain`): least squares in linear RGB over
   the five neutral patches 19-23 (white 9.5 to neutral 3.5),
   ``g = Σ m·r / Σ m·m`` over their three channels, ``m`` measured, ``r`` reference. A
   develop's brightness is a choice (auto exposure, a tone curve), not a colour error;
   this removes it, and only it: a colour cast is left in place, and a gain fitted on
   luminance alone would push the cast's strongest channel past white instead.
3. The patches times ``g``, clipped to [0, 1] (an sRGB image cannot show more) and
   encoded, go to CIELAB (D65, 2°; :func:`hdrisp.evaluation.metrics.srgb_to_lab`), the
   same conversion as the reference values, and are compared:

   - ``delta_e``: mean CIEDE2000 over all 24 patches;
   - ``hue_error``: mean absolute difference of the CIELAB hue angle ``h_ab`` (degrees,
     wrapped to [0, 180]) over the 18 chromatic patches 1-18;
   - ``neutral_chroma``: mean CIELAB chroma ``C*ab`` of the neutral patches 19-23 (0 for
     a perfectly neutral rendering; the reference's own is 1.1: white 9.5 is slightly
     yellow). The black patch 24 is left out of the gain and the chroma: flare, noise
     and the black level decide its colour more than the pipeline does.

4. Whole-frame distance to another rendering (:func:`frame_distance`, e.g. LibRaw's own
   develop of the same file): both at the smaller one's size, the candidate is given one
   gain fitted the same way over all pixels (least squares in linear RGB), clipped,
   encoded, and the per-pixel CIEDE2000 is averaged.

Reference values (:func:`colorchecker_reference`): colour-science's
``CCS_COLOURCHECKERS["ColorChecker24 - After November 2014"]`` (X-Rite's published
CIE xyY of the ColorChecker Classic made after November 2014, illuminant ICC D50),
adapted to D65 with the Bradford transform, converted to linear sRGB with
:data:`hdrisp.raw.color.XYZ_TO_SRGB`, clipped to [0, 1] (the cyan patch 18 lies just
outside the sRGB gamut) and encoded: the values an ideal sRGB rendering would show, so
an image painted with them scores ΔE00 ≈ 0.

On the project's Canon EOS 550D chart DNG (``benchmarks/bench_chart.py``) the classical
pipeline at as-shot white balance scores ΔE00 14.73, hue error 27.4°, neutral chroma 27.0
and is 6.10 ΔE00 from LibRaw's develop, which itself scores 18.24, 29.2°, 30.5 (issue #16
measured 14.9 / 27.6° / 27.2 / 6.2 and 18.6 / 29.4° / 30.8 with its own boxes). The light
is warm, so no as-shot rendering is neutral. Neutral chroma alone rewards a grey image
(a random network scores 8.2): read the three numbers together.

Examples:
    >>> import numpy as np
    >>> ref = colorchecker_reference()
    >>> ref.srgb.shape, ref.names[0], ref.names[18]
    ((24, 3), 'dark skin', 'white 9.5 (.05 D)')
    >>> np.round(ref.srgb[18] * 255).astype(int).tolist()     # white 9.5
    [241, 242, 235]
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import colour
import cv2
import numpy as np

from hdrisp.errors import ConfigError, InputShapeError
from hdrisp.evaluation.metrics import ciede2000, srgb_to_lab
from hdrisp.raw.color import XYZ_TO_SRGB, linear_to_srgb, srgb_to_linear

__all__ = [
    "CHROMATIC", "NEUTRAL", "BLACK", "REFERENCE_SOURCE", "Chart", "ChartReference",
    "ChartScore", "colorchecker_reference", "draw_boxes", "file_sha256", "frame_distance",
    "linear_gain",
    "load_chart", "neutral_gain", "patch_means", "score_chart", "srgb_image",
]

COLORCHECKER = "ColorChecker24 - After November 2014"
REFERENCE_SOURCE = (
    "colour-science CCS_COLOURCHECKERS['ColorChecker24 - After November 2014'] (X-Rite's "
    "published xyY of the ColorChecker Classic made after November 2014, illuminant ICC "
    "D50), Bradford-adapted to D65, IEC 61966-2-1 sRGB, clipped to [0, 1]")
CHROMATIC: tuple[int, ...] = tuple(range(18))
"""Indices of the 18 chromatic patches (1-18 in the chart's numbering)."""
NEUTRAL: tuple[int, ...] = tuple(range(18, 23))
"""Indices of the five neutral patches used for the gain and the chroma: white 9.5 to
neutral 3.5 (19-23)."""
BLACK = 23
"""Index of black 2 (patch 24), left out of the gain and the neutral chroma."""


# --------------------------------------------------------------------------- reference


@dataclass(frozen=True, eq=False)
class ChartReference:
    """Published values of the 24 patches, in raster order (dark skin … black).

    Attributes:
        names: the patch names as colour-science spells them.
        srgb: float64 24×3 encoded sRGB in [0, 1] (D65).
        lab: float64 24×3 CIELAB (D65, 2°) of ``srgb``.
        source: where the numbers come from.
    """

    names: tuple[str, ...]
    srgb: np.ndarray
    lab: np.ndarray
    source: str = REFERENCE_SOURCE

    @property
    def linear(self) -> np.ndarray:
        """float64 24×3 linear sRGB of the reference."""
        return srgb_to_linear(self.srgb)


def colorchecker_reference() -> ChartReference:
    """The ColorChecker Classic (after November 2014) as an ideal sRGB rendering shows it.

    See the module docstring for the source and the conversion.
    """
    chart = colour.CCS_COLOURCHECKERS[COLORCHECKER]
    names = tuple(chart.data.keys())
    xyy = np.array(list(chart.data.values()), dtype=np.float64)
    d65 = colour.CCS_ILLUMINANTS["CIE 1931 2 Degree Standard Observer"]["D65"]
    xyz = colour.chromatic_adaptation(
        colour.xyY_to_XYZ(xyy), colour.xy_to_XYZ(chart.illuminant), colour.xy_to_XYZ(d65),
        method="Von Kries", transform="Bradford")
    srgb = linear_to_srgb(np.clip(xyz @ XYZ_TO_SRGB.T, 0.0, 1.0))
    return ChartReference(names, srgb, srgb_to_lab(srgb))


# --------------------------------------------------------------------------- chart file


@dataclass(frozen=True, eq=False)
class Chart:
    """Where a raw file's ColorChecker patches are, and what they should be.

    Attributes:
        raw_file: the raw file's name (e.g. ``canon550d_magiclantern_tinydng_colorchart.dng``).
        raw_sha256: its SHA-256, so boxes are never applied to another file.
        shape: (H, W) of the file's visible mosaic, the frame the boxes are given in.
        boxes: int 24×4 ``(top, left, bottom, right)`` in visible-mosaic pixels, bottom and
            right exclusive, patches in raster order (1 = dark skin … 24 = black).
        reference: the published values (:func:`colorchecker_reference`).
        path: the JSON file it was read from, or None.
    """

    raw_file: str
    raw_sha256: str
    shape: tuple[int, int]
    boxes: np.ndarray
    reference: ChartReference
    path: str | None = None

    def boxes_for(self, shape: Sequence[int]) -> np.ndarray:
        """The boxes scaled to an image of ``shape`` (H, W, …) that shows the whole visible
        mosaic: int 24×4, each box at least one pixel."""
        h, w = int(shape[0]), int(shape[1])
        sy, sx = h / self.shape[0], w / self.shape[1]
        scaled = self.boxes * np.array([sy, sx, sy, sx])
        top_left = np.floor(scaled[:, :2] + 0.5).astype(int)
        bottom_right = np.maximum(np.floor(scaled[:, 2:] + 0.5).astype(int), top_left + 1)
        return np.concatenate([top_left, bottom_right], axis=1)


def load_chart(path: str | os.PathLike) -> Chart:
    """Read a chart file (boxes and reference values) written as in ``tests/data``.

    The reference values are recomputed with :func:`colorchecker_reference` and must agree
    with the file's (to 1e-4): a chart file cannot silently carry other numbers.

    Raises:
        ConfigError: a missing file, missing keys, 24 boxes not inside the frame, or
            reference values that disagree with the published ones.
    """
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
        boxes = np.asarray([patch["box"] for patch in data["patches"]], dtype=int)
        shape = (int(data["mosaic_shape"][0]), int(data["mosaic_shape"][1]))
        stored = np.asarray([patch["srgb"] for patch in data["patches"]], dtype=np.float64)
        raw_file, raw_sha256 = str(data["raw_file"]), str(data["raw_sha256"])
    except FileNotFoundError:
        raise ConfigError("no such chart file", p) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"not a chart file ({type(exc).__name__}: {exc})", p) from None
    h, w = shape
    inside = ((boxes[:, 0] >= 0) & (boxes[:, 1] >= 0) & (boxes[:, 2] <= h) & (boxes[:, 3] <= w)
              & (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1]))
    if boxes.shape != (24, 4) or not inside.all():
        raise ConfigError(f"needs 24 boxes (top, left, bottom, right) inside the {h}×{w} "
                          f"frame, got {boxes.shape[0]} ({int((~inside).sum())} outside)", p)
    reference = colorchecker_reference()
    if stored.shape != (24, 3) or not np.allclose(stored, reference.srgb, atol=1e-4):
        raise ConfigError("its reference sRGB values are not the published ones "
                          f"({REFERENCE_SOURCE})", p)
    return Chart(raw_file, raw_sha256, shape, boxes, reference, str(p))


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --------------------------------------------------------------------------- measuring


def srgb_image(image: np.ndarray) -> np.ndarray:
    """An H×W×3 sRGB image (uint8, uint16 or float in [0, 1]) → float64 in [0, 1]."""
    img = np.asarray(image)
    if img.ndim != 3 or img.shape[2] != 3:
        raise InputShapeError(f"an sRGB image is H×W×3, got shape {img.shape}")
    if img.dtype == np.uint8:
        return img.astype(np.float64) / 255.0
    if img.dtype == np.uint16:
        return img.astype(np.float64) / 65535.0
    if not np.issubdtype(img.dtype, np.floating):
        raise InputShapeError(f"an sRGB image is uint8, uint16 or float, got {img.dtype}")
    return np.clip(img.astype(np.float64), 0.0, 1.0)


def patch_means(image: np.ndarray, chart: Chart) -> np.ndarray:
    """Mean linear-light RGB in each of the 24 boxes of an sRGB image → float64 24×3.

    The image must show the whole visible mosaic (any size, any aspect distortion is
    followed): its boxes are :meth:`Chart.boxes_for` its shape.
    """
    linear = srgb_to_linear(srgb_image(image))
    boxes = chart.boxes_for(linear.shape)
    return np.array([linear[t:b, l:r].reshape(-1, 3).mean(axis=0) for t, l, b, r in boxes])


def linear_gain(measured: np.ndarray, reference: np.ndarray) -> float:
    """The one gain ``g`` minimising ``Σ (g·m − r)²`` over all values (least squares)."""
    m = np.asarray(measured, dtype=np.float64).ravel()
    r = np.asarray(reference, dtype=np.float64).ravel()
    denominator = float(m @ m)
    if denominator <= 0:
        raise InputShapeError("the measured values are all zero: no exposure gain fits a "
                              "black image")
    return float(m @ r) / denominator


def neutral_gain(means: np.ndarray, reference: ChartReference,
                 patches: Sequence[int] = NEUTRAL) -> float:
    """Exposure gain of step 2: least squares in linear RGB over the neutral patches."""
    idx = list(patches)
    return linear_gain(np.asarray(means)[idx], reference.linear[idx])


def _hue_difference(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    h1 = np.degrees(np.arctan2(lab1[..., 2], lab1[..., 1]))
    h2 = np.degrees(np.arctan2(lab2[..., 2], lab2[..., 1]))
    return np.abs((h1 - h2 + 180.0) % 360.0 - 180.0)


@dataclass(frozen=True)
class ChartScore:
    """The chart numbers of one developed image (see the module docstring).

    Attributes:
        gain: the exposure gain fitted on the neutral patches.
        lab: float64 24×3 CIELAB of the exposure-matched patches.
        delta_e: float64 (24,) CIEDE2000 per patch.
        hue_error: float64 (18,) hue-angle error per chromatic patch, degrees.
        neutral_chroma: float64 (5,) C*ab of the neutral patches 19-23.
    """

    gain: float
    lab: np.ndarray
    delta_e: np.ndarray
    hue_error: np.ndarray
    neutral_chroma: np.ndarray

    @property
    def mean_delta_e(self) -> float:
        return float(self.delta_e.mean())

    @property
    def mean_hue_error(self) -> float:
        return float(self.hue_error.mean())

    @property
    def mean_neutral_chroma(self) -> float:
        return float(self.neutral_chroma.mean())

    def row(self) -> dict[str, float]:
        """The three headline numbers and the gain, for a table."""
        return {"delta_e2000": self.mean_delta_e, "hue_error_deg": self.mean_hue_error,
                "neutral_chroma": self.mean_neutral_chroma, "gain": self.gain}


def score_chart(image: np.ndarray, chart: Chart) -> ChartScore:
    """Score a developed sRGB image of the chart's raw file on its 24 patches.

    Args:
        image: H×W×3 sRGB (uint8, uint16 or float in [0, 1]) showing the whole visible
            mosaic of ``chart.raw_file`` at any resolution.
        chart: the file's boxes and reference (:func:`load_chart`).
    """
    ref = chart.reference
    means = patch_means(image, chart)
    gain = neutral_gain(means, ref)
    lab = srgb_to_lab(linear_to_srgb(np.clip(means * gain, 0.0, 1.0)))
    delta_e = ciede2000(lab, ref.lab)
    hue = _hue_difference(lab[list(CHROMATIC)], ref.lab[list(CHROMATIC)])
    chroma = np.hypot(lab[list(NEUTRAL), 1], lab[list(NEUTRAL), 2])
    return ChartScore(gain, lab, delta_e, hue, chroma)


def frame_distance(image: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """Mean CIEDE2000 between two renderings of a frame after matching exposure (step 4).

    Args:
        image: the candidate, H×W×3 sRGB of the same frame at any size.
        reference: e.g. LibRaw's develop of the same file, H×W×3 sRGB.

    Returns:
        ``(gain, mean ΔE00)``: the linear gain applied to ``image`` and the distance. When
        the sizes differ, the larger image is first resized to the smaller one's size (area
        interpolation), so a half-resolution develop is not charged for being upsampled.
    """
    ref = srgb_image(reference)
    img = srgb_image(image)
    if img.shape[:2] != ref.shape[:2]:
        h, w = min(img.shape[0], ref.shape[0]), min(img.shape[1], ref.shape[1])
        img, ref = (x if x.shape[:2] == (h, w) else
                    cv2.resize(x, (w, h), interpolation=cv2.INTER_AREA) for x in (img, ref))
    linear = srgb_to_linear(img)
    gain = linear_gain(linear, srgb_to_linear(ref))
    matched = linear_to_srgb(np.clip(linear * gain, 0.0, 1.0))
    return gain, float(ciede2000(srgb_to_lab(matched), srgb_to_lab(ref)).mean())


def draw_boxes(image: np.ndarray, chart: Chart, colour_rgb: Sequence[int] = (0, 255, 0),
               ) -> np.ndarray:
    """A uint8 copy of an sRGB image with the 24 boxes outlined and numbered (to check them)."""
    out = np.ascontiguousarray(np.round(srgb_image(image) * 255).astype(np.uint8))
    thickness = max(1, round(out.shape[0] / 600))
    for i, (t, l, b, r) in enumerate(chart.boxes_for(out.shape)):
        cv2.rectangle(out, (int(l), int(t)), (int(r) - 1, int(b) - 1), tuple(colour_rgb),
                      thickness)
        cv2.putText(out, str(i + 1), (int(l) + 2, int(t) + 12 * thickness),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.4 * thickness, (255, 255, 255), thickness)
    return out
