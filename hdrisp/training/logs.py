"""What a training run leaves to read: CSV logs, TensorBoard events, PNGs and loss curves.

Per level folder (``runs/NAME/level{L}/``):

- ``train_log.csv``: one row per logged step (step, epoch, lr, every loss term, images/s).
- ``val_log.csv``: one row per validation (epoch, step, PSNR, MS-SSIM, histogram distance,
  every loss term).
- ``val_images/epochEEE_K.png``: prediction | target side by side.
- ``loss_curves.png``: the level's curves, drawn at the end of the level.
- ``tb/``: TensorBoard events when ``tensorboard`` is installed (or required).
"""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path

import numpy as np
import torch
from matplotlib.figure import Figure
from PIL import Image

from hdrisp.errors import ConfigError
from hdrisp.raw.color import to_uint8

TRAIN_CSV = "train_log.csv"
VAL_CSV = "val_log.csv"


class CsvLog:
    """An append-only CSV whose columns are fixed by its first row.

    ``truncate_after(step)`` drops rows whose ``step`` is beyond a resumed checkpoint, so that a
    resumed run's log reads as if it had never stopped.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.columns: list[str] | None = None
        if self.path.is_file():
            with self.path.open(newline="") as handle:
                header = next(csv.reader(handle), None)
            self.columns = header or None

    def truncate_after(self, step: int) -> None:
        """Keep only the rows whose ``step`` column is ≤ ``step``."""
        if not self.path.is_file():
            return
        rows = read_csv(self.path)
        kept = [r for r in rows if int(float(r["step"])) <= step]
        if self.columns is None or len(kept) == len(rows):
            return
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=self.columns)
            writer.writeheader()
            writer.writerows(kept)
        os.replace(tmp, self.path)

    def write(self, row: dict[str, float | int | str]) -> None:
        """Append one row (keys not in the header are dropped; missing ones left blank)."""
        new = self.columns is None
        if new:
            self.columns = list(row)
            self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=self.columns, extrasaction="ignore")
            if new:
                writer.writeheader()
            writer.writerow({k: _fmt(v) for k, v in row.items()})


def _fmt(value: object) -> object:
    if isinstance(value, float):
        return repr(value)  # full precision: logs compare exactly between runs
    return value


def read_csv(path: str | os.PathLike) -> list[dict[str, str]]:
    """The rows of a CSV log as dicts of strings."""
    with Path(path).open(newline="") as handle:
        return list(csv.DictReader(handle))


class TensorBoard:
    """A thin optional TensorBoard writer; ``mode`` "auto" uses it only when installed."""

    def __init__(self, folder: str | os.PathLike, mode: str, enabled: bool = True) -> None:
        self.writer = None
        if not enabled or mode == "off":
            return
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            if mode == "on":
                raise ConfigError("logging.tensorboard: on, but tensorboard is not installed "
                                  "(pip install 'hdrisp[tensorboard]')") from None
            return
        self.writer = SummaryWriter(log_dir=str(folder))

    def scalars(self, prefix: str, values: dict[str, float], step: int) -> None:
        if self.writer is None:
            return
        for key, value in values.items():
            if isinstance(value, (int, float)) and math.isfinite(value):
                self.writer.add_scalar(f"{prefix}/{key}", value, step)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def save_side_by_side(path: str | os.PathLike, pred: torch.Tensor, target: torch.Tensor) -> Path:
    """Write prediction | target (each 3×H×W in [0, 1]) as one PNG with a 4-pixel gap."""
    a, b = (to_uint8(x.detach().float().permute(1, 2, 0).cpu().numpy()) for x in (pred, target))
    gap = np.full((a.shape[0], 4, 3), 255, np.uint8)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.concatenate([a, gap, b], axis=1)).save(path)
    return path


def plot_loss_curves(level_dir: str | os.PathLike, level: int) -> Path | None:
    """Draw ``loss_curves.png`` from the level's CSV logs (None when there is nothing to plot).

    Left: every training loss term against step (raw, and a moving average). Right: the
    validation PSNR against step.
    """
    level_dir = Path(level_dir)
    train_path, val_path = level_dir / TRAIN_CSV, level_dir / VAL_CSV
    if not train_path.is_file():
        return None
    rows = read_csv(train_path)
    if not rows:
        return None
    skip = {"step", "epoch", "lr", "images_per_s", "seconds"}
    terms = [k for k in rows[0] if k not in skip]
    steps = np.array([float(r["step"]) for r in rows])
    fig = Figure(figsize=(11, 4))  # no pyplot: works under any backend, opens no window
    ax, ax_val = fig.subplots(1, 2)
    for term in terms:
        values = np.array([float(r[term]) if r[term] not in ("", None) else np.nan
                           for r in rows])
        line, = ax.plot(steps, values, alpha=0.3, linewidth=0.8)
        window = max(1, len(values) // 20)
        if window > 1:
            smooth = np.convolve(values, np.ones(window) / window, mode="valid")
            ax.plot(steps[window - 1:], smooth, color=line.get_color(), label=term)
        else:
            line.set_label(term)
    ax.set_xlabel("step")
    ax.set_ylabel("training loss")
    ax.set_yscale("log")
    ax.set_title(f"level {level}: training loss terms")
    ax.legend(fontsize=8)
    if val_path.is_file() and (val_rows := read_csv(val_path)):
        ax_val.plot([float(r["step"]) for r in val_rows], [float(r["psnr"]) for r in val_rows],
                    "o-")
    ax_val.set_xlabel("step")
    ax_val.set_ylabel("validation PSNR (dB)")
    ax_val.set_title(f"level {level}: validation")
    fig.tight_layout()
    out = level_dir / "loss_curves.png"
    fig.savefig(out, dpi=100)
    return out


__all__ = ["CsvLog", "TensorBoard", "plot_loss_curves", "read_csv", "save_side_by_side",
           ]
