"""Approximate the paper's task on public data: Zurich raws with "HDR look" targets.

The paper's targets are Zurich RAW-to-RGB's Canon pictures edited into a local
tone-mapped look. :func:`prepare_zurich` makes a paper-layout set from a Zurich copy:
each Huawei raw patch is linked (or copied) unchanged, and its target is the Canon
picture decoded to linear light (inverse sRGB curve) and tone-mapped with the same
operator as the synthetic set (:func:`hdrisp.synth.hdr_look.hdr_look`).
"""

from __future__ import annotations

import json
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import numpy as np
from tqdm.auto import tqdm

from hdrisp.data.layout import LAYOUTS, list_pairs, visible_files
from hdrisp.errors import DatasetError
from hdrisp.raw.color import srgb_to_linear
from hdrisp.synth.hdr_look import HDRLook, hdr_look


def _link_or_copy(src: Path, dst: Path) -> None:
    if dst.exists():
        dst.unlink()
    try:
        os.link(src, dst)
    except OSError:  # another file system, or links not allowed
        shutil.copyfile(src, dst)


def retone_picture(src: Path, dst: Path, look: HDRLook) -> None:
    """Write the HDR-look version of an 8-bit sRGB picture ``src`` as a JPEG ``dst``."""
    bgr = cv2.imread(str(src), cv2.IMREAD_COLOR)
    if bgr is None:
        raise DatasetError("unreadable picture", src)
    linear = srgb_to_linear(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0)
    out = cv2.cvtColor(hdr_look(linear, look), cv2.COLOR_RGB2BGR)
    if not cv2.imwrite(str(dst), out, [cv2.IMWRITE_JPEG_QUALITY, 95]):
        raise DatasetError("could not write the file", dst)


def _retone_job(args: tuple[str, str, HDRLook]) -> None:
    retone_picture(Path(args[0]), Path(args[1]), args[2])


def prepare_zurich(zurich_root: str | os.PathLike, out: str | os.PathLike, *,
                   look: HDRLook | None = None, workers: int = 1, limit: int | None = None,
                   skip_broken: bool = False, progress: bool = False) -> Path:
    """Build a paper-layout set with tone-mapped targets from a Zurich RAW-to-RGB copy.

    Args:
        zurich_root: the Zurich folder (holding ``train/huawei_raw``, ``train/canon``,
            ``test/...`` and optionally ``test/huawei_full_resolution``).
        out: destination folder (paper layout; files of the same name are replaced).
        look: the tone-mapping operator's parameters (default :class:`HDRLook()`).
        workers: processes for the tone mapping.
        limit: only the first ``limit`` pairs of each split (a quick trial).
        skip_broken: leave unpaired files out (counted in ``out/prepare_zurich.json``)
            instead of raising DatasetError naming the first.
        progress: show a progress bar.

    Returns:
        ``out`` as a Path.
    """
    src, out = Path(zurich_root), Path(out)
    zurich, paper, look = LAYOUTS["zurich"], LAYOUTS["paper"], look or HDRLook()
    jobs, counts = [], {}
    for split in ("train", "test"):
        if not (src / split / zurich.raw_dir).is_dir():
            continue
        listing = list_pairs(src, split, zurich)
        broken = listing.missing_target + listing.missing_raw
        if broken and not skip_broken:
            raise DatasetError(f"unpaired file ({len(broken)} in {split}; pass "
                               "skip_broken=True / --skip-broken to leave them out)", broken[0])
        pairs = listing.pairs[:limit] if limit is not None else listing.pairs
        (out / split / paper.raw_dir).mkdir(parents=True, exist_ok=True)
        (out / split / paper.target_dir).mkdir(parents=True, exist_ok=True)
        for raw, canon in pairs:
            _link_or_copy(raw, out / split / paper.raw_dir / raw.name)
            jobs.append((str(canon), str(out / split / paper.target_dir / f"{raw.stem}.jpg"),
                         look))
        counts[split] = {"pairs": len(pairs), "skipped_unpaired": len(broken)}
    if not counts:
        raise DatasetError("no Zurich layout here (expected train/huawei_raw or "
                           "test/huawei_raw)", src)
    full = src / "test" / zurich.full_dir
    if full.is_dir():
        frames = [p for p in visible_files(full) if p.suffix.lower() == ".png"][:limit]
        (out / "test" / paper.full_dir).mkdir(parents=True, exist_ok=True)
        for p in frames:
            _link_or_copy(p, out / "test" / paper.full_dir / p.name)
        counts["full_resolution"] = {"frames": len(frames)}
    bar = tqdm(total=len(jobs), desc="tone-mapping targets", disable=not progress)
    if workers <= 1:
        for job in jobs:
            _retone_job(job)
            bar.update()
    else:
        with ProcessPoolExecutor(workers) as pool:
            for _ in pool.map(_retone_job, jobs, chunksize=max(1, len(jobs) // (8 * workers))):
                bar.update()
    bar.close()
    (out / "prepare_zurich.json").write_text(json.dumps(
        {"source": str(src.resolve()), "look": look.to_dict(), "counts": counts},
        indent=1, sort_keys=True) + "\n")
    return out
