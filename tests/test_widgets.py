"""The widget cores (set values, check state and computed arrays) and their ipywidgets views
(drive a control's .value, check that the core and the rendered output follow) — no browser."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hdrisp import losses, models
from hdrisp.errors import HdrispError
from hdrisp.tutorial.widgets import (
    BeforeAfter,
    HistogramExplorer,
    LinkedZoom,
    PyramidViewer,
    TrainingMonitor,
    WidgetValueError,
    to_display_image,
)


def _ramp(h: int = 40, w: int = 60) -> np.ndarray:
    """An image whose every pixel is different: R = column, G = row, B = constant."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    return np.stack([xx / w, yy / h, np.full_like(xx, 0.25)], axis=-1)


# --------------------------------------------------------------------------- conversion


def test_to_display_image_accepts_the_usual_layouts():
    rgb8 = np.full((4, 5, 3), 255, np.uint8)
    assert to_display_image(rgb8).dtype == np.float32
    assert np.all(to_display_image(rgb8) == 1.0)
    grey = to_display_image(np.full((4, 5), 0.5))
    assert grey.shape == (4, 5, 3) and np.all(grey == 0.5)
    tensor = torch.zeros(1, 3, 4, 5)
    tensor[0, 2] = 2.0  # out of range: clipped
    assert to_display_image(tensor).shape == (4, 5, 3)
    assert np.all(to_display_image(tensor)[..., 2] == 1.0)
    with pytest.raises(WidgetValueError, match="H×W×3"):
        to_display_image(np.zeros((4, 5, 4)))
    assert issubclass(WidgetValueError, HdrispError) and issubclass(WidgetValueError, ValueError)


# --------------------------------------------------------------------------- BeforeAfter


def test_before_after_splits_columns_at_the_position():
    before, after = np.zeros((10, 20, 3)), np.ones((10, 20, 3))
    ba = BeforeAfter(before, after, position=0.25)
    out = ba.composite()
    assert ba.split_index == 5
    assert np.all(out[:, :5] == 0.0) and np.all(out[:, 5:] == 1.0)
    ba.value = 1.0  # .value is the position
    assert ba.position == 1.0 and np.all(ba.composite() == 0.0)
    ba.position = 0.0
    assert np.all(ba.composite() == 1.0)
    with pytest.raises(WidgetValueError, match="position"):
        ba.position = 1.5
    assert ba.position == 0.0  # a refused value leaves the state alone


def test_before_after_horizontal_and_divider():
    before, after = np.zeros((10, 20, 3)), np.full((10, 20, 3), 0.5)
    ba = BeforeAfter(before, after, position=0.3, orientation="horizontal")
    out = ba.composite(divider=True)
    assert np.all(out[:3] == 0.0) and np.all(out[3] == 1.0) and np.all(out[4:] == 0.5)


def test_before_after_refuses_mismatched_sizes():
    with pytest.raises(WidgetValueError, match="same size"):
        BeforeAfter(np.zeros((10, 20, 3)), np.zeros((10, 21, 3)))


def test_before_after_view_follows_the_slider_and_the_core():
    before, after = np.zeros((10, 20, 3)), np.ones((10, 20, 3))
    ba = BeforeAfter(before, after, position=0.5)
    view = ba.widget()
    slider, image = view.controls["position"], view.outputs["image"]
    first = bytes(image.value)
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    slider.value = 0.8
    assert ba.position == pytest.approx(0.8)
    assert bytes(image.value) != first
    ba.position = 0.1  # set in code: the slider moves too
    assert slider.value == pytest.approx(0.1)


# --------------------------------------------------------------------------- LinkedZoom


def test_linked_zoom_cuts_the_same_region_at_every_resolution():
    full = _ramp(40, 60)
    half = full[::2, ::2]
    zoom = LinkedZoom({"full": full, "half": half}, x=10, y=6, size=8)
    crops = zoom.crops()
    assert crops["full"].shape == (8, 8, 3) and crops["half"].shape == (4, 4, 3)
    np.testing.assert_array_equal(crops["full"], full[6:14, 10:18])
    np.testing.assert_array_equal(crops["half"], full[6:14:2, 10:18:2])
    assert zoom.box("half") == (5, 3, 9, 7)


def test_linked_zoom_clamps_the_box_inside_the_image():
    zoom = LinkedZoom({"a": _ramp(40, 60)}, x=0, y=0, size=10)
    zoom.x = 100
    assert zoom.x == 50
    zoom.y = -5
    assert zoom.y == 0
    zoom.size = 30  # growing the box pulls it back inside
    assert (zoom.size, zoom.x) == (30, 30)
    zoom.size = 1000
    assert zoom.size == 40 and zoom.box() == (20, 0, 60, 40)


def test_linked_zoom_refuses_other_aspect_ratios():
    with pytest.raises(WidgetValueError, match="aspect ratio"):
        LinkedZoom({"a": _ramp(40, 60), "b": _ramp(40, 40)})


def test_linked_zoom_view_drives_the_box():
    zoom = LinkedZoom({"a": _ramp(40, 60), "b": _ramp(20, 30)}, size=10)
    view = zoom.widget()
    crop_b = bytes(view.outputs["crop:b"].value)
    view.controls["x"].value = 20
    view.controls["y"].value = 12
    assert zoom.box() == (20, 12, 30, 22)
    assert bytes(view.outputs["crop:b"].value) != crop_b
    view.controls["size"].value = 40
    assert view.controls["x"].value == 20 and view.controls["x"].max == 20
    assert view.controls["y"].value == 0 and zoom.y == 0


# --------------------------------------------------------------------------- PyramidViewer


class _TwoLevelModel(torch.nn.Module):
    """Stands in for a pyramid model: level 1 is the packed input's first three channels,
    level 0 that image twice as large and half as bright (the real model: test_models)."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = torch.nn.Parameter(torch.ones(()))

    def forward(self, x, return_all=False):
        coarse = x[:, :3] * self.scale
        fine = torch.nn.functional.interpolate(coarse, scale_factor=2, mode="nearest") / 2
        return {1: coarse, 0: fine} if return_all else fine


def test_pyramid_viewer_keeps_every_level():
    packed = torch.rand(4, 8, 12)
    viewer = PyramidViewer(_TwoLevelModel(), packed)
    assert viewer.levels == [1, 0]
    assert viewer.level == 0 and viewer.image.shape == (16, 24, 3)
    np.testing.assert_allclose(viewer.image[::2, ::2], packed[:3].permute(1, 2, 0).numpy() / 2,
                               atol=1e-7)
    viewer.value = 1
    np.testing.assert_allclose(viewer.image, packed[:3].permute(1, 2, 0).numpy(), atol=1e-7)
    with pytest.raises(WidgetValueError, match="not computed"):
        viewer.level = 3
    with pytest.raises(WidgetValueError, match="packed input"):
        _ = PyramidViewer(_TwoLevelModel(), torch.rand(3, 8, 12)).outputs


def test_pyramid_viewer_on_the_real_network():
    torch.manual_seed(0)
    viewer = PyramidViewer(models.build("rawtonemap", level=2), torch.rand(1, 4, 32, 32))
    assert viewer.levels == [4, 3, 2]
    assert [viewer.outputs[lvl].shape[0] for lvl in viewer.levels] == [4, 8, 16]
    assert viewer.level == 2 and viewer.model.training  # train mode is given back


def test_pyramid_view_buttons_switch_the_image():
    viewer = PyramidViewer(_TwoLevelModel(), torch.rand(1, 4, 8, 12))
    view = viewer.widget()
    buttons, image = view.controls["level"], view.outputs["image"]
    assert buttons.options == (("level 1", 1), ("level 0", 0))
    shown = bytes(image.value)
    buttons.value = 1
    assert viewer.level == 1 and bytes(image.value) != shown
    assert "12×8" in view.outputs["caption"].value


# --------------------------------------------------------------------------- HistogramExplorer


def _photo(seed: int = 0) -> np.ndarray:
    """A smooth random colour image kept below 0.45, so a one-stop gain never clips."""
    rng = np.random.default_rng(seed)
    low = rng.uniform(0.05, 0.45, size=(6, 6, 3)).astype(np.float32)
    return np.kron(low, np.ones((8, 8, 1), np.float32))


def _centroid(hist: np.ndarray, centres: np.ndarray) -> tuple[float, float]:
    """Mass-weighted mean (u, v) of one projection's bins×bins histogram."""
    mass = hist.sum()
    return float((hist.sum(1) * centres).sum() / mass), float((hist.sum(0) * centres).sum() / mass)


def test_histogram_explorer_colour_shift_translates_the_uv_histogram():
    # A Gaussian kernel about one bin wide gives every pixel the same total vote wherever it
    # falls between bin centres, so without intensity weights (which the gains would change
    # unevenly) the histogram's centroid is the pixels' mean (u, v).
    explorer = HistogramExplorer(_photo(), size=48, kernel="rbf", sigma=0.1,
                                 intensity_scale=False)
    centres = explorer.bin_centres()
    before = [_centroid(explorer.histogram()[c], centres) for c in range(3)]
    explorer.warmth = 1.0  # R × 2^0.5, B × 2^-0.5: u_R = ln R − ln G grows by ln 2 / 2
    np.testing.assert_allclose(explorer.gains, [2 ** 0.5, 1.0, 2 ** -0.5], rtol=1e-6)
    after = [_centroid(explorer.histogram()[c], centres) for c in range(3)]
    half_ln2 = np.log(2) / 2
    # projection R: u = ln R − ln G, v = ln R − ln B; G: u = ln G − ln R, v = ln G − ln B
    expected = [(half_ln2, 2 * half_ln2), (-half_ln2, half_ln2), (-2 * half_ln2, -half_ln2)]
    for (u0, v0), (u1, v1), (du, dv) in zip(before, after, expected, strict=True):
        assert u1 - u0 == pytest.approx(du, abs=2e-3)
        assert v1 - v0 == pytest.approx(dv, abs=2e-3)


def test_histogram_explorer_losses_grow_with_the_shift():
    explorer = HistogramExplorer(_photo(1), size=48)
    zero = explorer.losses()
    assert "hellinger" in zero
    assert all(abs(v) < 1e-6 for v in zero.values()), zero
    explorer.warmth = 0.25
    small = explorer.losses()
    explorer.warmth = 1.0
    large = explorer.losses()
    for name in zero:
        assert 0 < small[name] < large[name], (name, small, large)


def test_histogram_explorer_settings_reach_rgbuv_histogram():
    image = _photo(2)
    explorer = HistogramExplorer(image, kernel="rbf", sigma=0.1, bins=32, intensity_scale=False,
                                 size=48)
    tensor = torch.from_numpy(image.transpose(2, 0, 1).copy())[None]
    expected = losses.rgbuv_histogram(tensor, bins=32, size=48, kernel="rbf", sigma=0.1,
                                      intensity_scale=False)[0].numpy()
    assert explorer.histogram().shape == (3, 32, 32)
    np.testing.assert_allclose(explorer.histogram(), expected, atol=1e-7)
    assert explorer.histogram().sum() == pytest.approx(1.0, abs=1e-4)
    with pytest.raises(WidgetValueError, match="kernel"):
        explorer.kernel = "box"
    with pytest.raises(WidgetValueError, match="sigma"):
        explorer.sigma = 0.0


def test_histogram_explorer_with_a_reference_compares_against_it():
    image = _photo(3)
    same = HistogramExplorer(image, reference=image, size=48)
    other = HistogramExplorer(image, reference=_photo(4), size=48)
    assert same.losses()["hellinger"] < 1e-6 < other.losses()["hellinger"]


def test_histogram_explorer_view_controls_drive_the_core():
    explorer = HistogramExplorer(_photo(5), size=32)
    view = explorer.widget()
    figure, table = view.outputs["histograms"], view.outputs["losses"]
    shown, text = bytes(figure.value), table.value
    view.controls["warmth"].value = 0.5
    assert explorer.warmth == 0.5
    assert bytes(figure.value) != shown and table.value != text
    view.controls["kernel"].value = "rbf"
    view.controls["bins"].value = 32
    view.controls["intensity_scale"].value = False
    view.controls["sigma"].value = 0.1
    assert (explorer.kernel, explorer.bins, explorer.intensity_scale) == ("rbf", 32, False)
    assert explorer.sigma == pytest.approx(0.1)
    assert explorer.histogram().shape == (3, 32, 32)
    explorer.tint = -0.5  # set in code: the slider follows
    assert view.controls["tint"].value == -0.5


def test_histogram_sheet_redraws_only_the_shifted_row():
    from hdrisp.tutorial.widgets.views import histogram_sheet

    explorer = HistogramExplorer(_photo(6), size=32)
    before = histogram_sheet(explorer, tile=64, gap=4)
    assert before.shape == (2 * 64 + 4, 4 * 64 + 3 * 4, 3)
    np.testing.assert_allclose(before[:64], before[68:], atol=1 / 255)  # no shift: rows equal
    explorer.warmth = 1.0
    after = histogram_sheet(explorer, tile=64, gap=4)
    np.testing.assert_array_equal(after[:64], before[:64])
    assert np.abs(after[68:, 68:] - before[68:, 68:]).mean() > 0.01  # the histograms moved


# --------------------------------------------------------------------------- TrainingMonitor


def _feed(monitor: TrainingMonitor) -> None:
    """Two levels of made-up training: level 4 for 3 steps, then level 3 for 2 steps."""
    for step, loss in ((1, 0.9), (2, 0.5), (3, 0.4)):
        monitor("step", {"level": 4, "epoch": 0, "step": step,
                         "terms": {"loss": loss, "mse": loss / 2}})
    monitor("validation", {"level": 4, "epoch": 1, "step": 3, "metrics": {"psnr": 14.0}})
    for step, loss in ((1, 0.8), (2, 0.6)):  # level 3 adds a term
        monitor("step", {"level": 3, "epoch": 0, "step": step,
                         "terms": {"loss": loss, "mse": loss / 2, "vgg": loss / 4}})


def test_training_monitor_joins_the_levels_into_one_curve():
    monitor = TrainingMonitor()
    _feed(monitor)
    assert monitor.levels == [4, 3]
    steps, loss = monitor.curve("loss")
    np.testing.assert_array_equal(steps, [1, 2, 3, 4, 5])
    np.testing.assert_allclose(loss, [0.9, 0.5, 0.4, 0.8, 0.6])
    steps3, mse3 = monitor.curve("mse", level=3)
    np.testing.assert_array_equal(steps3, [1, 2])
    np.testing.assert_allclose(mse3, [0.4, 0.3])
    vgg_steps, _ = monitor.curve("vgg")  # a term of level 3 only sits at level 3's steps
    np.testing.assert_array_equal(vgg_steps, [4, 5])
    _, smooth = monitor.curve("loss", smooth=2)
    np.testing.assert_allclose(smooth, [0.7, 0.45, 0.6, 0.7])
    assert monitor.level_bounds() == [(4, 1, 3), (3, 4, 5)]
    assert monitor.summary()[4] == {"train loss": 0.4, "train mse": 0.2, "val psnr": 14.0}
    assert monitor.summary()[3]["train vgg"] == pytest.approx(0.15)
    monitor("something else", {"level": 3})  # unknown events are ignored
    assert monitor.last_event == "step"


def test_training_monitor_previews_each_finished_level(tmp_path):
    torch.manual_seed(0)
    model = models.build("rawtonemap", level=3)
    path = tmp_path / "weights.pth"
    torch.save(model.state_dict(), path)
    packed = torch.rand(4, 32, 48)
    monitor = TrainingMonitor(preview=packed)
    view = monitor.widget(min_interval=3600.0)
    _feed(monitor)
    curves = bytes(view.outputs["curves"].value)
    monitor("level_end", {"level": 3, "last": path, "best": None})
    assert monitor.checkpoints == {3: str(path)}
    with torch.no_grad():
        expected = model.eval()(packed[None])[0].permute(1, 2, 0).clamp(0, 1).numpy()
    assert monitor.previews[3].shape == (8, 12, 3)  # level 3: 1/4 of the packed side
    np.testing.assert_allclose(monitor.previews[3], expected, atol=1e-6)
    assert len(view.outputs["previews"].children) == 1
    assert bytes(view.outputs["curves"].value) != curves  # a level end redraws at once
    assert "level 3" in view.outputs["status"].value


def test_uv_density_puts_u_across_and_v_up():
    from hdrisp.tutorial.widgets import uv_density

    hist = np.zeros((8, 8))
    hist[6, 1] = 16.0  # u bin 6 (right), v bin 1 (low)
    hist[0, 0] = 1.0
    shown = uv_density(hist)
    assert shown[8 - 1 - 1, 6] == 1.0  # low v is near the bottom row
    assert shown[7, 0] == pytest.approx(0.5)  # (1/16)^¼ of the peak
    with pytest.raises(WidgetValueError, match="bins×bins"):
        uv_density(np.zeros((3, 8, 8)))
