"""Validate a paired data set: every pair complete, readable, consistent and in range.

:func:`check_dataset` reads every file once (in threads: the decoders release the GIL) and
returns a :class:`DatasetReport` with a per-split summary and one :class:`Problem` per
fault, each naming its file. ``hdrisp data check`` prints it and exits non-zero when
there is any problem.

A set with a ``manifest.json`` that names each pair's source photograph (the synthetic
set's) is also checked for leaks: no scene may give pairs to both the training split and
the test split or its full frames (:func:`check_source_split`). Such a set is refused
outright (:func:`check_dataset` raises :class:`~hdrisp.errors.DatasetError`, and
``hdrisp data check`` prints one line and exits with status 2): its test split measures
recall of seen photographs, not an ISP.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm.auto import tqdm

from hdrisp.data.layout import RAW_SUFFIXES, Layout, get_layout, list_pairs, visible_files
from hdrisp.data.normalization import (
    DATASET_FILE,
    MANIFEST_FILE,
    dataset_normalization,
    pair_levels,
)
from hdrisp.errors import DatasetError, HdrispError
from hdrisp.raw import read_raw

MISSING_FOLDER = "missing folder"
MISSING_TARGET = "missing target"
UNPAIRED = "unpaired file"
UNEXPECTED = "unexpected file"
UNREADABLE = "unreadable"
EIGHT_BIT = "8-bit raw"
NOT_MOSAIC = "not a mosaic"
WRONG_SIZE = "wrong size"
OVER_WHITE = "above white level"
NOT_RGB = "not RGB"
SHARED_SOURCE = "shared source"


@dataclass(frozen=True)
class Problem:
    """One fault: the file, its kind (one of this module's constants) and what is wrong."""

    path: str
    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.kind}: {self.message}"


@dataclass
class SplitSummary:
    """Counts and sizes of one split (or of the full-resolution frames)."""

    name: str
    pairs: int = 0
    raw_size: str = "-"
    target_size: str = "-"
    raw_max: int | None = None
    problems: int = 0


@dataclass
class DatasetReport:
    """What :func:`check_dataset` found."""

    root: str
    layout: str
    white_level: float
    splits: list[SplitSummary] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: where ``white_level`` came from: ``"given"``, ``"dataset.json"`` or ``"default"``
    white_level_source: str = "given"

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    def kinds(self) -> Counter:
        """How many problems of each kind."""
        return Counter(p.kind for p in self.problems)

    def table(self) -> str:
        """The per-split summary as an aligned text table."""
        head = ("split", "pairs", "raw H×W", "target H×W", "raw max", "problems")
        rows = [head] + [(s.name, str(s.pairs), s.raw_size, s.target_size,
                          "-" if s.raw_max is None else str(s.raw_max), str(s.problems))
                         for s in self.splits]
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                 for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def __str__(self) -> str:
        verdict = ("OK: no problems" if self.ok else
                   f"{len(self.problems)} problem(s): "
                   + ", ".join(f"{n} {k}" for k, n in sorted(self.kinds().items())))
        source = "" if self.white_level_source == "given" else f" from {self.white_level_source}"
        lines = [f"{self.root} ({self.layout} layout, white level {self.white_level:g}{source})",
                 self.table(), verdict]
        return "\n".join(lines + [str(p) for p in self.problems])


def _size(shape: tuple[int, ...]) -> str:
    """H×W (rows × columns, as numpy and ``--full-size`` give them)."""
    return f"{shape[0]}×{shape[1]}"


def _inspect_png_raw(path: Path, white_level: float) -> tuple[tuple | None, int | None,
                                                               list[Problem]]:
    """(H, W), max value and problems of a PNG raw."""
    try:
        with Image.open(path) as im:
            im.load()
            mode, arr = im.mode, np.asarray(im)
    except Exception as exc:  # PIL raises many kinds for broken files
        return None, None, [Problem(str(path), UNREADABLE, f"cannot decode ({exc})")]
    if mode in ("1", "L", "P"):
        return arr.shape[:2], None, [Problem(
            str(path), EIGHT_BIT, "8-bit image: raw PNGs hold 16-bit (10-bit valued) samples; "
            "this looks like a processed picture")]
    if arr.ndim != 2:
        return arr.shape[:2], None, [Problem(
            str(path), NOT_MOSAIC, f"{mode} image with {arr.shape[2]} channels, not a "
            "single-channel Bayer mosaic")]
    problems, top = [], int(arr.max()) if arr.size else 0
    if top > white_level:
        n = int(np.count_nonzero(arr > white_level))
        problems.append(Problem(str(path), OVER_WHITE,
                                f"{n} value(s) above {white_level:g} (max {top})"))
    if arr.shape[0] % 2 or arr.shape[1] % 2:
        problems.append(Problem(str(path), WRONG_SIZE, f"odd size {_size(arr.shape)}"))
    return arr.shape, top, problems


def _inspect_camera_raw(path: Path) -> tuple[tuple | None, int | None, list[Problem]]:
    try:
        raw = read_raw(path)
    except HdrispError as exc:
        return None, None, [Problem(str(path), UNREADABLE, exc.problem)]
    top = int(raw.mosaic.max())
    problems = []
    if top > raw.white_level:
        problems.append(Problem(str(path), OVER_WHITE,
                                f"max {top} above the file's white level {raw.white_level:g}"))
    return raw.shape, top, problems


def _inspect_target(path: Path) -> tuple[tuple | None, list[Problem]]:
    try:
        with Image.open(path) as im:
            im.load()
            mode, size = im.mode, im.size
    except Exception as exc:
        return None, [Problem(str(path), UNREADABLE, f"cannot decode ({exc})")]
    problems = []
    if mode != "RGB":
        problems.append(Problem(str(path), NOT_RGB, f"{mode} picture; targets are 8-bit RGB"))
    return (size[1], size[0]), problems


def _counted(results: Iterable, bar: tqdm) -> Iterator:
    """Pass ``results`` through, one step of ``bar`` each."""
    for result in results:
        bar.update(1)
        yield result


def _check_pairs(root: Path, split: str, layout: Layout, white_level: float,
                 pool: ThreadPoolExecutor, bar: tqdm) -> tuple[SplitSummary, list[Problem]]:
    summary = SplitSummary(split)
    try:
        listing = list_pairs(root, split, layout)
    except DatasetError as exc:
        return summary, [Problem(str(exc.path), MISSING_FOLDER, exc.problem)]
    problems = [Problem(str(p), MISSING_TARGET,
                        f"no {layout.target_dir}/{p.stem}{layout.target_suffix}")
                for p in listing.missing_target]
    problems += [Problem(str(p), UNPAIRED, f"no {layout.raw_dir}/{p.stem}{layout.raw_suffix}")
                 for p in listing.missing_raw]
    problems += [Problem(str(p), UNEXPECTED, "not a file type that belongs in this folder")
                 for p in listing.unexpected]
    bar.total += 2 * len(listing.pairs)
    raws = list(_counted(pool.map(lambda pair: _inspect_png_raw(pair[0], white_level),
                                  listing.pairs), bar))
    targets = list(_counted(pool.map(lambda pair: _inspect_target(pair[1]), listing.pairs), bar))
    shapes = Counter(r[0] for r in raws if r[0] is not None)
    common = shapes.most_common(1)[0][0] if shapes else None
    for (raw_path, target_path), (shape, _, raw_problems), (t_shape, t_problems) in zip(
            listing.pairs, raws, targets, strict=True):
        problems += raw_problems + t_problems
        if shape is not None and shape != common:
            problems.append(Problem(str(raw_path), WRONG_SIZE,
                                    f"{_size(shape)} while the split's raws are {_size(common)}"))
        if shape is not None and t_shape is not None and t_shape != shape[:2]:
            problems.append(Problem(str(target_path), WRONG_SIZE,
                                    f"{_size(t_shape)} but its raw is {_size(shape)}"))
    tops = [r[1] for r in raws if r[1] is not None]
    summary.pairs = len(listing.pairs)
    summary.raw_size = "-" if common is None else _size(common) + (
        " (mixed)" if len(shapes) > 1 else "")
    t_shapes = Counter(t[0] for t in targets if t[0] is not None)
    if t_shapes:
        summary.target_size = _size(t_shapes.most_common(1)[0][0]) + (
            " (mixed)" if len(t_shapes) > 1 else "")
    summary.raw_max = max(tops) if tops else None
    summary.problems = len(problems)
    return summary, problems


def _check_full(folder: Path, layout: Layout, white_level: float,
                pool: ThreadPoolExecutor, bar: tqdm) -> tuple[SplitSummary, list[Problem]]:
    summary = SplitSummary(f"test/{layout.full_dir}")
    frames = [p for p in visible_files(folder) if p.suffix.lower() in RAW_SUFFIXES]
    problems = [Problem(str(p), UNEXPECTED, "not a raw file type")
                for p in visible_files(folder) if p.suffix.lower() not in RAW_SUFFIXES]

    def inspect(p: Path):
        if p.suffix.lower() == ".png":
            return _inspect_png_raw(p, white_level)
        return _inspect_camera_raw(p)

    bar.total += len(frames)
    results = list(_counted(pool.map(inspect, frames), bar))
    target_dir = folder / layout.full_target_dir if layout.full_target_dir else None
    sizes = set()
    for path, (shape, _, frame_problems) in zip(frames, results, strict=True):
        problems += frame_problems
        if shape is not None:
            sizes.add(_size(shape))
        target = target_dir / f"{path.stem}.jpg" if target_dir else None
        if shape is not None and target is not None and target.is_file():
            t_shape, t_problems = _inspect_target(target)
            problems += t_problems
            if t_shape is not None and t_shape != shape[:2]:
                problems.append(Problem(str(target), WRONG_SIZE,
                                        f"{_size(t_shape)} but its frame is {_size(shape)}"))
    tops = [r[1] for r in results if r[1] is not None]
    summary.pairs = len(frames)
    summary.raw_size = ", ".join(sorted(sizes)) or "-"
    summary.raw_max = max(tops) if tops else None
    summary.problems = len(problems)
    return summary, problems


def _scene_of(record: dict, scenes: dict[str, str]) -> str | None:
    source = (record.get("view") or {}).get("source")
    if source is None:
        return None
    return record.get("scene") or scenes.get(source) or source


def check_source_split(root: str | os.PathLike) -> list[Problem]:
    """Problems when the training split and the test split (with its full frames) share a
    scene, read from ``root/manifest.json`` (none when there is no readable manifest naming
    the pairs' source photographs).

    A pair's scene is its ``scene`` field, else the manifest's ``sources`` entry for its
    photograph, else the photograph itself (the two views of a stereo pair are one scene).
    """
    path = Path(root) / "manifest.json"
    try:
        manifest = json.loads(path.read_text())
        records = list(manifest["pairs"])
    except (OSError, ValueError, KeyError, TypeError):
        return []
    scenes = {s.get("name"): s.get("scene") for s in manifest.get("sources", [])
              if isinstance(s, dict) and s.get("scene")}
    used: dict[str, dict[str, set[str]]] = {"train": {}, "test": {}}
    for record in records:
        scene = _scene_of(record, scenes) if isinstance(record, dict) else None
        if scene is None:
            continue
        side = "train" if record.get("split") == "train" else "test"
        source = record["view"]["source"]
        used[side].setdefault(scene, set()).add(source)
    problems = []
    for scene in sorted(set(used["train"]) & set(used["test"])):
        photos = sorted(used["train"][scene] | used["test"][scene])
        problems.append(Problem(str(path), SHARED_SOURCE,
                                f"scene {scene!r} ({', '.join(photos)}) gives pairs to both "
                                "the training split and the test split: the test would score "
                                "scenes the network has seen"))
    return problems


def check_dataset(root: str | os.PathLike, layout: str = "paper", *,
                  splits: tuple[str, ...] = ("train", "test"), white_level: float | None = None,
                  workers: int = 4, progress: bool = False) -> DatasetReport:
    """Check every pair of a paper- or Zurich-layout data set (and its full frames).

    Args:
        root: the data set's folder.
        layout: ``"paper"``, ``"zurich"`` or ``"auto"``.
        splits: the splits that must be there.
        white_level: largest valid value of the PNG raws; None: the white level the set's
            ``dataset.json`` records (:func:`hdrisp.data.dataset_normalization`), else 1023
            (10-bit data without a description: the paper's, Zurich's).
        workers: reading threads.
        progress: show a progress bar of the files read.

    Returns:
        A :class:`DatasetReport`; ``report.ok`` is False when any problem was found.
        Problems found: missing folder, missing target, unpaired file (a target without
        its raw), unexpected file, unreadable (corrupt or truncated), 8-bit raw, not a
        mosaic (colour image as raw), wrong size (odd, inconsistent with the split, or a
        target whose size differs from its raw's), values above the white level, and
        targets that are not RGB.

    Raises:
        DatasetError: no such folder, or a source scene shared by the training and test
            splits (:func:`check_source_split`, for sets with a manifest; checked first).
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError("no such data set folder", root)
    leaks = check_source_split(root)
    if leaks:
        raise DatasetError(leaks[0].message + (f" (and {len(leaks) - 1} more shared scenes)"
                                              if len(leaks) > 1 else ""), leaks[0].path)
    lay = get_layout(layout, root)
    source = "given"
    if white_level is None:
        described = (root / DATASET_FILE).is_file()
        rule = dataset_normalization(root) if described else None
        white_level = rule.white_level if rule is not None else 1023.0
        source = DATASET_FILE if described else "default"
        if rule is not None and rule.per_pair:  # each raw its own: the largest bounds them all
            white_level = max((w for _, w in pair_levels(root).values()), default=white_level)
            source = f"{MANIFEST_FILE} (the largest of the pairs' white levels)"
    report = DatasetReport(str(root), lay.name, float(white_level),
                           white_level_source=source)
    with ThreadPoolExecutor(max(1, workers)) as pool, \
            tqdm(total=0, desc=f"checking {root.name}", unit="file", disable=not progress) as bar:
        for split in splits:
            summary, problems = _check_pairs(root, split, lay, white_level, pool, bar)
            report.splits.append(summary)
            report.problems += problems
        full = root / "test" / lay.full_dir
        if full.is_dir():
            summary, problems = _check_full(full, lay, white_level, pool, bar)
            report.splits.append(summary)
            report.problems += problems
    return report
