"""Evaluate methods on a paired test split: the network, PyNET, and the classical baselines.

:func:`evaluate` runs every method on every pair of a split, scores each result
against its target with every full-reference metric of :mod:`hdrisp.evaluation.metrics`,
and writes the tables (``metrics.csv``, ``metrics.md``, ``per_image.csv``).
:func:`evaluate_frames` does the same on the held-out full-resolution frames (whole
photographs, developed in one piece) and can save every method's frame as a PNG.
:func:`develop_methods` develops one mosaic with every method (used by the
comparison figure).

Every method's result is quantised to 8 bits before it is scored, as a user
would save it; the targets are 8-bit already. The baselines develop the full
mosaic and are resized (area interpolation) to the target's size when the model
is evaluated at a level below full resolution. The network gets the pairs as the data set's
``dataset.json`` says to normalise them (:mod:`hdrisp.data.normalization`), and the
baselines the same mosaic with its black level at 0 and white at 1.

**Fair rows.** The classical rows get what a camera's own ISP would have: the raw's as-shot
white balance and colour matrix — from the file for camera raws and DNGs, from the
manifest for the synthetic set's PNG patches (:func:`hdrisp.data.read_pair_metadata`).
The ``greyworld`` row ignores them on purpose. The networks get the raw alone. Each table
says what every row was given (its ``given`` column).

**Reuse.** :func:`evaluate` also writes ``report.json``: the report and what it was computed
from (the weights' SHA-256, the data set's ``dataset.json`` and ``manifest.json``, split,
level, methods, metrics, device, precision, hdrisp's code). ``evaluate(..., reuse=True)``
reads it back instead of scoring again when all of those match — never for a set without
those two files (``hdrisp demo`` scores the tutorial run once, and lesson 04's
table then costs nothing); anything else scores afresh.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np
import torch
from tqdm.auto import tqdm

from hdrisp import __version__, isp
from hdrisp.data import (
    FullResolutionDataset,
    PairedRawDataset,
    PairMetadata,
    metadata_for,
    read_pair_metadata,
)
from hdrisp.data.normalization import file_normalization
from hdrisp.errors import (
    BaselineUnavailable,
    ConfigError,
    DatasetError,
    MetricNotApplicable,
    OutputError,
    check_output_dir,
    output_error,
)
from hdrisp.evaluation.chart import file_sha256
from hdrisp.evaluation.metrics import FULL_REFERENCE, METRICS, get_metric
from hdrisp.inference.tiling import tiled_forward
from hdrisp.models import build, load_weights
from hdrisp.models.weights import build_options, read_state_dict
from hdrisp.raw import pack, to_uint8
from hdrisp.runtime import DEFAULT_THREADS, Runtime

MODEL_LABELS = {"rawtonemap": "RawTonemapNet", "pynet": "PyNET"}


def load_model(name: str, level: int, weights: str | os.PathLike | None = None, *,
               random_weights: bool = False, seed: int = 0) -> torch.nn.Module:
    """Build ``name`` ("rawtonemap" or "pynet") at ``level`` in eval mode, with weights.

    Args:
        weights: a checkpoint or state-dict file; required unless ``random_weights``.
        random_weights: use a seeded random initialisation instead (shows the plumbing).

    Raises:
        ConfigError: neither weights nor random_weights; CheckpointError for a bad file.
    """
    if weights is None and not random_weights:
        raise ConfigError(f"{MODEL_LABELS.get(name, name)} needs a weights file "
                          "(--weights), or --random-weights to show the plumbing")
    torch.manual_seed(seed)
    options = build_options(read_state_dict(weights)) if weights is not None and \
        name == "rawtonemap" else {}
    model = build(name, level=level, **options)
    if weights is not None:
        load_weights(model, weights)
    return model.eval()


def model_label(name: str, level: int, weights: str | os.PathLike | None) -> str:
    """Table name of a model run, e.g. ``RawTonemapNet L0 (random weights)``."""
    source = Path(weights).name if weights is not None else "random weights"
    return f"{MODEL_LABELS.get(name, name)} L{level} ({source})"


def run_model(model: torch.nn.Module, packed: torch.Tensor,
              runtime: Runtime | None = None) -> np.ndarray:
    """One packed mosaic ``4×h×w`` (any h, w) through a pyramid network → float32 H×W×3.

    Uses :func:`hdrisp.inference.tiling.tiled_forward`, which pads the input to the network's
    multiple, tiles large frames and crops the output back. ``runtime`` gives the device and
    precision (default: the model's device, float32); the model must already be on that device.
    """
    align = getattr(model, "INPUT_MULTIPLE", 8)
    x = packed[None].float()
    if runtime is not None:
        x = x.to(runtime.device)
    with torch.no_grad(), (runtime.autocast() if runtime is not None else nullcontext()):
        out = tiled_forward(model, x, align=align)
    return out[0].float().permute(1, 2, 0).clamp(0, 1).cpu().numpy().astype(np.float32)


def _resize(img: np.ndarray, height: int, width: int) -> np.ndarray:
    """Area-resize an H×W×3 float image (no-op when the size already matches)."""
    if img.shape[:2] == (height, width):
        return img
    return cv2.resize(img, (width, height), interpolation=cv2.INTER_AREA)


def develop_methods(
    mosaic: isp.LinearMosaic,
    models: Mapping[str, torch.nn.Module] | None = None,
    baselines: Sequence[str] = tuple(isp.BASELINES),
    *,
    packed: torch.Tensor | None = None,
    skipped: dict[str, str] | None = None,
    runtime: Runtime | None = None,
    on_method: Callable[[str], None] | None = None,
) -> dict[str, np.ndarray]:
    """Develop one mosaic with each model and baseline.

    Args:
        mosaic: the raw (RGGB phase for the models).
        models: label → network; fed ``packed`` or, when None, the packed ``mosaic``.
        baselines: names in :data:`hdrisp.isp.BASELINES`.
        packed: the network input 4×h×w (the dataset's own scaling), if it differs from
            the packed ``mosaic``.
        skipped: filled with ``name → reason`` for baselines that cannot run on this input.
        runtime: device and precision of the networks (see :func:`run_model`).
        on_method: called with each label or name once it is done (or skipped).

    Returns:
        label → float32 H×W×3 sRGB in [0, 1] (models at their level's size, baselines at
        the mosaic's size), in the order models then baselines.
    """
    results: dict[str, np.ndarray] = {}
    if models:
        if packed is None:
            packed = torch.from_numpy(pack(mosaic.data, mosaic.cfa))
        for label, model in models.items():
            results[label] = run_model(model, packed, runtime)
            if on_method is not None:
                on_method(label)
    for name in baselines:
        try:
            results[name] = isp.run_baseline(name, mosaic, as_uint8=False)
        except BaselineUnavailable as exc:
            if skipped is not None:
                skipped[name] = exc.problem
        if on_method is not None:
            on_method(name)
    return results


@dataclass
class EvaluationReport:
    """What :func:`evaluate` measured and where it wrote it.

    Attributes:
        summary: method → metric → mean over the images (NaN where not applicable).
        seconds_per_image: method → mean develop time (this machine, CPU).
        per_image: one row per (method, image): ``{"method", "index", metric: value}``.
        n_images: pairs evaluated.
        notes: sentences for the table's footnotes (skipped methods and metrics).
        paths: "csv", "markdown", "per_image" → the files written.
        given: method → what it was given (the raw alone; the raw's white balance and colour
            matrix; grey-world ...), the tables' ``given`` column.
    """

    summary: dict[str, dict[str, float]]
    seconds_per_image: dict[str, float]
    per_image: list[dict]
    n_images: int
    metrics: tuple[str, ...]
    notes: list[str] = field(default_factory=list)
    paths: dict[str, Path] = field(default_factory=dict)
    given: dict[str, str] = field(default_factory=dict)

    def best(self, metric: str, methods: Sequence[str] | None = None) -> tuple[str, float]:
        """(method, value) of the best mean ``metric`` among ``methods`` (default: all)."""
        higher = METRICS[metric].higher_is_better
        rows = [(m, s[metric]) for m, s in self.summary.items()
                if (methods is None or m in methods) and not math.isnan(s[metric])]
        if not rows:
            raise ConfigError(f"no method has a {metric} value")
        return max(rows, key=lambda r: r[1]) if higher else min(rows, key=lambda r: r[1])


def _to_batch(img: np.ndarray) -> torch.Tensor:
    """H×W×3 float in [0, 1] → 1×3×H×W, quantised to 8 bits."""
    quantised = to_uint8(img).astype(np.float32) / 255.0
    return torch.from_numpy(quantised).permute(2, 0, 1)[None]


MODEL_GIVEN = "the raw alone"


def with_metadata(mosaic: isp.LinearMosaic, meta: PairMetadata | None) -> isp.LinearMosaic:
    """``mosaic`` with the recorded white balance and colour matrix where it has none (a
    camera raw's or DNG's own metadata wins)."""
    if meta is None:
        return mosaic
    return replace(mosaic, wb=mosaic.wb if mosaic.wb is not None else meta.wb,
                   color_matrix=(mosaic.color_matrix if mosaic.color_matrix is not None
                                 else meta.color_matrix))


def recorded_metadata(raw_path: str | os.PathLike) -> PairMetadata | None:
    """The metadata recorded for ``raw_path`` by the data set it lies in (the nearest folder
    above it with a ``manifest.json``, up to three levels), or None."""
    path = Path(raw_path).resolve()
    for root in list(path.parents)[:3]:
        if (root / "manifest.json").is_file():
            return metadata_for(root, path, read_pair_metadata(root))
    return None


def given_note(labels: Sequence[str], baselines: Sequence[str],
               mosaic: isp.LinearMosaic) -> str:
    """One line saying what every method was given, e.g. ``"RawTonemapNet L0 (last.pt): the
    raw alone; classical: as-shot WB + colour matrix; greyworld: ..."``."""
    parts = [f"{label}: {MODEL_GIVEN}" for label in labels]
    parts += [f"{name}: {isp.baseline_inputs(name, mosaic)}" for name in baselines]
    return "given — " + "; ".join(parts)


def load_models(level: int, weights, random_weights: bool, pynet_weights, seed: int,
                runtime: Runtime) -> dict[str, torch.nn.Module]:
    """The networks a report or figure runs, by table label, on ``runtime``'s device:
    RawTonemapNet (weights or a seeded random fill) and, when its weights are given, PyNET."""
    models = {model_label("rawtonemap", level, weights):
              load_model("rawtonemap", level, weights, random_weights=random_weights, seed=seed)
              .to(runtime.device)}
    if pynet_weights is not None:
        models[model_label("pynet", level, pynet_weights)] = load_model(
            "pynet", level, pynet_weights).to(runtime.device)
    return models


@dataclass
class _Scorer:
    """Runs every method on items and keeps the rows, timings, notes and inputs."""

    models: dict[str, torch.nn.Module]
    baselines: Sequence[str]
    metrics: Sequence[str]
    runtime: Runtime
    image_dir: Path | None = None
    per_image: list[dict] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    not_applicable: dict[str, str] = field(default_factory=dict)
    given: dict[str, set[str]] = field(default_factory=dict)

    @property
    def methods(self) -> list[str]:
        return [*self.models, *self.baselines]

    def score(self, index: int | str, raw: torch.Tensor, target: torch.Tensor,
              mosaic: isp.LinearMosaic, where: str | os.PathLike) -> None:
        """Develop ``raw``/``mosaic`` with every method, then score the results against
        ``target`` (one row per method), the metrics of the methods in parallel threads."""
        target_batch = target[None].float()
        height, width = target.shape[-2:]
        developed: list[tuple[str, np.ndarray]] = []
        for method in self.methods:
            if method in self.skipped:
                continue
            start = time.perf_counter()
            if method in self.models:
                img = run_model(self.models[method], raw, self.runtime)
                if img.shape[:2] != (height, width):
                    raise DatasetError(f"{method} gives {img.shape[0]}×{img.shape[1]} images but"
                                       f" the targets are {height}×{width}", where)
                given = MODEL_GIVEN
            else:
                try:
                    img = _resize(isp.run_baseline(method, mosaic, as_uint8=False), height, width)
                except BaselineUnavailable as exc:
                    self.skipped[method] = exc.problem
                    continue
                given = isp.baseline_inputs(method, mosaic)
            self.seconds[method] = self.seconds.get(method, 0.0) + time.perf_counter() - start
            self.given.setdefault(method, set()).add(given)
            if self.image_dir is not None:
                _save_png(self.image_dir / f"{index}_{_slug(method)}.png", img)
            developed.append((method, img))
        for method, (values, problems) in zip(
                [m for m, _ in developed],
                _in_threads(lambda item: self._metric_values(item[1], target_batch), developed),
                strict=True):
            self.not_applicable.update(problems)
            self.per_image.append({"method": method, "index": index, **values})

    def _metric_values(self, img: np.ndarray, target_batch: torch.Tensor
                       ) -> tuple[dict[str, float], dict[str, str]]:
        """Every metric of one result: (name → value, name → why it is not applicable)."""
        pred = _to_batch(img)
        values, problems = {}, {}
        for name in self.metrics:
            metric = get_metric(name)
            inputs = (pred, target_batch) if metric.kind == "full-reference" else (pred,)
            try:
                values[name] = metric.fn(*inputs)
            except MetricNotApplicable as exc:
                problems[name] = exc.problem
                values[name] = math.nan
        return values, problems

    def report(self, n_images: int) -> EvaluationReport:
        methods = [m for m in self.methods if m not in self.skipped]
        summary = {m: {name: float(np.mean([r[name] for r in self.per_image
                                            if r["method"] == m]))
                       for name in self.metrics} for m in methods}
        notes = [f"{m}: not run ({why})." for m, why in self.skipped.items()]
        notes += [f"{name}: n/a ({why})." for name, why in self.not_applicable.items()]
        return EvaluationReport(
            summary=summary,
            seconds_per_image={m: self.seconds.get(m, 0.0) / n_images for m in methods},
            per_image=self.per_image, n_images=n_images, metrics=tuple(self.metrics),
            notes=notes, given={m: "; ".join(sorted(self.given.get(m, ()))) for m in methods})


def _in_threads(fn: Callable, items: Sequence) -> list:
    """``[fn(item) for item in items]``, computed in one thread per core with PyTorch held to
    one thread each meanwhile. Most metric time is single-threaded NumPy (CIELAB, CIEDE2000),
    which leaves the other core idle; on a busy machine, PyTorch's own threads spinning on
    cores taken by other work slow a metric many-fold. Same values, in order."""
    workers = min(len(items), DEFAULT_THREADS)
    if workers <= 1:
        return [fn(item) for item in items]
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(fn, items))
    finally:
        torch.set_num_threads(previous)


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text).strip("_")


def _save_png(path: Path, img: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), cv2.cvtColor(to_uint8(img), cv2.COLOR_RGB2BGR)):
        raise OutputError("cannot write the image", path)


def _check_baselines(baselines: Sequence[str]) -> None:
    for name in baselines:
        if name not in isp.BASELINES:
            raise ConfigError(f"unknown baseline {name!r} (known: {', '.join(isp.BASELINES)})")


def evaluate(
    data_root: str | os.PathLike,
    weights: str | os.PathLike | None = None,
    *,
    random_weights: bool = False,
    split: str = "test",
    level: int = 0,
    out_dir: str | os.PathLike = "runs/evaluation",
    layout: str = "auto",
    device: str = "cpu",
    precision: str = "fp32",
    pynet_weights: str | os.PathLike | None = None,
    limit: int | None = None,
    baselines: Sequence[str] = tuple(isp.BASELINES),
    metrics: Sequence[str] = FULL_REFERENCE,
    seed: int = 0,
    progress: bool = True,
    reuse: bool = False,
) -> EvaluationReport:
    """Score the network, PyNET (when its weights are given) and the baselines on a split.

    Args:
        data_root: a paired dataset (``hdrisp.data.PairedRawDataset``) in ``layout``
            (``"auto"``, ``"paper"`` or ``"zurich"``).
        weights: RawTonemapNet weights; or ``random_weights=True``.
        split: "test" (or "train").
        level: the network's level; targets are read at that level's size.
        out_dir: where the tables are written (created).
        pynet_weights: PyNET weights (e.g. the published ``pynet_level_0.pth``), optional.
        limit: evaluate only the first ``limit`` pairs.
        baselines: names from :data:`hdrisp.isp.BASELINES`; they get each pair's recorded
            white balance and colour matrix when the set has a manifest (module docstring).
        metrics: names from :data:`~hdrisp.evaluation.metrics.METRICS`: every full-reference
            metric by default; no-reference ones (``"piqe"``, or ``"nima"``, ``"musiq"``,
            ``"liqe"`` with pyiqa) score each result on its own.
        device, precision: where and how the networks run (:mod:`hdrisp.runtime`).
        progress: show a tqdm progress bar.
        reuse: return the report that an identical earlier call wrote to ``out_dir``
            (``report.json``; module docstring) instead of scoring again.

    Returns:
        An :class:`EvaluationReport`; the tables are in ``report.paths``.
    """
    for name in metrics:
        get_metric(name)
    _check_baselines(baselines)
    check_output_dir(out_dir)
    runtime = Runtime.resolve(device, precision)
    dataset = PairedRawDataset(data_root, split, level=level, layout=layout)
    n_images = len(dataset) if limit is None else min(limit, len(dataset))
    if n_images == 0:
        raise DatasetError(f"the {split!r} split has no pairs to evaluate", data_root)
    key = {"hdrisp": [__version__, _code_digest()], "weights": _file_digest(weights),
           "random_weights": bool(random_weights), "seed": seed if random_weights else None,
           "pynet_weights": _file_digest(pynet_weights), "data": _data_identity(data_root),
           "split": split, "level": level, "layout": layout, "images": n_images,
           "baselines": list(baselines), "metrics": list(metrics),
           "device": runtime.device.type, "precision": runtime.precision}
    saved = Path(out_dir) / REPORT_FILE
    if reuse and key["data"] is not None:
        report = _read_report(saved, key)
        if report is not None:
            return report
    recorded = read_pair_metadata(data_root)
    scorer = _Scorer(load_models(level, weights, random_weights, pynet_weights, seed, runtime),
                     baselines, metrics, runtime)
    for index in tqdm(range(n_images), desc=f"evaluate {split}", unit="pair", disable=not progress):
        raw, target = dataset[index]
        meta = metadata_for(data_root, dataset.pairs[index][0], recorded)
        mosaic = isp.from_packed(raw.numpy(), dataset.normalization)
        scorer.score(index, raw, target, with_metadata(mosaic, meta), data_root)
    report = scorer.report(n_images)
    title = (f"{n_images} {split} pairs of {Path(data_root).name}, level {level}"
             f" (8-bit results; {runtime.device.type} {runtime.precision} timings)")
    report.paths = write_tables(report, out_dir, title=title)
    _write_atomic(saved, json.dumps({"key": key, "report": _report_fields(report)}, indent=1))
    report.paths["report"] = saved
    return report


REPORT_FILE = "report.json"
_REPORT_FIELDS = ("summary", "seconds_per_image", "per_image", "n_images", "metrics", "notes",
                  "given")


@functools.cache
def _code_digest() -> str:
    """SHA-256 over hdrisp's own Python sources: a report computed by other code is stale."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def _file_digest(path: str | os.PathLike | None) -> str | None:
    return None if path is None else file_sha256(path)


def _data_identity(data_root: str | os.PathLike) -> dict | None:
    """What identifies a data set's contents cheaply: its folder and the digests of its
    ``dataset.json`` and ``manifest.json`` (a synthetic set's parameters and every pair's
    draws). None for a set without them (the paper's, Zurich's): nothing cheap says its
    files are unchanged, so its reports are never reused."""
    root = Path(data_root).resolve()
    files = {name: file_sha256(root / name) for name in ("dataset.json", "manifest.json")
             if (root / name).is_file()}
    return {"root": str(root), "files": files} if files else None


def _report_fields(report: EvaluationReport) -> dict:
    return {name: getattr(report, name) for name in _REPORT_FIELDS}


def _read_report(path: Path, key: dict) -> EvaluationReport | None:
    """The report saved at ``path`` if it was computed from ``key``, else None."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        if saved.get("key") != json.loads(json.dumps(key)):
            return None
        fields = saved["report"]
        report = EvaluationReport(**{name: fields[name] for name in _REPORT_FIELDS})
    except (OSError, ValueError, KeyError, TypeError):
        return None
    report.metrics = tuple(report.metrics)
    report.paths = {"csv": path.parent / "metrics.csv", "markdown": path.parent / "metrics.md",
                    "per_image": path.parent / "per_image.csv", "report": path}
    return report


def evaluate_frames(
    data_root: str | os.PathLike,
    weights: str | os.PathLike | None = None,
    *,
    random_weights: bool = False,
    level: int = 0,
    out_dir: str | os.PathLike = "runs/evaluation",
    layout: str = "auto",
    device: str = "cpu",
    precision: str = "fp32",
    pynet_weights: str | os.PathLike | None = None,
    limit: int | None = None,
    baselines: Sequence[str] = tuple(isp.BASELINES),
    metrics: Sequence[str] = FULL_REFERENCE,
    save_images: bool = False,
    seed: int = 0,
    progress: bool = True,
) -> EvaluationReport:
    """Score every method on the full-resolution test frames that have a target.

    Each frame is developed whole (the network through
    :func:`~hdrisp.inference.tiling.tiled_forward`, in one tile up to its default size), so
    this measures what a user sees on a photograph rather than on a training-sized patch:
    blotches, halos and vignetting show in ``lowfreq_delta_e``. The classical rows get the
    frame's own metadata (the DNG's, or the manifest's for a PNG frame). Arguments as
    :func:`evaluate`; ``save_images`` also writes each method's frame as
    ``out_dir/frames/{frame}_{method}.png`` (and the targets as ``..._target.png``).

    Returns:
        An :class:`EvaluationReport` indexed by frame name; tables ``frames_metrics.csv``,
        ``frames_metrics.md`` and ``frames_per_image.csv`` in ``out_dir``.
    """
    for name in metrics:
        get_metric(name)
    _check_baselines(baselines)
    out = check_output_dir(out_dir)
    runtime = Runtime.resolve(device, precision)
    models = load_models(level, weights, random_weights, pynet_weights, seed, runtime)
    frames = FullResolutionDataset(data_root, layout=layout, level=level,
                                   multiple=getattr(next(iter(models.values())),
                                                    "INPUT_MULTIPLE", 8))
    recorded = read_pair_metadata(data_root)
    chosen = [i for i, f in enumerate(frames.files) if frames.target_dir is not None
              and (frames.target_dir / f"{f.stem}.jpg").is_file()]
    chosen = chosen[:limit] if limit is not None else chosen
    if not chosen:
        raise DatasetError("no full-resolution frame with a target to evaluate", frames.folder)
    scorer = _Scorer(models, baselines, metrics, runtime,
                     image_dir=out / "frames" if save_images else None)
    for i in tqdm(chosen, desc="evaluate frames", unit="frame", disable=not progress):
        item = frames[i]
        raw, target, path = item["raw"], item["target"], Path(item["path"])
        h, w = raw.shape[-2:]
        # read as the network's input was (a PNG frame with its set's or its own levels)
        frame = file_normalization(path).read(path)
        mosaic = isp.crop(isp.to_rggb(isp.as_linear_mosaic(frame)), 0, 0, 2 * h, 2 * w)
        mosaic = with_metadata(mosaic, metadata_for(data_root, path, recorded))
        scorer.score(item["name"], raw, target, mosaic, path)
        if save_images:
            _save_png(out / "frames" / f"{item['name']}_target.png",
                      target.permute(1, 2, 0).numpy())
    report = scorer.report(len(chosen))
    title = (f"{len(chosen)} full-resolution test frames of {Path(data_root).name}, level "
             f"{level}, each developed whole (8-bit results; {runtime.device.type} "
             f"{runtime.precision} timings)")
    report.paths = write_tables(report, out, title=title, prefix="frames_")
    return report


# --------------------------------------------------------------------------- tables


_FORMATS = {"psnr": "{:.2f}", "delta_e2000": "{:.2f}", "lowfreq_delta_e": "{:.2f}",
            "piqe": "{:.2f}"}


def _cell(name: str, value: float) -> str:
    if math.isnan(value):
        return "n/a"
    return _FORMATS.get(name, "{:.4f}").format(value)


def markdown_table(report: EvaluationReport, title: str | None = None) -> str:
    """The summary as a Markdown table: one row per method, the best value per column bold,
    and what each row was given."""
    given = bool(report.given)
    header = ["method", *(f"{n} {METRICS[n].arrow}" for n in report.metrics), "s/image",
              *(["given"] if given else [])]
    lines = [f"**{title}**", ""] if title else []
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    best: dict[str, float] = {}
    for name in report.metrics:
        values = [s[name] for s in report.summary.values() if not math.isnan(s[name])]
        if values:
            best[name] = max(values) if METRICS[name].higher_is_better else min(values)
    for method, scores in report.summary.items():
        cells = [method]
        for name in report.metrics:
            text = _cell(name, scores[name])
            cells.append(f"**{text}**" if scores[name] == best.get(name) else text)
        cells.append(f"{report.seconds_per_image[method]:.3f}")
        if given:
            cells.append(report.given.get(method, ""))
        lines.append("| " + " | ".join(cells) + " |")
    if report.notes:
        lines += [""] + [f"- {note}" for note in report.notes]
    return "\n".join(lines) + "\n"


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _csv_text(rows: list[dict], columns: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    return buffer.getvalue()


def write_tables(report: EvaluationReport, out_dir: str | os.PathLike,
                 title: str | None = None, prefix: str = "") -> dict[str, Path]:
    """Write ``metrics.csv`` (summary), ``metrics.md`` and ``per_image.csv`` into ``out_dir``
    (each name preceded by ``prefix``)."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(exc, out) from None
    metrics = list(report.metrics)
    summary_rows = [{"method": m, "images": report.n_images, **scores,
                     "seconds_per_image": report.seconds_per_image[m],
                     "given": report.given.get(m, "")}
                    for m, scores in report.summary.items()]
    paths = {"csv": out / f"{prefix}metrics.csv", "markdown": out / f"{prefix}metrics.md",
             "per_image": out / f"{prefix}per_image.csv"}
    _write_atomic(paths["csv"], _csv_text(
        summary_rows, ["method", "images", *metrics, "seconds_per_image", "given"]))
    _write_atomic(paths["per_image"], _csv_text(report.per_image, ["method", "index", *metrics]))
    _write_atomic(paths["markdown"], markdown_table(report, title))
    return paths
