"""The colour-constancy test set: each scene of a test split rendered under several illuminants,
all with the scene's one target.

Colour constancy means that a scene keeps its colours when the light changes. A learned ISP
sees only the raw, so it has to infer the light from it, as an auto white balance does. The
cast set tests exactly that: from each of the first ``scenes`` pairs of a paired test split it
writes one raw per illuminant of :mod:`hdrisp.study.illuminants`, made by

1. taking the raw's samples above black (the mosaic *is* linear),
2. multiplying each colour's samples by the illuminant's gain (R, G = 1, B),
3. clipping at the white level again (samples clipped in the source stay at white: their true
   value is unknown) and rounding back to whole digital numbers,

and it copies the scene's target, byte for byte, beside each of them. The gains come from the
scene's own camera matrix when the source is a synthetic set (its ``manifest.json``), else from
:data:`~hdrisp.study.illuminants.AVERAGE_CAMERA`. The ``D65`` rendering is the source raw
unchanged.

Layout (the paper's, so every dataset class and ``hdrisp evaluate --data`` read it)::

    ROOT/test/raw/{k}.png  ROOT/test/groundtruth/{k}.jpg   k = scene × n_illuminants + i
    ROOT/cast_manifest.json   for every k: scene, illuminant, gains, source files, camera, ...
    ROOT/dataset.json         written last: marks a complete set and what it was made from,
                              and the source's normalisation (its ``normalization`` entry), so
                              every reader takes the raws' levels as the source's readers do
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm.auto import tqdm

from hdrisp.data.layout import get_layout, list_pairs
from hdrisp.data.normalization import dataset_normalization
from hdrisp.errors import DatasetError, HdrispError
from hdrisp.raw import bayer, read_raw
from hdrisp.raw.normalization import Normalization
from hdrisp.study.illuminants import (
    DEFAULT_ILLUMINANTS,
    ILLUMINANTS,
    REFERENCE,
    cast_gains,
    check_illuminants,
)

GENERATOR = "hdrisp.study.cast_set"
VERSION = 3  # bump when the same arguments would write other files
# 2: dataset.json states the source's normalisation (1 had none: read as legacy)
# 3: "inside the training range" is the range of the source's own training pairs (2 used the
#    narrow sensor's fixed box, wrong for the one-camera default set)
WB_RANGE_TOLERANCE = 0.02
"""Relative margin around the training pairs' range of white-balance gains."""
MANIFEST = "cast_manifest.json"


@dataclass(frozen=True)
class CastItem:
    """One rendering of the cast set (one line of ``cast_manifest.json``)."""

    index: int
    scene: int
    illuminant: str
    gains: tuple[float, float, float]
    source_raw: str
    source_target: str
    camera: str
    as_shot_wb: tuple[float, float, float] | None
    wb_in_training_range: bool | None
    cam_from_srgb: tuple[tuple[float, ...], ...] | None
    clipped_fraction: float

    @property
    def raw(self) -> str:
        return f"test/raw/{self.index}.png"


@dataclass(frozen=True)
class CastSet:
    """A built cast set: its folder, illuminants, number of scenes and items."""

    root: Path
    illuminants: tuple[str, ...]
    scenes: int
    items: tuple[CastItem, ...]
    parameters: dict

    def scene_items(self, scene: int) -> list[CastItem]:
        """The renderings of one scene, in the order of :attr:`illuminants`."""
        return [item for item in self.items if item.scene == scene]


def cast_mosaic(mosaic: np.ndarray, gains: Sequence[float], *,
                black_level: float | Sequence[float] = 0.0, white_level: float = 1023.0,
                cfa: str = "RGGB") -> np.ndarray:
    """``mosaic`` (uint16 digital numbers) re-lit by per-colour ``gains`` (R, G, B).

    Samples above black are scaled, clipped at ``white_level`` and rounded; samples at or above
    white in the source stay at white. ``black_level`` is one value or four, in raster order
    of the 2×2 block (as :class:`~hdrisp.raw.normalization.Normalization` holds them).

    Examples:
        >>> m = np.array([[100, 200], [200, 1023]], np.uint16)        # R G / G B (RGGB)
        >>> cast_mosaic(m, (2.0, 1.0, 0.5)).tolist()
        [[200, 200], [200, 1023]]
    """
    mosaic = np.asarray(mosaic)
    if mosaic.ndim != 2 or mosaic.dtype != np.uint16:
        raise DatasetError(f"a cast needs a uint16 H×W mosaic, got {mosaic.dtype} "
                           f"{mosaic.shape}")
    gain_map = np.tensordot(np.asarray(gains, np.float64),
                            bayer.colour_masks(mosaic.shape, cfa).astype(np.float64), 1)
    h, w = mosaic.shape
    black = np.tile(np.reshape(bayer.as_four_levels(black_level), (2, 2)),
                    ((h + 1) // 2, (w + 1) // 2))[:h, :w]
    linear = mosaic.astype(np.float64) - black
    out = np.clip(np.rint(black + linear * gain_map), 0, white_level)
    out[mosaic >= white_level] = white_level
    return out.astype(np.uint16)


def _sensor_records(root: Path) -> dict[str, dict]:
    """raw path (relative to root) → the synthetic manifest's ``sensor`` record, if any."""
    try:
        manifest = json.loads((root / "manifest.json").read_text())
    except (OSError, ValueError):
        return {}
    return {p["raw"]: p["sensor"] for p in manifest.get("pairs", [])
            if isinstance(p, dict) and "raw" in p and isinstance(p.get("sensor"), dict)}


def _fingerprint(paths: Sequence[Path]) -> str:
    digest = hashlib.sha1()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def training_wb_range(root: str | os.PathLike) -> tuple[tuple[float, float],
                                                      tuple[float, float]] | None:
    """The white balances a network trained on ``root`` has seen: ((red low, red high), (blue
    low, blue high)) of the as-shot gains of the training pairs in its ``manifest.json``,
    widened by :data:`WB_RANGE_TOLERANCE`; None without a manifest. For the one-light default
    set it is one point (red 2.29, blue 1.45) and a margin."""
    try:
        manifest = json.loads((Path(root) / "manifest.json").read_text())
        gains = [p["sensor"]["wb"] for p in manifest.get("pairs", [])
                 if isinstance(p, dict) and p.get("split") == "train"
                 and isinstance(p.get("sensor"), dict) and "wb" in p["sensor"]]
    except (OSError, ValueError, TypeError, KeyError):
        return None
    if not gains:
        return None
    red, blue = [float(g[0]) for g in gains], [float(g[2]) for g in gains]
    margin = 1.0 + WB_RANGE_TOLERANCE
    return (min(red) / margin, max(red) * margin), (min(blue) / margin, max(blue) * margin)


def _in_range(wb: Sequence[float], box) -> bool:
    (red_low, red_high), (blue_low, blue_high) = box
    return bool(red_low <= wb[0] <= red_high and blue_low <= wb[2] <= blue_high)


def _prepare(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise DatasetError("exists and is not a folder", out)
    if out.is_dir() and any(out.iterdir()):
        try:
            previous = json.loads((out / "dataset.json").read_text()).get("generator")
        except (OSError, ValueError, AttributeError):
            previous = None
        if previous != GENERATOR and not (out / MANIFEST).is_file():
            raise DatasetError("folder is not empty and holds no cast set to replace; choose "
                               "an empty or new folder", out)
        (out / "dataset.json").unlink(missing_ok=True)
        shutil.rmtree(out / "test", ignore_errors=True)
        (out / MANIFEST).unlink(missing_ok=True)
    for sub in ("test/raw", "test/groundtruth"):
        (out / sub).mkdir(parents=True, exist_ok=True)


def _dump(path: Path, data: dict) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    os.replace(tmp, path)


def build_cast_set(source: str | os.PathLike, out: str | os.PathLike, *,
                   illuminants: Sequence[str] = DEFAULT_ILLUMINANTS, scenes: int | None = 12,
                   split: str = "test", layout: str = "auto",
                   progress: bool = False) -> CastSet:
    """Build (or reuse, when it is current) the cast set of ``source``'s ``split``.

    Args:
        source: a paired data set (paper or Zurich layout); a synthetic set's manifest gives
            each scene's camera matrix and white balance.
        out: the cast set's folder: absent, empty, or an earlier cast set (replaced unless it
            was made from the same files with the same arguments, then reused as it is).
        illuminants: names from :data:`~hdrisp.study.illuminants.ILLUMINANTS`, with D65.
        scenes: how many scenes (the split's first pairs); None for all of them.

    Returns:
        The :class:`CastSet` (read back from ``out``).
    """
    names = check_illuminants(illuminants)
    source, out = Path(source), Path(out)
    # the source's own rule (dataset.json; legacy without one): the cast set states it too
    normalization: Normalization = dataset_normalization(source)
    lay = get_layout(layout, source)
    pairs = list_pairs(source, split, lay).pairs
    if scenes is not None:
        if scenes < 1:
            raise DatasetError(f"a cast set needs at least one scene, got {scenes}")
        pairs = pairs[:scenes]
    if not pairs:
        raise DatasetError(f"no pairs in split {split!r} to build a cast set from",
                           source / split)
    parameters = {"version": VERSION, "source": str(source.resolve()), "split": split,
                  "layout": lay.name, "scenes": len(pairs), "illuminants": list(names),
                  "reference": REFERENCE, "normalization": normalization.to_dict(),
                  "fingerprint": _fingerprint([p for pair in pairs for p in pair])}
    try:
        existing = load_cast_set(out)
        if existing.parameters == parameters:
            return existing
    except HdrispError:
        pass
    _prepare(out)
    black, white = normalization.black_level, normalization.white_level
    sensors = _sensor_records(source)
    box = training_wb_range(source)
    records = []
    n = len(names)
    bar = tqdm(total=len(pairs) * n, desc="cast set", unit="raw", disable=not progress)
    for scene, (raw_path, target_path) in enumerate(pairs):
        raw = read_raw(raw_path)
        if raw.cfa != "RGGB":
            raise DatasetError(f"{raw.cfa} mosaic; paired sets hold RGGB data", raw_path)
        rel_raw = raw_path.relative_to(source).as_posix()
        sensor = sensors.get(rel_raw)
        matrix = None if sensor is None else np.asarray(sensor["cam_from_srgb"], float)
        for i, name in enumerate(names):
            k = scene * n + i
            gains = cast_gains(name, matrix)
            mosaic = raw.mosaic if name == REFERENCE else cast_mosaic(
                raw.mosaic, gains, black_level=black, white_level=white)
            if not cv2.imwrite(str(out / "test" / "raw" / f"{k}.png"), mosaic):
                raise DatasetError("could not write the file", out / "test" / "raw" / f"{k}.png")
            shutil.copyfile(target_path, out / "test" / "groundtruth" / f"{k}.jpg")
            wb = None
            if sensor is not None:
                wb = [float(sensor["wb"][0]) / gains[0], 1.0, float(sensor["wb"][2]) / gains[2]]
            records.append({
                "index": k, "scene": scene, "illuminant": name, "gains": list(gains),
                "source_raw": rel_raw, "source_target": target_path.relative_to(source)
                .as_posix(),
                "camera": "recorded" if matrix is not None else "average",
                "as_shot_wb": wb, "wb_in_training_range": (None if wb is None or box is None
                                         else _in_range(wb, box)),
                "cam_from_srgb": None if matrix is None else matrix.tolist(),
                "clipped_fraction": float(np.mean(mosaic >= white)),
            })
            bar.update()
    bar.close()
    _dump(out / MANIFEST, {"parameters": parameters,
                           "illuminants": {k: vars(ILLUMINANTS[k]) for k in names},
                           "items": records})
    _dump(out / "dataset.json", {"generator": GENERATOR, "layout": "paper",
                                 "parameters": parameters, "counts": {"test": len(records)},
                                 "normalization": normalization.to_dict()})
    return load_cast_set(out)


def load_cast_set(root: str | os.PathLike) -> CastSet:
    """Read a cast set written by :func:`build_cast_set` (DatasetError when it is not one or
    is incomplete)."""
    root = Path(root)
    try:
        marker = json.loads((root / "dataset.json").read_text())
        manifest = json.loads((root / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise DatasetError(f"not a complete cast set ({exc})", root) from None
    if marker.get("generator") != GENERATOR:
        raise DatasetError("not a cast set (dataset.json names another generator)", root)
    params = manifest["parameters"]
    items = tuple(CastItem(
        index=r["index"], scene=r["scene"], illuminant=r["illuminant"],
        gains=tuple(r["gains"]), source_raw=r["source_raw"], source_target=r["source_target"],
        camera=r["camera"], as_shot_wb=None if r["as_shot_wb"] is None else tuple(r["as_shot_wb"]),
        wb_in_training_range=r["wb_in_training_range"],
        cam_from_srgb=None if r["cam_from_srgb"] is None
        else tuple(tuple(row) for row in r["cam_from_srgb"]),
        clipped_fraction=r["clipped_fraction"]) for r in manifest["items"])
    return CastSet(root, tuple(params["illuminants"]), int(params["scenes"]), items, params)


__all__ = ["GENERATOR", "MANIFEST", "CastItem", "CastSet", "build_cast_set", "cast_mosaic",
           "load_cast_set"]
