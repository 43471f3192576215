"""The one exception family of hdrisp, and the input checks every layer shares.

Every error that a user can cause (a bad file, a broken dataset, a checkpoint
that does not fit, a config with an unknown key, a tensor of the wrong shape)
is an :class:`HdrispError`. Each carries the offending path (when there is one)
and a one-line problem, so the command line can print
``error: <file>: <problem>`` without a traceback. Every class of the family is
defined here, and only here::

    HdrispError
    ├── RawFormatError           a raw file that is not a readable Bayer mosaic
    ├── DatasetError             a dataset folder or pair that is missing or inconsistent
    ├── CheckpointError          weights that do not load into the model
    ├── ConfigError              an unknown key or a bad value (CLI option, YAML, argument)
    ├── WeightsUnavailableError  pretrained weights that are not on this machine
    ├── InputShapeError          an array/tensor of the wrong shape, channels, dtype or range
    │   └── WidgetValueError     a widget given a value it cannot show
    ├── MetricNotApplicable      a metric that does not apply to this input
    ├── BaselineUnavailable      a classical baseline that cannot run on this input
    ├── TrainingError            training stopped on purpose (NaN loss, out of memory, ...)
    ├── NotebookError            a lesson that failed to execute
    ├── ExerciseError            a lesson exercise's answer that is not right yet (and why)
    └── OutputError              an output that cannot be written (permissions, full disk)

The shared checks (:func:`check_image_batch`, :func:`check_same_shape`) are what
losses, metrics and models call on their inputs. They use only tensor methods,
so this module imports nothing heavy.

Examples:
    >>> import torch
    >>> check_image_batch(torch.zeros(2, 3, 8, 8), "pred").shape
    torch.Size([2, 3, 8, 8])
    >>> check_image_batch(torch.zeros(3, 8, 8), "pred")
    Traceback (most recent call last):
    ...
    hdrisp.errors.InputShapeError: pred must have shape B×3×H×W, got (3, 8, 8)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


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
    """A configuration, option or argument with an unknown name or a bad value."""


class WeightsUnavailableError(HdrispError):
    """Pretrained weights (e.g. ImageNet VGG-19) that are not on this machine."""


class InputShapeError(HdrispError, ValueError):
    """An array or tensor of the wrong rank, channel count, size, dtype or value range."""


class WidgetValueError(InputShapeError):
    """A widget given a value it cannot show (wrong shape, unknown option, out of range)."""


class MetricNotApplicable(HdrispError):
    """A metric that cannot be computed for this input (e.g. MS-SSIM on a small patch)."""


class BaselineUnavailable(HdrispError):
    """A baseline that cannot run on this input (e.g. LibRaw's develop without a raw file)."""


class TrainingError(HdrispError):
    """Training stopped on purpose: a non-finite loss, out of memory, a run that exists."""


class NotebookError(HdrispError):
    """A lesson notebook that cannot be found or failed while it ran."""


class ExerciseError(HdrispError, AssertionError):
    """An exercise's answer that is not right yet: says what is wrong and how to find out more
    (raised by :mod:`hdrisp.tutorial.checks`; an AssertionError, like a failed ``assert``)."""


class OutputError(HdrispError):
    """An output that cannot be written: permission denied, a folder in the way, a full disk."""


def output_error(exc: OSError, path: str | os.PathLike | None = None) -> OutputError:
    """An :class:`OutputError` for a filesystem fault, naming the file and the problem.

    Examples:
        >>> str(output_error(PermissionError(13, "Permission denied"), "/x.png"))
        '/x.png: cannot write: Permission denied'
    """
    where = path if path is not None else exc.filename
    return OutputError(f"cannot write: {exc.strerror or exc}", where)


def check_output_dir(path: str | os.PathLike) -> Path:
    """Create the output folder ``path`` now, before any long work, so that a mistake fails
    at once: :class:`OutputError` naming it when a file is in the way, a parent cannot be
    made, or the folder may not be written into. Returns ``path`` as a Path.

    Examples:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> check_output_dir(folder / "runs" / "a").is_dir()
        True
        >>> (folder / "taken").write_text("a file")
        6
        >>> check_output_dir(folder / "taken")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        hdrisp.errors.OutputError: .../taken: exists and is not a folder
        >>> import shutil; shutil.rmtree(folder)
    """
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise OutputError("exists and is not a folder", out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(exc, out) from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise OutputError("cannot write into this folder (permission denied)", out)
    return out


_RANGE_SLACK = 1e-3  # float error tolerated outside [0, 1] before an input counts as out of range


def check_image_batch(img: Any, name: str, *, channels: int | None = 3,
                      value_range: tuple[float, float] | None = (0.0, 1.0)) -> Any:
    """Check a ``B×C×H×W`` floating-point tensor (``C = channels`` unless None).

    With ``value_range``, values must be finite and inside it (up to 1e-3 of float error).
    Returns ``img`` unchanged. Raises :class:`InputShapeError` naming ``name`` otherwise.
    """
    if not all(hasattr(img, a) for a in ("dim", "shape", "is_floating_point")):
        raise InputShapeError(f"{name} must be a torch tensor B×{channels or 'C'}×H×W, "
                              f"got {type(img).__name__}")
    if img.dim() != 4 or (channels is not None and img.shape[1] != channels):
        raise InputShapeError(f"{name} must have shape B×{channels or 'C'}×H×W, "
                              f"got {tuple(img.shape)}")
    if not img.is_floating_point():
        raise InputShapeError(f"{name} must hold floating-point values, got dtype {img.dtype}")
    if value_range is not None and img.numel():
        detached = img.detach()
        if not bool(detached.isfinite().all()):
            raise InputShapeError(f"{name} contains NaN or infinite values")
        lo, hi = float(detached.min()), float(detached.max())
        if lo < value_range[0] - _RANGE_SLACK or hi > value_range[1] + _RANGE_SLACK:
            raise InputShapeError(
                f"{name} must hold values in [{value_range[0]:g}, {value_range[1]:g}], got "
                f"[{lo:.4g}, {hi:.4g}] (divide 8-bit images by 255)")
    return img


def check_same_shape(a: Any, b: Any, name: str) -> None:
    """Raise :class:`InputShapeError` unless the two tensors (or arrays) have equal shapes."""
    if tuple(a.shape) != tuple(b.shape):
        raise InputShapeError(f"{name}: prediction and target differ in shape: "
                              f"{tuple(a.shape)} vs {tuple(b.shape)}")


__all__ = [
    "BaselineUnavailable", "CheckpointError", "ConfigError", "DatasetError", "ExerciseError",
    "HdrispError",
    "InputShapeError", "MetricNotApplicable", "NotebookError", "OutputError", "RawFormatError",
    "TrainingError", "WeightsUnavailableError", "WidgetValueError", "check_image_batch",
    "check_output_dir", "check_same_shape", "output_error",
]
