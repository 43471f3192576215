"""Distances, SSIM terms, the perceptual term's weights handling and the per-level total."""

from __future__ import annotations

import importlib
import math

import pytest
import torch

from hdrisp.errors import CheckpointError, ConfigError, WeightsUnavailableError
from hdrisp.losses import (
    DISTANCES,
    LOSSES,
    LevelLoss,
    build_perceptual,
    hellinger_distance,
    level_weights,
    ms_ssim,
    rgbuv_histogram,
    ssim,
)
from hdrisp.losses.ssim import MS_SSIM_MIN_SIDE

SSIM_MODULE = importlib.import_module("hdrisp.losses.ssim")   # the name `ssim` is the function


def _hists(seed: int, b: int = 3) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return rgbuv_histogram(torch.rand(b, 3, 16, 16, generator=g), bins=16)


def _delta(b: int, i: int, j: int, bins: int = 16) -> torch.Tensor:
    h = torch.zeros(b, 3, bins, bins)
    h[:, :, i, j] = 1.0 / 3.0
    return h


# --- distances ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(DISTANCES))
def test_distance_zero_for_identical_symmetric_positive_otherwise(name):
    fn = DISTANCES[name]
    p, t = _hists(1), _hists(2)
    assert torch.allclose(fn(p, p, reduction="none"), torch.zeros(3), atol=1e-5)
    d_pt, d_tp = fn(p, t, reduction="none"), fn(t, p, reduction="none")
    torch.testing.assert_close(d_pt, d_tp)
    assert (d_pt > 1e-4).all()


@pytest.mark.parametrize("name, disjoint", [("hellinger", 1.0), ("l1", 1.0), ("chi2", 1.0),
                                            ("js", math.log(2.0))])
def test_bin_wise_distances_saturate_for_disjoint_histograms(name, disjoint):
    near, far = _delta(2, 3, 3), _delta(2, 3, 4)
    farther = _delta(2, 3, 12)
    d_near = DISTANCES[name](near, far, reduction="none")
    d_far = DISTANCES[name](near, farther, reduction="none")
    torch.testing.assert_close(d_near, torch.full((2,), disjoint), atol=1e-4, rtol=0)
    torch.testing.assert_close(d_far, d_near)   # blind to how far the mass moved


def test_wasserstein_marginals_grows_with_the_shift():
    spacing = 6.0 / 15.0
    base = _delta(1, 3, 3)
    for shift in (1, 4, 9):
        got = DISTANCES["marginal_emd"](base, _delta(1, 3, 3 + shift), reduction="none")
        # v-marginals move by shift·spacing, u-marginals not at all: mean of the two
        assert float(got) == pytest.approx(shift * spacing / 2.0, rel=1e-5)


def test_hellinger_reductions():
    p, t = _hists(3, b=4), _hists(4, b=4)
    per_image = hellinger_distance(p, t, reduction="none", safe=False)
    by_hand = ((t.sqrt() - p.sqrt()) ** 2).flatten(1).sum(1).sqrt() / math.sqrt(2.0)
    torch.testing.assert_close(per_image, by_hand)
    assert float(hellinger_distance(p, t, reduction="mean", safe=False)) == pytest.approx(
        float(by_hand.mean()), rel=1e-6)
    # four copies of the same pair: the authors' form is the per-image distance / √B
    p4, t4 = p[:1].expand(4, -1, -1, -1), t[:1].expand(4, -1, -1, -1)
    authors = hellinger_distance(p4, t4, reduction="authors", safe=False)
    assert float(authors) == pytest.approx(float(per_image[0]) / 2.0, rel=1e-6)
    assert float(hellinger_distance(p[:1], t[:1], reduction="authors")) == pytest.approx(
        float(per_image[0]), abs=1e-5)
    with pytest.raises(ValueError, match="shape"):
        hellinger_distance(p, t[:2])


def test_safe_hellinger_gradient_finite_at_empty_bins_and_identical_inputs():
    p = _delta(2, 3, 3).requires_grad_(True)
    for target in (_delta(2, 5, 5), _delta(2, 3, 3)):
        (g,) = torch.autograd.grad(hellinger_distance(p, target), p)
        assert torch.isfinite(g).all()
        (g,) = torch.autograd.grad(hellinger_distance(p, target, safe=False), p)
        assert not torch.isfinite(g).all()


# --- SSIM terms -----------------------------------------------------------------------------

def test_ssim_one_for_identical_and_lower_for_noisy():
    g = torch.Generator().manual_seed(5)
    x = torch.rand(2, 3, 48, 48, generator=g)
    noisy = (x + 0.2 * torch.randn(x.shape, generator=g)).clamp(0, 1)
    assert float(ssim(x, x)) == pytest.approx(1.0, abs=1e-5)
    assert float(ssim(x, noisy)) < 0.9


def test_ms_ssim_five_scales_and_small_image_fallback(monkeypatch):
    monkeypatch.setattr(SSIM_MODULE, "_warned", set())
    g = torch.Generator().manual_seed(6)
    big = torch.rand(1, 3, MS_SSIM_MIN_SIDE, MS_SSIM_MIN_SIDE, generator=g)
    assert float(ms_ssim(big, big)) == pytest.approx(1.0, abs=1e-5)
    assert float(ms_ssim(big, 0.7 * big)) < 1.0
    small = torch.rand(1, 3, 64, 64, generator=g)
    with pytest.warns(UserWarning, match="too small for 5 scales"):
        value = ms_ssim(small, (small * 0.8).clamp(0, 1))
    assert 0.0 < float(value) < 1.0
    with pytest.raises(ValueError, match="at least 176"):
        ms_ssim(small, small, fallback="error")
    with pytest.raises(ValueError, match="window"):
        ms_ssim(small[..., :8, :8], small[..., :8, :8])


# --- the perceptual term: where its weights come from ---------------------------------------

@pytest.fixture
def no_vgg_weights(tmp_path, monkeypatch):
    """A machine with an empty torch cache and no HDRISP_VGG_WEIGHTS."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    monkeypatch.delenv("HDRISP_VGG_WEIGHTS", raising=False)
    return tmp_path


def test_vgg19_without_weights_says_how_to_get_them(no_vgg_weights):
    with pytest.raises(WeightsUnavailableError, match="HDRISP_VGG_WEIGHTS") as err:
        build_perceptual("vgg19")
    assert "IMAGENET1K_V1" in str(err.value) and "off" in str(err.value)
    assert build_perceptual("auto") is None and build_perceptual("off") is None
    loss = LevelLoss(2, perceptual="auto")
    assert loss.perceptual_name == "off" and "vgg" not in loss.weights
    with pytest.raises(WeightsUnavailableError):
        LevelLoss(2, perceptual="vgg19")
    with pytest.raises(ConfigError, match="unknown perceptual"):
        LevelLoss(2, perceptual="resnet")


def test_vgg19_weights_from_environment_file(no_vgg_weights, monkeypatch):
    from torchvision.models import vgg19

    torch.manual_seed(0)
    path = no_vgg_weights / "vgg19-features.pth"
    torch.save({f"features.{k}": v for k, v in vgg19().features.state_dict().items()}, path)
    monkeypatch.setenv("HDRISP_VGG_WEIGHTS", str(path))
    term = build_perceptual("auto")
    assert term is not None and str(path) in term.name
    x = torch.rand(1, 3, 32, 32, requires_grad=True)
    assert term(x, x).item() == 0.0
    value = term(x, x.detach().flip(-1))
    value.backward()
    assert value.item() > 0 and x.grad.abs().max() > 0
    loss = LevelLoss(3)
    assert loss.perceptual_name == term.name and loss.weights["vgg"] == 1.0


def test_bad_vgg_weights_files(no_vgg_weights, monkeypatch):
    monkeypatch.setenv("HDRISP_VGG_WEIGHTS", str(no_vgg_weights / "missing.pth"))
    with pytest.raises(WeightsUnavailableError, match="does not exist"):
        build_perceptual("auto")
    wrong = no_vgg_weights / "wrong.pth"
    torch.save({"features.0.weight": torch.zeros(2, 2)}, wrong)
    with pytest.raises(CheckpointError, match="features|0.weight"):
        build_perceptual("vgg19", weights=wrong)
    junk = no_vgg_weights / "junk.pth"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot read"):
        build_perceptual("vgg19", weights=junk)


# --- the per-level total --------------------------------------------------------------------

# TRAINING.md's table, typed in from the reference (not produced by the code)
PAPER = {4: {"mse": 1, "hist": 0.25}, 3: {"mse": 10, "hist": 0.25, "vgg": 1},
         2: {"mse": 10, "hist": 0.25, "vgg": 1},
         1: {"mse": 10, "ssim": 0.4, "hist": 0.25, "vgg": 1},
         0: {"mse": 10, "hist": 0.25, "vgg": 1, "ssim": 0.4}}
CODE = {**PAPER, 1: {"mse": 1, "vgg": 1, "ms_ssim": 0.4, "hist": 0.25},
        0: {"mse": 1, "vgg": 1, "ms_ssim": 0.4, "hist": 0.25}}


@pytest.mark.parametrize("level", range(5))
def test_level_weights_follow_both_columns_of_the_table(level):
    assert level_weights(level) == PAPER[level]
    assert level_weights(level, "paper") == PAPER[level]
    assert level_weights(level, "code") == CODE[level]


def test_level_weight_overrides_and_errors():
    assert level_weights(1, weights={"vgg": 0, "hist": 0.5}) == {"mse": 10, "hist": 0.5,
                                                                "ssim": 0.4}
    for bad, message in ((dict(level=7), "levels"), (dict(level=1, schedule="x"), "schedule"),
                         (dict(level=1, weights={"l2": 1}), "unknown loss term"),
                         (dict(level=1, weights={"mse": -1}), "≥ 0")):
        with pytest.raises(ConfigError, match=message):
            level_weights(**bad)


@pytest.mark.parametrize("schedule", ["paper", "code"])
def test_level_loss_total_is_the_weighted_sum_of_its_terms(schedule, no_vgg_weights,
                                                          monkeypatch):
    monkeypatch.setattr(SSIM_MODULE, "_warned", set())
    g = torch.Generator().manual_seed(8)
    target = torch.rand(2, 3, 48, 48, generator=g)
    pred = (target + 0.1 * torch.randn(target.shape, generator=g)).clamp(0, 1)
    pred.requires_grad_(True)
    loss = LOSSES["level"](0, schedule=schedule, perceptual="off")
    assert loss.perceptual_name == "off"
    with pytest.warns(UserWarning) if schedule == "code" else _nothing():
        out = loss(pred, target)
    sim = "ssim" if schedule == "paper" else "ms_ssim"
    assert set(out) == {"loss", "mse", "hist", sim}
    mse_w = 10.0 if schedule == "paper" else 1.0
    by_hand = mse_w * out["mse"] + 0.25 * out["hist"] + 0.4 * (1 - out[sim])
    assert out["loss"].item() == pytest.approx(float(by_hand), rel=1e-6)
    assert float(out["mse"]) == pytest.approx(((pred - target) ** 2).mean().item(), rel=1e-6)
    out["loss"].backward()
    assert torch.isfinite(pred.grad).all() and pred.grad.abs().max() > 0


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# --- the offline substitute (a dependency) ---------------------------------------------------

def test_efficientnet_lite0_substitute_is_the_imagenet_classifier():
    from skimage import data
    from skimage.transform import resize

    from hdrisp.losses.efficientnet_lite import load_efficientnet_lite0

    model = load_efficientnet_lite0()
    cat = torch.from_numpy(resize(data.chelsea(), (224, 224), anti_aliasing=True))
    logits = model(cat.permute(2, 0, 1)[None].float() * 2 - 1)
    assert int(logits.argmax()) in {281, 282, 285}   # tabby, tiger cat, Egyptian cat
    term = build_perceptual("efficientnet-lite0")
    assert "substitute" in term.name
    x = torch.rand(1, 3, 64, 64, requires_grad=True)
    value = term(x, x.detach().flip(-1))
    value.backward()
    assert value.item() > 0 and term(x, x).item() == 0.0 and x.grad.abs().max() > 0
    loss = LevelLoss(2, perceptual="efficientnet-lite0")
    assert loss.perceptual_name == term.name and loss.weights["vgg"] == 1.0
