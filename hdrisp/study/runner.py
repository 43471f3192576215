"""Running the study: plan it, train every arm × seed one after another, score, tabulate, plot.

What a study folder holds (``runs/study/NAME`` by default)::

    study.yaml                 the plan: config, size, arms, seeds, compute matching
    cast_set/                  the colour-constancy test set (hdrisp.study.cast_set)
    ARM/seedS/                 a normal training run (config.yaml, level*/ ...) and
    ARM/seedS/eval/            its scores: per_image.csv, grid/ (one scene per illuminant),
                               done.json (what was scored, how long it took)
    baselines/eval/            the same for the classical baselines
    per_image.csv              every score of every method
    results.csv                the study's table (hdrisp.study.results)
    results.json               provenance: command, sizes, timings, versions, notes
    study.png, cast_grid.png   the figures (hdrisp.study.figures)

Everything resumes: a run whose ``eval/done.json`` matches the plan is not touched again, an
unfinished run continues from its checkpoints (``train_schedule(..., resume=True)``), and a
folder that holds a study of another plan is refused. Once a run is scored, its checkpoints
other than ``level0/last.pt`` are deleted (``keep_checkpoints`` keeps them), except those
another arm starts from.
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import yaml
from tqdm.auto import tqdm

from hdrisp import __version__
from hdrisp.config import to_dict
from hdrisp.errors import BaselineUnavailable, ConfigError, DatasetError
from hdrisp.evaluation.report import check_output_dir
from hdrisp.runtime import Runtime, set_threads
from hdrisp.study import scoring
from hdrisp.study.cast_set import CastSet, build_cast_set
from hdrisp.study.design import (
    ARMS,
    REFERENCE_ARM,
    Arm,
    StudySize,
    arm_config,
    default_size,
    matched_direct_steps,
    select_arms,
    shared_levels,
    shorten,
    study_size,
)
from hdrisp.study.figures import bar_figure, cast_grid
from hdrisp.study.results import COLUMNS as RESULTS_COLUMNS
from hdrisp.study.results import build_results, read_csv, write_csv
from hdrisp.synth import ensure_default_dataset
from hdrisp.training import load_config, train_level, train_schedule
from hdrisp.training.config import TrainConfig, replace

DEFAULT_BASELINES = ("greyworld", "classical")
"""Grey-world (no metadata) and the classical pipeline given the as-shot white balance and colour
matrix the synthetic set records: the evaluation's two plain-pipeline rows."""
PER_IMAGE_COLUMNS = scoring.COLUMNS


@dataclass(frozen=True)
class StudyPlan:
    """Everything that decides what a study trains and scores.

    Attributes:
        config_path: the YAML the schedule comes from.
        base: that config as loaded.
        config: the schedule at the study's size (:func:`hdrisp.study.design.shorten`).
        size: the :class:`~hdrisp.study.design.StudySize`.
        arms: the arms, in run order.
        baselines: classical baselines scored beside them (:data:`scoring.BASELINES`).
        data_root: the paired set (None: ``config.data.root``, else the synthetic default).
    """

    config_path: str
    base: TrainConfig
    config: TrainConfig
    size: StudySize
    arms: tuple[Arm, ...]
    baselines: tuple[str, ...] = DEFAULT_BASELINES
    data_root: str | None = None

    @property
    def smoke(self) -> bool:
        return self.size.name == "smoke"

    def runs(self) -> list[tuple[Arm, int]]:
        """(arm, seed) in run order: every arm of the first seed, then the next seed."""
        return [(arm, seed) for seed in self.size.seeds for arm in self.arms]


def plan_study(config: str | os.PathLike, *, size: str | None = None,
               fraction: float | None = None, seeds: Sequence[int] | None = None,
               arms: Sequence[str | Arm] | None = None, illuminants: Sequence[str] | None = None,
               cast_scenes: int | None = None,
               baselines: Sequence[str] = DEFAULT_BASELINES,
               data_root: str | os.PathLike | None = None) -> StudyPlan:
    """Make a :class:`StudyPlan` from a config file and the study's options.

    ``config`` is a shipped config's name (``tiny``, ``paper``, ``paper_code``) or a YAML
    file. ``size`` None picks ``tutorial`` for ``tiny`` and ``full`` for any other
    config (:func:`hdrisp.study.design.default_size`). ``arms`` names built-in arms or gives
    further :class:`~hdrisp.study.design.Arm` objects (lesson 05's exercises).
    """
    base = load_config(config)
    chosen = study_size(size or default_size(base), fraction=fraction, seeds=seeds,
                        illuminants=illuminants, cast_scenes=cast_scenes)
    unknown = [b for b in baselines if b not in scoring.BASELINES]
    if unknown:
        raise ConfigError(f"unknown baseline {unknown[0]!r} "
                          f"(known: {', '.join(scoring.BASELINES)})")
    return StudyPlan(str(config), base, shorten(base, chosen), chosen, select_arms(arms),
                     tuple(baselines), None if data_root is None else str(data_root))


@dataclass
class StudyResult:
    """Where a finished study wrote its tables and figures, and its results rows."""

    out: Path
    results: list[dict]
    paths: dict[str, Path] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)


def default_out(plan: StudyPlan) -> Path:
    """``runs/study/<config name>`` (``…_smoke`` for the smoke size)."""
    return Path("runs") / "study" / (plan.base.name + ("_smoke" if plan.smoke else ""))


class _Study:
    """One execution of a plan (see :func:`run_study`)."""

    def __init__(self, plan: StudyPlan, out: Path, device: str | None, precision: str | None,
                 progress: bool, keep_checkpoints: bool, command: str | None) -> None:
        self.plan, self.out = plan, out
        self.device, self.precision = device, precision
        self.progress, self.keep = progress, keep_checkpoints
        self.command = command
        self.notes: list[str] = []
        self.timings: list[dict] = []

    # ----------------------------------------------------------------- set-up
    def prepare(self) -> None:
        plan = self.plan
        check_output_dir(self.out)
        root = plan.data_root or plan.config.data.root
        self.data_root = Path(root) if root is not None else Path(
            ensure_default_dataset(smoke=plan.smoke, progress=self.progress))
        self.direct_steps, self.direct_detail = None, None
        if any(arm.direct for arm in plan.arms):
            self.direct_steps, self.direct_detail = matched_direct_steps(plan.config,
                                                                         self.data_root)
        self.plan_record = {
            "config_file": plan.config_path, "base_config": to_dict(plan.base),
            "study_config": to_dict(plan.config), "size": asdict(plan.size),
            "data_root": str(self.data_root.resolve()), "reference_arm": REFERENCE_ARM,
            "direct_steps": self.direct_steps, "direct_compute": self.direct_detail,
        }
        self._check_same_plan()
        self.cast: CastSet = build_cast_set(
            self.data_root, self.out / "cast_set", illuminants=plan.size.illuminants,
            scenes=plan.size.cast_scenes, layout=plan.config.data.layout,
            progress=self.progress)

    def _check_same_plan(self) -> None:
        path = self.out / "study.yaml"
        new = _plain(self.plan_record)
        if path.is_file():
            old = yaml.safe_load(path.read_text()) or {}
            if not _agree(old.get("plan", {}), new):
                raise ConfigError("this folder holds a study with another plan (config, size "
                                  "or data); choose another --out or delete the folder", path)
        record = {"hdrisp_study": 1, "plan": new,
                  "arms": [a.name for a in self.plan.arms], "seeds": list(self.plan.size.seeds),
                  "baselines": list(self.plan.baselines)}
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(yaml.safe_dump(record, sort_keys=False, allow_unicode=True))
        os.replace(tmp, path)

    # ----------------------------------------------------------------- runs
    def eval_settings(self) -> dict:
        size = self.plan.size
        return {"crop": size.eval_crop, "test_limit": size.test_limit,
                "cast": self.cast.parameters}

    def run_folder(self, arm: Arm, seed: int) -> Path:
        return self.out / arm.name / f"seed{seed}"

    def arm_config(self, arm: Arm, seed: int) -> TrainConfig:
        """The run's training config (as it trains here: no per-level progress bars)."""
        config = arm_config(self.plan.config, arm, seed, self.direct_steps)
        return replace(config, logging={"progress": False})

    def trained(self, arm: Arm, seed: int) -> Path | None:
        """The run's level0/last.pt when a finished and scored run of this very config is
        there (its checkpoints may be pruned, so resuming it would train it again)."""
        folder = self.run_folder(arm, seed)
        last, saved = folder / "level0" / "last.pt", folder / "level0" / "config.yaml"
        if not ((folder / "eval" / "done.json").is_file() and last.is_file()
                and saved.is_file()):
            return None
        expected = _plain(to_dict(replace(self.arm_config(arm, seed),
                                          data={"root": str(self.data_root)})))
        return last if _agree(yaml.safe_load(saved.read_text()) or {}, expected) else None

    def train(self, arm: Arm, seed: int, bar: tqdm) -> Path:
        config = self.arm_config(arm, seed)
        folder = self.run_folder(arm, seed)

        def on_event(event: str, info: dict) -> None:
            if event == "step":
                bar.set_postfix_str(f"{arm.name} seed {seed}: level {info['level']} "
                                    f"step {info['step']}", refresh=True)

        kwargs = dict(data_root=self.data_root, resume=True, device=self.device,
                      precision=self.precision, callbacks=[on_event])
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / "train_output.log", "a", encoding="utf-8") as log, \
                contextlib.redirect_stdout(log):
            if arm.direct:
                train_level(config, 0, out=folder, **kwargs)
            elif arm.shares_with:
                shared = shared_levels(config, arm)
                start = self.run_folder(ARMS[arm.shares_with], seed) / \
                    f"level{min(shared)}" / "last.pt"
                if not start.is_file():
                    raise ConfigError(f"arm {arm.name} starts from {arm.shares_with}'s level "
                                      f"{min(shared)}, which is missing; run that arm first",
                                      start)
                levels = [r.level for r in config.levels if r.level not in shared]
                train_schedule(config, out=folder, levels=levels, init=start, **kwargs)
            else:
                train_schedule(config, out=folder, **kwargs)
        return folder / "level0" / "last.pt"

    def score(self, develop: scoring.Develop, eval_dir: Path, *,
              grid: bool = True) -> list[dict]:
        size = self.plan.size
        rows = scoring.score_test(develop, self.data_root, crop=size.eval_crop,
                                  limit=size.test_limit)
        rows += scoring.score_cast(develop, self.cast, crop=size.eval_crop, grid_scene=0,
                                   grid_dir=eval_dir / "grid" if grid else None)
        return rows

    def arm_rows(self, arm: Arm, seed: int, bar: tqdm) -> list[dict]:
        folder = self.run_folder(arm, seed)
        config = self.arm_config(arm, seed)
        key = {"train": _plain(to_dict(config)), "eval": _plain(self.eval_settings())}
        cached = _cached(folder / "eval", key)
        if cached is not None:
            self.timings.append(cached[1])
            return cached[0]
        wall, cpu = time.perf_counter(), time.process_time()
        weights = self.trained(arm, seed) or self.train(arm, seed, bar)
        train_wall, train_cpu = time.perf_counter() - wall, time.process_time() - cpu
        runtime = Runtime.resolve(self.device or config.runtime.device,
                                  self.precision or config.runtime.precision)
        rows = self.score(scoring.network(weights, runtime), folder / "eval",
                          grid=seed == self.plan.size.seeds[0])
        rows = [{"method": arm.name, "arm": arm.name, "seed": seed, **r} for r in rows]
        timing = {"run": f"{arm.name}/seed{seed}", "train_wall_s": train_wall,
                  "train_cpu_s": train_cpu, "eval_wall_s": time.perf_counter() - wall - train_wall,
                  "eval_cpu_s": time.process_time() - cpu - train_cpu}
        _save_eval(folder / "eval", key, rows, timing)
        self.timings.append(timing)
        return rows

    def baseline_rows(self) -> list[dict]:
        folder = self.out / "baselines" / "eval"
        key = _plain({"baselines": list(self.plan.baselines), "eval": self.eval_settings(),
                      "data": str(self.data_root.resolve())})
        cached = _cached(folder, key)
        if cached is not None:
            self.notes += cached[1].get("notes", [])
            self.timings.append(cached[1])
            return cached[0]
        wall, cpu = time.perf_counter(), time.process_time()
        rows, notes = [], []
        for name in self.plan.baselines:
            develop = scoring.baseline(name)
            try:
                scored = self.score(develop, folder / name)
            except BaselineUnavailable as exc:
                notes.append(f"{name}: not run ({exc.problem})")
                continue
            notes.append(f"{name} given: {'; '.join(sorted(develop.given))}")
            rows += [{"method": name, "arm": "", "seed": None, **r} for r in scored]
        timing = {"run": "baselines", "eval_wall_s": time.perf_counter() - wall,
                  "eval_cpu_s": time.process_time() - cpu, "notes": notes}
        _save_eval(folder, key, rows, timing)
        self.notes += notes
        self.timings.append(timing)
        return rows

    def prune(self, arm: Arm, seed: int) -> None:
        """Delete the scored run's checkpoints but level0/last.pt and those others need."""
        if self.keep:
            return
        needed = set()
        for other in self.plan.arms:
            if other.shares_with == arm.name:
                shared = shared_levels(self.plan.config, other)
                needed.add(f"level{min(shared)}/last.pt")
        folder = self.run_folder(arm, seed)
        for path in folder.glob("level*/*.pt"):
            rel = f"{path.parent.name}/{path.name}"
            if rel != "level0/last.pt" and rel not in needed:
                path.unlink()

    # ----------------------------------------------------------------- the whole study
    def run(self) -> StudyResult:
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        self.prepare()
        runs = self.plan.runs()
        rows: list[dict] = []
        bar = tqdm(total=len(runs) + 1, desc="study", unit="run", disable=not self.progress,
                   dynamic_ncols=True)
        try:
            for arm, seed in runs:
                bar.set_postfix_str(f"{arm.name} seed {seed}", refresh=True)
                rows += self.arm_rows(arm, seed, bar)
                bar.update()
            for arm, seed in runs:
                self.prune(arm, seed)
            bar.set_postfix_str("classical baselines", refresh=True)
            rows += self.baseline_rows()
            bar.update()
        finally:
            bar.close()
        results = build_results(rows, self.plan.arms, self.plan.baselines,
                                self.plan.size.illuminants)
        paths = {"per_image": write_csv(self.out / "per_image.csv", rows, PER_IMAGE_COLUMNS),
                 "results": write_csv(self.out / "results.csv", results,
                                      RESULTS_COLUMNS)}
        meta = self.meta(time.perf_counter() - start_wall, time.process_time() - start_cpu)
        paths["meta"] = _write_json(self.out / "results.json", meta)
        paths["figure"], paths["grid"] = draw_figures(self.out)
        return StudyResult(self.out, results, paths, meta)

    def meta(self, wall: float, cpu: float) -> dict:
        plan, size = self.plan, self.plan.size
        perceptual = _perceptual(self.out, plan)
        fraction = "smoke schedule" if size.fraction is None else f"{size.fraction:g}"
        title = (f"{size.name} study of {plan.base.name} ({len(size.seeds)} seeds; steps × "
                 f"{fraction})" + (" — a plumbing check, not evidence" if plan.smoke else ""))
        if perceptual:
            self.notes.append(f"perceptual term: {perceptual}")
        return {
            "title": title, "size": size.name, "smoke": plan.smoke, "config": plan.config_path,
            "config_name": plan.base.name, "fraction": size.fraction, "seeds": list(size.seeds),
            "arms": [a.name for a in plan.arms], "reference": REFERENCE_ARM,
            "baselines": list(plan.baselines), "illuminants": list(size.illuminants),
            "cast_scenes": self.cast.scenes, "eval_crop": size.eval_crop,
            "test_limit": size.test_limit, "direct_steps": self.direct_steps,
            "direct_compute": self.direct_detail,
            "schedule": [{"level": r.level, "batch": r.batch, "steps": r.steps,
                          "epochs": r.epochs, "patch": r.patch} for r in plan.config.levels],
            "command": self.command, "data_root": _shown(self.data_root),
            "date": datetime.date.today().isoformat(), "wall_s": round(wall, 1),
            "cpu_s": round(cpu, 1),
            "runs_cpu_s": round(sum(t.get("train_cpu_s", 0.0) + t.get("eval_cpu_s", 0.0)
                                    for t in self.timings), 1),
            "runs_wall_s": round(sum(t.get("train_wall_s", 0.0) + t.get("eval_wall_s", 0.0)
                                     for t in self.timings), 1),
            "runs": self.timings, "notes": self.notes,
            "machine": {"python": platform.python_version(), "torch": torch.__version__,
                        "hdrisp": __version__, "cpus": os.cpu_count(),
                        "device": self.device or plan.config.runtime.device,
                        "platform": platform.platform(terse=True)},
            "git": _git_commit(),
        }


def run_study(plan: StudyPlan, out: str | os.PathLike | None = None, *,
              device: str | None = None, precision: str | None = None, progress: bool = True,
              keep_checkpoints: bool = False, command: str | None = None) -> StudyResult:
    """Run (or resume) the study of ``plan`` into ``out`` (default :func:`default_out`).

    Trains every arm × seed one after another (one progress bar over the runs; each run's
    own output goes to its ``train_output.log``), scores each on the test split and the cast
    set, scores the baselines, and writes the tables and figures (module docstring).

    Args:
        device, precision: override the config's ``runtime`` (as ``hdrisp train`` does).
        progress: show the progress bar.
        keep_checkpoints: keep every checkpoint of the scored runs.
        command: the command line, recorded in ``results.json``.

    Raises:
        ConfigError: the folder holds a study of another plan, or the study was started
            under torchrun (it trains in one process: use one GPU, or ``--arms``/``--seeds``
            in separate processes).
    """
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise ConfigError("the study trains its runs in one process; start it without "
                          "torchrun (several processes can share the work with --arms/--seeds)")
    out = Path(out) if out is not None else default_out(plan)
    # Each level ends with a full garbage collection (train_schedule); with torch, matplotlib
    # and scikit-image imported that walks ~0.5 M objects (0.5 s of CPU) 50 times a study.
    # Frozen objects are skipped by the collector; they are handed back to it at the end.
    # Scoring and the baselines run with the config's thread count too (one on a busy CPU).
    gc.freeze()
    threads = set_threads(plan.config.runtime.threads)
    try:
        return _Study(plan, out, device, precision, progress, keep_checkpoints, command).run()
    finally:
        set_threads(threads)
        gc.unfreeze()


def load_results(out: str | os.PathLike) -> tuple[list[dict], dict]:
    """(results rows, results.json) of a study folder, or of a results CSV (with the JSON of
    the same name beside it, when there is one)."""
    path = Path(out)
    csv_path = path / "results.csv" if path.is_dir() else path
    meta_path = csv_path.with_suffix(".json")
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    return read_csv(csv_path), meta


def draw_figures(out: str | os.PathLike) -> tuple[Path, Path]:
    """Draw a finished study's ``study.png`` and ``cast_grid.png`` again from its
    ``results.csv``, ``results.json`` and the runs' saved renderings (with this version's
    figure code)."""
    out = Path(out)
    results, meta = load_results(out)
    arms = [r["method"] for r in results if r["kind"] == "summary" and r["role"] != "baseline"]
    methods = list(dict.fromkeys(r["method"] for r in results if r["kind"] == "summary"))
    seed = meta["seeds"][0]
    shown = [m for m in methods if (out / m / f"seed{seed}" / "eval" / "grid").is_dir()
             or (out / "baselines" / "eval" / m / "grid").is_dir()]
    bar_figure(results, out / "study.png", title=meta.get("title"))
    cast_grid(out, shown, meta["illuminants"], out / "cast_grid.png", arms=arms,
              labels={r["method"]: r["label"] for r in results}, seed=seed,
              crop=meta.get("eval_crop"))
    return out / "study.png", out / "cast_grid.png"


def publish(out: str | os.PathLike, csv_path: str | os.PathLike) -> tuple[Path, Path]:
    """Copy a study's ``results.csv`` to ``csv_path`` and beside it its ``results.json``
    (same name, ``.json``), ``per_image.csv`` and figures (``<stem>_per_image.csv``,
    ``<stem>_study.png``, ``<stem>_cast_grid.png``, drawn again by :func:`draw_figures`):
    what the lesson and REPRODUCTION.md read.
    """
    out, csv_path = Path(out), Path(csv_path)
    if not (out / "results.csv").is_file():
        raise DatasetError("no results.csv here: not a finished study folder", out)
    draw_figures(out)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(out / "results.csv", csv_path)
    meta_path = csv_path.with_suffix(".json")
    shutil.copyfile(out / "results.json", meta_path)
    for name in ("per_image.csv", "study.png", "cast_grid.png"):
        if (out / name).is_file():
            shutil.copyfile(out / name, csv_path.with_name(f"{csv_path.stem}_{name}"))
    return csv_path, meta_path


# --------------------------------------------------------------------------- helpers


def _shown(path: Path) -> str:
    """``path`` relative to the working folder when it lies inside it (for the records that
    get committed), else as it is."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _plain(data):
    """``data`` as JSON would give it back (tuples → lists, paths → strings)."""
    return json.loads(json.dumps(data, default=str))


def _agree(old, new) -> bool:
    """True when ``old`` and ``new`` (plain JSON-like data) are equal on every key they
    share: a config written before a new field (with its default) existed still agrees."""
    if isinstance(old, dict) and isinstance(new, dict):
        return all(_agree(old[k], new[k]) for k in old.keys() & new.keys())
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(_agree(a, b) for a, b in zip(old, new, strict=True))
    return old == new


def _cached(folder: Path, key: dict) -> tuple[list[dict], dict] | None:
    done = folder / "done.json"
    if not done.is_file():
        return None
    try:
        record = json.loads(done.read_text())
    except ValueError:
        return None
    if "key" not in record or not _agree(record["key"], key) \
            or not (folder / "per_image.csv").is_file():
        return None
    return read_csv(folder / "per_image.csv"), record.get("timing", {})


def _save_eval(folder: Path, key: dict, rows: list[dict], timing: dict) -> None:
    write_csv(folder / "per_image.csv", rows, PER_IMAGE_COLUMNS)
    _write_json(folder / "done.json", {"key": key, "timing": timing})


def _write_json(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, default=str, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    os.replace(tmp, path)
    return path


def _perceptual(out: Path, plan: StudyPlan) -> str | None:
    """What the perceptual term was in the reference arm's runs (run_info.yaml of a level
    that has one), e.g. ``off``."""
    for info in sorted((out / REFERENCE_ARM).glob("seed*/level*/run_info.yaml")):
        loss = (yaml.safe_load(info.read_text()) or {}).get("loss", {})
        if loss.get("perceptual") not in (None, "none"):
            return str(loss["perceptual"])
    return None


def _git_commit() -> str | None:
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return None
    try:
        result = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None


def command_line() -> str:
    """This process's command line as a user types it (``hdrisp study ...``, also when it was
    started as ``python -m hdrisp``)."""
    if not sys.argv:
        return "hdrisp"
    program = Path(sys.argv[0])
    name = "hdrisp" if program.name in ("__main__.py", "hdrisp") else program.name
    return " ".join([name, *sys.argv[1:]])


__all__ = ["DEFAULT_BASELINES", "StudyPlan", "StudyResult", "command_line", "default_out",
           "draw_figures", "load_results", "plan_study", "publish", "run_study"]
