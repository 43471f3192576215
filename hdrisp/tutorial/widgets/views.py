"""Thin ipywidgets views over the widget cores (imported only when a view is built).

Each ``*_view(core)`` function returns a :class:`WidgetView`: the root widget to
display, plus the controls and outputs by name, so a test can drive a control's
``.value`` and check that the core and the rendered output followed. Controls
and core stay in step both ways: moving a slider sets the core's attribute, and
setting the attribute in code moves the slider and redraws.

Images are sent as PNG bytes to ``ipywidgets.Image``, drawn with numpy and PIL
(milliseconds) rather than matplotlib axes (about a second each), so the controls
stay live; the cores' ``figure()`` gives the labelled static version.
"""

from __future__ import annotations

import html
import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as W
import numpy as np
from matplotlib import colormaps
from PIL import Image

from hdrisp.raw.color import to_uint8
from hdrisp.tutorial.widgets.compare import BeforeAfter, LinkedZoom
from hdrisp.tutorial.widgets.histogram import HistogramExplorer, uv_density
from hdrisp.tutorial.widgets.pyramid import PyramidViewer
from hdrisp.tutorial.widgets.training import TrainingMonitor

DISPLAY_SIDE = 384  # pixels: the side images are enlarged to (nearest neighbour) for display


@dataclass
class WidgetView:
    """A built view: ``root`` is what a notebook displays.

    Attributes:
        root: the top-level ipywidgets container.
        controls: control name (the core attribute it drives) → widget.
        outputs: output name → widget (``ipywidgets.Image`` or ``ipywidgets.HTML``).
        refresh: redraws every output from the core's current state.
    """

    root: Any
    controls: dict[str, Any]
    outputs: dict[str, Any]
    refresh: Callable[[], None] = field(repr=False)

    def _repr_mimebundle_(self, **kwargs):
        return self.root._repr_mimebundle_(**kwargs)


def png_bytes(image: np.ndarray) -> bytes:
    """Encode an H×W×3 float image in [0, 1] as PNG bytes."""
    data = to_uint8(image)
    buffer = io.BytesIO()
    Image.fromarray(data).save(buffer, format="png")
    return buffer.getvalue()


def enlarge(image: np.ndarray, side: int = DISPLAY_SIDE) -> np.ndarray:
    """Nearest-neighbour enlargement by an integer factor so the longer side nears ``side``."""
    factor = max(1, side // max(image.shape[:2]))
    return image.repeat(factor, axis=0).repeat(factor, axis=1)


def draw_box(image: np.ndarray, box: tuple[int, int, int, int],
             colour: tuple[float, float, float] = (1.0, 0.0, 0.0)) -> np.ndarray:
    """A copy of ``image`` with the outline of ``box`` (x0, y0, x1, y1) drawn 1 pixel wide."""
    out = image.copy()
    x0, y0, x1, y1 = box
    out[y0:y1, [x0, x1 - 1]] = colour
    out[[y0, y1 - 1], x0:x1] = colour
    return out


def _bind(core: Any, controls: dict[str, Any], refresh: Callable[[], None]) -> None:
    """Keep ``core.<name>`` and ``controls[name].value`` equal both ways; redraw on change."""
    for name, control in controls.items():
        control.observe(lambda change, name=name: setattr(core, name, change["new"]),
                        names="value")

    def on_core_change(_: str) -> None:
        for name, control in controls.items():  # one change may move others (a clamped box)
            if control.value != getattr(core, name):
                control.value = getattr(core, name)
        refresh()

    core.observe(on_core_change)


def _finish(root: Any, controls: dict, outputs: dict, core: Any,
            refresh: Callable[[], None]) -> WidgetView:
    # a CSS class per tool (e.g. "hdrisp-histogramexplorer"), for styling and browser tests
    root.add_class(f"hdrisp-{type(core).__name__.lower()}")
    _bind(core, controls, refresh)
    refresh()
    return WidgetView(root=root, controls=controls, outputs=outputs, refresh=refresh)


def before_after_view(core: BeforeAfter) -> WidgetView:
    """Slider for :attr:`BeforeAfter.position` over the composited image."""
    slider = W.FloatSlider(value=core.position, min=0.0, max=1.0, step=0.01,
                           description="split", readout_format=".2f",
                           layout=W.Layout(width="100%"))
    image = W.Image(format="png", layout=W.Layout(width="100%", max_width="768px"))
    labels = W.HTML(f"<b>{html.escape(core.labels[0])}</b> | <b>{html.escape(core.labels[1])}"
                    f"</b> ({core.orientation} split)")

    def refresh() -> None:
        image.value = png_bytes(core.composite(divider=True))

    root = W.VBox([labels, slider, image])
    return _finish(root, {"position": slider}, {"image": image}, core, refresh)


def linked_zoom_view(core: LinkedZoom) -> WidgetView:
    """x, y and size sliders; the first image with the box; every image's enlarged crop."""
    h0, w0 = core.reference_shape
    size = W.IntSlider(value=core.size, min=2, max=min(h0, w0), description="size")
    x = W.IntSlider(value=core.x, min=0, max=w0 - core.size, description="x")
    y = W.IntSlider(value=core.y, min=0, max=h0 - core.size, description="y")
    overview = W.Image(format="png", layout=W.Layout(width="320px"))
    crop_images = {name: W.Image(format="png", layout=W.Layout(width="192px"))
                   for name in core.images}
    tiles = [W.VBox([W.HTML(f"<small>{html.escape(name)}</small>"), img])
             for name, img in crop_images.items()]
    reference_name = next(iter(core.images))

    def refresh() -> None:
        x.max, y.max = w0 - core.size, h0 - core.size
        overview.value = png_bytes(draw_box(core.images[reference_name], core.box()))
        for name, crop in core.crops().items():
            crop_images[name].value = png_bytes(enlarge(crop, 192))

    root = W.VBox([W.HBox([W.VBox([x, y, size]), overview]), W.HBox(tiles)])
    outputs = {"overview": overview, **{f"crop:{n}": img for n, img in crop_images.items()}}
    return _finish(root, {"x": x, "y": y, "size": size}, outputs, core, refresh)


def _loss_table(values: dict[str, float]) -> str:
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td style='text-align:right'>{v:.5f}</td></tr>"
                   for k, v in values.items())
    return f"<table><tr><th>distance</th><th>value</th></tr>{rows}</table>"


def histogram_sheet(explorer: HistogramExplorer, tile: int = 128, gap: int = 4) -> np.ndarray:
    """The explorer's images and u-v histograms as one H×W×3 array (fast: no matplotlib axes).

    Rows: the reference (or unshifted) image, then the shifted one; columns: the image and the
    histograms of the R, G and B projections (h^¼, u to the right, v up, both −3…3).
    """
    reference = explorer.image if explorer.reference is None else explorer.reference
    rows = ((reference, explorer.reference_histogram()),
            (explorer.shifted_image(), explorer.histogram()))
    colormap = colormaps["magma"]
    sheet = np.ones((2 * tile + gap, 4 * tile + 3 * gap, 3), np.float32)
    for r, (image, hist) in enumerate(rows):
        tiles = [image]
        for c in range(3):
            tiles.append(colormap(uv_density(hist[c]))[..., :3])
        for c, array in enumerate(tiles):
            pil = Image.fromarray(to_uint8(array))
            resample = Image.Resampling.BILINEAR if c == 0 else Image.Resampling.NEAREST
            resized = np.asarray(pil.resize((tile, tile), resample), np.float32) / 255.0
            y, x = r * (tile + gap), c * (tile + gap)
            sheet[y:y + tile, x:x + tile] = resized
    return sheet


def histogram_explorer_view(core: HistogramExplorer) -> WidgetView:
    """Histogram settings and colour-shift controls; live histograms and distances."""
    style = {"description_width": "110px"}
    wide = W.Layout(width="380px")
    controls = {
        "kernel": W.Dropdown(options=list(core.KERNELS), value=core.kernel,
                             description="kernel", style=style, layout=wide),
        "sigma": W.FloatLogSlider(value=core.sigma, base=10,
                                  min=float(np.log10(core.SIGMA_RANGE[0])),
                                  max=float(np.log10(core.SIGMA_RANGE[1])), step=0.05,
                                  description="σ", readout_format=".3f",
                                  continuous_update=False, style=style, layout=wide),
        "bins": W.Dropdown(options=sorted({*core.BINS, core.bins}), value=core.bins,
                           description="bins", style=style, layout=wide),
        "intensity_scale": W.Checkbox(value=core.intensity_scale,
                                      description="intensity weight", style=style, layout=wide),
        "warmth": W.FloatSlider(value=core.warmth, min=core.SHIFT_RANGE[0],
                                max=core.SHIFT_RANGE[1], step=0.05, continuous_update=False,
                                description="warmth (stops)", style=style, layout=wide),
        "tint": W.FloatSlider(value=core.tint, min=core.SHIFT_RANGE[0], max=core.SHIFT_RANGE[1],
                              step=0.05, continuous_update=False, description="tint (stops)",
                              style=style, layout=wide),
    }
    sheet = W.Image(format="png", layout=W.Layout(width="532px"))
    table = W.HTML()
    top = "reference" if core.reference is not None else "original"
    legend = W.HTML(f"<small>rows: {top}, shifted · columns: image, R, G, B projection "
                    "(u →, v ↑, −3…3, h^¼)</small>")

    def refresh() -> None:
        sheet.value = png_bytes(histogram_sheet(core))
        table.value = _loss_table(core.losses())

    root = W.VBox([W.HBox([W.VBox(list(controls.values())), table]), legend, sheet])
    return _finish(root, controls, {"histograms": sheet, "losses": table}, core, refresh)


def pyramid_view(core: PyramidViewer) -> WidgetView:
    """Level buttons over the chosen level's output, enlarged to a common display size."""
    buttons = W.ToggleButtons(options=[(f"level {lvl}", lvl) for lvl in core.levels],
                              value=core.level, description="level")
    side = min(DISPLAY_SIDE * 2, max(max(img.shape[:2]) for img in core.outputs.values()))
    image = W.Image(format="png", layout=W.Layout(width=f"{side}px"))
    caption = W.HTML()

    def refresh() -> None:
        shown = core.image
        image.value = png_bytes(enlarge(shown, side))
        caption.value = (f"level {core.level}: {shown.shape[1]}×{shown.shape[0]} pixels, "
                         f"shown at {side} px")

    root = W.VBox([buttons, caption, image])
    return _finish(root, {"level": buttons}, {"image": image, "caption": caption}, core, refresh)


def training_monitor_view(core: TrainingMonitor, min_interval: float = 2.0) -> WidgetView:
    """Live status line, loss curves and one preview per finished level.

    The curves are redrawn at each validation and level end, and after steps at most every
    ``min_interval`` seconds (and never more than a tenth of the time), so drawing does not
    slow training down.
    """
    status = W.HTML()
    curves = W.Image(format="png", layout=W.Layout(width="100%", max_width="800px"))
    previews = W.HBox()
    last_draw = {"at": -float("inf"), "took": 0.0}

    def refresh() -> None:
        levels = core.levels
        if levels and core.steps.get(levels[-1]):
            step, terms = core.steps[levels[-1]][-1]
            text = ", ".join(f"{k} {v:.4g}" for k, v in terms.items())
            status.value = f"<b>level {levels[-1]}</b>, step {step}: {text}"
        now = time.monotonic()
        # drawing takes ~0.1 s: keep it under a tenth of the time, however fast the steps are
        wait = max(min_interval, 10 * last_draw["took"])
        if core.last_event != "step" or now - last_draw["at"] >= wait:
            buffer = io.BytesIO()
            core.figure(previews=False).savefig(buffer, format="png", dpi=72)
            curves.value = buffer.getvalue()
            last_draw["at"], last_draw["took"] = time.monotonic(), time.monotonic() - now
        if len(previews.children) != len(core.previews):
            tiles = []
            for lvl, image in sorted(core.previews.items(), reverse=True):
                picture = W.Image(value=png_bytes(enlarge(image, 160)), format="png",
                                  layout=W.Layout(width="160px"))
                tiles.append(W.VBox([W.HTML(f"<small>level {lvl}</small>"), picture]))
            previews.children = tiles

    root = W.VBox([status, curves, previews])
    return _finish(root, {}, {"status": status, "curves": curves, "previews": previews}, core,
                   refresh)
