"""Side-by-side comparison cores: a before/after split and linked zoomed crops."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from hdrisp.errors import WidgetValueError
from hdrisp.tutorial.widgets._base import _check_range, _Observable, to_display_image


class BeforeAfter(_Observable):
    """Two images of one scene, split at a movable line: ``before`` on one side, ``after``.

    Args:
        before, after: images of the same size (see :func:`to_display_image`).
        position: where the split lies, as a fraction of the width (``"vertical"`` split;
            ``before`` on the left) or of the height (``"horizontal"``; ``before`` on top).
        orientation: ``"vertical"`` or ``"horizontal"``.
        labels: names shown in the view and the figure.
    """

    ORIENTATIONS = ("vertical", "horizontal")

    def __init__(self, before: Any, after: Any, position: float = 0.5,
                 orientation: str = "vertical", labels: tuple[str, str] = ("before", "after")):
        super().__init__()
        self.before = to_display_image(before, "before")
        self.after = to_display_image(after, "after")
        if self.before.shape != self.after.shape:
            raise WidgetValueError(f"before {self.before.shape[:2]} and after "
                                   f"{self.after.shape[:2]} must have the same size")
        if orientation not in self.ORIENTATIONS:
            raise WidgetValueError(f"orientation must be one of {self.ORIENTATIONS}, "
                                   f"got {orientation!r}")
        self.orientation = orientation
        self.labels = tuple(labels)
        self._position = _check_range("position", position, 0.0, 1.0)

    @property
    def position(self) -> float:
        """Split position in [0, 1]: 0 shows only ``after``, 1 only ``before``."""
        return self._position

    @position.setter
    def position(self, value: float) -> None:
        self._update("position", _check_range("position", value, 0.0, 1.0))

    value = position  # the one control of this tool

    @property
    def split_index(self) -> int:
        """First column (vertical) or row (horizontal) taken from ``after``."""
        axis = 1 if self.orientation == "vertical" else 0
        return int(round(self._position * self.before.shape[axis]))

    def composite(self, divider: bool = False) -> np.ndarray:
        """The composited H×W×3 float32 image; ``divider`` draws a 1-pixel white line."""
        out = self.after.copy()
        k = self.split_index
        if self.orientation == "vertical":
            out[:, :k] = self.before[:, :k]
            if divider and 0 < k < out.shape[1]:
                out[:, k] = 1.0
        else:
            out[:k] = self.before[:k]
            if divider and 0 < k < out.shape[0]:
                out[k] = 1.0
        return out

    def figure(self, width: float = 6.0):
        """A matplotlib Figure of the composite with both labels."""
        h, w = self.before.shape[:2]
        fig = Figure(figsize=(width, width * h / w))
        ax = fig.add_axes((0, 0, 1, 1))
        ax.imshow(self.composite(divider=True), interpolation="nearest")
        ax.set_axis_off()
        style = dict(color="white", fontsize=10, va="top",
                     bbox=dict(facecolor="black", alpha=0.5, lw=0))
        ax.text(0.01 * w, 0.02 * h, self.labels[0], ha="left", **style)
        ax.text(0.99 * w, 0.02 * h, self.labels[1], ha="right", **style)
        return fig

    def widget(self):
        """An ipywidgets view: a slider driving :attr:`position`, the composite below."""
        from hdrisp.tutorial.widgets.views import before_after_view

        return before_after_view(self)


class LinkedZoom(_Observable):
    """The same square crop cut from several images of one scene.

    The box (``x``, ``y``, ``size``) is in pixels of the first image; an image of a
    different resolution (a coarser pyramid level, say) gets the box scaled to its own
    width, so every crop shows the same part of the scene. The box is clamped to stay
    inside the first image.

    Args:
        images: name → image (see :func:`to_display_image`), in display order; all of the
            same aspect ratio.
        x, y: top-left corner of the box in the first image, pixels.
        size: side of the square box in the first image, pixels.
    """

    def __init__(self, images: Mapping[str, Any], x: int = 0, y: int = 0, size: int = 64):
        super().__init__()
        if not images:
            raise WidgetValueError("LinkedZoom needs at least one image")
        self.images = {name: to_display_image(img, name) for name, img in images.items()}
        self.reference_shape = next(iter(self.images.values())).shape[:2]
        h0, w0 = self.reference_shape
        for name, img in self.images.items():
            h, w = img.shape[:2]
            if abs(h * w0 - w * h0) > max(w, w0):  # aspect ratios differ by over a pixel
                raise WidgetValueError(f"image {name!r} is {h}×{w}, not the aspect ratio of "
                                       f"the first image ({h0}×{w0})")
        self._size = self._clamp_size(size)
        self._x = self._clamp(x, w0)
        self._y = self._clamp(y, h0)

    def _clamp_size(self, size: int) -> int:
        return int(min(max(int(size), 2), min(self.reference_shape)))

    def _clamp(self, corner: int, side: int) -> int:
        return int(min(max(int(corner), 0), side - self._size))

    @property
    def x(self) -> int:
        """Left edge of the box, pixels of the first image."""
        return self._x

    @x.setter
    def x(self, value: int) -> None:
        self._update("x", self._clamp(value, self.reference_shape[1]))

    @property
    def y(self) -> int:
        """Top edge of the box, pixels of the first image."""
        return self._y

    @y.setter
    def y(self, value: int) -> None:
        self._update("y", self._clamp(value, self.reference_shape[0]))

    @property
    def size(self) -> int:
        """Side of the square box, pixels of the first image (at least 2)."""
        return self._size

    @size.setter
    def size(self, value: int) -> None:
        size = self._clamp_size(value)
        if size != self._size:
            self._size = size  # then pull the box back inside before anyone looks at it
            self._x = self._clamp(self._x, self.reference_shape[1])
            self._y = self._clamp(self._y, self.reference_shape[0])
            self._notify("size")

    def box(self, name: str | None = None) -> tuple[int, int, int, int]:
        """The box ``(x0, y0, x1, y1)`` (end exclusive) in the pixels of image ``name``."""
        h0, w0 = self.reference_shape
        if name is None:
            return self._x, self._y, self._x + self._size, self._y + self._size
        h, w = self.images[name].shape[:2]
        sx, sy = w / w0, h / h0
        x0, y0 = int(round(self._x * sx)), int(round(self._y * sy))
        x1 = min(w, max(x0 + 1, int(round((self._x + self._size) * sx))))
        y1 = min(h, max(y0 + 1, int(round((self._y + self._size) * sy))))
        return x0, y0, x1, y1

    def crops(self) -> dict[str, np.ndarray]:
        """name → the box's crop of that image (h×w×3 float32, a copy)."""
        out = {}
        for name, img in self.images.items():
            x0, y0, x1, y1 = self.box(name)
            out[name] = img[y0:y1, x0:x1].copy()
        return out

    def figure(self, panel: float = 2.6):
        """Paper-style figure: each image with the box in red, its enlarged crop below."""
        n = len(self.images)
        h0, w0 = self.reference_shape
        fig = Figure(figsize=(panel * n, panel * (h0 / w0 + 1.0) + 0.4), layout="constrained")
        axes = fig.subplots(2, n, squeeze=False, height_ratios=(h0 / w0, 1.0))
        for col, (name, crop) in enumerate(self.crops().items()):
            x0, y0, x1, y1 = self.box(name)
            top, bottom = axes[0, col], axes[1, col]
            top.imshow(self.images[name])
            top.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0,
                                    fill=False, edgecolor="red", lw=1.5))
            top.set_title(name, fontsize=9)
            bottom.imshow(crop, interpolation="nearest")
            for ax in (top, bottom):
                ax.set_xticks([])
                ax.set_yticks([])
            for spine in bottom.spines.values():
                spine.set_edgecolor("red")
        return fig

    def widget(self):
        """An ipywidgets view: x, y and size sliders; one enlarged crop per image."""
        from hdrisp.tutorial.widgets.views import linked_zoom_view

        return linked_zoom_view(self)
