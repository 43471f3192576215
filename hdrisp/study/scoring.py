"""Scoring one method (a trained arm or a classical baseline) on the study's two test sets.

- The **test split**: every pair (or the first ``limit``), centre-cropped to ``crop`` raw pixels,
  scored against its target by PSNR, SSIM, CIEDE2000 (ΔE00) and the RGB-uv Hellinger distance
  (:mod:`hdrisp.evaluation.metrics`, the loss's own histogram maths). One row per image.
- The **cast set** (:mod:`hdrisp.study.cast_set`): every rendering of every scene. Per rendering,
  ΔE00 against the scene's one target and the image's mean chroma (a*, b* in CIELAB); per
  scene, the three colour-constancy numbers:

  * ``chroma_spread`` — how far the mean chroma of the renderings strays: the root mean square
    distance (in a*b* units) of each rendering's mean (a*, b*) from their centroid;
  * ``de_between`` — the mean ΔE00, pixel by pixel, between every two renderings of the scene
    (0 for a perfectly colour-constant method);
  * ``de_target`` — the mean over the renderings of their ΔE00 to the target (constancy *and*
    accuracy).

The first two measure *invariance* only: a method that ignores its input (an untrained network
that outputs grey) is perfectly invariant. Read them beside ``de_target`` and the test split's
ΔE00, which such a method fails.

Every result is quantised to 8 bits before it is scored, as a user would save it.

Every method gets a pair as :func:`hdrisp.evaluation.evaluate` gives it: the network the packed
mosaic normalised as the set's ``dataset.json`` says, the classical baselines the same mosaic
with black at 0 and white at 1 (:func:`hdrisp.isp.from_packed` with that normalisation) and the
pair's recorded as-shot white balance and colour matrix where the set records them
(:func:`hdrisp.evaluation.report.with_metadata`: a synthetic set's manifest; for the cast set,
its manifest's per-rendering white balance).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from hdrisp import isp
from hdrisp.data import PairedRawDataset, PairMetadata, metadata_for, read_pair_metadata
from hdrisp.errors import ConfigError
from hdrisp.evaluation import load_model, run_model
from hdrisp.evaluation.metrics import ciede2000, delta_e2000, hellinger, psnr, srgb_to_lab, ssim
from hdrisp.evaluation.report import with_metadata
from hdrisp.raw import to_uint8
from hdrisp.runtime import Runtime
from hdrisp.study.cast_set import CastItem, CastSet

TEST_METRICS = ("psnr", "ssim", "delta_e2000", "hellinger")
CAST_METRICS = ("chroma_spread", "de_between", "de_target")
COLUMNS = ("method", "arm", "seed", "set", "index", "scene", "illuminant", *TEST_METRICS,
           "mean_a", "mean_b", *CAST_METRICS)
"""The columns of a study's ``per_image.csv``: ``set`` is ``test`` (one test pair),
``cast`` (one rendering) or ``cast_scene`` (one scene of the cast set)."""

Develop = Callable[[torch.Tensor, isp.LinearMosaic], np.ndarray]
"""``develop(packed, mosaic)`` → float32 H×W×3 sRGB in [0, 1] at the level-0 target's size.

``packed`` is the network's input (4×h×w, the set's normalisation); ``mosaic`` the same raw as
the classical baselines get it (module docstring)."""


def network(weights: str | os.PathLike, runtime: Runtime) -> Develop:
    """The level-0 network of a checkpoint as a :data:`Develop` (it sees the raw alone)."""
    model = load_model("rawtonemap", 0, weights).to(runtime.device)

    def develop(packed: torch.Tensor, mosaic: isp.LinearMosaic) -> np.ndarray:
        return run_model(model, packed, runtime)
    return develop


BASELINES = tuple(name for name in isp.BASELINES if name != "libraw")
"""Baselines the study can run, named as :data:`hdrisp.isp.BASELINES` and the evaluation's
tables name them: ``classical`` (given the recorded as-shot white balance and colour matrix
where the set has them, else grey-world), ``greyworld`` (ignores them on purpose), and the
tone mappers. ``libraw`` needs a camera raw file; the study's sets hold PNG raws."""


class Baseline:
    """A classical baseline as a :data:`Develop`; :attr:`given` collects what it was given
    (:func:`hdrisp.isp.baseline_inputs`, the evaluation tables' ``given`` column)."""

    def __init__(self, name: str) -> None:
        if name not in BASELINES:
            raise ConfigError(f"unknown baseline {name!r} (known: {', '.join(BASELINES)})")
        self.name = name
        self.given: set[str] = set()

    def __call__(self, packed: torch.Tensor, mosaic: isp.LinearMosaic) -> np.ndarray:
        self.given.add(isp.baseline_inputs(self.name, mosaic))
        return isp.run_baseline(self.name, mosaic, as_uint8=False)


def baseline(name: str) -> Baseline:
    """A classical baseline as a :data:`Develop` (see :data:`BASELINES`)."""
    return Baseline(name)


def baseline_mosaic(packed: torch.Tensor, data: PairedRawDataset,
                    meta: PairMetadata | None) -> isp.LinearMosaic:
    """``packed`` (an item of ``data``) as the classical baselines get it: black 0, white 1 by
    ``data``'s normalisation, with ``meta``'s white balance and colour matrix — the path of
    :func:`hdrisp.evaluation.evaluate`."""
    return with_metadata(isp.from_packed(packed.numpy(), data.normalization), meta)


def cast_metadata(item: CastItem) -> PairMetadata | None:
    """A cast rendering's as-shot white balance and colour matrix (None when its scene's camera
    is unknown)."""
    if item.as_shot_wb is None or item.cam_from_srgb is None:
        return None
    return PairMetadata(wb=tuple(item.as_shot_wb), color_matrix=np.linalg.inv(
        np.asarray(item.cam_from_srgb, np.float64)).astype(np.float32))


def _quantised(img: np.ndarray) -> np.ndarray:
    return to_uint8(img).astype(np.float32) / np.float32(255.0)


def _batch(img: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)[None]


def _target(tensor: torch.Tensor) -> np.ndarray:
    return tensor.permute(1, 2, 0).numpy().astype(np.float32)


def score_test(develop: Develop, root: str | os.PathLike, *, crop: int | None,
               limit: int | None) -> list[dict]:
    """One row per pair of ``root``'s test split: PSNR, SSIM, ΔE00, Hellinger."""
    data = PairedRawDataset(root, "test", level=0, layout="auto", patch=crop, limit=limit)
    recorded = read_pair_metadata(root)
    rows = []
    for index in range(len(data)):
        packed, target = data[index]
        meta = metadata_for(root, data.pairs[index][0], recorded)
        pred = _batch(_quantised(develop(packed, baseline_mosaic(packed, data, meta))))
        tgt = target[None].float()
        rows.append({"set": "test", "index": index, "psnr": psnr(pred, tgt),
                     "ssim": ssim(pred, tgt), "delta_e2000": delta_e2000(pred, tgt),
                     "hellinger": hellinger(pred, tgt)})
    return rows


def _mean_chroma(lab: np.ndarray) -> tuple[float, float]:
    return float(lab[..., 1].mean()), float(lab[..., 2].mean())


def chroma_spread(means: np.ndarray) -> float:
    """RMS distance of the rows of ``means`` (N×2 mean a*, b*) from their centroid.

    Examples:
        >>> chroma_spread(np.array([[0.0, 0.0], [2.0, 0.0]]))
        1.0
    """
    means = np.asarray(means, float)
    return float(np.sqrt(((means - means.mean(axis=0)) ** 2).sum(axis=1).mean()))


def score_cast(develop: Develop, cast: CastSet, *, crop: int | None,
               grid_scene: int | None = None, grid_dir: str | os.PathLike | None = None
               ) -> list[dict]:
    """Rows for every rendering (``cast``) and every scene (``cast_scene``) of ``cast``.

    The renderings of ``grid_scene`` are saved as ``grid_dir/{illuminant}.png``.
    """
    data = PairedRawDataset(cast.root, "test", level=0, layout="paper", patch=crop)
    by_stem = {int(raw.stem): i for i, (raw, _) in enumerate(data.pairs)}
    rows = []
    for scene in range(cast.scenes):
        labs, means = [], []
        for item in cast.scene_items(scene):
            packed, target = data[by_stem[item.index]]
            img = _quantised(develop(packed, baseline_mosaic(packed, data, cast_metadata(item))))
            lab = srgb_to_lab(img)
            de = float(ciede2000(lab, srgb_to_lab(_target(target))).mean())
            labs.append(lab)
            means.append(_mean_chroma(lab))
            rows.append({"set": "cast", "index": item.index, "scene": scene,
                         "illuminant": item.illuminant, "de_target": de,
                         "mean_a": means[-1][0], "mean_b": means[-1][1]})
            if grid_dir is not None and scene == grid_scene:
                Path(grid_dir).mkdir(parents=True, exist_ok=True)
                Image.fromarray(to_uint8(img)).save(Path(grid_dir) / f"{item.illuminant}.png")
        between = [float(ciede2000(a, b).mean()) for a, b in itertools.combinations(labs, 2)]
        rows.append({"set": "cast_scene", "scene": scene,
                     "chroma_spread": chroma_spread(np.array(means)),
                     "de_between": float(np.mean(between)),
                     "de_target": float(np.mean([r["de_target"] for r in rows[-len(labs):]]))})
    return rows


__all__ = ["BASELINES", "CAST_METRICS", "COLUMNS", "Baseline", "Develop", "TEST_METRICS",
           "baseline", "baseline_mosaic", "cast_metadata", "chroma_spread", "network",
           "score_cast", "score_test"]
