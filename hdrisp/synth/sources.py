"""Source photographs for the synthetic set, and the random geometry that crops them.

Every photograph here ships inside an installed package (scikit-image's ``skimage.data``
files that need no download, and matplotlib's sample data), so the set can be built
offline. Each is an 8-bit sRGB picture; :func:`random_view` turns one into a randomly
scaled, rotated, flipped and translated h×w crop with a single ``cv2.warpAffine``.
Their origins and licences are listed in ``data/README.md`` and in :data:`SOURCES`.

**Scenes and splits.** Photographs of one scene (the two views of the Middlebury stereo
pair) share a ``scene``; :func:`split_sources` puts every photograph of the held-out
scenes (:data:`TEST_SCENES`) in the test split and every other one in the training split,
so no scene is seen in training and scored in testing.

Examples:
    >>> split = split_sources(["astronaut", "rocket", "motorcycle_left", "motorcycle_right"],
    ...                       test_scenes=("motorcycle",))
    >>> split["train"], split["test"]
    (('astronaut', 'rocket'), ('motorcycle_left', 'motorcycle_right'))
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import cv2
import numpy as np
import skimage.data
from matplotlib import cbook

from hdrisp.errors import DatasetError


@dataclass(frozen=True)
class SourcePhoto:
    """A bundled photograph: its name, where it comes from, its licence, and its scene
    (photographs of one scene share it; by default each photograph is its own scene)."""

    name: str
    package: str
    licence: str
    load: Callable[[], np.ndarray]
    scene: str = ""

    @property
    def scene_name(self) -> str:
        """The scene this photograph shows (its own name unless it shares one)."""
        return self.scene or self.name


def _skimage(name: str, index: int | None = None) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        image = getattr(skimage.data, name)()
        return image[index] if index is not None else image

    return load


def _matplotlib(filename: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        path = cbook.get_sample_data(filename, asfileobj=False)
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            raise OSError(f"cannot read {path}")
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    return load


SOURCES: tuple[SourcePhoto, ...] = (
    SourcePhoto("astronaut", "scikit-image", "public domain (NASA)", _skimage("astronaut")),
    SourcePhoto("chelsea", "scikit-image", "CC0 (Stefan van der Walt)", _skimage("chelsea")),
    SourcePhoto("coffee", "scikit-image", "CC0 (Rachel Michetti)", _skimage("coffee")),
    SourcePhoto("rocket", "scikit-image", "public domain (SpaceX)", _skimage("rocket")),
    SourcePhoto("motorcycle_left", "scikit-image",
                "Middlebury 2014 stereo data set (Scharstein et al.), as distributed with "
                "scikit-image", _skimage("stereo_motorcycle", 0), scene="motorcycle"),
    SourcePhoto("motorcycle_right", "scikit-image",
                "Middlebury 2014 stereo data set (Scharstein et al.), as distributed with "
                "scikit-image", _skimage("stereo_motorcycle", 1), scene="motorcycle"),
    SourcePhoto("hubble_deep_field", "scikit-image", "public domain (NASA)",
                _skimage("hubble_deep_field")),
    SourcePhoto("immunohistochemistry", "scikit-image",
                "no known copyright restrictions (Center for Microscopy and Molecular "
                "Imaging)", _skimage("immunohistochemistry")),
    SourcePhoto("retina", "scikit-image", "CC0 (Mikael Häggström)", _skimage("retina")),
    SourcePhoto("grace_hopper", "matplotlib", "public domain (U.S. Navy photograph)",
                _matplotlib("grace_hopper.jpg")),
)

#: The scenes held out for testing: every photograph of them goes to the test split (patches
#: and full frames), every other photograph to the training split (see data/README.md).
TEST_SCENES: tuple[str, ...] = ("chelsea", "rocket")


def load_sources(names: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
    """Load the bundled photographs as uint8 H×W×3 RGB arrays (C-contiguous).

    Args:
        names: which ones (default: every one in :data:`SOURCES` that loads offline;
            a photograph that a future package version no longer bundles is left out).
            Named photographs must all load.

    Raises:
        DatasetError: a named photograph cannot be loaded, or none at all can.
    """
    wanted = [s for s in SOURCES if names is None or s.name in names]
    unknown = set(names or ()) - {s.name for s in SOURCES}
    if unknown:
        raise DatasetError(f"unknown source photograph(s) {sorted(unknown)}; "
                           f"known: {[s.name for s in SOURCES]}")
    images: dict[str, np.ndarray] = {}
    for source in wanted:
        try:
            image = np.asarray(source.load())
        except Exception as exc:  # a package may stop bundling a file (needs pooch then)
            if names is not None:
                raise DatasetError(f"source photograph {source.name!r} from {source.package} "
                                   f"cannot be loaded offline ({exc})") from None
            continue
        if image.ndim != 3 or image.shape[2] < 3:
            continue
        images[source.name] = np.ascontiguousarray(image[..., :3].astype(np.uint8))
    if not images:
        raise DatasetError("no bundled source photograph could be loaded "
                           "(scikit-image and matplotlib sample data are needed)")
    return images


def available_sources() -> tuple[str, ...]:
    """Names of the bundled photographs that load on this machine, in :data:`SOURCES` order."""
    return tuple(load_sources())


def scene_of(name: str) -> str:
    """The scene of the photograph ``name`` (DatasetError for an unknown name)."""
    for source in SOURCES:
        if source.name == name:
            return source.scene_name
    raise DatasetError(f"unknown source photograph {name!r}; known: {[s.name for s in SOURCES]}")


def split_sources(names: Iterable[str], test_scenes: Iterable[str] = TEST_SCENES
                  ) -> dict[str, tuple[str, ...]]:
    """Split photographs by scene: ``{"train": ..., "test": ...}`` (names in the given order).

    Raises:
        DatasetError: a test scene no photograph shows, or a split left without photographs.
    """
    names, held_out = tuple(names), tuple(test_scenes)
    scenes = {name: scene_of(name) for name in names}
    unknown = sorted(set(held_out) - set(scenes.values()))
    if unknown:
        raise DatasetError(f"test scene(s) {unknown} are not among the photographs' scenes "
                           f"{sorted(set(scenes.values()))}")
    split = {"train": tuple(n for n in names if scenes[n] not in held_out),
             "test": tuple(n for n in names if scenes[n] in held_out)}
    for name, members in split.items():
        if not members:
            raise DatasetError(f"the {name} split would have no source photograph (test scenes "
                               f"{list(held_out)} of {sorted(set(scenes.values()))})")
    return split


# --------------------------------------------------------------------------- geometry

MIN_SCALE = 0.5  # output pixels per source pixel: at most a 2× reduction
ZOOM_RANGE = 1.3  # the scale varies over [lo, max(lo·1.3, 1)]
MAX_TILT_DEG = 10.0  # small free rotation, drawn for half of the views
EDGE_MARGIN = 3.0  # source pixels kept clear of the border: interpolation never reads past it


def _box_extent(h: int, w: int, angle_rad: float) -> tuple[float, float]:
    """Height and width of the axis-aligned box holding an h×w rectangle turned by an angle."""
    c, s = abs(math.cos(angle_rad)), abs(math.sin(angle_rad))
    return h * c + w * s, w * c + h * s


def sample_view(rng: np.random.Generator, source_shape: tuple[int, int],
                size: tuple[int, int]) -> dict:
    """Draw the geometry of one crop: right-angle turns, flip, tilt, scale and centre.

    Args:
        rng: the pair's random generator.
        source_shape: (H, W) of the source photograph.
        size: (h, w) of the crop to produce, in output pixels.

    Returns:
        A JSON-friendly dict: ``rot90`` (0-3), ``flip`` (bool, left-right, before turning),
        ``tilt_deg``, ``scale`` (output pixels per source pixel) and ``center_yx``
        (source pixel coordinates of the crop's centre).
    """
    hs, ws = source_shape
    h, w = size
    rot90 = int(rng.integers(4))
    flip = bool(rng.integers(2))
    tilt = float(rng.uniform(-MAX_TILT_DEG, MAX_TILT_DEG)) if rng.random() < 0.5 else 0.0
    angle = math.radians(tilt + 90 * rot90)
    # extent, in output pixels, of the turned box through the output's pixel centres
    span_h, span_w = _box_extent(h - 1, w - 1, angle)
    usable_h, usable_w = hs - 1 - 2 * EDGE_MARGIN, ws - 1 - 2 * EDGE_MARGIN
    fit = max(span_h / usable_h, span_w / usable_w)  # smallest scale that fits in the source
    lo = max(fit, MIN_SCALE)
    hi = max(lo * ZOOM_RANGE, 1.0)
    scale = float(math.exp(rng.uniform(math.log(lo), math.log(hi))))
    half_h, half_w = span_h / scale / 2 + EDGE_MARGIN, span_w / scale / 2 + EDGE_MARGIN
    cy = float(rng.uniform(half_h, max(half_h, hs - 1 - half_h)))
    cx = float(rng.uniform(half_w, max(half_w, ws - 1 - half_w)))
    return {"rot90": rot90, "flip": flip, "tilt_deg": tilt, "scale": scale,
            "center_yx": [cy, cx]}


def render_view(source: np.ndarray, view: dict, size: tuple[int, int]) -> np.ndarray:
    """Resample ``source`` (uint8 H×W×3) through ``view`` into a uint8 h×w×3 crop.

    The view maps output pixel centres to source coordinates by: flip (left-right), turn by
    ``rot90·90° + tilt``, scale, then translate to ``center_yx``. Reductions below 0.75 use
    a pre-reduced (area-averaged) copy of the source to avoid aliasing.
    """
    h, w = size
    scale = view["scale"]
    cy, cx = view["center_yx"]
    if scale < 0.75:
        source = cv2.resize(source, (source.shape[1] // 2, source.shape[0] // 2),
                            interpolation=cv2.INTER_AREA)
        scale, cy, cx = scale * 2, (cy + 0.5) / 2 - 0.5, (cx + 0.5) / 2 - 0.5
    angle = math.radians(view["tilt_deg"] + 90 * view["rot90"])
    cos, sin = math.cos(angle) / scale, math.sin(angle) / scale
    fx = -1.0 if view["flip"] else 1.0
    # output (x, y) relative to the crop centre → source (x, y): R(angle) · F · (x, y) / scale
    ox, oy = (w - 1) / 2, (h - 1) / 2
    a = np.array([[cos * fx, -sin, 0.0], [sin * fx, cos, 0.0]])
    a[:, 2] = [cx - a[0, 0] * ox - a[0, 1] * oy, cy - a[1, 0] * ox - a[1, 1] * oy]
    flags = (cv2.INTER_CUBIC if scale > 1 else cv2.INTER_LINEAR) | cv2.WARP_INVERSE_MAP
    return cv2.warpAffine(source, a, (w, h), flags=flags, borderMode=cv2.BORDER_REFLECT_101)


def random_view(rng: np.random.Generator, sources: dict[str, np.ndarray],
                size: tuple[int, int]) -> tuple[np.ndarray, dict]:
    """Pick a source photograph and a random view of it.

    Returns:
        (uint8 h×w×3 sRGB crop, JSON-friendly dict with ``source`` and the view's geometry).
    """
    names = sorted(sources)
    name = names[int(rng.integers(len(names)))]
    view = sample_view(rng, sources[name].shape[:2], size)
    return render_view(sources[name], view, size), {"source": name, **view}


# --------------------------------------------------------------------------- colour shift

HUE_SHIFT_STREAM = 7919
"""Appended to a pair's seed (``[seed, split, index, HUE_SHIFT_STREAM]``): the colour shift
draws from a stream of its own, so every other draw of the pair stays what it was."""


@dataclass(frozen=True)
class HueShift:
    """A natural colour shift of training crops: rotate the CIELAB hue and raise the chroma.

    The bundled training photographs hold almost no yellow-green or green (CIELAB hue 90–180°
    at chroma above 25 covers at most 0.3 % of any of them), so a network trained on them
    renders a held-out cat's yellow-green eye grey and a ColorChecker's greens dark. With
    probability ``p`` a training crop's hue turns by one angle ``U(*degrees)`` (positive: red
    towards yellow and green) and its chroma is multiplied by ``U(*chroma)``; lightness is kept.
    It acts on the 8-bit sRGB crop *before* unprocessing, so raw and target stay one scene.
    The test split is never shifted.

    Attributes:
        p: share of the training crops shifted, in [0, 1].
        degrees: range of the hue angle, degrees.
        chroma: range of the chroma gain (1: unchanged).
    """

    p: float = 0.5
    degrees: tuple[float, float] = (0.0, 60.0)
    chroma: tuple[float, float] = (1.0, 1.2)

    def __post_init__(self) -> None:
        if not 0.0 <= self.p <= 1.0:
            raise DatasetError(f"hue shift: p must lie in [0, 1], got {self.p}")
        if self.degrees[0] > self.degrees[1] or not 0 < self.chroma[0] <= self.chroma[1]:
            raise DatasetError(f"hue shift: ranges must be (low, high) with positive chroma, "
                               f"got {self.degrees} and {self.chroma}")

    def to_dict(self) -> dict:
        return {"p": float(self.p), "degrees": [float(v) for v in self.degrees],
                "chroma": [float(v) for v in self.chroma]}

    def apply(self, crop: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
        """(the crop, shifted or not; what was done, ``{}`` when nothing).

        Args:
            crop: uint8 h×w×3 sRGB.
            rng: the pair's colour-shift stream; three numbers are drawn whatever happens.

        Examples:
            >>> import numpy as np
            >>> orange = np.full((2, 2, 3), (200, 120, 40), np.uint8)
            >>> turn = HueShift(p=1.0, degrees=(60.0, 60.0), chroma=(1.0, 1.0))
            >>> shifted, info = turn.apply(orange, np.random.default_rng(0))
            >>> shifted[0, 0].tolist(), info["hue_deg"]   # orange turned green
            ([103, 153, 45], 60.0)
        """
        draw, angle, gain = rng.uniform(), rng.uniform(*self.degrees), rng.uniform(*self.chroma)
        if draw >= self.p:
            return crop, {}
        lab = cv2.cvtColor(crop.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
        cos, sin = gain * math.cos(math.radians(angle)), gain * math.sin(math.radians(angle))
        a, b = lab[..., 1].copy(), lab[..., 2].copy()
        lab[..., 1], lab[..., 2] = cos * a - sin * b, sin * a + cos * b
        rgb = cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)  # colours outside sRGB clip to [0, 1]
        shifted = np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8)
        return shifted, {"hue_deg": float(angle), "chroma_gain": float(gain)}


DEFAULT_HUE_SHIFT = HueShift()
"""The default set's shift (generator version 4), measured in ``data/README.md``."""
