"""The pyramid viewer core: every level's output of a multi-level model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure

from hdrisp.errors import WidgetValueError
from hdrisp.tutorial.widgets._base import _Observable, to_display_image


class PyramidViewer(_Observable):
    """Every level's output of a pyramid model for one packed raw input.

    Runs ``model(packed, return_all=True)`` once (no gradient) and keeps each level's
    image; :attr:`level` picks the one to show.

    Args:
        model: a model whose ``forward(x, return_all=True)`` returns {level: B×3×h×w}
            (e.g. :class:`hdrisp.models.RawTonemapNet`); it is run in eval mode.
        packed: the packed raw, 4×h×w or 1×4×h×w (numpy or torch), values in [0, 1].
        level: the level shown first; the finest computed level if None.
        target: an optional ground-truth image shown beside the levels in the figure.
    """

    def __init__(self, model: Any, packed: Any, level: int | None = None,
                 target: Any | None = None):
        super().__init__()
        self.model = model
        self.packed = packed
        self.target = None if target is None else to_display_image(target, "target")
        self._outputs: dict[int, np.ndarray] | None = None
        self._level = None if level is None else int(level)
        if level is not None:
            self._check_level(level)

    def _run(self) -> dict[int, np.ndarray]:
        x = torch.as_tensor(np.asarray(self.packed) if not hasattr(self.packed, "detach")
                            else self.packed).float()
        if x.ndim == 3:
            x = x[None]
        if x.ndim != 4 or x.shape[0] != 1 or x.shape[1] != 4:
            raise WidgetValueError(f"packed input must be 4×h×w or 1×4×h×w, got "
                                   f"{tuple(x.shape)}")
        was_training = getattr(self.model, "training", False)
        self.model.eval()
        try:
            param = next(iter(self.model.parameters()), None)
            if param is not None:
                x = x.to(param.device)
            with torch.no_grad():
                outputs = self.model(x, return_all=True)
        finally:
            self.model.train(was_training)
        if not isinstance(outputs, Mapping) or not outputs:
            raise WidgetValueError("model(x, return_all=True) must return a {level: image} dict")
        return {int(lvl): to_display_image(out[0], f"level {lvl}")
                for lvl, out in sorted(outputs.items(), reverse=True)}

    @property
    def outputs(self) -> dict[int, np.ndarray]:
        """level → H×W×3 float32 image in [0, 1], coarsest level first (computed once)."""
        if self._outputs is None:
            self._outputs = self._run()
        return self._outputs

    @property
    def levels(self) -> list[int]:
        """The computed levels, coarsest (highest number) first."""
        return list(self.outputs)

    def _check_level(self, level: int) -> int:
        if int(level) not in self.levels:
            raise WidgetValueError(f"level {level} was not computed; levels: {self.levels}")
        return int(level)

    @property
    def level(self) -> int:
        """The level shown."""
        if self._level is None:
            self._level = self.levels[-1]
        return self._level

    @level.setter
    def level(self, value: int) -> None:
        self._update("level", self._check_level(value))

    value = level

    @property
    def image(self) -> np.ndarray:
        """The shown level's image, H×W×3 float32."""
        return self.outputs[self.level]

    def figure(self, panel: float = 2.2):
        """All levels side by side at their own resolutions (and the target, if given)."""
        panels = [(f"level {lvl}  {img.shape[1]}×{img.shape[0]}", img)
                  for lvl, img in self.outputs.items()]
        if self.target is not None:
            panels.append(("target", self.target))
        fig = Figure(figsize=(panel * len(panels), panel + 0.3), layout="constrained")
        for ax, (title, img) in zip(fig.subplots(1, len(panels), squeeze=False)[0], panels,
                                    strict=True):
            ax.imshow(img, interpolation="nearest")
            ax.set_title(title, fontsize=8)
            ax.set_axis_off()
        return fig

    def widget(self):
        """An ipywidgets view: level buttons and that level's image."""
        from hdrisp.tutorial.widgets.views import pyramid_view

        return pyramid_view(self)
