"""How a raw mosaic becomes the network's input: the two normalisations and their rule.

Two ways, named as ``dataset.json``, the configs and the commands name them:

- ``"legacy"``: the authors' ``DN / 1020`` (4·255, for 10-bit data), no black subtraction, no
  clipping, so a saturated 10-bit sample reads 1023/1020 ≈ 1.003. Right for data whose black
  level is 0 (the paper's and Zurich's PNG raws).
- ``"levels"``: ``(DN − black) / (white − black)`` clipped to [0, 1], per 2×2 position.

Where the levels come from: a camera raw (DNG, CR2 …) carries its own, and they are always
used for it. A PNG raw carries none: it takes the :class:`Normalization`'s ``black_level``
and ``white_level``, which a data set records in its ``dataset.json``
(:func:`hdrisp.data.dataset_normalization`); without one, black 0 and white 1023.

The rule, the same for training, ``evaluate``, ``compare`` and ``develop``: a PNG raw is read
with the normalisation of the data set it belongs to (``dataset.json``; the authors'
``legacy`` when there is none); a camera raw with ``levels`` from its own metadata.

Examples:
    >>> import numpy as np
    >>> dn = np.array([[64, 576], [1023, 0]], dtype=np.uint16)
    >>> Normalization("levels", black_level=64).normalize(dn).tolist()
    [[0.0, 0.5338894724845886], [1.0, 0.0]]
    >>> round(float(Normalization("legacy").normalize(dn)[1, 0]), 4)
    1.0029
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from hdrisp.errors import ConfigError, RawFormatError
from hdrisp.raw.bayer import LEGACY_SCALE, as_four_levels, normalize, normalize_legacy
from hdrisp.raw.io import ZURICH_BLACK_LEVEL, ZURICH_WHITE_LEVEL, RawImage, read_raw

NORMALIZATIONS: tuple[str, ...] = ("legacy", "levels")
Mode = Literal["legacy", "levels"]


@dataclass(frozen=True)
class Normalization:
    """One of the two normalisations, with the levels of PNG raws (module docstring).

    Attributes:
        mode: ``"legacy"`` (÷1020) or ``"levels"`` (black/white, clipped to [0, 1]).
        black_level: black level of PNG raws in digital numbers (DN): one value, or four in
            raster order of the RGGB 2×2 block. Used by ``levels``, and to map ``legacy``
            values back to [0, 1] (:meth:`to_unit`).
        white_level: white (saturation) level of PNG raws, DN.
        per_pair: each PNG raw has levels of its own, recorded in its data set's
            ``manifest.json`` (a set of several cameras: 10- to 14-bit, each with its black);
            ``black_level``/``white_level`` are then only the fallback, and
            :func:`hdrisp.data.normalization.file_normalization` or the data set's class
            give the file's own (:meth:`with_levels`).
    """

    mode: Mode = "legacy"
    black_level: float | tuple[float, float, float, float] = ZURICH_BLACK_LEVEL
    white_level: float = ZURICH_WHITE_LEVEL
    per_pair: bool = False

    def __post_init__(self) -> None:
        if self.mode not in NORMALIZATIONS:
            raise ConfigError(f"unknown normalization {self.mode!r}; expected one of "
                                 f"{', '.join(NORMALIZATIONS)}")
        if self.per_pair and self.mode != "levels":
            raise ConfigError("per-pair levels need the 'levels' normalization")
        black = as_four_levels(self.black_level)
        object.__setattr__(self, "black_level", black[0] if len(set(black)) == 1 else black)
        object.__setattr__(self, "white_level", float(self.white_level))
        if not all(self.white_level > b for b in black):
            raise ConfigError(f"white level {self.white_level:g} must be above the black "
                                 f"level{'s' if len(set(black)) > 1 else ''} {self.black_level}")

    def with_levels(self, black_level: float | Sequence[float],
                    white_level: float) -> Normalization:
        """This rule with one file's own PNG levels (``per_pair`` resolved)."""
        black = tuple(float(b) for b in black_level) if isinstance(black_level, Sequence) \
            else float(black_level)
        return Normalization(self.mode, black, white_level)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ files
    def read(self, path: str | os.PathLike, *, crop_odd: bool = False) -> RawImage:
        """Read a raw file: a PNG raw gets this object's levels, a camera raw keeps its own."""
        if Path(path).suffix.lower() == ".png":
            return read_raw(path, black_level=self.black_level, white_level=self.white_level,
                            crop_odd=crop_odd)
        return read_raw(path, crop_odd=crop_odd)

    def apply(self, raw: RawImage) -> np.ndarray:
        """float32 H×W network input of a :class:`RawImage` (its own levels for ``levels``)."""
        if self.mode == "legacy":
            return normalize_legacy(raw.mosaic)
        return normalize(raw.mosaic, raw.black_level, raw.white_level)

    # ------------------------------------------------------------------ arrays
    def normalize(self, mosaic: np.ndarray) -> np.ndarray:
        """float32 H×W network input of an H×W DN mosaic with this object's levels."""
        if self.mode == "legacy":
            return normalize_legacy(mosaic)
        return normalize(mosaic, self.black_level, self.white_level)

    def to_unit(self, values: np.ndarray) -> np.ndarray:
        """Network-input values of an RGGB-phase H×W mosaic → black 0, white 1, clipped.

        The scale the classical baselines work on: ``levels`` values are that already;
        ``legacy`` ones are ``(v·1020 − black) / (white − black)``.
        """
        arr = np.asarray(values, dtype=np.float32)
        if self.mode == "levels":
            return np.clip(arr, 0.0, 1.0)
        black = _black_map(self.black_level, arr.shape)
        unit = (arr.astype(np.float64) * LEGACY_SCALE - black) / (self.white_level - black)
        return np.clip(unit, 0.0, 1.0).astype(np.float32)

    def from_unit(self, unit: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`to_unit` for values in [0, 1]: RGGB-phase H×W → network input."""
        arr = np.asarray(unit, dtype=np.float32)
        if self.mode == "levels":
            return arr
        black = _black_map(self.black_level, arr.shape)
        dn = arr.astype(np.float64) * (self.white_level - black) + black
        return (dn / LEGACY_SCALE).astype(np.float32)

    # ------------------------------------------------------------------ records
    def to_dict(self) -> dict:
        """JSON/YAML-safe form (what ``dataset.json`` and ``run_info.yaml`` hold)."""
        black = self.black_level
        out = {"mode": self.mode,
               "black_level": list(black) if isinstance(black, tuple) else float(black),
               "white_level": float(self.white_level)}
        return {**out, "per_pair": True} if self.per_pair else out

    @classmethod
    def from_dict(cls, data: dict) -> Normalization:
        """Inverse of :meth:`to_dict` (ConfigError for unknown keys or bad values)."""
        unknown = sorted(set(data) - {"mode", "black_level", "white_level", "per_pair"})
        if unknown:
            raise ConfigError(f"unknown normalization key {unknown[0]!r} "
                                 "(known: black_level, mode, per_pair, white_level)")
        black = data.get("black_level", ZURICH_BLACK_LEVEL)
        if isinstance(black, Sequence) and not isinstance(black, str):
            black = tuple(float(b) for b in black)
        per_pair = data.get("per_pair", False)
        if not isinstance(per_pair, bool):
            raise ConfigError(f"normalization per_pair must be true or false, got {per_pair!r}")
        return cls(data.get("mode", "legacy"), black,
                   float(data.get("white_level", ZURICH_WHITE_LEVEL)), per_pair)

    def describe(self) -> str:
        """One line for logs, e.g. ``levels (PNG raws: black 64, white 1023)``."""
        if self.mode == "legacy":
            return "legacy (DN / 1020, no black subtraction)"
        if self.per_pair:
            return "levels (each PNG raw's own black and white, from manifest.json)"
        black = self.black_level
        shown = " ".join(f"{b:g}" for b in black) if isinstance(black, tuple) else f"{black:g}"
        return f"levels (PNG raws: black {shown}, white {self.white_level:g})"


def _black_map(black_level: float | Sequence[float], shape: tuple[int, ...]) -> np.ndarray:
    """The black level of every sample of an RGGB-phase H×W mosaic, float64."""
    if len(shape) != 2:
        raise RawFormatError(f"a Bayer mosaic is a 2-D H×W array, got shape {shape}")
    block = np.array(as_four_levels(black_level), dtype=np.float64).reshape(2, 2)
    h, w = shape
    return np.tile(block, ((h + 1) // 2, (w + 1) // 2))[:h, :w]


def camera_raw_normalization() -> Normalization:
    """What a camera raw is always read with: ``levels`` from its own metadata."""
    return Normalization("levels")


__all__ = ["NORMALIZATIONS", "Normalization", "camera_raw_normalization"]
