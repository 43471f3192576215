"""Scoring developed images: metrics, the evaluation report, the paper-style comparison figure.

- :mod:`hdrisp.evaluation.metrics` — PSNR, SSIM, MS-SSIM, CIEDE2000, the RGB-uv histogram
  distance (the loss's own maths) and no-reference scores; :func:`~metrics.get_metric`.
- :mod:`hdrisp.evaluation.report` — :func:`evaluate` runs the network, PyNET and every
  classical baseline over a split and writes the tables; :func:`load_model`,
  :func:`develop_methods`.
- :mod:`hdrisp.evaluation.compare` — :func:`comparison_figure` and :func:`compare_files`.
- :mod:`hdrisp.evaluation.chart` — colour accuracy on a real ColorChecker: :func:`load_chart`,
  :func:`score_chart` (ΔE00, hue error, neutral chroma), :func:`frame_distance`.
"""

from hdrisp.evaluation.chart import (
    Chart,
    ChartScore,
    colorchecker_reference,
    frame_distance,
    load_chart,
    score_chart,
)
from hdrisp.evaluation.compare import compare_files, comparison_figure, save_figure
from hdrisp.evaluation.report import (
    EvaluationReport,
    develop_methods,
    evaluate,
    load_model,
    markdown_table,
    model_label,
    run_model,
    write_tables,
)

__all__ = [
    "Chart", "ChartScore", "colorchecker_reference", "frame_distance", "load_chart",
    "score_chart",
    "EvaluationReport", "compare_files", "comparison_figure", "develop_methods", "evaluate",
    "load_model", "markdown_table", "model_label", "run_model", "save_figure", "write_tables",
]
