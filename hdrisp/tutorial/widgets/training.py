"""The training monitor core: loss curves and per-level previews from training events."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure

from hdrisp.errors import WidgetValueError
from hdrisp.models import build, load_weights
from hdrisp.models.weights import build_options, read_state_dict
from hdrisp.tutorial.widgets._base import _Observable, to_display_image


class TrainingMonitor(_Observable):
    """Collects what :func:`hdrisp.training.train_schedule` reports, for live display.

    Pass the monitor itself as a callback (``callbacks=[monitor]``): it is called as
    ``monitor(event, info)`` with the events ``"step"`` (level, step, terms),
    ``"validation"`` (level, step, metrics) and ``"level_end"`` (level, last). At the end of
    each level, when a ``preview`` input was given, the level's checkpoint is loaded into a
    fresh model and run on it, so the previews show how each level's output looks.

    Args:
        preview: a packed raw to preview on, 4×h×w or 1×4×h×w in [0, 1] (h, w divisible by 8),
            or None for no previews.
        model: the registry name of the trained model (:func:`hdrisp.models.build`).
    """

    def __init__(self, preview: Any | None = None, model: str = "rawtonemap"):
        super().__init__()
        self.preview = preview
        self.model_name = model
        self.steps: dict[int, list[tuple[int, dict[str, float]]]] = {}
        self.validation: dict[int, list[tuple[int, dict[str, float]]]] = {}
        self.previews: dict[int, np.ndarray] = {}
        self.checkpoints: dict[int, str] = {}
        self._last_event = ""

    @property
    def last_event(self) -> str:
        """The kind of the latest event (``"step"``, ``"validation"``, ``"level_end"``)."""
        return self._last_event

    def __call__(self, event: str, info: dict) -> None:
        """Record one training event (the ``callback(event, info)`` of hdrisp.training)."""
        level = int(info["level"])
        if event == "step":
            terms = {k: float(v) for k, v in info.get("terms", {}).items()}
            self.steps.setdefault(level, []).append((int(info["step"]), terms))
        elif event == "validation":
            metrics = {k: float(v) for k, v in info.get("metrics", {}).items()}
            self.validation.setdefault(level, []).append((int(info["step"]), metrics))
        elif event == "level_end":
            self.checkpoints[level] = os.fspath(info["last"])
            if self.preview is not None:
                self.previews[level] = self.render_preview(level, info["last"])
        else:
            return
        self._last_event = event
        self._notify(event)

    def render_preview(self, level: int, checkpoint: str | os.PathLike) -> np.ndarray:
        """Run the checkpoint's model at ``level`` on the preview input → H×W×3 float32
        (built as the checkpoint was trained: with or without instance norms)."""
        x = torch.as_tensor(np.asarray(self.preview) if not hasattr(self.preview, "detach")
                            else self.preview).float()
        if x.ndim == 3:
            x = x[None]
        options = build_options(read_state_dict(checkpoint)) if self.model_name == "rawtonemap" \
            else {}
        model = load_weights(build(self.model_name, level=level, **options), checkpoint).eval()
        with torch.no_grad():
            return to_display_image(model(x[:1])[0], f"level {level} preview")

    @property
    def levels(self) -> list[int]:
        """Levels seen so far, in training order (coarsest first)."""
        return sorted(set(self.steps) | set(self.validation) | set(self.previews), reverse=True)

    def curve(self, term: str = "loss", level: int | None = None,
              smooth: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """(global step, value) of a training term, levels one after another.

        Args:
            term: a loss term name (``"loss"``, ``"mse"``, ``"hist"`` …).
            level: one level only, with its own step numbers; None: every level, steps
                continued from one level to the next.
            smooth: running-mean window (1: raw values).
        """
        if smooth < 1:
            raise WidgetValueError(f"smooth must be at least 1, got {smooth}")
        xs, ys, offset = [], [], 0
        for lvl in ([level] if level is not None else self.levels):
            steps = self.steps.get(lvl, [])
            rows = [(s, t[term]) for s, t in steps if term in t]
            xs += [offset + s for s, _ in rows]
            ys += [v for _, v in rows]
            if level is None and steps:  # the next level starts after this one's last step
                offset += steps[-1][0]
        y = np.asarray(ys, dtype=np.float64)
        if smooth > 1 and y.size >= smooth:
            y = np.convolve(y, np.ones(smooth) / smooth, mode="valid")
            return np.asarray(xs[smooth - 1:], dtype=np.int64), y
        return np.asarray(xs, dtype=np.int64), y

    def level_bounds(self) -> list[tuple[int, int, int]]:
        """(level, first global step, last global step) of each level so far."""
        out, offset = [], 0
        for lvl in self.levels:
            rows = self.steps.get(lvl, [])
            if rows:
                out.append((lvl, offset + rows[0][0], offset + rows[-1][0]))
                offset += rows[-1][0]
        return out

    def summary(self) -> dict[int, dict[str, float]]:
        """level → the last training terms and the last validation metrics of that level."""
        out: dict[int, dict[str, float]] = {}
        for lvl in self.levels:
            row: dict[str, float] = {}
            if self.steps.get(lvl):
                row.update({f"train {k}": v for k, v in self.steps[lvl][-1][1].items()})
            if self.validation.get(lvl):
                row.update({f"val {k}": v for k, v in self.validation[lvl][-1][1].items()})
            out[lvl] = row
        return out

    def figure(self, smooth: int = 5, previews: bool = True):
        """Loss curves (total and each term, log scale, levels shaded) over the previews."""
        n_prev = len(self.previews) if previews else 0
        fig = Figure(figsize=(10, 3.2 + (2.4 if n_prev else 0)), layout="constrained")
        grid = fig.add_gridspec(2 if n_prev else 1, max(n_prev, 1),
                                height_ratios=(3.2, 2.4) if n_prev else None)
        ax = fig.add_subplot(grid[0, :])
        terms = sorted({k for rows in self.steps.values() for _, t in rows for k in t})
        for term in terms:
            x, y = self.curve(term, smooth=smooth)
            if y.size and np.all(np.isfinite(y)) and np.all(y > 0):
                ax.plot(x, y, lw=2 if term == "loss" else 1, label=term)
        for i, (lvl, first, last) in enumerate(self.level_bounds()):
            ax.axvspan(first, last, color="grey", alpha=0.08 if i % 2 else 0.0)
            ax.text((first + last) / 2, 1.0, f"level {lvl}", transform=ax.get_xaxis_transform(),
                    ha="center", va="bottom", fontsize=8)
        if terms:
            ax.set_yscale("log")
            ax.legend(fontsize=7, ncol=min(len(terms), 6), loc="upper right")
        else:  # a finished run was reused: no step ran in this process
            ax.text(0.5, 0.5, "no training steps ran here (every level was already finished);\n"
                    "each level's curves are in RUN/levelN/loss_curves.png",
                    transform=ax.transAxes, ha="center", va="center", fontsize=9)
        ax.set_xlabel("step (all levels)")
        ax.set_ylabel(f"training loss (mean of {smooth})" if smooth > 1 else "training loss")
        for col, (lvl, image) in enumerate(sorted(self.previews.items(), reverse=True)[:n_prev]):
            sub = fig.add_subplot(grid[1, col])
            sub.imshow(image, interpolation="nearest")
            sub.set_title(f"level {lvl}: {image.shape[1]}×{image.shape[0]}", fontsize=8)
            sub.set_axis_off()
        return fig

    def widget(self, min_interval: float = 2.0):
        """An ipywidgets view redrawn as events arrive (after steps at most every
        ``min_interval`` seconds, so drawing does not slow training down)."""
        from hdrisp.tutorial.widgets.views import training_monitor_view

        return training_monitor_view(self, min_interval)

