"""Staged training of the pyramid, level 4 → 0, on a CPU for the tutorial or on GPUs.

- :func:`train_schedule` runs several levels, each from the previous level's final checkpoint;
  :func:`train_level` trains one. Both take a :class:`TrainConfig` (:func:`load_config` reads
  ``configs/*.yaml``).
- Checkpoints (:mod:`.checkpoint`) are written atomically and resume a level exactly.
- :mod:`.distributed` handles torchrun/DDP, mixed precision and determinism; :mod:`.feed` the
  reproducible, resumable sample order; :mod:`.logs` the CSV/TensorBoard logs and figures.
"""

from hdrisp.training.checkpoint import load_checkpoint, save_checkpoint
from hdrisp.training.config import (
    LevelSchedule,
    TrainConfig,
    load_config,
    replace,
    with_steps,
)
from hdrisp.training.guards import TrainingError
from hdrisp.training.loop import LevelResult, parse_levels, train_level, train_schedule

__all__ = [
    "LevelResult", "LevelSchedule", "TrainConfig", "TrainingError", "load_checkpoint",
    "load_config", "parse_levels", "replace", "save_checkpoint", "train_level", "train_schedule",
    "with_steps",
]
