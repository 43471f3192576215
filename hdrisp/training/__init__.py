"""Staged training of the pyramid, level 4 → 0, on a CPU for the tutorial or on GPUs.

- :func:`train_schedule` runs several levels, each from the previous level's final checkpoint;
  :func:`train_level` trains one. Both take a :class:`TrainConfig` (:func:`load_config` reads a
  YAML file, or a config shipped in ``hdrisp/configs/`` by name: ``"tiny"``, ``"paper"``,
  ``"paper_code"``).
- Checkpoints (:mod:`.checkpoint`) are written atomically and resume a level exactly.
- :mod:`.batch` is what happens to one batch (the step and its guards, validation);
  :mod:`.level_run` one level (set-up, resume, the loop); :mod:`.components` what a level is
  built from (model, loss, data); :mod:`.distributed` torchrun/DDP; :mod:`.logs` the
  CSV/TensorBoard logs and figures. Device and precision come from :mod:`hdrisp.runtime`, the
  reproducible sample order from :mod:`hdrisp.data.samplers`.

Examples:
    >>> from hdrisp.training import load_config
    >>> config = load_config("tiny")
    >>> [row.level for row in config.levels]
    [4, 3, 2, 1, 0]
"""

from hdrisp.errors import TrainingError
from hdrisp.training.checkpoint import load_checkpoint, save_checkpoint
from hdrisp.training.config import (
    LevelSchedule,
    TrainConfig,
    config_names,
    config_path,
    load_config,
    replace,
    with_steps,
)
from hdrisp.training.schedule import LevelResult, parse_levels, train_level, train_schedule

__all__ = [
    "LevelResult", "LevelSchedule", "TrainConfig", "TrainingError", "config_names",
    "config_path", "load_checkpoint", "load_config", "parse_levels", "replace", "save_checkpoint",
    "train_level", "train_schedule", "with_steps",
]
