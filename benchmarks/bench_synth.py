"""Synthetic-pair generation speed: pairs per second, per stage and end to end.

Target (issue 5): at least 20 pairs of 448×448 per second on a 2-core CPU.

    python benchmarks/bench_synth.py [--pairs 80] [--patch 448] [--workers 1 2]

Prints two tables: the time of each stage of one pair in this process, and
``generate_dataset`` end to end (files written, manifest included) for each worker count,
with wall-clock pairs/s and CPU time per pair. Wall-clock timings on a shared machine are
noisy: compare rows of one run, not runs; the CPU time per pair is steadier.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _median_ms(fn, repeats: int) -> tuple[float, float]:
    """Median wall-clock and CPU milliseconds of ``fn()``."""
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return 1000 * float(np.median(wall)), 1000 * float(np.median(cpu))


def stage_table(patch: int, repeats: int) -> list[tuple[str, float, float]]:
    """Median wall and CPU milliseconds of each stage for one patch×patch pair (one thread)."""
    import cv2

    from hdrisp.synth.hdr_look import hdr_look
    from hdrisp.synth.sources import load_sources, random_view
    from hdrisp.synth.unprocess import sample_sensor, unprocess

    cv2.setNumThreads(1)
    sources = load_sources()
    rng = np.random.default_rng(0)
    crop, _ = random_view(rng, sources, (patch, patch))
    params = sample_sensor(rng)
    mosaic, scene = unprocess(crop, params, rng)
    target = hdr_look(scene)
    out = Path(tempfile.mkdtemp())
    rows = [
        ("crop (random view of a source)", *_median_ms(
            lambda: random_view(rng, sources, (patch, patch)), repeats)),
        ("unprocess (raw side, noise, 10-bit)", *_median_ms(
            lambda: unprocess(crop, params, rng), repeats)),
        ("hdr_look (target: Mertens fusion ...)", *_median_ms(
            lambda: hdr_look(scene), repeats)),
        ("write PNG raw + JPEG target", *_median_ms(lambda: (
            cv2.imwrite(str(out / "r.png"), mosaic),
            cv2.imwrite(str(out / "t.jpg"), target, [cv2.IMWRITE_JPEG_QUALITY, 95])), repeats)),
    ]
    rows.append(("total per pair", sum(r[1] for r in rows), sum(r[2] for r in rows)))
    return rows


def end_to_end(n_pairs: int, patch: int, workers: int) -> tuple[float, float]:
    """generate_dataset with n_pairs train pairs: (pairs per wall second, CPU ms per pair).

    The CPU time is this process's: meaningful for ``workers=1`` only (workers are
    forkserver children, whose time this process cannot see).
    """
    from hdrisp.synth import generate_dataset

    with tempfile.TemporaryDirectory() as tmp:
        start, start_cpu = time.perf_counter(), time.process_time()
        generate_dataset(Path(tmp) / "set", n_train=n_pairs, n_test=0, patch=patch, seed=0,
                         workers=workers, n_full=0)
        wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
        return n_pairs / wall, 1000 * cpu / n_pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=80, help="pairs per end-to-end run")
    parser.add_argument("--patch", type=int, default=448)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=15, help="repeats per stage timing")
    args = parser.parse_args(argv)

    print(f"CPU cores: {os.cpu_count()}, load average: "
          f"{', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print(f"\nstages of one {args.patch}×{args.patch} pair (median of {args.repeats}, "
          "one thread)")
    print(f"{'stage':40s} {'wall ms':>8s} {'CPU ms':>8s}")
    for name, wall, cpu in stage_table(args.patch, args.repeats):
        print(f"{name:40s} {wall:8.1f} {cpu:8.1f}")
    print(f"\ngenerate_dataset, {args.pairs} pairs of {args.patch}×{args.patch} "
          "(process start-up included)")
    print(f"{'workers':>7s} {'pairs/s':>8s} {'CPU ms/pair':>12s} {'idle 2-core pairs/s':>20s}")
    for workers in args.workers:
        rate, cpu_ms = end_to_end(args.pairs, args.patch, workers)
        if workers == 1:  # pairs are independent: two idle cores make twice as many
            print(f"{workers:7d} {rate:8.1f} {cpu_ms:12.1f} {2000 / cpu_ms:20.1f}")
        else:
            print(f"{workers:7d} {rate:8.1f} {'-':>12s} {'-':>20s}")
    print("\ntarget: ≥ 20 pairs/s of 448×448 on 2 cores. On a loaded machine wall-clock rates "
          "fall;\nthe CPU time per pair (start-up included) gives the idle 2-core capacity.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
