"""Frame-statistics tiling (hdrisp.inference.framestats): tiles that equal the untiled forward."""

from __future__ import annotations

import math

import imageio.v3 as iio
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from hdrisp.errors import ConfigError
from hdrisp.inference.develop import Developer
from hdrisp.inference.framestats import (
    FrameForward,
    FramePlan,
    Reduce,
    Region,
    Up,
    frame_forward,
    lower,
    pass_tiles,
)
from hdrisp.models import PyNET, RawTonemapNet, fill_reference_init
from hdrisp.raw import write_dng


def _psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    mse = float((a.double() - b.double()).pow(2).mean())
    return math.inf if mse == 0 else 10 * math.log10(1 / mse)


def _untiled(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.inference_mode():
        return model(x)


@pytest.fixture(scope="module")
def reference_net() -> RawTonemapNet:
    return fill_reference_init(RawTonemapNet(), seed=1).eval()


@pytest.mark.parametrize("size,tile,tiling,scale_tiles", [(256, 64, "strips", True),
                                                         (128, 32, "squares", False)])
def test_frame_statistics_equal_the_untiled_forward(reference_net, size, tile, tiling,
                                                    scale_tiles):
    # tiles of a quarter of the side: 16 strips, or 4×4 squares at every scale
    x = torch.rand(1, 4, size, size, generator=torch.Generator().manual_seed(0))
    plan = FramePlan(reference_net)
    grids = pass_tiles(plan, size, size, tile, tiling=tiling, scale_tiles=scale_tiles)
    assert max(len(g) for g in grids) == 16
    out = frame_forward(reference_net, x, tile, tiling=tiling, scale_tiles=scale_tiles)
    assert (out - _untiled(reference_net, x)).abs().max() <= 1e-4


@pytest.mark.parametrize("level,size,tile", [(0, (37, 53), 16), (1, (40, 104), 16),
                                             (2, (100, 124), 32), (4, (72, 48), 16)])
def test_every_level_and_odd_frame_sizes(reference_net, level, size, tile):
    # odd sizes are padded to a multiple of 8 exactly as the untiled develop pads them
    net = fill_reference_init(RawTonemapNet(level=level), seed=2).eval()
    x = torch.rand(1, 4, *size, generator=torch.Generator().manual_seed(level))
    whole = Developer(net, level=level, tile=None, device="cpu", precision="fp32").run(x)
    tiled = Developer(net, level=level, tile=tile, device="cpu", precision="fp32").run(x)
    assert tiled.shape == whole.shape
    assert (tiled - whole).abs().max() <= 1e-4


def test_keeping_only_convolutions_gives_the_same_output(reference_net):
    x = torch.rand(1, 4, 64, 96, generator=torch.Generator().manual_seed(3))
    lean = FrameForward(reference_net, keep="convs")(x, 16)
    full = FrameForward(reference_net, keep="all")(x, 16)
    assert (lean - full).abs().max() <= 1e-5
    assert FramePlan(reference_net, "convs").store_bytes(1440, 1984, 2) < FramePlan(
        reference_net, "all").store_bytes(1440, 1984, 2)


def test_pynet_frame_statistics_equal_its_untiled_forward():
    net = fill_reference_init(PyNET(), seed=1).eval()
    x = torch.rand(1, 4, 64, 64, generator=torch.Generator().manual_seed(4))
    out = frame_forward(net, x, 32)  # 4 strips at full resolution
    assert (out - _untiled(net, x)).abs().max() <= 1e-4


@pytest.mark.slow
def test_pynet_frame_statistics_on_a_256_frame_in_64_pixel_tiles():
    # PyNET's instance norms, CAM/IEM poolings and SimAM at every level see the frame;
    # 256 packed pixels in 64-pixel tiles (16 strips at full resolution): ~1.5 min on 1 thread
    net = fill_reference_init(PyNET(), seed=1).eval()
    x = torch.rand(1, 4, 256, 256, generator=torch.Generator().manual_seed(4))
    plan = FramePlan(net)
    assert max(len(g) for g in pass_tiles(plan, 256, 256, 64)) == 16
    out = frame_forward(net, x, 64)
    assert (out - _untiled(net, x)).abs().max() <= 1e-4


def test_a_batch_keeps_each_images_statistics(reference_net):
    x = torch.rand(2, 4, 48, 64, generator=torch.Generator().manual_seed(5))
    x[1] *= 0.3  # a darker second image: its statistics differ
    out = frame_forward(reference_net, x, 16)
    assert (out - _untiled(reference_net, x)).abs().max() <= 1e-4


@pytest.mark.parametrize("n,out", [(9, Region(0, 18, 0, 18)), (9, Region(5, 12, 3, 17)),
                                   (40, Region(31, 80, 0, 7)), (2, Region(1, 4, 0, 3))])
def test_upsampling_samples_where_the_frame_is_sampled(n, out):
    # align_corners=True places output i at i·(n−1)/(2n−1) of the frame: a tile holding only
    # the inputs its region needs must give the frame's values there
    x = torch.rand(1, 3, n, n + 1, generator=torch.Generator().manual_seed(n))
    frame = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)

    class Stub:
        scale = 1
    up = Up.__new__(Up)
    up.inputs = (Stub(),)
    sizes = {1: (n, n + 1)}
    have = up.need(out, sizes)[0]
    tile = x[:, :, have.y0:have.y1, have.x0:have.x1]
    got = up.compute([(tile, have)], out, [False], [], sizes)
    want = frame[:, :, out.y0:out.y1, out.x0:out.x1]
    torch.testing.assert_close(got, want, rtol=0, atol=1e-6)


def test_variance_merges_tiles_without_cancellation():
    # a channel whose mean is 10⁴ times its spread: sums of squares in float32 would lose it
    g = torch.Generator().manual_seed(6)
    x = 1000.0 + 0.1 * torch.randn(1, 2, 300, 64, generator=g)
    r = Reduce(None)
    r.kinds.add("moments")
    for a in range(0, 300, 37):
        r.accumulate(x[:, :, a:a + 37])
    stats = r.finish()
    ref = x.double()
    torch.testing.assert_close(stats["mean"], ref.mean(dim=(0, 2, 3)), rtol=1e-6, atol=0)
    torch.testing.assert_close(stats["var"], ref.var(dim=(0, 2, 3), correction=0), rtol=1e-5,
                               atol=0)


def test_weights_loaded_after_the_plan_are_used(reference_net):
    net = fill_reference_init(RawTonemapNet(), seed=3).eval()
    x = torch.rand(1, 4, 32, 48, generator=torch.Generator().manual_seed(7))
    forward = FrameForward(net)
    forward(x, 16, dtype=torch.bfloat16)  # caches bfloat16 weights
    net.load_state_dict(reference_net.state_dict())
    out = forward(x, 16, dtype=torch.bfloat16)
    assert _psnr(out, _untiled(reference_net, x)) > 40


def test_unsupported_models_are_named():
    class Plain(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(4, 3, 3, padding=1)

        def forward(self, x):
            return F.interpolate(self.conv(x), scale_factor=2)

    with pytest.raises(NotImplementedError, match="conv"):
        lower(Plain())
    with pytest.raises(ConfigError, match="Plain .*stats='tile'"):
        FrameForward(Plain())
    with pytest.raises(ConfigError, match="keep"):
        FrameForward(RawTonemapNet(), keep="some")
    with pytest.raises(ConfigError, match="stats='tile'"):
        Developer(Plain(), tile=32, device="cpu")
    Developer(Plain(), tile=32, overlap=16, stats="tile", device="cpu")  # runs anything


def test_plan_shape(reference_net):
    plan = FramePlan(reference_net)
    assert len(plan.passes) == 30  # 29 rounds of statistics, then the output
    assert plan.passes[-1].output is plan.output and not plan.passes[-1].reduces
    # every frame tensor kept for a later pass is freed after its last reader
    kept = {id(n) for p in plan.passes for n in p.stores if n is not plan.input}
    assert kept == {id(n) for p in plan.passes for n in p.frees}


def _exposure_task(batch: int, size: int, g: torch.Generator) -> tuple[torch.Tensor, ...]:
    """Packed frames of random exposure → the scene normalised by its mean: a global task."""
    coarse = torch.rand(batch, 4, size // 8, size // 8, generator=g)
    scene = F.interpolate(coarse, size=(size, size), mode="bilinear", align_corners=False)
    exposure = 0.1 + 0.8 * torch.rand(batch, 1, 1, 1, generator=g)
    rgb = torch.stack([scene[:, 2], (scene[:, 1] + scene[:, 3]) / 2, scene[:, 0]], dim=1)
    target = (0.45 * rgb / rgb.mean(dim=(1, 2, 3), keepdim=True)).clamp(0, 1)
    return (scene * exposure).clamp(0, 1), F.interpolate(target, scale_factor=2)


def test_a_briefly_trained_network_develops_as_untiled(tmp_path):
    # trained for seconds towards a rendering that needs the frame's statistics (exposure
    # normalisation); per-tile statistics would show; the frame's reproduce the network
    torch.manual_seed(0)
    net = RawTonemapNet()
    g = torch.Generator().manual_seed(8)
    optimizer = torch.optim.Adam(net.parameters(), lr=2e-3)
    for _ in range(8):
        x, y = _exposure_task(2, 32, g)
        loss = F.l1_loss(net(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    net.eval()
    x, _ = _exposure_task(1, 96, g)
    assert len(pass_tiles(FramePlan(net), 96, 96, 32)[0]) == 12  # 12 strips at full size
    whole = Developer(net, tile=None, device="cpu", precision="fp32").run(x)
    assert whole.std() > 0.02  # the network has learnt a look, not a constant
    frame = Developer(net, tile=32, device="cpu", precision="fp32").run(x)
    per_tile = Developer(net, tile=32, overlap=16, stats="tile", device="cpu",
                         precision="fp32").run(x)
    assert _psnr(frame, whole) >= 40
    assert _psnr(frame, whole) > _psnr(per_tile, whole) + 10
    bf16 = Developer(net, tile=32, device="cpu", precision="bf16").run(x)
    assert _psnr(bf16, whole) >= 40


@pytest.mark.parametrize("cfa", ["RGGB", "GRBG", "GBRG", "BGGR"])
def test_every_cfa_phase_develops_as_untiled(reference_net, cfa, tmp_path):
    # each phase crops the mosaic differently (odd packed sizes); the tiles must not care
    rng = np.random.default_rng(9)
    mosaic = np.kron(rng.uniform(0, 1023, (10, 13)), np.ones((8, 8)))[:77, :101]
    mosaic = np.clip(mosaic + rng.normal(0, 20, mosaic.shape), 0, 1023).astype(np.uint16)
    dng = write_dng(tmp_path / f"{cfa}.dng", mosaic, cfa, 0, 1023)
    images = [iio.imread(Developer(reference_net, tile=tile, device="cpu", precision="fp32")
                         .develop_file(dng, tmp_path / str(tile))) for tile in (None, 16)]
    assert images[0].shape == images[1].shape
    assert np.abs(images[0].astype(int) - images[1].astype(int)).max() <= 1
