"""The RGB-uv histogram explorer core: a colour shift, histogram settings, distances."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure

from hdrisp.errors import WidgetValueError
from hdrisp.losses import DISTANCES, KERNELS, rgbuv_histogram
from hdrisp.tutorial.widgets._base import _check_range, _Observable, to_display_image


class HistogramExplorer(_Observable):
    """RGB-uv histograms of an image under a colour shift, and their distances.

    The shift multiplies the image's channels by gains, like a white-balance error:
    ``warmth`` (stops) scales R by 2^(warmth/2) and B by 2^(−warmth/2); ``tint`` (stops)
    scales G by 2^(−tint). Since u and v are log-ratios of channels, a gain only
    translates the histogram (by ln of the gain ratio) until values clip at 1.

    The histogram of the shifted image is compared with that of ``reference`` (by
    default the unshifted image) under the same settings, by every distance of the
    registry :data:`hdrisp.losses.DISTANCES`.

    Args:
        image: the image to shift (see :func:`to_display_image`), sRGB in [0, 1].
        reference: the image whose histogram is the target; the unshifted image if None.
        kernel, sigma, bins, intensity_scale, size: passed to
            :func:`hdrisp.losses.rgbuv_histogram` (``size`` is the resize side).
        warmth, tint: colour shift in stops, each in [-2, 2].
    """

    KERNELS = KERNELS
    BINS = (16, 32, 64, 128)
    SHIFT_RANGE = (-2.0, 2.0)
    SIGMA_RANGE = (0.001, 0.5)

    def __init__(self, image: Any, reference: Any | None = None, *,
                 kernel: str = "inverse-quadratic", sigma: float = 0.02, bins: int = 64,
                 intensity_scale: bool = True, warmth: float = 0.0, tint: float = 0.0,
                 size: int = 150):
        super().__init__()
        self.image = to_display_image(image)
        self.reference = None if reference is None else to_display_image(reference, "reference")
        self.size = int(size)
        self._kernel = self._check_kernel(kernel)
        self._sigma = _check_range("sigma", sigma, *self.SIGMA_RANGE)
        self._bins = self._check_bins(bins)
        self._intensity_scale = bool(intensity_scale)
        self._warmth = _check_range("warmth", warmth, *self.SHIFT_RANGE)
        self._tint = _check_range("tint", tint, *self.SHIFT_RANGE)
        self._cache: dict[tuple, np.ndarray] = {}

    def _check_kernel(self, kernel: str) -> str:
        if kernel not in self.KERNELS:
            raise WidgetValueError(f"kernel must be one of {self.KERNELS}, got {kernel!r}")
        return kernel

    def _check_bins(self, bins: int) -> int:
        if int(bins) < 2:
            raise WidgetValueError(f"bins must be at least 2, got {bins}")
        return int(bins)

    @property
    def kernel(self) -> str:
        """Histogram kernel: one of :attr:`KERNELS`."""
        return self._kernel

    @kernel.setter
    def kernel(self, value: str) -> None:
        self._update("kernel", self._check_kernel(value))

    @property
    def sigma(self) -> float:
        """Kernel width σ in log-chroma units, in :attr:`SIGMA_RANGE`."""
        return self._sigma

    @sigma.setter
    def sigma(self, value: float) -> None:
        self._update("sigma", _check_range("sigma", value, *self.SIGMA_RANGE))

    @property
    def bins(self) -> int:
        """Bins per axis of each u-v histogram (at least 2)."""
        return self._bins

    @bins.setter
    def bins(self, value: int) -> None:
        self._update("bins", self._check_bins(value))

    @property
    def intensity_scale(self) -> bool:
        """Weight each pixel by its intensity √(R² + G² + B² + ε)."""
        return self._intensity_scale

    @intensity_scale.setter
    def intensity_scale(self, value: bool) -> None:
        self._update("intensity_scale", bool(value))

    @property
    def warmth(self) -> float:
        """Stops of red-over-blue gain applied to the image, in :attr:`SHIFT_RANGE`."""
        return self._warmth

    @warmth.setter
    def warmth(self, value: float) -> None:
        self._update("warmth", _check_range("warmth", value, *self.SHIFT_RANGE))

    @property
    def tint(self) -> float:
        """Stops of magenta (a green cut) applied to the image, in :attr:`SHIFT_RANGE`."""
        return self._tint

    @tint.setter
    def tint(self, value: float) -> None:
        self._update("tint", _check_range("tint", value, *self.SHIFT_RANGE))

    @property
    def gains(self) -> np.ndarray:
        """The (R, G, B) multipliers of the current shift, float32 (3,)."""
        return np.array([2.0 ** (self._warmth / 2), 2.0 ** (-self._tint),
                         2.0 ** (-self._warmth / 2)], dtype=np.float32)

    def shifted_image(self) -> np.ndarray:
        """The image with the colour shift applied, clipped to [0, 1] (H×W×3 float32)."""
        return np.clip(self.image * self.gains, 0.0, 1.0)

    def _settings(self) -> tuple:
        return self._kernel, self._sigma, self._bins, self._intensity_scale

    def _histogram(self, image: np.ndarray, key: tuple) -> np.ndarray:
        if key not in self._cache:


            tensor = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))[None]
            with torch.no_grad():
                hist = rgbuv_histogram(tensor, bins=self._bins, size=self.size,
                                       kernel=self._kernel, sigma=self._sigma,
                                       intensity_scale=self._intensity_scale)
            if len(self._cache) > 32:
                self._cache.clear()
            self._cache[key] = hist[0].numpy()
        return self._cache[key]

    def histogram(self) -> np.ndarray:
        """RGB-uv histogram of the shifted image: 3×bins×bins float32, summing to 1."""
        key = ("image", *self._settings(), self._warmth, self._tint)
        return self._histogram(self.shifted_image(), key)

    def reference_histogram(self) -> np.ndarray:
        """RGB-uv histogram of the reference (or the unshifted image), same settings."""
        image = self.image if self.reference is None else self.reference
        return self._histogram(image, ("reference", *self._settings()))

    def bin_centres(self) -> np.ndarray:
        """The u (and v) coordinate of each bin centre, (bins,) float64 in [-3, 3]."""
        return np.linspace(-3.0, 3.0, self._bins)

    def losses(self) -> dict[str, float]:
        """Distance name → value between :meth:`histogram` and :meth:`reference_histogram`,
        for every distance of :data:`hdrisp.losses.DISTANCES` (per image, exact forms)."""


        pred = torch.from_numpy(self.histogram())[None]
        target = torch.from_numpy(self.reference_histogram())[None]
        out = {}
        for name, distance in DISTANCES.items():
            options = {"safe": False} if name == "hellinger" else {}  # no gradient needed here
            out[name] = float(distance(pred, target, reduction="mean", **options))
        return out

    def figure(self, panel: float = 2.4):
        """Image, shifted image and the three u-v histograms of each (h^¼ for display)."""
        fig = Figure(figsize=(panel * 4, panel * 2 + 0.3), layout="constrained")
        axes = fig.subplots(2, 4, squeeze=False)
        rows = (("reference" if self.reference is not None else "original",
                 self.image if self.reference is None else self.reference,
                 self.reference_histogram()),
                (f"shifted (warmth {self._warmth:+.2f}, tint {self._tint:+.2f})",
                 self.shifted_image(), self.histogram()))
        for r, (title, image, hist) in enumerate(rows):
            axes[r, 0].imshow(image)
            axes[r, 0].set_title(title, fontsize=8)
            axes[r, 0].set_axis_off()
            for c, channel in enumerate("RGB"):
                plot_uv_histogram(axes[r, c + 1], hist[c], f"{channel} projection (h^¼)")
        return fig

    def widget(self):
        """An ipywidgets view: kernel, σ, bins, intensity, warmth and tint controls with the
        live histogram figure and a table of distances."""
        from hdrisp.tutorial.widgets.views import histogram_explorer_view

        return histogram_explorer_view(self)


def uv_density(hist: Any, gamma: float = 0.25) -> np.ndarray:
    """One projection's bins×bins histogram (rows u, columns v) as a display array.

    Returns:
        float64 bins×bins in [0, 1]: rows v (top = the last bin, +3), columns u, values
        h^gamma / max — the fourth root by default, since a photograph's mass piles up in a
        few bins near the neutral axis.
    """
    arr = np.asarray(hist.detach().cpu() if hasattr(hist, "detach") else hist, np.float64)
    if arr.ndim != 2:
        raise WidgetValueError(f"expected one bins×bins histogram, got shape {arr.shape}")
    density = np.flipud(np.clip(arr, 0.0, None).T) ** gamma
    return density / max(float(density.max()), 1e-300)


def plot_uv_histogram(ax: Any, hist: Any, title: str | None = None, gamma: float = 0.25,
                      bounds: tuple[float, float] = (-3.0, 3.0), labels: bool = True) -> None:
    """Draw one projection's u-v histogram on a matplotlib axes (u →, v ↑, h^gamma)."""
    lo, hi = bounds
    ax.imshow(uv_density(hist, gamma), extent=(lo, hi, lo, hi), cmap="magma",
              interpolation="nearest")
    if title:
        ax.set_title(title, fontsize=8)
    if labels:
        ax.set_xlabel("u", fontsize=7)
        ax.set_ylabel("v", fontsize=7)
        ax.tick_params(labelsize=6)
    else:
        ax.set_xticks([])
        ax.set_yticks([])
