"""The tutorial's results: a trained run's level-0 network against every baseline, on the
held-out test patches and the held-out full frames, as a JSON file and a Markdown table.

``hdrisp demo`` and ``benchmarks/bench_tutorial.py`` write them with :func:`collect_results`
and :func:`write_results`; a full demo run from a source checkout also writes
``notebooks/results/tutorial.json`` (:data:`COMMITTED`), the file lessons 03 and 04 quote
their expected numbers from (:func:`expected_numbers`), so that no number in a lesson is
typed by hand. A smoke run (a few steps per level) records ``"smoke": true`` in its config
(:func:`run_is_smoke`); the lessons show :func:`smoke_banner` whenever they load one.

Format (``FORMAT``; :func:`format_signature` is what a fresh run must share with the
committed file)::

    {"format": 1, "smoke": false, "config": "tiny", "written": ISO time, "hdrisp": version,
     "machine": {"cpu_cores": 2, "device": "cpu", "load_1min": 0.3},
     "training": {"wall_s": 212.0, "steps": 1500, "levels": [4, 3, 2, 1, 0]},
     "data": {"name": "synthetic", "test_scenes": [...], "train_scenes": [...]},
     "network": "RawTonemapNet L0 (last.pt)",
     "patches": {"images": 60, "methods": {NAME: {"psnr": dB, "delta_e2000": ΔE00,
                                                  "lowfreq_delta_e": ΔE00, "given": text}}},
     "frames": {...the same, on the full-resolution frames developed whole...}}
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from collections.abc import Sequence
from pathlib import Path

import yaml

try:  # the notebooks extra
    from IPython import get_ipython
    from IPython.display import HTML, display
except ImportError:  # pragma: no cover
    get_ipython = None  # type: ignore[assignment]

from hdrisp import __version__, isp
from hdrisp.errors import ConfigError, DatasetError, output_error
from hdrisp.evaluation.report import EvaluationReport, evaluate, evaluate_frames
from hdrisp.runtime import DEFAULT_THREADS

FORMAT = 1
METRICS = ("psnr", "delta_e2000", "lowfreq_delta_e")
"""What the tables report: PSNR (dB, higher is better), mean CIEDE2000 and the 99th
percentile of the low-passed CIEDE2000 map (blotches, halos; both lower is better)."""
COMMITTED = Path(__file__).resolve().parents[2] / "notebooks" / "results" / "tutorial.json"
"""The committed results of the last full demo run, in a source checkout."""
SMOKE_BANNER = ("SMOKE RUN: this run trained a few steps per level on tiny patches to show the "
                "plumbing; its network is untrained and its pictures and numbers mean nothing. "
                "Run the lesson with SMOKE = False (or `make demo`) for a real network.")


# --------------------------------------------------------------------------- smoke runs


def run_is_smoke(run_dir: str | os.PathLike) -> bool:
    """Whether ``run_dir`` was trained in smoke mode (its ``config.yaml``, or any level's,
    says ``smoke: true``; :func:`hdrisp.tutorial.smoke_config` sets it)."""
    run = Path(run_dir)
    for path in [run / "config.yaml", *sorted(run.glob("level*/config.yaml"))]:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(data, dict) and data.get("smoke"):
            return True
    return False


def smoke_banner(run_dir: str | os.PathLike) -> str | None:
    """The banner a lesson shows for a smoke-mode run (None for a real one)."""
    return SMOKE_BANNER if run_is_smoke(run_dir) else None


def show_run_banner(run_dir: str | os.PathLike) -> bool:
    """Show :func:`smoke_banner` (as a red box in a notebook, as text elsewhere) when
    ``run_dir`` is a smoke run; returns whether it is."""
    banner = smoke_banner(run_dir)
    if banner is None:
        return False
    if get_ipython is not None and get_ipython() is not None:
        display(HTML(f'<div style="border:3px solid #c00;background:#fee;padding:8px;'
                     f'font-weight:bold">⚠ {banner}</div>'))
    else:
        print(f"⚠ {banner}")
    return True


# --------------------------------------------------------------------------- collecting


def training_wall_s(run_dir: str | os.PathLike) -> float | None:
    """Seconds of training wall time of a finished run, from its files: for each level, from
    its ``config.yaml`` (written when the level starts) to its ``last.pt``; None without
    them. (A level that was interrupted and resumed later counts the pause too.)"""
    total, found = 0.0, False
    for level in sorted(Path(run_dir).glob("level?")):
        start, end = level / "config.yaml", level / "last.pt"
        if start.is_file() and end.is_file():
            total += max(0.0, end.stat().st_mtime - start.stat().st_mtime)
            found = True
    return total if found else None


def _rows(report: EvaluationReport) -> dict:
    return {"images": report.n_images,
            "methods": {m: {**{k: _num(report.summary[m][k]) for k in METRICS},
                            "given": report.given.get(m, "")} for m in report.summary}}


def _num(value: float) -> float | None:
    return None if math.isnan(value) else round(float(value), 3)


def collect_results(run_dir: str | os.PathLike, data_root: str | os.PathLike, *,
                    out_dir: str | os.PathLike, config_name: str = "tiny",
                    weights: str | os.PathLike | None = None,
                    baselines: Sequence[str] = tuple(isp.BASELINES),
                    train_wall_s: float | None = None, device: str = "cpu",
                    precision: str = "fp32", limit: int | None = None,
                    progress: bool = True, patches_dir: str | os.PathLike | None = None,
                    patch_metrics: Sequence[str] = METRICS) -> dict:
    """Score the run's level-0 network (``weights``, default ``run_dir/level0/last.pt``) and
    every baseline on the test patches and the full frames of ``data_root``; the tables are
    written to ``out_dir`` (``metrics.md``, ``frames_metrics.md`` …).

    ``patches_dir`` (default ``out_dir``) takes the patches' tables instead, scored with
    ``patch_metrics`` (which must include :data:`METRICS`) and reused when an identical
    report is there already (``evaluate(..., reuse=True)``): ``hdrisp demo`` scores into the
    run's ``evaluation/`` folder with every full-reference metric, the call lesson 04 makes.

    Returns:
        The results dict (module docstring), ``smoke`` read from the run's config.
    """
    weights = Path(weights) if weights is not None else Path(run_dir) / "level0" / "last.pt"
    if not weights.is_file():
        raise DatasetError("no finished level-0 checkpoint to evaluate: train first", weights)
    missing = [m for m in METRICS if m not in patch_metrics]
    if missing:
        raise ConfigError(f"patch_metrics must include {', '.join(missing)}")
    patches = evaluate(data_root, weights, out_dir=patches_dir or out_dir, baselines=baselines,
                       metrics=tuple(patch_metrics), device=device, precision=precision,
                       limit=limit, progress=progress, reuse=True)
    frames = evaluate_frames(data_root, weights, out_dir=out_dir, baselines=baselines,
                             metrics=METRICS, device=device, precision=precision,
                             save_images=True, progress=progress)
    try:
        manifest = json.loads((Path(data_root) / "manifest.json").read_text())
        splits = {k: v.get("scenes", []) for k, v in manifest.get("splits", {}).items()}
    except (OSError, ValueError, AttributeError):
        splits = {}
    try:
        load = round(os.getloadavg()[0], 2)
    except OSError:  # pragma: no cover - not on every platform
        load = None
    wall = train_wall_s if train_wall_s is not None else training_wall_s(run_dir)
    return {
        "format": FORMAT,
        "smoke": run_is_smoke(run_dir),
        "config": config_name,
        "written": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "hdrisp": __version__,
        "machine": {"cpu_cores": DEFAULT_THREADS, "device": device, "load_1min": load},
        "training": {"wall_s": None if wall is None else round(wall, 1),
                     "levels": sorted((int(p.name[5:]) for p in Path(run_dir).glob("level?")
                                       if (p / "last.pt").is_file()), reverse=True)},
        "data": {"name": Path(data_root).name, "test_scenes": splits.get("test", []),
                 "train_scenes": splits.get("train", [])},
        "network": next(iter(patches.summary)),
        "patches": _rows(patches),
        "frames": _rows(frames),
    }


# --------------------------------------------------------------------------- files


def write_results(results: dict, path: str | os.PathLike) -> Path:
    """Write ``results`` as indented JSON (atomically)."""
    out = Path(path)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n",
                       encoding="utf-8")
        os.replace(tmp, out)
    except OSError as exc:
        raise output_error(exc, out) from None
    return out


def load_results(path: str | os.PathLike = COMMITTED) -> dict:
    """Read a results file (:class:`~hdrisp.errors.DatasetError` when missing or not ours)."""
    try:
        results = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError:
        raise DatasetError("no tutorial results file here (a full `make demo` writes it)",
                           path) from None
    except ValueError as exc:
        raise DatasetError(f"not a results file ({exc})", path) from None
    if not isinstance(results, dict) or results.get("format") != FORMAT:
        raise DatasetError(f"not a format-{FORMAT} tutorial results file", path)
    return results


def format_signature(results: dict) -> dict:
    """The shape of a results dict: its keys (recursively) and value types, with the methods
    of each table listed — what a fresh run must share with the committed file."""
    def shape(value: object) -> object:
        if isinstance(value, dict):
            return {k: shape(v) for k, v in value.items()}
        if isinstance(value, list):
            return "list"
        if isinstance(value, bool):
            return "bool"
        if isinstance(value, int | float) or value is None:
            return "number"
        return type(value).__name__
    signature = shape(results)
    for table in ("patches", "frames"):  # method names: the network's label varies
        methods = results[table]["methods"]
        signature[table]["methods"] = {
            ("network" if m == results["network"] else m): shape(v) for m, v in methods.items()}
    return signature


def _best_baseline(table: dict, metric: str, network: str) -> tuple[str, float]:
    rows = [(m, v[metric]) for m, v in table["methods"].items()
            if m != network and v[metric] is not None]
    if not rows:
        raise ConfigError(f"no baseline has a {metric} value")
    return max(rows, key=lambda r: r[1]) if metric == "psnr" else min(rows, key=lambda r: r[1])


def results_markdown(results: dict) -> str:
    """The results as Markdown: one table for the patches and one for the frames, each with
    what every row was given, and a line on the training's wall time."""
    arrows = {"psnr": "PSNR dB ↑", "delta_e2000": "ΔE2000 ↓", "lowfreq_delta_e": "LF ΔE p99 ↓"}
    train = results["training"]
    wall = "?" if train["wall_s"] is None else f"{train['wall_s'] / 60:.1f} min"
    lines = [f"**{results['config']} config{' (SMOKE: untrained)' if results['smoke'] else ''}"
             f"**: trained in {wall} of wall time on {results['machine']['cpu_cores']} CPU "
             f"cores (load {results['machine']['load_1min']} when scored); held-out scenes "
             f"{', '.join(results['data']['test_scenes']) or '?'}.", ""]
    for table, title in (("patches", "test patch"), ("frames", "full frame")):
        rows = results[table]
        plural = "es" if title.endswith("patch") else "s"
        lines += [f"*{rows['images']} held-out {title}{plural if rows['images'] != 1 else ''}"
                  f"{', each developed whole' if table == 'frames' else ''}*", "",
                  "| method | " + " | ".join(arrows[m] for m in METRICS) + " | given |",
                  "|---" * (len(METRICS) + 2) + "|"]
        for method, values in rows["methods"].items():
            cells = ["n/a" if values[m] is None else f"{values[m]:.2f}" for m in METRICS]
            lines.append(f"| {method} | " + " | ".join(cells) + f" | {values['given']} |")
        lines.append("")
    return "\n".join(lines)


def expected_numbers(path: str | os.PathLike = COMMITTED) -> str:
    """A paragraph for lessons 03 and 04: what a full run of the tutorial config gives, read
    from the committed results file (or why there is none)."""
    try:
        results = load_results(path)
    except DatasetError as exc:
        return f"(No committed results to compare with: {exc.problem}.)"
    network = results["network"]
    parts = []
    for table, title in (("patches", "held-out test patch"),
                         ("frames", "held-out full frame")):
        net = results[table]["methods"][network]
        best_name, best_psnr = _best_baseline(results[table], "psnr", network)
        best_de = results[table]["methods"][best_name]["delta_e2000"]
        n = results[table]["images"]
        title += ("es" if title.endswith("patch") else "s") if n != 1 else ""
        parts.append(f"on the {n} {title} the level-0 network scores "
                     f"{net['psnr']:.2f} dB PSNR, ΔE2000 {net['delta_e2000']:.2f}, "
                     f"low-frequency ΔE p99 {net['lowfreq_delta_e']:.2f}, against "
                     f"{best_psnr:.2f} dB / {best_de:.2f} for the best baseline ({best_name})")
    wall = results["training"]["wall_s"]
    when = f"{wall / 60:.1f} min" if wall is not None else "an unknown time"
    if results["smoke"]:
        head = (f"The committed results are a placeholder from a SMOKE run of the "
                f"{results['config']} config (plumbing only, not what a full run gives; a full "
                f"`make demo` replaces them) ({results['written'][:10]}, trained in {when})")
    else:
        load = results["machine"].get("load_1min")
        busy = f", load average {load:g} when scored" if load is not None else ""
        head = (f"A full run of the {results['config']} config ({results['written'][:10]}, "
                f"trained in {when} of wall time on {results['machine']['cpu_cores']} CPU "
                f"cores{busy})")
    return head + ": " + "; ".join(parts) + "."


__all__ = ["COMMITTED", "FORMAT", "METRICS", "SMOKE_BANNER",
           "collect_results", "expected_numbers", "format_signature", "load_results",
           "results_markdown", "run_is_smoke", "show_run_banner", "smoke_banner",
           "training_wall_s", "write_results"]
