"""The one exception family of hdrisp.

Every error that a user can cause (a bad file, a broken dataset, a checkpoint
that does not fit, a config with an unknown key) is an :class:`HdrispError`.
Each carries the offending path (when there is one) and a one-line problem, so
the command line can print ``error: <file>: <problem>`` without a traceback.
"""

from __future__ import annotations

import os


class HdrispError(Exception):
    """Base class of every error hdrisp raises on purpose.

    Args:
        problem: one line saying what is wrong and, where possible, what to do.
        path: the file or folder concerned, or None.
    """

    def __init__(self, problem: str, path: str | os.PathLike | None = None) -> None:
        self.problem = problem
        self.path = None if path is None else os.fspath(path)
        super().__init__(f"{self.path}: {problem}" if self.path else problem)


class RawFormatError(HdrispError):
    """A raw file that cannot be read as a Bayer mosaic (unreadable, X-Trans, linear DNG ...)."""


class DatasetError(HdrispError):
    """A dataset folder or pair that is missing, incomplete or inconsistent."""


class CheckpointError(HdrispError):
    """A checkpoint or weights file that cannot be loaded into the model."""


class ConfigError(HdrispError):
    """A configuration with an unknown key or a bad value."""


class WeightsUnavailableError(HdrispError):
    """Pretrained weights (e.g. ImageNet VGG-19) that are not on this machine."""
