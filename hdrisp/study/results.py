"""The study's tables: per-image rows in, one results CSV out (and back).

``results.csv`` has one row per (kind, set, method, metric):

- ``kind = summary``: ``mean`` over seeds of each seed's mean score and ``std`` over seeds
  (empty for a baseline, which has no seed), for ``set`` ``test`` (the test split, per image),
  ``cast`` (the cast set, per scene) and ``cast:<illuminant>`` (ΔE00 to the target of that
  illuminant's renderings);
- ``kind = paired``: an arm against the reference arm on ``test`` and ``cast``: ``diff``
  (arm − reference), its 95 % bootstrap interval ``ci_low``/``ci_high``, ``seed_sd``,
  ``p_value``, ``wins`` (share of images where the arm is better) and ``verdict``
  (:mod:`hdrisp.study.stats`).

``better`` says which way is better for the metric; ``label`` is the method's display name
and ``role`` is ``reference`` (the reference arm), ``arm`` or ``baseline``.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from hdrisp.errors import DatasetError
from hdrisp.study.design import ARMS, REFERENCE_ARM, Arm
from hdrisp.study.scoring import CAST_METRICS, TEST_METRICS
from hdrisp.study.stats import paired, seed_summary

HIGHER_IS_BETTER = {"psnr": True, "ssim": True, "delta_e2000": False, "hellinger": False,
                    "chroma_spread": False, "de_between": False, "de_target": False}
METRIC_LABELS = {"psnr": "PSNR (dB)", "ssim": "SSIM", "delta_e2000": "ΔE00",
                 "hellinger": "Hellinger", "chroma_spread": "chroma spread (a*b*)",
                 "de_between": "ΔE00 between illuminants", "de_target": "ΔE00 to target"}
COLUMNS = ("kind", "set", "method", "label", "role", "reference", "metric", "better", "n_seeds",
           "n_items", "mean", "std", "diff", "ci_low", "ci_high", "seed_sd", "p_value", "wins",
           "verdict")


def method_label(method: str) -> str:
    """Display name of an arm, or a baseline's own name (as the evaluation's tables and
    :data:`hdrisp.isp.BASELINES` name it: ``classical``, ``greyworld`` ...)."""
    if method in ARMS:
        return ARMS[method].label
    return method


def _scores(rows: Sequence[dict], method: str, set_name: str, metric: str,
            illuminant: str | None = None) -> tuple[list, np.ndarray]:
    """(seeds, S×N scores) of ``method``: items in index (or scene) order, one row per seed."""
    key = "scene" if set_name == "cast_scene" else "index"
    by_seed: dict = {}
    for r in rows:
        if r["method"] != method or r["set"] != set_name:
            continue
        if illuminant is not None and r.get("illuminant") != illuminant:
            continue
        by_seed.setdefault(r.get("seed"), {})[int(r[key])] = float(r[metric])
    seeds = sorted(by_seed, key=lambda s: -1 if s is None or s == "" else int(s))
    if not seeds:
        return [], np.empty((0, 0))
    items = sorted(by_seed[seeds[0]])
    for s in seeds:
        if sorted(by_seed[s]) != items:
            raise DatasetError(f"{method}: seed {s} scored other {set_name} items than seed "
                               f"{seeds[0]}")
    return seeds, np.array([[by_seed[s][i] for i in items] for s in seeds])


def build_results(rows: Sequence[dict], arms: Sequence[Arm], baselines: Sequence[str] = (),
                  illuminants: Sequence[str] = ()) -> list[dict]:
    """The results rows (module docstring) of ``arms`` and ``baselines``, in that order."""
    labels = {a.name: a.label for a in arms}
    labels.update({b: method_label(b) for b in baselines})
    roles = {a.name: "reference" if a.name == REFERENCE_ARM else "arm" for a in arms}
    roles.update({b: "baseline" for b in baselines})
    methods = list(labels)
    out: list[dict] = []

    def row(kind: str, set_name: str, method: str, metric: str, **values) -> dict:
        return _row(kind, set_name, method, metric, label=labels[method], role=roles[method],
                    **values)

    sets = [("test", "test", TEST_METRICS, None), ("cast", "cast_scene", CAST_METRICS, None)]
    sets += [(f"cast:{name}", "cast", ("de_target",), name) for name in illuminants]
    for set_name, source, metrics, illuminant in sets:
        for method in methods:
            for metric in metrics:
                seeds, scores = _scores(rows, method, source, metric, illuminant)
                if not seeds:
                    continue
                mean, std = seed_summary(scores)
                out.append(row("summary", set_name, method, metric, n_seeds=len(seeds),
                               n_items=scores.shape[1], mean=mean,
                               std=std if roles[method] != "baseline" else None))
    if REFERENCE_ARM not in roles:
        return out
    for set_name, source, metrics in (("test", "test", TEST_METRICS),
                                      ("cast", "cast_scene", CAST_METRICS)):
        for method in methods:
            if roles[method] != "arm":
                continue
            for metric in metrics:
                seeds, scores = _scores(rows, method, source, metric)
                ref_seeds, ref = _scores(rows, REFERENCE_ARM, source, metric)
                common = [s for s in seeds if s in ref_seeds]
                if len(common) == 0:
                    continue
                a = scores[[seeds.index(s) for s in common]]
                b = ref[[ref_seeds.index(s) for s in common]]
                p = paired(a, b, higher_is_better=HIGHER_IS_BETTER[metric])
                out.append(row("paired", set_name, method, metric, reference=REFERENCE_ARM,
                               n_seeds=p.n_seeds, n_items=p.n_items, diff=p.diff,
                               ci_low=p.ci_low, ci_high=p.ci_high, seed_sd=p.seed_sd,
                               p_value=p.p_value, wins=p.wins, verdict=p.verdict))
    return out


def _row(kind: str, set_name: str, method: str, metric: str, **values) -> dict:
    row = {"kind": kind, "set": set_name, "method": method, "reference": "", "metric": metric,
           "better": "higher" if HIGHER_IS_BETTER[metric] else "lower"}
    row.update(values)
    return {c: row.get(c) for c in COLUMNS}


def _fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.6g}"
    return str(value)


def csv_text(rows: Iterable[dict], columns: Sequence[str]) -> str:
    """CSV text of ``rows`` (floats to 6 significant digits, None and NaN empty)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n",
                            extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: _fmt(row.get(c)) for c in columns})
    return buffer.getvalue()


def write_csv(path: str | os.PathLike, rows: Iterable[dict], columns: Sequence[str]) -> Path:
    """Write ``rows`` atomically (a temporary file, then a rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(csv_text(rows, columns), encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_csv(path: str | os.PathLike) -> list[dict]:
    """Rows of a study CSV; numbers as floats (ints for counts), empty cells as None."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DatasetError(f"cannot read the study's results ({exc.strerror or exc})",
                           path) from None
    rows = []
    for raw in csv.DictReader(io.StringIO(text)):
        row: dict = {}
        for key, value in raw.items():
            row[key] = _parse(key, value)
        rows.append(row)
    return rows


_TEXT = {"kind", "set", "method", "label", "role", "reference", "metric", "better", "verdict",
         "illuminant", "arm"}


def _parse(key: str, value: str | None):
    if value is None or value == "":
        return None
    if key in _TEXT:
        return value
    if key in ("n_seeds", "n_items", "index", "scene", "seed"):
        return int(float(value))
    return float(value)


__all__ = ["COLUMNS", "HIGHER_IS_BETTER", "METRIC_LABELS", "build_results", "csv_text",
           "method_label", "read_csv", "write_csv"]
