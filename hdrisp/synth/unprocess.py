"""Unprocessing: turn an 8-bit sRGB photograph into a plausible 10-bit Bayer raw.

After Brooks et al., "Unprocessing Images for Learned Raw Denoising" (CVPR 2019), written
as small named stages. Every random quantity is drawn by :func:`sample_sensor` and kept in
a :class:`SensorParams`, so each pair's manifest holds all of them.

Stages and their ranges (``U`` uniform, ``logU`` log-uniform) for the ``"narrow"`` sensor; the
default ``"camera"`` sensor replaces stages 4-5 by one real camera's matrix and its white
balance under daylight, and ``"cameras"`` replaces 4-6 and 8 (:data:`SENSOR_MODELS`):

1. **Inverse tone curve**: the inverse of the smoothstep curve ``3x² − 2x³``.
2. **Inverse sRGB gamma**: the IEC 61966-2-1 curve (:func:`hdrisp.raw.color.srgb_to_linear`).
3. **Highlight expansion** (scene radiance above display white): each channel value ``v``
   becomes ``v·(1 + (g − 1)·t²)``, ``t = clip((v − 0.6)/0.4, 0, 1)``, with
   ``g ~ U(1.0, 2.0)``; diffuse white 1.0 thus becomes ``g``. Steps 1-3 give the *scene*
   (linear sRGB, D65), from which the target is also made.
4. **Camera colour matrix**: camera RGB = ``cam_from_srgb`` · scene, with
   ``cam_from_srgb = (1 − m)·I + m·D``, ``m ~ U(0.15, 0.40)`` and ``D`` a random
   row-stochastic matrix (rows ~ Dirichlet(1, 1, 1)). Rows sum to 1, so grey stays grey
   before white balance, and the matrix is diagonally dominant, hence invertible; the
   DNG's colour matrix (camera → sRGB) is its inverse.
5. **Inverse white balance**: red divided by ``r ~ U(1.6, 2.4)``, blue by ``b ~ U(1.3, 2.0)``
   (the camera multipliers are ``wb = (r, 1, b)``).
6. **Exposure with highlight headroom**: multiply by ``e ~ U(0.45, 0.9)``: diffuse white in
   green lands at ``e`` of the white level, so expanded highlights up to ``1/e`` (1.1-2.2×)
   keep their detail and only brighter ones clip.
7. **RGGB mosaic**.
8. **Noise**, heteroscedastic, in units of the signal range (white − black):
   variance = ``shot·x + read`` with ``shot ~ logU(1e-4, 5e-3)`` and
   ``ln(read) = 2.18·ln(shot) + 1.2 + N(0, 0.26²)`` (Brooks et al.'s fit; their shot range
   reaches 1.2e-2, we stop at 5e-3: this is not a denoising study). With white = 1023 the
   noise at mid-grey (x = 0.5) is 7-51 digital numbers (DN) and the read noise about 0.1-6 DN.
9. **Black level, 10-bit quantisation, clipping**: ``DN = round(black + x·(white − black))``
   clipped to [0, white], white = 1023, stored as uint16. The default black level is 0
   (see ``data/README.md``: the paper's data is divided by 1020 with no black subtraction).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import cv2
import numpy as np

from hdrisp.errors import ConfigError
from hdrisp.raw.color import srgb_to_linear
from hdrisp.synth import cameras

HIGHLIGHT_GAIN_RANGE = (1.0, 2.0)
HIGHLIGHT_KNEE = 0.6
CCM_MIX_RANGE = (0.15, 0.40)
RED_GAIN_RANGE = (1.6, 2.4)
BLUE_GAIN_RANGE = (1.3, 2.0)
EXPOSURE_RANGE = (0.45, 0.9)
SHOT_NOISE_RANGE = (1e-4, 5e-3)
READ_NOISE_FIT = (2.18, 1.2, 0.26)  # slope, intercept, standard deviation (natural logs)
WHITE_LEVEL = 1023
DEFAULT_BLACK_LEVEL = 0


@dataclass(frozen=True)
class SensorParams:
    """Everything drawn for one synthetic raw (all JSON-friendly plain numbers).

    Attributes:
        highlight_gain: scene value of display white after highlight expansion (≥ 1).
        cam_from_srgb: 3×3 (nested lists) linear sRGB → camera RGB; rows sum to 1.
        wb: camera white-balance multipliers (R, G, B) with G = 1.
        exposure: fraction of the signal range reached by diffuse white in green.
        shot_noise: noise variance per unit signal (signal range units).
        read_noise: signal-independent noise variance (signal range units squared).
        black_level: black level in DN.
        white_level: white (saturation) level in DN.
        camera, illuminant, xy, noise_profile: what the ``"camera"`` and ``"cameras"``
            sensors drew (the camera's name, the light and its CIE 1931 xy, the noise
            profile); empty for the narrow sensor.
    """

    highlight_gain: float
    cam_from_srgb: tuple[tuple[float, float, float], ...]
    wb: tuple[float, float, float]
    exposure: float
    shot_noise: float
    read_noise: float
    black_level: float = DEFAULT_BLACK_LEVEL
    white_level: float = WHITE_LEVEL
    camera: str = ""
    illuminant: str = ""
    xy: tuple[float, float] | None = None
    noise_profile: str = ""

    @property
    def color_matrix(self) -> np.ndarray:
        """float64 3×3 white-balanced camera RGB → linear sRGB (the inverse of cam_from_srgb)."""
        return np.linalg.inv(np.asarray(self.cam_from_srgb, dtype=np.float64))

    def to_dict(self) -> dict:
        """A plain dict for the manifest (tuples become lists), with derived readable values."""
        out = asdict(self)
        out["cam_from_srgb"] = [list(row) for row in self.cam_from_srgb]
        out["wb"] = list(self.wb)
        out["color_matrix"] = self.color_matrix.tolist()
        span = self.white_level - self.black_level
        out["read_noise_std_dn"] = math.sqrt(self.read_noise) * span
        out["noise_std_dn_at_half"] = math.sqrt(self.shot_noise * 0.5 + self.read_noise) * span
        return out


SENSOR_MODELS = ("camera", "camera_daylight", "narrow", "cameras")
"""The synthetic sensors :func:`sample_sensor` draws:

- ``"camera"`` (the default set's, generator version 3): **one real camera in one light**,
  the Canon EOS 550D's published colour matrix under CIE daylight of 6000 K, with the narrow
  sensor's exposure and noise (:func:`sample_one_camera_sensor`). A learned ISP is trained
  for one camera, as the paper's network is (the Zurich set's raws are one phone's); the
  network learns that camera's rendering — demosaicking, denoising, colour, tone — while
  colour constancy under other lights is measured apart, on the study's cast set.
- ``"camera_daylight"``: the same camera under daylight of U(5000, 7000) K (sun to overcast),
  so the network must also guess the light from the scene. From seven training scenes it
  learns to guess it from their content: four tutorial runs on this set ranged from 18.1 to
  21.9 dB on the held-out patches (README, "What to expect from the tutorial network").
- ``"narrow"`` (generator versions 1-2): a *random* near-identity colour matrix per pair under
  a box of white balances (the module doc's ranges, after Brooks et al., whose denoiser never
  needs the colour right). No network can know a pair's matrix from its raw: on this set the
  tutorial network's colour error is mostly that guess (measured in the README).
- ``"cameras"``: 78 real cameras' matrices under daylight, tungsten and fluorescent light with
  real sensors' noise (:func:`sample_camera_sensor`), for networks meant to develop any raw."""

DEFAULT_SENSOR = "camera"
ONE_CAMERA = ("Canon", "EOS 550D")   # the camera of the DNG shipped in hdrisp.tutorial.data
ONE_CAMERA_CCT = (6000.0, 6000.0)           # CIE D series, K: one midday daylight
ONE_CAMERA_DAYLIGHT_CCT = (5000.0, 7000.0)  # CIE D series: direct sun to overcast sky, K

ILLUMINANT_MIX = (("daylight", 0.55), ("planckian", 0.25), ("fluorescent", 0.20))
"""How often each kind of light is drawn by the ``"cameras"`` sensor."""
DAYLIGHT_CCT = (4500.0, 9000.0)      # CIE D series: overcast to shade, K
PLANCKIAN_CCT = (2600.0, 3800.0)     # tungsten and halogen lamps, K
FLUORESCENT = ("FL1", "FL2", "FL3", "FL4", "FL7", "FL11", "LED-B3", "LED-B4")
CAMERA_EXPOSURE_RANGE = (0.15, 0.9)  # log-uniform: down to 2.6 stops under the narrow range


def sample_sensor(rng: np.random.Generator, black_level: float = DEFAULT_BLACK_LEVEL,
                  white_level: float = WHITE_LEVEL, model: str = DEFAULT_SENSOR) -> SensorParams:
    """Draw the camera, white balance, exposure and noise of one raw.

    Args:
        rng: the pair's generator (every draw comes from it).
        black_level, white_level: the raw's levels in DN.
        model: one of :data:`SENSOR_MODELS` (``"camera"``: :func:`sample_one_camera_sensor`;
            ``"narrow"``: the module doc's ranges; ``"cameras"``: :func:`sample_camera_sensor`).
    """
    if model == "camera":
        return sample_one_camera_sensor(rng, black_level, white_level)
    if model == "camera_daylight":
        return sample_one_camera_sensor(rng, black_level, white_level,
                                        cct=ONE_CAMERA_DAYLIGHT_CCT)
    if model == "cameras":  # each raw with a real camera's own levels
        return sample_camera_sensor(rng, black_level, white_level)
    if model != "narrow":
        raise ConfigError(f"unknown sensor model {model!r} (one of {', '.join(SENSOR_MODELS)})")
    gain = float(rng.uniform(*HIGHLIGHT_GAIN_RANGE))
    mix = float(rng.uniform(*CCM_MIX_RANGE))
    stochastic = rng.dirichlet(np.ones(3), size=3)
    cam = (1 - mix) * np.eye(3) + mix * stochastic
    cam /= cam.sum(axis=1, keepdims=True)  # exact row sums of 1 despite rounding
    wb = (float(rng.uniform(*RED_GAIN_RANGE)), 1.0, float(rng.uniform(*BLUE_GAIN_RANGE)))
    exposure = float(rng.uniform(*EXPOSURE_RANGE))
    shot, read = _narrow_noise(rng)
    return SensorParams(
        highlight_gain=gain,
        cam_from_srgb=tuple(tuple(float(v) for v in row) for row in cam),
        wb=wb,
        exposure=exposure,
        shot_noise=shot,
        read_noise=read,
        black_level=float(black_level),
        white_level=float(white_level),
    )


def _narrow_noise(rng: np.random.Generator) -> tuple[float, float]:
    """(shot, read) noise variances of the narrow sensor (the module doc's stage 8)."""
    lo, hi = SHOT_NOISE_RANGE
    log_shot = float(rng.uniform(math.log(lo), math.log(hi)))
    slope, intercept, spread = READ_NOISE_FIT
    log_read = slope * log_shot + intercept + float(rng.normal(0.0, spread))
    return math.exp(log_shot), math.exp(log_read)


def sample_one_camera_sensor(rng: np.random.Generator, black_level: float = DEFAULT_BLACK_LEVEL,
                             white_level: float = WHITE_LEVEL,
                             camera: tuple[str, str] = ONE_CAMERA,
                             cct: tuple[float, float] = ONE_CAMERA_CCT) -> SensorParams:
    """A raw from one real camera in daylight (the ``"camera"`` and ``"camera_daylight"``
    sensors; every draw recorded).

    - **Camera**: ``camera`` (make, model) from :data:`hdrisp.synth.cameras.CAMERAS`, by
      default the Canon EOS 550D; ``cam_from_srgb`` is its published matrix's
      :func:`~hdrisp.synth.cameras.srgb_to_camera`, the same for every pair.
    - **Light**: CIE daylight of ``U(*cct)`` K: 6000 K for ``"camera"``
      (:data:`ONE_CAMERA_CCT`), 5000-7000 K for ``"camera_daylight"``; the white balance is
      the camera's own multipliers for it.
    - **Exposure, noise, highlights**: as the narrow sensor (module doc, stages 3, 6, 8).

    Examples:
        >>> s = sample_one_camera_sensor(np.random.default_rng(0))
        >>> s.camera, s.illuminant.startswith("daylight"), s.wb[1]
        ('Canon EOS 550D', True, 1.0)
        >>> s.illuminant, round(s.wb[0], 2), round(s.wb[2], 2)   # the 550D's own multipliers
        ('daylight 6000 K', 2.29, 1.45)
    """
    gain = float(rng.uniform(*HIGHLIGHT_GAIN_RANGE))
    cam = cameras.camera(*camera)
    kelvin = float(rng.uniform(*cct))
    xy = cameras.illuminant_xy(kelvin, "daylight")
    wb = cameras.white_balance_gains(cam.xyz_to_camera, xy)
    exposure = float(rng.uniform(*EXPOSURE_RANGE))
    shot, read = _narrow_noise(rng)
    cam_from_srgb = cameras.srgb_to_camera(cam.xyz_to_camera)
    return SensorParams(
        highlight_gain=gain,
        cam_from_srgb=tuple(tuple(float(v) for v in row) for row in cam_from_srgb),
        wb=tuple(float(v) for v in wb),
        exposure=exposure,
        shot_noise=shot,
        read_noise=read,
        black_level=float(black_level),
        white_level=float(white_level),
        camera=cam.name,
        illuminant=f"daylight {kelvin:.0f} K",
        xy=(float(xy[0]), float(xy[1])),
        noise_profile="narrow (Brooks et al.)",
    )


def sample_camera_sensor(rng: np.random.Generator, black_level: float = DEFAULT_BLACK_LEVEL,
                         white_level: float = WHITE_LEVEL, *,
                         own_levels: bool = True) -> SensorParams:
    """A raw from a real camera under a real light (every draw recorded in the result).

    - **Camera**: one of :data:`hdrisp.synth.cameras.CAMERAS` (78 Adobe D65 matrices, 13
      makes), uniformly; ``cam_from_srgb`` is its :func:`~hdrisp.synth.cameras.srgb_to_camera`.
    - **Light** (:data:`ILLUMINANT_MIX`): CIE daylight of ``U(4500, 9000)`` K, a black body
      of ``U(2600, 3800)`` K (tungsten) or one of :data:`FLUORESCENT` (CIE FL and LED
      illuminants); the white balance is the camera's own multipliers for that light
      (:func:`~hdrisp.synth.cameras.white_balance_gains`), so a tungsten scene reads blue-poor
      in the raw exactly as that camera would record it.
    - **Exposure**: diffuse white at ``logU(0.15, 0.9)`` of the signal range: correctly
      exposed to 2.6 stops under.
    - **Noise**: a real sensor at one ISO (:data:`hdrisp.synth.cameras.NOISE_PROFILES`,
      darktable's measurements), uniformly among the profiles; the variance is floored at
      ``(0.5 DN)²`` of a 10-bit raw so that no profile is noiseless.
    - **Highlights**: as the narrow sensor (``g ~ U(1.0, 2.0)``).
    - **Levels** (``own_levels``, the default): the black and white level of a real
      10-, 12- or 14-bit raw, one of :data:`hdrisp.synth.cameras.LEVELS` uniformly (the
      signal is quantised to that camera's digital numbers; a set of them reads each raw
      with its own levels, :func:`hdrisp.data.normalization.rule_for_file`); else
      ``black_level`` and ``white_level``.

    Examples:
        >>> s = sample_camera_sensor(np.random.default_rng(0))
        >>> s.camera in {c.name for c in cameras.CAMERAS} and s.wb[1] == 1.0
        True
        >>> np.allclose(np.sum(s.cam_from_srgb, axis=1), 1.0)    # grey stays grey
        True
    """
    gain = float(rng.uniform(*HIGHLIGHT_GAIN_RANGE))
    cam = cameras.CAMERAS[int(rng.integers(len(cameras.CAMERAS)))]
    kinds, weights = zip(*ILLUMINANT_MIX, strict=True)
    kind = str(rng.choice(kinds, p=np.asarray(weights) / sum(weights)))
    if kind == "daylight":
        cct = float(rng.uniform(*DAYLIGHT_CCT))
        xy, light = cameras.illuminant_xy(cct, "daylight"), f"daylight {cct:.0f} K"
    elif kind == "planckian":
        cct = float(rng.uniform(*PLANCKIAN_CCT))
        xy, light = cameras.illuminant_xy(cct, "planckian"), f"tungsten {cct:.0f} K"
    else:
        name = str(rng.choice(FLUORESCENT))
        xy, light = cameras.illuminant_xy(name), name
    wb = cameras.white_balance_gains(cam.xyz_to_camera, xy)
    lo, hi = CAMERA_EXPOSURE_RANGE
    exposure = float(math.exp(rng.uniform(math.log(lo), math.log(hi))))
    profile = cameras.NOISE_PROFILES[int(rng.integers(len(cameras.NOISE_PROFILES)))]
    floor = (0.5 / (WHITE_LEVEL - DEFAULT_BLACK_LEVEL)) ** 2
    cam_from_srgb = cameras.srgb_to_camera(cam.xyz_to_camera)
    if own_levels:  # a real raw's own levels (drawn last: earlier draws keep their values)
        levels = cameras.LEVELS[int(rng.integers(len(cameras.LEVELS)))]
        black_level, white_level = levels.black, levels.white
    return SensorParams(
        highlight_gain=gain,
        cam_from_srgb=tuple(tuple(float(v) for v in row) for row in cam_from_srgb),
        wb=tuple(float(v) for v in wb),
        exposure=exposure,
        shot_noise=float(profile.shot),
        read_noise=float(max(profile.read, floor)),
        black_level=float(black_level),
        white_level=float(white_level),
        camera=cam.name,
        illuminant=light,
        xy=(float(xy[0]), float(xy[1])),
        noise_profile=f"{profile.camera} ISO {profile.iso}",
    )


# --------------------------------------------------------------------------- stages


def inverse_tone_curve(y: np.ndarray) -> np.ndarray:
    """Invert the smoothstep tone curve ``3x² − 2x³`` on [0, 1] (Brooks et al.)."""
    y = np.clip(np.asarray(y, dtype=np.float64), 0.0, 1.0)
    return 0.5 - np.sin(np.arcsin(1.0 - 2.0 * y) / 3.0)


def expand_highlights(v: np.ndarray, gain: float, knee: float = HIGHLIGHT_KNEE) -> np.ndarray:
    """Push values above ``knee`` up smoothly so that 1.0 becomes ``gain`` (monotonic)."""
    t = np.clip((v - knee) / (1.0 - knee), 0.0, 1.0)
    return v * (1.0 + (gain - 1.0) * t * t)


def scene_lut(highlight_gain: float) -> np.ndarray:
    """float32 256-entry table: 8-bit sRGB code → linear scene value (stages 1-3)."""
    codes = np.arange(256, dtype=np.float64) / 255.0
    linear = srgb_to_linear(inverse_tone_curve(codes))
    return expand_highlights(linear, highlight_gain).astype(np.float32)


def srgb8_to_scene(srgb: np.ndarray, params: SensorParams) -> np.ndarray:
    """uint8 H×W×3 sRGB → float32 H×W×3 linear scene radiance (1.0 = display white)."""
    return scene_lut(params.highlight_gain)[np.asarray(srgb, dtype=np.uint8)]


def scene_to_camera(scene: np.ndarray, params: SensorParams) -> np.ndarray:
    """Linear scene H×W×3 → clean camera RGB H×W×3 (stages 4-6), in signal-range units."""
    gains = np.array([1.0 / params.wb[0], 1.0, 1.0 / params.wb[2]]) * params.exposure
    matrix = gains[:, None] * np.asarray(params.cam_from_srgb, dtype=np.float64)
    return cv2.transform(np.ascontiguousarray(scene, dtype=np.float32), matrix)


def rggb_mosaic(rgb: np.ndarray) -> np.ndarray:
    """Sample an H×W×3 image (H, W even) through an RGGB colour filter array → H×W."""
    out = np.empty(rgb.shape[:2], dtype=rgb.dtype)
    out[0::2, 0::2] = rgb[0::2, 0::2, 0]
    out[0::2, 1::2] = rgb[0::2, 1::2, 1]
    out[1::2, 0::2] = rgb[1::2, 0::2, 1]
    out[1::2, 1::2] = rgb[1::2, 1::2, 2]
    return out


def add_sensor_noise(clean: np.ndarray, shot: float, read: float,
                     rng: np.random.Generator) -> np.ndarray:
    """Add Gaussian noise of variance ``shot·x + read`` to a clean mosaic (signal units).

    Args:
        clean: float H×W mosaic in units of the signal range (1.0 = white − black); values
            above 1 are highlights that will clip.
        shot, read: the noise parameters.
        rng: the pair's random generator.

    Returns:
        float32 H×W noisy mosaic (not yet clipped or quantised).
    """
    x = np.asarray(clean, dtype=np.float32)
    std = np.sqrt(np.float32(shot) * np.maximum(x, 0) + np.float32(read))
    return x + std * rng.standard_normal(x.shape, dtype=np.float32)


def quantize(signal: np.ndarray, black_level: float, white_level: float) -> np.ndarray:
    """Signal-range units → uint16 digital numbers: add black, round, clip to [0, white]."""
    dn = np.rint(np.float32(black_level) + signal * np.float32(white_level - black_level))
    return np.clip(dn, 0, white_level).astype(np.uint16)


def expected_noise_std_dn(x: float, params: SensorParams) -> float:
    """Noise standard deviation in DN at clean signal ``x`` (signal units), with the
    ±½ DN rounding error (variance 1/12 DN²) of the 10-bit quantisation."""
    span = params.white_level - params.black_level
    return math.sqrt((params.shot_noise * x + params.read_noise) * span**2 + 1.0 / 12.0)


def unprocess(srgb: np.ndarray, params: SensorParams,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The whole raw side: uint8 H×W×3 sRGB (H, W even) → (uint16 H×W RGGB mosaic, scene).

    Returns:
        ``mosaic``: uint16 H×W digital numbers (RGGB, black level included, ≤ white);
        ``scene``: float32 H×W×3 clean linear sRGB scene (for the target).
    """
    scene = srgb8_to_scene(srgb, params)
    clean = rggb_mosaic(scene_to_camera(scene, params))
    noisy = add_sensor_noise(clean, params.shot_noise, params.read_noise, rng)
    return quantize(noisy, params.black_level, params.white_level), scene
