"""Time the evaluation's pieces: each metric and each classical baseline, per image.

Two sizes: a training patch (448×448, as ``hdrisp evaluate`` scores on the paper's test
split) and a full frame (the real Canon DNG shipped with the lessons, 1156×1734, when it is
there; otherwise a synthetic mosaic of that size). Metrics score a smoothed noisy copy
against the original; the baselines develop the mosaic. The median of ``--repeat`` runs
is reported, in milliseconds, with one torch thread. On a shared machine compare rows of
one run only.

Usage: python benchmarks/bench_evaluation.py [--repeat 3] [--skip-full]
"""

from __future__ import annotations

import argparse
import statistics
import time
from functools import partial

import numpy as np
import torch

from hdrisp import isp
from hdrisp.evaluation import metrics
from hdrisp.raw import bayer
from hdrisp.tutorial import sample_raw_file

REAL_DNG = sample_raw_file()


def _median_ms(fn, repeat: int) -> float:
    fn()  # warm-up (imports, OpenCV/torch first-call costs)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def _frame(height: int, width: int, full: bool) -> tuple[isp.LinearMosaic, str]:
    if full and REAL_DNG.is_file():
        from hdrisp.raw import read_raw

        return isp.as_linear_mosaic(read_raw(REAL_DNG)), "real DNG"
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:height, 0:width]
    rgb = 0.5 + 0.4 * np.stack([np.sin(x / 31), np.cos(y / 17), np.sin((x + y) / 45)], -1)
    rgb = np.clip(rgb + 0.02 * rng.standard_normal(rgb.shape), 0, 1).astype(np.float32)
    return isp.LinearMosaic(bayer.mosaic_rgb(rgb, "RGGB")), "synthetic"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-full", action="store_true", help="only the 448×448 patch")
    args = parser.parse_args()
    torch.set_num_threads(1)

    sizes = [(448, 448, False)] + ([] if args.skip_full else [(1156, 1734, True)])
    rows = []
    for height, width, full in sizes:
        mosaic, source = _frame(height, width, full)
        label = f"{mosaic.data.shape[0]}×{mosaic.data.shape[1]} {source}"
        target_np = isp.classical_isp(mosaic)
        target = torch.from_numpy(target_np).permute(2, 0, 1)[None].contiguous()
        pred = (target + 0.03 * torch.randn(target.shape, generator=torch.Generator()
                                             .manual_seed(0))).clamp(0, 1)
        for name in (*metrics.FULL_REFERENCE, *metrics.OFFLINE_NO_REFERENCE):
            metric = metrics.METRICS[name]
            inputs = (pred, target) if metric.kind == "full-reference" else (pred,)
            rows.append((label, f"metric {name}",
                         _median_ms(partial(metric.fn, *inputs), args.repeat)))
        for name in isp.BASELINES:
            try:
                isp.run_baseline(name, mosaic)
            except isp.BaselineUnavailable:
                continue
            rows.append((label, f"baseline {name}",
                         _median_ms(partial(isp.run_baseline, name, mosaic), args.repeat)))

    width = max(len(r[0]) for r in rows)
    print(f"{'image':<{width}}  {'what':<22} {'ms':>9}")
    for label, what, ms in rows:
        print(f"{label:<{width}}  {what:<22} {ms:9.1f}")


if __name__ == "__main__":
    main()
