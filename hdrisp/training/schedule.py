"""Staged training: :func:`train_level` trains one pyramid level, :func:`train_schedule` runs
levels 4 → 0, each starting from the previous level's final checkpoint (the whole state dict).

What a level writes and how it resumes: :mod:`hdrisp.training.level_run`.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Sequence
from pathlib import Path

from hdrisp.config import save_yaml
from hdrisp.errors import ConfigError, TrainingError, check_output_dir
from hdrisp.runtime import Runtime
from hdrisp.training import components
from hdrisp.training.checkpoint import load_checkpoint
from hdrisp.training.config import TrainConfig, replace
from hdrisp.training.distributed import barrier, runtime_session
from hdrisp.training.level_run import Callback, LevelResult, LevelRun


def parse_levels(text: str) -> list[int]:
    """``"4:0"`` → [4, 3, 2, 1, 0]; ``"2"`` → [2]; ``"1:3"`` → [3, 2, 1] (always coarse first)."""
    try:
        parts = [int(p) for p in text.split(":")]
    except ValueError:
        parts = []
    if len(parts) not in (1, 2) or any(p not in range(5) for p in parts):
        raise ConfigError(f"--levels: expected LEVEL or FROM:TO with levels 0..4, got {text!r}")
    hi, lo = max(parts), min(parts)
    return list(range(hi, lo - 1, -1))


def train_level(config: TrainConfig, level: int, *, out: str | os.PathLike,
                data_root: str | os.PathLike | None = None, init: str | os.PathLike | None = None,
                resume: bool = False, device: str | None = None, precision: str | None = None,
                callbacks: Sequence[Callback] = ()) -> LevelResult:
    """Train one level of the pyramid.

    Args:
        config: the run's configuration; ``config.schedule(level)`` gives batch, length, lr.
        level: 4 (coarsest, 1/8 of the packed input) … 0 (full size, twice the packed input).
        out: the run folder; the level writes to ``out/level{level}``.
        data_root: the paired dataset (default: ``config.data.root``, else the synthetic set).
        init: weights to start from (a checkpoint or state dict); None starts from random
            weights drawn with ``runtime.seed``.
        resume: continue from ``out/level{level}/last.pt`` if it exists (skip if finished).
        device: overrides ``runtime.device``; precision: overrides ``runtime.precision``.
        callbacks: called on rank 0 as ``callback(event, info)`` (see :data:`Callback`).

    Raises:
        TrainingError: a non-finite loss, running out of memory, or an existing run folder
            without ``resume``. KeyboardInterrupt after Ctrl-C (a checkpoint is saved first).
    """
    _check_run_folder(Path(out), [level], resume)
    with runtime_session(config.runtime, device, precision) as runtime:
        root = _data_root_once(config, data_root, runtime)
        return LevelRun(config, level, runtime, Path(out), root, init, callbacks).run(resume)


def train_schedule(config: TrainConfig, *, out: str | os.PathLike | None = None,
                   levels: Sequence[int] | str | None = None,
                   data_root: str | os.PathLike | None = None,
                   init: str | os.PathLike | None = None, resume: bool = False,
                   device: str | None = None, precision: str | None = None,
                   callbacks: Sequence[Callback] = ()) -> dict[int, LevelResult]:
    """Train several levels in order, coarse to fine, each from the previous one's last.pt.

    ``levels`` (default: every level of the config) may be a string such as ``"4:0"``. The
    first level starts from ``init`` when given, else (below level 4) from
    ``out/level{L+1}/last.pt`` of an earlier run, which must be finished. ``out`` defaults to
    ``runs/{config.name}``. Other arguments as :func:`train_level`.
    """
    order = parse_levels(levels) if isinstance(levels, str) else \
        sorted(levels if levels is not None else [r.level for r in config.levels], reverse=True)
    for level in order:
        config.schedule(level)  # ConfigError before anything runs
    out = Path(out) if out is not None else Path("runs") / config.name
    _check_run_folder(out, order, resume)
    results: dict[int, LevelResult] = {}
    with runtime_session(config.runtime, device, precision) as runtime:
        root = _data_root_once(config, data_root, runtime)
        start = Path(init) if init is not None else None
        if start is None and order[0] < 4:
            start = _finished_checkpoint(out / f"level{order[0] + 1}" / "last.pt", order[0])
        for level in order:  # every refusal comes before anything is written
            LevelRun(config, level, runtime, out, root, None, ()).check_existing(resume)
        if runtime.is_main:
            save_yaml(replace(config, data={"root": str(root)}), out / "config.yaml")
        for level in order:
            run = LevelRun(config, level, runtime, out, root, start, callbacks)
            results[level] = run.run(resume)
            start = results[level].last
            del run
            gc.collect()  # free the level's loaders and cached pairs before the next level
    return results


def _check_run_folder(out: Path, levels: Sequence[int], resume: bool) -> None:
    """Before any data is built or loaded: ``out`` can be written, and without ``resume`` no
    level to train has a checkpoint there already (the same errors as later, only sooner)."""
    check_output_dir(out)
    if not resume:
        for level in levels:
            if (out / f"level{level}" / "last.pt").is_file():
                raise TrainingError("this level already has a checkpoint; pass --resume to "
                                    "continue it, or choose another --out", out / f"level{level}")


def _finished_checkpoint(path: Path, level: int) -> Path:
    if not path.is_file():
        raise TrainingError(f"level {level} starts from level {level + 1}'s final checkpoint, "
                            f"which does not exist; train level {level + 1} first (--levels "
                            f"{level + 1}:{level}) or give --init WEIGHTS", path)
    if not load_checkpoint(path).get("finished", False):
        raise TrainingError(f"level {level + 1} is not finished; finish it first with --resume "
                            f"--levels {level + 1}:{level}", path)
    return path


def _data_root_once(config: TrainConfig, data_root, runtime: Runtime) -> Path:
    """Resolve (and if needed build) the dataset on rank 0 before the other ranks look."""
    if runtime.is_main:
        root = components.resolve_data_root(config, data_root)
    barrier(runtime)
    if not runtime.is_main:
        root = components.resolve_data_root(config, data_root)
    return root


__all__ = ["Callback", "LevelResult", "parse_levels", "train_level", "train_schedule"]
