"""Tiled inference and full-resolution develop: placement, blending, sizes, files, CLI."""

from __future__ import annotations

import imageio.v3 as iio
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from hdrisp.cli import main
from hdrisp.errors import ConfigError, HdrispError
from hdrisp.inference.develop import (
    Developer,
    develop_file,
    resolve_device,
    tile_grid,
    tiled_forward,
)
from hdrisp.inference.tiling import axis_tiles
from hdrisp.raw import write_dng


class LocalNet(nn.Module):
    """Conv-only stand-in, B×4×h×w → B×3×2h×2w, receptive radius 4 packed pixels.

    3×3 conv (radius 1) → 2×2 average pool → 3×3 conv at half size (radius 2 packed,
    plus 1 for the pooling window) → nearest ×4 up-sampling → 1×1 conv → sigmoid.
    Reflection padding, as RawTonemapNet pads.
    """

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(3)
        self.conv1 = nn.Conv2d(4, 8, 3, padding=1, padding_mode="reflect")
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, padding_mode="reflect")
        self.head = nn.Conv2d(8, 3, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.avg_pool2d(F.relu(self.conv1(x)), 2)
        y = F.interpolate(F.relu(self.conv2(y)), scale_factor=4, mode="nearest")
        return torch.sigmoid(self.head(y))


def pixelwise(x: torch.Tensor) -> torch.Tensor:
    """Receptive radius 0: three channels, nearest ×2 up-sampling."""
    return F.interpolate(x[:, :3] * 0.5 + x[:, 3:] ** 2, scale_factor=2, mode="nearest")


@pytest.mark.parametrize("tile,overlap,blend", [(32, 16, 0.5), (32, 8, 0.0), (24, 16, 0.0),
                                                (48, 32, 0.5)])
def test_local_model_tiles_equal_whole_frame_when_margin_covers_receptive_field(
        tile, overlap, blend):
    # discarded margin = (1 - blend) * overlap / 2 packed pixels >= receptive radius 4
    model = LocalNet().eval()
    x = torch.rand(2, 4, 77, 101, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        whole = tiled_forward(model, x, tile=None)
        tiled = tiled_forward(model, x, tile=tile, overlap=overlap, blend=blend)
    assert len(list(tile_grid(77, 101, tile, overlap))) > 4
    assert tiled.shape == whole.shape == (2, 3, 154, 202)
    torch.testing.assert_close(tiled, whole, rtol=0, atol=1e-6)


def test_local_model_tiles_differ_when_margin_is_too_small():
    # no margin: tile borders (reflection-padded inside the tile) leak into the blend
    model = LocalNet().eval()
    x = torch.rand(1, 4, 64, 64, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        whole = tiled_forward(model, x, tile=None)
        tiled = tiled_forward(model, x, tile=32, overlap=8, blend=1.0)
    assert (tiled - whole).abs().max() > 1e-4


@pytest.mark.parametrize("h,w,tile,overlap,blend", [(37, 53, 16, 8, 1.0), (40, 40, 24, 16, 0.5),
                                                    (19, 90, 32, 24, 0.0), (64, 8, 16, 8, 0.3)])
def test_pixelwise_model_is_reproduced_for_any_tiling(h, w, tile, overlap, blend):
    # weights are normalised and tiles placed where they came from, whatever the blend
    x = torch.rand(1, 4, h, w, generator=torch.Generator().manual_seed(2))
    out = tiled_forward(pixelwise, x, tile=tile, overlap=overlap, blend=blend)
    torch.testing.assert_close(out, pixelwise(x), rtol=0, atol=1e-6)


def test_downscaling_model_output_size_rounds_up():
    x = torch.rand(1, 4, 50, 70)
    out = tiled_forward(lambda t: F.avg_pool2d(t[:, :3], 8), x, tile=32, overlap=16)
    assert out.shape == (1, 3, 7, 9)  # ceil(50 / 8), ceil(70 / 8)
    torch.testing.assert_close(out[..., :6, :8], F.avg_pool2d(x[:, :3], 8), atol=1e-6, rtol=0)


@pytest.mark.parametrize("length,tile,overlap", [(1440, 512, 64), (1984, 768, 128),
                                                 (584, 256, 32), (200, 48, 16), (64, 64, 8)])
def test_axis_tiles_are_aligned_cover_the_axis_and_keep_the_overlap(length, tile, overlap):
    size, starts = axis_tiles(length, tile, overlap)
    assert size <= tile and size % 8 == 0
    assert all(s % 8 == 0 for s in starts)
    assert starts[0] == 0 and starts[-1] + size == length
    assert all(b - a <= size - overlap for a, b in zip(starts[:-1], starts[1:], strict=True))
    # the fewest tiles possible, and no larger than needed for that many
    assert len(starts) == max(1, -(-(length - overlap) // (tile - overlap)))
    if len(starts) > 1:
        assert (size - 8) * len(starts) - overlap * (len(starts) - 1) < length


def test_tile_grid_of_a_12_megapixel_frame():
    tiles = list(tile_grid(1440, 1984, 512, 64))
    assert len(tiles) == 4 * 5
    assert {(th, tw) for _, _, th, tw in tiles} == {(408, 448)}


@pytest.mark.parametrize("tile,overlap", [(30, 8), (32, 12), (32, 32), (0, 0)])
def test_bad_tiling_is_refused(tile, overlap):
    with pytest.raises(ConfigError):
        tiled_forward(pixelwise, torch.rand(1, 4, 64, 64), tile=tile, overlap=overlap)


@pytest.mark.parametrize("level,expected", [(0, (74, 106)), (2, (19, 27)), (4, (5, 7))])
def test_rawtonemap_output_size_for_odd_frames(level, expected):
    from hdrisp.models import RawTonemapNet

    developer = Developer(RawTonemapNet(), level=level, tile=32, overlap=16, device="cpu")
    out = developer.run(torch.rand(1, 4, 37, 53))
    assert out.shape == (1, 3, *expected)
    assert out.dtype == torch.float32 and 0.0 <= out.min() and out.max() <= 1.0


def _mosaic(h: int, w: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    smooth = np.kron(rng.uniform(0, 1023, (h // 8, w // 8)), np.ones((8, 8)))
    return np.clip(smooth + rng.normal(0, 20, (h, w)), 0, 1023).astype(np.uint16)


def test_develop_file_writes_8bit_srgb_of_the_mosaic_size(tmp_path):
    from hdrisp.models import RawTonemapNet

    dng = write_dng(tmp_path / "frame.dng", _mosaic(48, 80), "RGGB", 0, 1023)
    out = develop_file(dng, RawTonemapNet(), tmp_path / "out", tile=32, overlap=16,
                       device="cpu")
    assert out == tmp_path / "out" / "frame.png"
    image = iio.imread(out)
    assert image.dtype == np.uint8 and image.shape == (48, 80, 3)
    assert image.std() > 0


class PackedPreview(nn.Module):
    """Packed [B, Gb, R, Gr] → RGB = (R, mean of the greens, B), nearest ×2: no learning."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rgb = torch.stack([x[:, 2], (x[:, 1] + x[:, 3]) / 2, x[:, 0]], dim=1)
        return F.interpolate(rgb, scale_factor=2, mode="nearest")


def test_develop_file_normalises_with_the_files_own_levels(tmp_path):
    mosaic = _mosaic(48, 64, seed=1)
    # the same scene stored with black 512 / white 4604 and four times the gain
    dng = write_dng(tmp_path / "b.dng", mosaic.astype(np.uint32) * 4 + 512, "RGGB", 512, 4604)
    image = iio.imread(Developer(PackedPreview(), tile=16, overlap=8, device="cpu")
                       .develop_file(dng, tmp_path))
    red = np.round(mosaic[0::2, 0::2] / 1023 * 255)
    blue = np.round(mosaic[1::2, 1::2] / 1023 * 255)
    np.testing.assert_allclose(image[0::2, 0::2, 0], red, atol=1)
    np.testing.assert_allclose(image[1::2, 1::2, 2], blue, atol=1)
    np.testing.assert_array_equal(image[0::2, 0::2], image[1::2, 1::2])  # nearest ×2


def test_develop_real_dng_at_level_4(real_dng, tmp_path):
    from hdrisp.models import RawTonemapNet

    out = develop_file(real_dng, RawTonemapNet(), tmp_path, level=4, tile=256, overlap=64,
                       device="cpu", fmt="jpg")
    image = iio.imread(out)
    assert out.suffix == ".jpg" and image.dtype == np.uint8
    assert image.shape == (73, 109, 3)  # 1156×1734 mosaic → 578×867 packed → ceil(/8)


def test_cuda_without_cuda_is_a_plain_error():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(HdrispError, match="no CUDA device"):
        resolve_device("cuda")
    assert resolve_device("auto").type == "cpu"


def test_auto_precision_uses_bf16_only_on_a_cpu_that_has_it(monkeypatch):
    import hdrisp.runtime as runtime

    cpu = torch.device("cpu")
    monkeypatch.setattr(runtime, "cpu_has_native_bf16", lambda: True)
    assert runtime.resolve_precision("auto", cpu) is torch.bfloat16
    monkeypatch.setattr(runtime, "cpu_has_native_bf16", lambda: False)
    assert runtime.resolve_precision("auto", cpu) is None
    assert runtime.resolve_precision("fp32", cpu) is None
    with pytest.raises(HdrispError, match="fp16"):
        runtime.resolve_precision("fp16", cpu)


def test_bf16_stays_close_to_float32():
    from hdrisp.models import RawTonemapNet

    x = torch.rand(1, 4, 32, 48, generator=torch.Generator().manual_seed(4))
    model = RawTonemapNet()
    fp32 = Developer(model, tile=None, device="cpu", precision="fp32").run(x)
    bf16 = Developer(model, tile=None, device="cpu", precision="bf16").run(x)
    assert bf16.dtype == torch.float32
    assert 0 < (bf16 - fp32).abs().max() < 4 / 255


def test_compile_failure_falls_back_to_eager(monkeypatch):
    def broken(*args, **kwargs):
        def fail(x):
            raise RuntimeError("no C++ compiler\nmore")
        return fail

    monkeypatch.setattr(torch, "compile", broken)
    developer = Developer(PackedPreview(), tile=16, overlap=8, device="cpu", compile=True)
    x = torch.rand(1, 4, 40, 24)
    with pytest.warns(UserWarning, match="no C\\+\\+ compiler"):
        out = developer.run(x)
    torch.testing.assert_close(out, PackedPreview()(x), rtol=0, atol=1e-6)


def test_auto_compile_only_for_large_frames(monkeypatch):
    import hdrisp.inference.develop as develop

    compiled, notes = [], []

    def fake_compiled(model):
        compiled.append(model)
        return model

    monkeypatch.setattr(develop, "_compiled", fake_compiled)
    monkeypatch.setattr(develop, "have_cxx_compiler", lambda: True)
    developer = Developer(PackedPreview(), tile=32, overlap=8, device="cpu", compile="auto",
                          on_compile=notes.append)
    developer.run(torch.rand(1, 4, 40, 40))  # below COMPILE_MIN_PIXELS
    assert compiled == [] and notes == []
    monkeypatch.setattr(develop, "COMPILE_MIN_PIXELS", 40 * 60)
    developer.run(torch.rand(1, 4, 40, 60))
    developer.run(torch.rand(1, 4, 40, 60))
    # a 40×64 padded frame: 2 rows of 24-pixel tiles, 3 columns of 32 (overlap ≥ 8)
    assert len(compiled) == 1 and notes == [(24, 32)]


@pytest.mark.slow
def test_compiled_model_matches_eager():
    """Inductor really compiles (its counters move, no fallback warning), and the compiled
    network gives the eager result."""
    import warnings

    from torch._dynamo.utils import counters

    from hdrisp.inference.develop import have_cxx_compiler
    from hdrisp.models import RawTonemapNet

    if not have_cxx_compiler():
        pytest.skip("no C++ compiler (g++, c++, clang++ or $CXX) on PATH: Inductor cannot "
                    "compile for the CPU, and Developer falls back to eager")
    x = torch.rand(1, 4, 48, 64, generator=torch.Generator().manual_seed(5))
    model = RawTonemapNet()
    eager = Developer(model, tile=32, overlap=16, device="cpu", precision="fp32").run(x)
    torch._dynamo.reset()
    counters.clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compiled = Developer(model, tile=32, overlap=16, device="cpu", precision="fp32",
                             compile=True).run(x)
    assert not [w for w in caught if "eagerly" in str(w.message)], [str(w.message)
                                                                      for w in caught]
    assert counters["stats"]["unique_graphs"] >= 1  # Dynamo captured the network
    inductor = counters["inductor"]
    assert inductor["fxgraph_cache_miss"] + inductor["fxgraph_cache_hit"] >= 1  # and compiled
    torch.testing.assert_close(compiled, eager, rtol=0, atol=1e-5)


def test_cli_refuses_to_run_without_weights(tmp_path, capsys):
    dng = write_dng(tmp_path / "f.dng", _mosaic(32, 32), "RGGB", 0, 1023)
    status = main(["develop", str(dng), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert status == 2
    assert len(err.splitlines()) == 1
    assert err.startswith("error: no weights given") and "--random-weights" in err
    assert not (tmp_path / "out").exists()


def test_cli_develops_with_random_weights(tmp_path, capsys):
    dngs = [write_dng(tmp_path / f"f{i}.dng", _mosaic(48, 64, i), "GRBG", 0, 1023)
            for i in range(2)]
    status = main(["develop", *map(str, dngs), "-o", str(tmp_path / "out"), "--random-weights",
                   "--tile", "16", "--overlap", "8", "--device", "cpu", "--format", "jpg"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    for i in range(2):
        image = iio.imread(tmp_path / "out" / f"f{i}.jpg")
        assert image.shape == (48, 62, 3)  # GRBG: a leading and a trailing column go
    assert "random-weights" in captured.err


def test_cli_names_a_missing_input(tmp_path, capsys):
    status = main(["develop", str(tmp_path / "missing.dng"), "-o", str(tmp_path),
                   "--random-weights"])
    assert status == 2
    assert "missing.dng: no such raw file" in capsys.readouterr().err


def test_cli_refuses_a_bad_tile(tmp_path, capsys):
    dng = write_dng(tmp_path / "f.dng", _mosaic(32, 32), "RGGB", 0, 1023)
    status = main(["develop", str(dng), "-o", str(tmp_path), "--random-weights", "--tile", "30"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert err[-1] == "error: tile must be a positive multiple of 8 packed pixels, got 30"


def test_cli_defaults_match_the_library():
    from hdrisp.cli import develop as cli_develop
    from hdrisp.inference.tiling import DEFAULT_OVERLAP, DEFAULT_TILE

    assert (cli_develop.TILE_DEFAULT, cli_develop.OVERLAP_DEFAULT) == (DEFAULT_TILE,
                                                                       DEFAULT_OVERLAP)
