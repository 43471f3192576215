"""Write a synthetic paired data set in the paper's layout, deterministically.

Layout (see ``data/README.md``)::

    ROOT/dataset.json                    parameters, normalization (written last: complete)
    ROOT/manifest.json                   every sampled parameter of every pair
    ROOT/{train,test}/raw/{i}.png        uint16 RGGB mosaic, 10-bit, patch×patch
    ROOT/{train,test}/groundtruth/{i}.jpg  8-bit sRGB target, patch×patch×3
    ROOT/test/full_resolution/{i}.png    full frames (uint16 mosaic) ...
    ROOT/test/full_resolution/{i}.dng    ... the same frames as Bayer DNGs (with WB, matrix)
    ROOT/test/full_resolution/groundtruth/{i}.jpg  their targets

Pair ``i`` of a split draws everything from ``numpy.random.default_rng([seed, split, i])``,
so the files do not depend on the number of workers nor on the order they run in: the
same arguments rebuild byte-identical files.

The splits are cut from disjoint scenes (:func:`hdrisp.synth.sources.split_sources`): the
test pairs and the full frames come from the held-out scenes only, and the manifest's
``splits`` records which photographs each split used (``hdrisp data check`` verifies it).
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing as mp
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm.auto import tqdm

from hdrisp import __version__
from hdrisp.errors import DatasetError, check_output_dir
from hdrisp.raw import write_dng
from hdrisp.raw.normalization import Normalization
from hdrisp.synth.hdr_look import HDRLook, hdr_look_of_view
from hdrisp.synth.sources import (
    DEFAULT_HUE_SHIFT,
    HUE_SHIFT_STREAM,
    SOURCES,
    TEST_SCENES,
    HueShift,
    load_sources,
    random_view,
    scene_of,
    split_sources,
)
from hdrisp.synth.unprocess import (
    DEFAULT_BLACK_LEVEL,
    DEFAULT_SENSOR,
    SENSOR_MODELS,
    WHITE_LEVEL,
    SensorParams,
    sample_sensor,
    unprocess,
)

GENERATOR = "hdrisp.synth"
SYNTH_VERSION = 6  # bump whenever the generator's output changes for the same arguments
# 6: the "cameras" sensor quantises each raw to a real camera's own 10- to 14-bit levels,
#    read per pair (dataset.json: "per_pair"); the other sensors' sets are unchanged
# 5: a view that enlarges its photograph gets the photograph's look, enlarged (hdr_look_of_view)
# 4: half the training crops get a colour shift (sources.HueShift; its own random stream)
# 2: the splits are cut from disjoint scenes (TEST_SCENES), two more source photographs
# 3: the default sensor is one real camera in one daylight ("camera"), no longer "narrow"
SPLIT_CODES = {"train": 0, "test": 1, "full_resolution": 2}
PER_PAIR_LEVELS = ("cameras",)  # sensors drawing each raw's levels (a real camera's own)
JPEG_QUALITY = 95
DEFAULT_SET = {"n_train": 600, "n_test": 60, "patch": 448, "seed": 0, "n_full": 2,
               "full_size": [896, 1344]}
SMOKE_SET = {"n_train": 48, "n_test": 12, "patch": 128, "seed": 0, "n_full": 1,
             "full_size": [256, 384]}


@dataclass(frozen=True)
class SyntheticPair:
    """One generated pair and what made it.

    Attributes:
        mosaic: uint16 H×W RGGB mosaic (digital numbers, black level included).
        target: uint8 H×W×3 sRGB target (the HDR look of ``scene``).
        scene: float32 H×W×3 clean linear sRGB scene.
        sensor: the sampled camera, white balance, exposure and noise.
        view: the source photograph's name and crop geometry.
    """

    mosaic: np.ndarray
    target: np.ndarray
    scene: np.ndarray
    sensor: SensorParams
    view: dict


def synthesize_pair(rng: np.random.Generator, sources: dict[str, np.ndarray],
                    size: tuple[int, int], black_level: float = DEFAULT_BLACK_LEVEL,
                    white_level: float = WHITE_LEVEL, look: HDRLook | None = None,
                    sensor: str = DEFAULT_SENSOR, hue_shift: HueShift | None = None,
                    hue_rng: np.random.Generator | None = None) -> SyntheticPair:
    """Make one (raw, target) pair of ``size`` = (H, W) mosaic pixels, both even, with the
    synthetic sensor ``sensor`` (one of :data:`hdrisp.synth.unprocess.SENSOR_MODELS`);
    ``hue_shift`` (drawing from ``hue_rng``) may shift the crop's colours first."""
    h, w = size
    if h % 2 or w % 2 or h < 2 or w < 2:
        raise DatasetError(f"a Bayer mosaic needs even sides, got {h}×{w}")
    crop, view = random_view(rng, sources, (h, w))
    if hue_shift is not None:
        if hue_rng is None:
            raise DatasetError("a hue shift needs its own random generator (hue_rng)")
        crop, done = hue_shift.apply(crop, hue_rng)
        view = {**view, **done}
    params = sample_sensor(rng, black_level, white_level, sensor)
    mosaic, scene = unprocess(crop, params, rng)
    # the photograph's look, not an enlargement's (version 5: hdr_look_of_view)
    return SyntheticPair(mosaic, hdr_look_of_view(scene, view["scale"], look), scene, params,
                         view)


# --------------------------------------------------------------------------- one job

@dataclass(frozen=True)
class _Job:
    out: str
    split: str
    index: int
    size: tuple[int, int]
    seed: int
    black_level: float
    look: HDRLook
    sources: tuple[str, ...]
    sensor: str = DEFAULT_SENSOR
    hue_shift: HueShift | None = None


_SOURCE_CACHE: dict[str, np.ndarray] = {}  # name → decoded photograph, per process


def _sources(names: tuple[str, ...]) -> dict[str, np.ndarray]:
    missing = tuple(n for n in names if n not in _SOURCE_CACHE)
    if missing:
        _SOURCE_CACHE.update(load_sources(missing))
    return {n: _SOURCE_CACHE[n] for n in names}


def _write(path: Path, image: np.ndarray, params: list[int] | None = None) -> None:
    if not cv2.imwrite(str(path), image, params or []):
        raise DatasetError("could not write the file", path)


def _run_job(job: _Job) -> dict:
    """Generate pair ``job.index`` of ``job.split``, write its files, return its record."""


    key = [job.seed, SPLIT_CODES[job.split], job.index]
    rng = np.random.default_rng(key)
    hue_rng = np.random.default_rng([*key, HUE_SHIFT_STREAM]) if job.hue_shift else None
    pair = synthesize_pair(rng, _sources(job.sources), job.size, job.black_level,
                           WHITE_LEVEL, job.look, job.sensor, job.hue_shift, hue_rng)
    out = Path(job.out)
    if job.split == "full_resolution":
        folder, gt_folder = "test/full_resolution", "test/full_resolution/groundtruth"
    else:
        folder, gt_folder = f"{job.split}/raw", f"{job.split}/groundtruth"
    raw_rel, gt_rel = f"{folder}/{job.index}.png", f"{gt_folder}/{job.index}.jpg"
    _write(out / raw_rel, pair.mosaic)
    _write(out / gt_rel, cv2.cvtColor(pair.target, cv2.COLOR_RGB2BGR),
           [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY,
            cv2.IMWRITE_JPEG_SAMPLING_FACTOR, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444])
    record = {"split": job.split, "index": job.index, "raw": raw_rel, "target": gt_rel,
              "size": list(job.size), "rng_seed": [job.seed, SPLIT_CODES[job.split], job.index],
              "scene": scene_of(pair.view["source"]), "view": pair.view,
              "sensor": pair.sensor.to_dict(),
              "clipped_fraction": float(np.mean(pair.mosaic >= pair.sensor.white_level))}
    if job.split == "full_resolution":
        dng_rel = f"{folder}/{job.index}.dng"
        s = pair.sensor
        write_dng(out / dng_rel, pair.mosaic, "RGGB", s.black_level, s.white_level,
                  wb=s.wb, color_matrix=s.color_matrix)
        record["dng"] = dng_rel
    return record


def _init_worker(images: dict[str, np.ndarray]) -> None:
    cv2.setNumThreads(1)  # one process per core; no oversubscription
    _SOURCE_CACHE.update(images)  # decoded once, in the parent


def _run_all(jobs: list[_Job], workers: int, progress: bool,
             images: dict[str, np.ndarray]) -> Iterator[dict]:
    bar = tqdm(total=len(jobs), desc="synthetic pairs", unit="pair", disable=not progress)
    if workers <= 1:
        for job in jobs:
            yield _run_job(job)
            bar.update()
    else:
        if "forkserver" in mp.get_all_start_methods():  # safe with threads, and quick
            context = mp.get_context("forkserver")
            context.set_forkserver_preload(["hdrisp.synth.dataset", "cv2"])
        else:
            context = mp.get_context("spawn")
        chunk = max(1, len(jobs) // (workers * 8))
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                                 initargs=(images,)) as pool:
            for record in pool.map(_run_job, jobs, chunksize=chunk):
                yield record
                bar.update()
    bar.close()


# --------------------------------------------------------------------------- data set


def _check_replaceable(out: Path) -> None:
    """Refuse an ``out`` that is a file or a non-empty folder without a synthetic set."""
    if out.exists() and not out.is_dir():
        raise DatasetError("exists and is not a folder", out)
    if out.is_dir() and any(out.iterdir()):
        try:
            previous = json.loads((out / "dataset.json").read_text()).get("generator")
        except (OSError, ValueError, AttributeError):
            previous = None
        if previous != GENERATOR:
            raise DatasetError("folder is not empty and holds no synthetic set to replace; "
                               "choose an empty or new folder", out)


def _prepare_out(out: Path) -> None:
    """Make ``out`` ready: absent, empty, or a previous synthetic set (which is replaced)."""
    _check_replaceable(out)
    if out.is_dir() and any(out.iterdir()):
        (out / "dataset.json").unlink()
        for name in ("train", "test", "manifest.json"):
            target = out / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    for sub in ("train/raw", "train/groundtruth", "test/raw", "test/groundtruth",
                "test/full_resolution/groundtruth"):
        (out / sub).mkdir(parents=True, exist_ok=True)


def _write_manifest(path: Path, header: dict, records: list[dict]) -> None:
    """JSON with the header's keys and ``pairs``: one pair per line, for grep and diff."""
    body = json.dumps(header, indent=1, sort_keys=True)[:-2]  # drop the closing "\n}"
    pairs = ",\n".join(json.dumps(r, sort_keys=True) for r in records)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f'{body},\n "pairs": [\n{pairs}\n ]\n}}\n')
    os.replace(tmp, path)


def _dump(path: Path, data: dict) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, path)


def generate_dataset(out: str | os.PathLike, n_train: int, n_test: int, patch: int = 448,
                     seed: int = 0, workers: int = 1, n_full: int = 2,
                     full_size: tuple[int, int] = (896, 1344), *,
                     black_level: float = DEFAULT_BLACK_LEVEL, look: HDRLook | None = None,
                     sources: tuple[str, ...] | None = None,
                     test_scenes: tuple[str, ...] = TEST_SCENES,
                     sensor: str = DEFAULT_SENSOR,
                     train_hue_shift: HueShift | None = DEFAULT_HUE_SHIFT,
                     progress: bool = False) -> Path:
    """Generate a synthetic paired set in the paper's layout (see the module docstring).

    Args:
        out: destination folder: absent, empty, or a previous synthetic set (replaced).
        n_train, n_test: number of patch pairs per split.
        patch: side of the square raw mosaic and target, in pixels (even).
        seed: the set's seed; with the other arguments it fixes every byte written.
        workers: processes generating pairs (1 = in this process).
        n_full: number of full-resolution test frames.
        full_size: (H, W) of the full frames' mosaics (even).
        black_level: black level in DN added to every raw (default 0, see data/README.md).
        look: parameters of the target operator (default :class:`HDRLook()`).
        sources: names of the source photographs (default: every bundled one available).
        test_scenes: the scenes held out: their photographs make the test pairs and the full
            frames (frame i shows the i-th of them, in turn), every other photograph the
            training pairs. No scene is in both splits.
        sensor: the synthetic camera (:data:`hdrisp.synth.unprocess.SENSOR_MODELS`):
            ``"camera"`` (default: one real camera in one daylight), ``"camera_daylight"``
            (the same under 5000-7000 K), ``"narrow"`` (a random
            near-identity matrix per pair, versions 1-2) or ``"cameras"`` (real cameras under
            real lights).
        train_hue_shift: the colour shift of training crops
            (:class:`hdrisp.synth.sources.HueShift`; None: none, as in version 3). Test pairs
            and frames are never shifted.
        progress: show a progress bar.

    Returns:
        ``out`` as a Path. When the call fails or is interrupted, what it wrote is removed
        again (and ``out`` too if the call created it).
    """
    out = Path(out)
    if patch % 2 or patch < 2 or full_size[0] % 2 or full_size[1] % 2:
        raise DatasetError(f"patch ({patch}) and full_size {tuple(full_size)} must be even")
    if min(n_train, n_test, n_full) < 0 or workers < 1:
        raise DatasetError("counts must be ≥ 0 and workers ≥ 1")
    if sensor not in SENSOR_MODELS:
        raise DatasetError(f"unknown sensor {sensor!r} (one of {', '.join(SENSOR_MODELS)})")
    if not 0 <= black_level < WHITE_LEVEL:
        raise DatasetError(f"black level {black_level} must lie in [0, {WHITE_LEVEL})")
    if sensor in PER_PAIR_LEVELS and black_level != DEFAULT_BLACK_LEVEL:
        raise DatasetError(f"the {sensor!r} sensor gives each raw a real camera's own black "
                           "level; a black level cannot be set for it")
    _check_replaceable(out)  # before anything is loaded, written or deleted
    images = _sources(tuple(sources)) if sources is not None else load_sources()
    _SOURCE_CACHE.update(images)
    names = tuple(images)
    split = split_sources(names, test_scenes)
    split["full_resolution"] = split["test"]
    frame_scenes = sorted({scene_of(n) for n in split["test"]})
    look = look or HDRLook()
    created = not out.exists()
    check_output_dir(out)  # an unwritable place fails now, not after the pairs
    try:
        _prepare_out(out)  # from here on ``out`` holds only what this call writes

        def job_sources(split_name: str, index: int) -> tuple[str, ...]:
            if split_name != "full_resolution":
                return split[split_name]
            scene = frame_scenes[index % len(frame_scenes)]  # every held-out scene gets frames
            return tuple(n for n in split["test"] if scene_of(n) == scene)

        jobs = [_Job(str(out), name, i, size, int(seed), float(black_level), look,
                     job_sources(name, i), sensor,
                     train_hue_shift if name == "train" else None)
                for name, count, size in (("train", n_train, (patch, patch)),
                                          ("test", n_test, (patch, patch)),
                                          ("full_resolution", n_full, tuple(full_size)))
                for i in range(count)]
        records = list(_run_all(jobs, workers, progress, images)) if jobs else []
        parameters = dataset_parameters(n_train, n_test, patch, seed, n_full, full_size,
                                        black_level, look, names, test_scenes, sensor,
                                        train_hue_shift)
        split_of = {n: k for k in ("train", "test") for n in split[k]}
        _write_manifest(out / "manifest.json", {
            "parameters": parameters,
            "sources": [{"name": s.name, "package": s.package, "licence": s.licence,
                         "scene": s.scene_name, "split": split_of[s.name]}
                        for s in SOURCES if s.name in names],
            "splits": {k: {"scenes": sorted({scene_of(n) for n in v}), "sources": list(v)}
                       for k, v in split.items()},
            "software": _software(),
        }, records)
        _dump(out / "dataset.json", {
            "generator": GENERATOR, "layout": "paper", "parameters": parameters,
            "counts": {"train": n_train, "test": n_test, "full_resolution": n_full},
            "normalization": dataset_normalization_entry(black_level, sensor),
        })
    except BaseException:  # failed or interrupted: no half-written set (it would block a rerun)
        _remove_partial(out, created)
        raise
    return out


def _remove_partial(out: Path, created: bool) -> None:
    """Remove what a failed :func:`generate_dataset` wrote into ``out`` (and ``out`` itself
    when the call created it)."""
    for name in ("train", "test"):
        shutil.rmtree(out / name, ignore_errors=True)
    for name in ("dataset.json", "dataset.json.tmp", "manifest.json", "manifest.tmp"):
        (out / name).unlink(missing_ok=True)
    if created:
        with contextlib.suppress(OSError):
            out.rmdir()


def dataset_normalization_entry(black_level: float, sensor: str = DEFAULT_SENSOR) -> dict:
    """``dataset.json``'s ``normalization``: the authors' ÷1020 (``legacy``) for black level
    0, where it is right, else ``levels`` with the set's black and white levels (so every
    reader subtracts the pedestal; :mod:`hdrisp.raw.normalization`). A sensor whose raws
    have levels of their own (:data:`PER_PAIR_LEVELS`) gets ``levels`` read per pair."""
    if sensor in PER_PAIR_LEVELS:
        return Normalization("levels", float(black_level), float(WHITE_LEVEL),
                             per_pair=True).to_dict()
    mode = "legacy" if black_level == 0 else "levels"
    return Normalization(mode, float(black_level), float(WHITE_LEVEL)).to_dict()


def dataset_parameters(n_train: int, n_test: int, patch: int, seed: int, n_full: int,
                       full_size: tuple[int, int], black_level: float, look: HDRLook,
                       names: tuple[str, ...],
                       test_scenes: tuple[str, ...] = TEST_SCENES,
                       sensor: str = DEFAULT_SENSOR,
                       train_hue_shift: HueShift | None = DEFAULT_HUE_SHIFT) -> dict:
    """The JSON-friendly parameters that fix a synthetic set (stored in dataset.json)."""
    return {"generator_version": SYNTH_VERSION, "n_train": int(n_train), "n_test": int(n_test),
            "patch": int(patch), "seed": int(seed), "n_full": int(n_full),
            "full_size": [int(v) for v in full_size], "black_level": float(black_level),
            "white_level": WHITE_LEVEL, "look": look.to_dict(), "sources": list(names),
            "test_scenes": sorted(test_scenes), "sensor": sensor,
            "train_hue_shift": None if train_hue_shift is None else train_hue_shift.to_dict()}


def _software() -> dict:


    return {"hdrisp": __version__, "numpy": np.__version__, "opencv": cv2.__version__}
