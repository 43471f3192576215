"""Interactive comparison tools for the notebooks: a pure-compute core per tool.

Each class here holds plain state (attributes you can set, validated and
clamped) and computes arrays from it; nothing here needs a browser, so the
tests set values and assert on the outputs. ``.widget()`` builds the thin
ipywidgets view of :mod:`hdrisp.tutorial.widgets.views` on top (imported lazily), and
``.figure()`` draws a static matplotlib figure that survives in executed
notebooks and their HTML, where live widgets do not.

- :class:`BeforeAfter`        split position → one image composited from two
- :class:`LinkedZoom`         crop box (x, y, size) → the same crop of N images
- :class:`HistogramExplorer`  kernel, σ, bins, intensity switch and a colour
  shift → RGB-uv histograms (:func:`hdrisp.losses.rgbuv_histogram`) and the
  histogram distances of :mod:`hdrisp.losses`
- :class:`PyramidViewer`      ``model(x, return_all=True)`` → one image per level
- :class:`TrainingMonitor`    training events (a callback of :mod:`hdrisp.training`) →
  loss curves and one preview per finished level

Images everywhere are H×W×3 float32 sRGB in [0, 1] (numpy); inputs may also be
uint8/uint16 arrays, grey H×W arrays or torch tensors 3×H×W / 1×3×H×W.
"""

from hdrisp.errors import WidgetValueError
from hdrisp.tutorial.widgets._base import to_display_image
from hdrisp.tutorial.widgets.compare import BeforeAfter, LinkedZoom
from hdrisp.tutorial.widgets.histogram import HistogramExplorer, plot_uv_histogram, uv_density
from hdrisp.tutorial.widgets.pyramid import PyramidViewer
from hdrisp.tutorial.widgets.training import TrainingMonitor

__all__ = [
    "WidgetValueError",
    "to_display_image",
    "BeforeAfter",
    "LinkedZoom",
    "HistogramExplorer",
    "PyramidViewer",
    "TrainingMonitor",
    "plot_uv_histogram",
    "uv_density",
]
