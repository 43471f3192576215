"""Shared pieces of the widget cores: image conversion, change notification, errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from hdrisp.errors import WidgetValueError


def to_display_image(image: Any, name: str = "image") -> np.ndarray:
    """Convert an image to a float32 H×W×3 array in [0, 1] for display.

    Args:
        image: numpy H×W×3 or H×W (grey), float in [0, 1] or uint8/uint16 (scaled by the
            dtype's maximum); or a torch tensor 3×H×W or 1×3×H×W with values in [0, 1].
        name: what to call the image in an error message.

    Returns:
        float32 H×W×3, values clipped to [0, 1] (NaN becomes 0).
    """
    if hasattr(image, "detach"):  # a torch tensor, without importing torch here
        image = image.detach().to("cpu").float().numpy()
        if image.ndim == 4 and image.shape[0] == 1:
            image = image[0]
        if image.ndim == 3 and image.shape[0] in (1, 3):
            image = np.moveaxis(image, 0, -1)
    arr = np.asarray(image)
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=-1)
    if arr.ndim != 3 or arr.shape[-1] != 3 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise WidgetValueError(f"{name} must be an H×W×3 (or 3×H×W tensor) image, got "
                               f"shape {tuple(np.shape(image))}")
    if np.issubdtype(arr.dtype, np.integer):
        arr = arr.astype(np.float32) / float(np.iinfo(arr.dtype).max)
    arr = np.nan_to_num(arr.astype(np.float32, copy=False), nan=0.0)
    return np.clip(arr, 0.0, 1.0)


class _Observable:
    """State holder that tells registered callbacks which attribute changed."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[[str], None]] = []

    def observe(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(name)`` after each change of a state attribute."""
        self._callbacks.append(callback)

    def _update(self, name: str, value: Any) -> None:
        if getattr(self, "_" + name, None) == value:
            return
        setattr(self, "_" + name, value)
        self._notify(name)

    def _notify(self, name: str) -> None:
        for callback in list(self._callbacks):
            callback(name)


def _check_range(name: str, value: float, low: float, high: float) -> float:
    value = float(value)
    if not low <= value <= high:
        raise WidgetValueError(f"{name} must lie in [{low}, {high}], got {value}")
    return value
