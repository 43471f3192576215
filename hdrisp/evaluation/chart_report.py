"""The chart table: one chart raw developed three ways, scored, and judged.

:mod:`hdrisp.evaluation.chart` scores one developed image; this module makes the table that
``benchmarks/bench_chart.py``, ``benchmarks/bench_tutorial.py`` and the slow lesson test
print: the classical pipeline at the raw's as-shot white balance and colour matrix, LibRaw's
own develop, and any number of networks (``hdrisp develop``'s path,
:class:`hdrisp.inference.Developer`), each with its chart score and its whole-frame ΔE2000
to LibRaw's develop. :func:`shortfalls` says where a network falls short of the bar a learned
ISP must clear on a real chart: no worse than the classical pipeline on the mean ΔE2000, the
mean hue error and the neutral patches' chroma, and within 2 ΔE2000 of its distance to
LibRaw's frame.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import imageio.v3 as iio
import numpy as np

from hdrisp import isp
from hdrisp.evaluation.chart import Chart, ChartScore, frame_distance, score_chart
from hdrisp.evaluation.report import load_model
from hdrisp.inference import Developer
from hdrisp.raw import read_raw, to_uint8

CLASSICAL, LIBRAW = "classical (as-shot WB)", "LibRaw"
FRAME_MARGIN = 2.0  # ΔE2000 a network's frame may lie further from LibRaw's than classical's


@dataclass(frozen=True)
class ChartRow:
    """One method's line of the table: its chart score and its frame's ΔE2000 to LibRaw."""

    label: str
    score: ChartScore
    frame: float


def develop_chart(raw_path: str | os.PathLike, weights: dict[str, str | os.PathLike],
                  *, model: str = "rawtonemap", level: int = 0, device: str = "cpu",
                  precision: str = "fp32") -> dict[str, np.ndarray]:
    """The raw developed by the classical pipeline, LibRaw and each network of ``weights``
    (label → checkpoint) → label → uint8 H×W×3 sRGB."""
    raw = read_raw(raw_path)
    images = {CLASSICAL: to_uint8(isp.classical_isp(raw)),
              LIBRAW: to_uint8(isp.libraw_develop(raw))}
    for label, path in weights.items():
        images[label] = develop_with_network(raw_path, path, model=model, level=level,
                                             device=device, precision=precision)
    return images


def develop_with_network(raw_path: str | os.PathLike, weights: str | os.PathLike, *,
                         model: str = "rawtonemap", level: int = 0, device: str = "cpu",
                         precision: str = "fp32") -> np.ndarray:
    """One raw developed by one network as ``hdrisp develop`` does → uint8 H×W×3 sRGB."""
    developer = Developer(load_model(model, level, Path(weights)), level=level, device=device,
                          precision=precision, compile=False)
    with tempfile.TemporaryDirectory() as folder:
        return iio.imread(developer.develop_file(raw_path, folder))


def chart_rows(images: dict[str, np.ndarray], chart: Chart) -> list[ChartRow]:
    """Score every image of :func:`develop_chart` (which must hold LibRaw's)."""
    return [ChartRow(label, score_chart(image, chart),
                     frame_distance(image, images[LIBRAW])[1])
            for label, image in images.items()]


def shortfalls(row: ChartRow, classical: ChartRow) -> list[str]:
    """Where ``row`` falls short of the bar (module docstring); empty when it clears it."""
    ours, theirs = row.score, classical.score
    unmet = [f"{name} {mine:.1f} > {base:.1f}"
             for name, mine, base in (("ΔE2000", ours.mean_delta_e, theirs.mean_delta_e),
                                      ("hue error", ours.mean_hue_error, theirs.mean_hue_error),
                                      ("neutral chroma", ours.mean_neutral_chroma,
                                       theirs.mean_neutral_chroma))
             if mine > base]
    if row.frame > classical.frame + FRAME_MARGIN:
        unmet.append(f"frame ΔE2000 to LibRaw {row.frame:.2f} > {classical.frame:.2f} + "
                     f"{FRAME_MARGIN:g}")
    return unmet


def chart_markdown(rows: list[ChartRow], title: str) -> str:
    """The table as Markdown, with a last column saying which rows clear the bar."""
    classical = next(r for r in rows if r.label == CLASSICAL)
    lines = [f"*{title}*", "",
             "| method | ΔE2000 ↓ | hue error ° ↓ | neutral C* ↓ | frame ΔE2000 to LibRaw ↓ "
             "| against the classical row |", "|---|---|---|---|---|---|"]
    for row in rows:
        verdict = "" if row.label in (CLASSICAL, LIBRAW) else \
            ("; ".join(shortfalls(row, classical)) or "no worse")
        lines.append(f"| {row.label} | {row.score.mean_delta_e:.2f} | "
                     f"{row.score.mean_hue_error:.1f} | {row.score.mean_neutral_chroma:.1f} | "
                     f"{row.frame:.2f} | {verdict} |")
    return "\n".join(lines)


__all__ = ["CLASSICAL", "FRAME_MARGIN", "LIBRAW", "ChartRow", "chart_markdown", "chart_rows",
           "develop_chart", "develop_with_network", "shortfalls"]
