"""Small helpers the tutorial notebooks share (so no notebook keeps its own copy).

The notebooks' ``parameters`` cell gives ``SMOKE``, ``DATA_DIR``, ``RUN_DIR`` and
``DEVICE``; these functions turn them into a dataset folder, a torch device and a
list of the files a run left behind.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import torch

from hdrisp.data.normalization import dataset_fingerprint
from hdrisp.errors import CheckpointError, DatasetError
from hdrisp.runtime import resolve_device
from hdrisp.synth import ensure_default_dataset
from hdrisp.training import config_path, load_checkpoint, load_config, replace, train_schedule
from hdrisp.training.checkpoint import trained_on_other_data


def env_flag(name: str, default: bool = False) -> bool:
    """An environment variable read as a yes/no switch (1/true/yes/on, case-insensitive)."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def synthetic_set(data_dir: str | os.PathLike | None = None, smoke: bool = False,
                  progress: bool = True) -> Path:
    """The default synthetic paired set, built on first use (see
    :func:`hdrisp.synth.ensure_default_dataset`).

    Args:
        data_dir: the data folder holding the set (``synthetic/`` or, in smoke mode,
            ``synthetic_smoke/`` inside it); None or "" for hdrisp's default data folder
            (``$HDRISP_DATA_DIR`` or ``data/`` of the checkout).
        smoke: the small set (48 + 12 pairs of 128×128) instead of the tutorial one.
        progress: show a progress bar while building.

    Returns:
        The set's folder, in the paper's layout.
    """
    root = None
    if data_dir:
        root = Path(data_dir) / ("synthetic_smoke" if smoke else "synthetic")
    return ensure_default_dataset(root, smoke=smoke, progress=progress)


def _checkout() -> Path | None:
    """The source checkout hdrisp runs from (None for an installed copy)."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() else None


def config_file(name: str) -> Path:
    """A training config shipped with hdrisp, by name (``tiny``, ``paper``, ``paper_code``), or
    the path of your own YAML file: :func:`hdrisp.training.config_path`. Works from a wheel
    install and from any working folder.

    Raises:
        ConfigError: no such file and no shipped config of that name.
    """
    return config_path(name)


SAMPLE_RAW = "canon550d_magiclantern_tinydng_colorchart.dng"


def sample_raw_file() -> Path:
    """The real camera raw shipped with hdrisp for lesson 01: a Canon EOS 550D colour-chart DNG
    (MIT licence; ``hdrisp/tutorial/data/README.md`` says where it comes from).

    It is package data, so the path exists in a checkout and in a wheel install alike.

    Examples:
        >>> from hdrisp.raw import read_raw
        >>> read_raw(sample_raw_file()).cfa
        'RGGB'
    """
    path = Path(str(resources.files("hdrisp") / "tutorial" / "data" / SAMPLE_RAW))
    if not path.is_file():  # pragma: no cover - a broken install
        raise DatasetError("the sample raw is missing from this install of hdrisp; reinstall "
                           "it (the file is package data)", path)
    return path


def run_dir(path: str | os.PathLike | None = None, smoke: bool = False) -> Path:
    """Where a tutorial training run lives: ``path`` if given, else ``runs/tutorial`` (or
    ``runs/tutorial_smoke``) of the source checkout, or of the working folder outside one."""
    if path:
        return Path(path)
    base = _checkout() or Path.cwd()
    return base / "runs" / ("tutorial_smoke" if smoke else "tutorial")


def pick_device(name: str = "auto") -> torch.device:
    """The notebooks' ``DEVICE`` parameter as a torch device (:func:`hdrisp.runtime.resolve_device`;
    "" means auto)."""
    return resolve_device(name or "auto")


def level_checkpoints(run_dir: str | os.PathLike, name: str = "last.pt") -> dict[int, Path]:
    """level → ``run_dir/level{L}/<name>`` for every level a staged run has written (finished
    or not; :func:`finished_levels` tells which are)."""
    run = Path(run_dir)
    found = {}
    for folder in sorted(run.glob("level[0-9]")):
        path = folder / name
        if path.is_file():
            found[int(folder.name[len("level"):])] = path
    return found


def finished_levels(run_dir: str | os.PathLike) -> list[int]:
    """The levels whose ``last.pt`` is marked finished (the level ran all its steps),
    finest first. A level still training, or interrupted, is not among them.

    Raises:
        CheckpointError: a ``last.pt`` that cannot be read.
    """
    return sorted(level for level, path in level_checkpoints(run_dir).items()
                  if load_checkpoint(path).get("finished", False))


def trained_on_another_set(run_dir: str | os.PathLike, data_root: str | os.PathLike) -> bool:
    """True when a level of the run was trained on another set than the one now at
    ``data_root`` (its checkpoint records another ``dataset.json``: the set was rebuilt,
    e.g. by a newer generator). Runs that recorded nothing count as matching."""
    now = dataset_fingerprint(data_root)
    return any(trained_on_other_data(load_checkpoint(path), now)
               for path in level_checkpoints(run_dir).values())


def set_aside(run_dir: str | os.PathLike) -> Path:
    """Rename a run folder to the first free ``<name>.old-N`` beside it (nothing is deleted);
    returns the new path."""
    run_dir = Path(run_dir)
    n = 1
    while (moved := run_dir.with_name(f"{run_dir.name}.old-{n}")).exists():
        n += 1
    run_dir.rename(moved)
    return moved


def finest_checkpoint(run_dir: str | os.PathLike, name: str = "last.pt") -> tuple[int, Path]:
    """(level, path) of the finest level (smallest number) a staged run has *finished*.

    ``name`` picks the file of that level (``last.pt`` or ``best.pt``); whether a level is
    finished is read from its ``last.pt``, so a half-trained level is never taken for the
    final one.

    Raises:
        CheckpointError: no finished level with a ``<name>`` under ``run_dir`` (the message
            names any unfinished level and how to finish it).
    """
    written = level_checkpoints(run_dir)
    done = [level for level in finished_levels(run_dir)
            if (Path(run_dir) / f"level{level}" / name).is_file()]
    if done:
        return done[0], Path(run_dir) / f"level{done[0]}" / name
    if written:
        levels = ", ".join(str(level) for level in sorted(written, reverse=True))
        raise CheckpointError(f"no finished level here (level {levels} started but did not "
                              "finish): finish it with `hdrisp train --config CONFIG --out "
                              "RUN --resume` (or rerun notebook 03)", path=run_dir)
    raise CheckpointError(f"no level*/{name} here: train first (notebook 03 or "
                          "`hdrisp train`)", path=run_dir)


def smoke_config(config, steps: int = 2, batch: int = 2, patch: int = 64):
    """``config`` shrunk to a few steps per level on small patches (smoke runs, CI).

    Every level of ``config`` is kept; validation looks at two 64×64 crops. The result says
    ``smoke: true``, and so does the ``config.yaml`` of a run trained with it (the lessons
    show a banner for such a run: :func:`hdrisp.tutorial.results.show_run_banner`).
    """
    return replace(config, smoke=True,
                   levels=[{"level": row.level, "batch": batch, "steps": steps, "patch": patch}
                           for row in config.levels],
                   validation={"max_images": 2, "crop": patch, "batch": batch, "images": 1},
                   checkpoint={"every_steps": 0})


def ensure_run(run: str | os.PathLike, data_root: str | os.PathLike, device: str = "cpu",
               progress: bool = True) -> tuple[int, Path]:
    """(level, checkpoint) of the finest level ``run`` has finished; when it has written no
    level at all, first train the ``tiny`` config in smoke form there (about a minute on a
    CPU).

    The checkpoint is then a plumbing demonstration, not a useful model: notebook 03 (or
    ``hdrisp train --config tiny``) trains a real one.

    Raises:
        CheckpointError: ``run`` holds levels but none finished (see
            :func:`finest_checkpoint`): a half-trained level is never used as the final one.
    """
    if not level_checkpoints(run):
        config = smoke_config(load_config("tiny"))
        config = replace(config, logging={"progress": progress})
        train_schedule(config, out=run, data_root=data_root, device=device, resume=True)
    return finest_checkpoint(run)
