"""Colour accuracy on the real ColorChecker DNG: the classical pipeline, LibRaw, and networks.

Develops the Canon EOS 550D colour-chart DNG shipped with the lessons with the classical pipeline
at as-shot white balance, with LibRaw's own develop and, for each ``--weights`` given,
with the network (``hdrisp develop``'s path: :class:`hdrisp.inference.Developer`), and
prints the chart table of :mod:`hdrisp.evaluation.chart`: mean CIEDE2000 of the 24 patches
after one exposure gain fitted on the neutral patches, mean hue-angle error of the 18
chromatic patches, mean chroma of the neutral patches 19-23, and the whole-frame ΔE00 to
LibRaw's develop (exposure-matched). Issue #16's acceptance: the network no worse than
the classical pipeline on the first three, and within 2 ΔE00 of it on the last.

A second table scores the same on the synthetic camera's ColorChecker
(:mod:`hdrisp.evaluation.synthetic_chart`: the training camera, light and exposure), which
isolates the network's own colour rendering.

Usage:
    python benchmarks/bench_chart.py [--weights runs/tutorial/checkpoints/last.pt ...]
        [--model rawtonemap] [--level 0] [--device auto] [--precision fp32]
        [--patches] [--save-dir DIR]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import imageio.v3 as iio
import numpy as np

from hdrisp import isp
from hdrisp.evaluation.chart import (
    CHROMATIC,
    NEUTRAL,
    draw_boxes,
    load_chart,
    score_chart,
)
from hdrisp.evaluation.chart_report import (
    CLASSICAL,
    LIBRAW,
    chart_rows,
    develop_with_network,
    shortfalls,
)
from hdrisp.evaluation.report import load_model
from hdrisp.evaluation.synthetic_chart import synthetic_chart
from hdrisp.inference import Developer
from hdrisp.raw import pack, read_raw, to_uint8
from hdrisp.raw.normalization import Normalization
from hdrisp.tutorial import sample_raw_file

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
CHART = DATA / "colorchecker_canon550d.json"
ISSUE_16 = {"classical (as-shot WB)": (14.9, 27.6, 27.2, 6.2), "LibRaw": (18.6, 29.4, 30.8, 0.0),
            "network (make tutorial)": (26.5, 58.0, 36.2, 12.2)}


def synthetic_table(weights: list[Path], args) -> str:
    """The same three numbers on the synthetic camera's ColorChecker
    (:func:`hdrisp.evaluation.synthetic_chart.synthetic_chart`: the training camera, light
    and exposure): the network's colour rendering without the real chart's other light,
    exposure and optics."""
    raw, chart = synthetic_chart()
    packed = pack(Normalization("levels").apply(raw), raw.cfa)
    rows = {"classical (the raw's WB and matrix)": to_uint8(isp.classical_isp(raw))}
    for k, path in enumerate(weights):
        developer = Developer(load_model(args.model, args.level, path), level=args.level,
                              device=args.device, precision=args.precision, compile=False)
        rows[f"{args.model} L{args.level} (#{k + 1}: {path.parent.parent.name}/{path.name})"] \
            = developer.develop_packed(packed)
    lines = [f"{chart.raw_file}:",
             f"| {'method':<48} | ΔE00 ↓ | hue error ° ↓ | neutral C* ↓ |",
             f"|{'-' * 50}|--------|---------------|--------------|"]
    for label, image in rows.items():
        score = score_chart(image, chart)
        lines.append(f"| {label:<48} | {score.mean_delta_e:6.2f} | "
                     f"{score.mean_hue_error:13.1f} | {score.mean_neutral_chroma:12.1f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chart", type=Path, default=CHART, help="chart file (boxes, values)")
    parser.add_argument("--raw", type=Path, default=None,
                        help="the chart's raw file (default: the DNG shipped with the lessons)")
    parser.add_argument("--weights", type=Path, action="append", default=[],
                        help="a network checkpoint or state dict (repeatable)")
    parser.add_argument("--model", default="rawtonemap", help="rawtonemap or pynet")
    parser.add_argument("--level", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--precision", default="fp32")
    parser.add_argument("--patches", action="store_true", help="also print ΔE00 per patch")
    parser.add_argument("--save-dir", type=Path, help="write each develop with its boxes")
    args = parser.parse_args()

    chart = load_chart(args.chart)
    raw_path = args.raw or sample_raw_file()
    raw = read_raw(raw_path)
    images: dict[str, np.ndarray] = {}
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    images[CLASSICAL] = to_uint8(isp.classical_isp(raw))
    seconds[CLASSICAL] = time.perf_counter() - start
    start = time.perf_counter()
    images[LIBRAW] = to_uint8(isp.libraw_develop(raw))
    seconds[LIBRAW] = time.perf_counter() - start
    for k, weights in enumerate(args.weights):
        label = f"{args.model} L{args.level} ({weights.name})"
        if label in images:  # checkpoints of several runs share a name (last.pt)
            label = f"{args.model} L{args.level} (#{k + 1}: {weights.parent.parent.name}/"\
                    f"{weights.name})"
        start = time.perf_counter()
        images[label] = develop_with_network(raw_path, weights, model=args.model,
                                             level=args.level, device=args.device,
                                             precision=args.precision)
        seconds[label] = time.perf_counter() - start

    print(f"{raw_path.name}: {len(chart.boxes)} patches, reference {chart.reference.source}")
    header = (f"| {'method':<40} | ΔE00 ↓ | hue error ° ↓ | neutral C* ↓ | frame ΔE00 to LibRaw ↓ "
              f"| gain | {'s':>4} | against the classical row |")
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    rows = {row.label: row for row in chart_rows(images, chart)}
    scores = {label: row.score for label, row in rows.items()}
    for label, row in rows.items():
        score = row.score
        verdict = "" if label in (CLASSICAL, LIBRAW) else \
            ("; ".join(shortfalls(row, rows[CLASSICAL])) or "no worse")
        print(f"| {label:<40} | {score.mean_delta_e:6.2f} | {score.mean_hue_error:13.1f} | "
              f"{score.mean_neutral_chroma:12.1f} | {row.frame:22.2f} | {score.gain:4.2f} | "
              f"{seconds[label]:4.1f} | {verdict} |")
    print("\nissue #16's numbers for comparison (ΔE00, hue °, neutral C*, frame ΔE00):")
    for label, row in ISSUE_16.items():
        print(f"  {label:<24} " + "  ".join(f"{v:5.1f}" for v in row))

    if args.patches:
        names = chart.reference.names
        print("\nΔE00 per patch (* chromatic: hue error in °; neutral: C*ab)")
        print(f"{'patch':<20}" + "".join(f"{label[:18]:>20}" for label in scores))
        for i, name in enumerate(names):
            cells = []
            for score in scores.values():
                extra = (f"{score.hue_error[i]:5.1f}°" if i in CHROMATIC else
                         f"C*{score.neutral_chroma[i - NEUTRAL[0]]:4.1f}" if i in NEUTRAL
                         else "")
                cells.append(f"{score.delta_e[i]:6.1f} {extra:>7}")
            print(f"{i + 1:>2} {name[:17]:<17}" + "".join(f"{c:>20}" for c in cells))

    print(f"\n{synthetic_table(args.weights, args)}")

    if args.save_dir:
        args.save_dir.mkdir(parents=True, exist_ok=True)
        for label, img in images.items():
            name = "".join(ch if ch.isalnum() else "_" for ch in label).strip("_")
            iio.imwrite(args.save_dir / f"{name}.png", draw_boxes(img, chart))
        print(f"\ndevelops with their boxes in {args.save_dir}")


if __name__ == "__main__":
    main()
