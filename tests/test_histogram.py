"""The RGB-uv histogram: the authors' values, the formula, gradients, invariances, numerics."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from hdrisp.errors import HdrispError
from hdrisp.losses import HistogramLoss, hellinger_distance, rgbuv_histogram
from hdrisp.losses.histogram import _KernelProducts, bin_centres
from hdrisp.losses.histogram_reference import hellinger_loss_loop, rgbuv_histogram_loop

KERNELS = ("inverse-quadratic", "rbf", "thresholding")


def _images(seed: int, shape=(2, 3, 20, 24), dtype=torch.float64) -> torch.Tensor:
    """Random images with the awkward values in them: exact 0, exact 1, a constant region."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(shape, generator=g, dtype=dtype)
    x[0, :, 0, :3] = 0.0
    x[0, :, 1, :3] = 1.0
    x[-1, 0] = 0.3
    return x


# --- the authors' values (golden_shared.npz) -------------------------------------------------

@pytest.mark.parametrize("which", ["small", "large"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_matches_authors_histograms(golden, which, dtype):
    img = torch.from_numpy(golden[f"hist_in_{which}"]).to(dtype)
    expected = golden[f"hist_{which}_inverse-quadratic_I"]
    got = rgbuv_histogram(img)
    assert got.dtype == dtype and got.shape == expected.shape
    np.testing.assert_allclose(got.numpy(), expected, rtol=0, atol=1e-6)


def test_matches_authors_hellinger_loss_exact_and_safe(golden):
    pred = rgbuv_histogram(torch.from_numpy(golden["hellinger_pred"]))
    target = rgbuv_histogram(torch.from_numpy(golden["hellinger_target"]))
    expected = float(golden["hellinger_loss"])
    exact = hellinger_distance(pred, target, reduction="authors", safe=False)
    safe = hellinger_distance(pred, target, reduction="authors", safe=True)
    assert abs(float(exact) - expected) <= 1e-6
    assert abs(float(safe) - float(exact)) <= 1e-4
    assert abs(float(safe) - expected) <= 1e-4


def test_authors_composition_is_sum_inside_root_over_batch(golden):
    pred = rgbuv_histogram(torch.from_numpy(golden["hellinger_pred"]).double())
    target = rgbuv_histogram(torch.from_numpy(golden["hellinger_target"]).double())
    sq = ((target.sqrt() - pred.sqrt()) ** 2).sum()
    by_hand = float(torch.sqrt(sq) / math.sqrt(2.0) / pred.shape[0])
    got = hellinger_distance(pred, target, reduction="authors", safe=False)
    assert float(got) == pytest.approx(by_hand, rel=1e-12)
    per_image = hellinger_distance(pred, target, reduction="none", safe=False)
    assert float(got) != pytest.approx(float(per_image.mean()), rel=1e-3)


# --- the formula, for the kernels and switches the golden vectors do not cover ---------------

@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("intensity_scale", [True, False])
def test_matches_literal_loop(kernel, intensity_scale):
    x = _images(1)
    kw = dict(kernel=kernel, intensity_scale=intensity_scale, bins=16)
    expected = rgbuv_histogram_loop(x, **kw)
    got = rgbuv_histogram(x, chunk=100, **kw)
    torch.testing.assert_close(got, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("kernel", ["inverse-quadratic", "rbf"])
@pytest.mark.parametrize("size", [None, 15])
def test_gradient_matches_autograd_of_literal_loop(kernel, size):
    x = _images(2)
    x[1, 1, 3:9, 2:7] = 1.3        # out of range: the clamp's gradient is zero there
    weights = torch.randn(2, 3, 16, 16, generator=torch.Generator().manual_seed(3),
                          dtype=torch.float64)
    grads = []
    for fn in (rgbuv_histogram, rgbuv_histogram_loop):
        xi = x.clone().requires_grad_(True)
        (fn(xi, kernel=kernel, bins=16, size=size) * weights).sum().backward()
        grads.append(xi.grad)
    assert grads[1].abs().max() > 1.0   # a real, non-trivial gradient
    torch.testing.assert_close(grads[0], grads[1], rtol=1e-8, atol=1e-10)


def test_resizes_only_images_larger_than_size():
    x = _images(4, shape=(1, 3, 40, 31))
    torch.testing.assert_close(rgbuv_histogram(x, size=40, bins=8),
                               rgbuv_histogram(x, size=None, bins=8))
    small = F.interpolate(x, size=(30, 30), mode="bilinear", align_corners=False)
    torch.testing.assert_close(rgbuv_histogram(x, size=30, bins=8),
                               rgbuv_histogram(small, size=None, bins=8))


def test_chunking_and_batching_do_not_change_the_result():
    x = _images(5, shape=(3, 3, 11, 13))
    whole = rgbuv_histogram(x, bins=12, chunk=10_000)
    for chunk in (1, 7, 50):
        torch.testing.assert_close(rgbuv_histogram(x, bins=12, chunk=chunk), whole)
    for i in range(3):
        torch.testing.assert_close(rgbuv_histogram(x[i:i + 1], bins=12), whole[i:i + 1])


# --- gradcheck ------------------------------------------------------------------------------

@pytest.mark.parametrize("kernel", ["inverse-quadratic", "rbf"])
def test_gradcheck_kernel_products(kernel):
    g = torch.Generator().manual_seed(6)
    x = (torch.randn(2, 9, 3, generator=g, dtype=torch.float64) * 0.05).requires_grad_(True)
    w = (torch.rand(2, 9, generator=g, dtype=torch.float64) + 0.2).requires_grad_(True)
    sigma = 0.04
    ctr = bin_centres(6, (-0.1, 0.1), torch.float64, "cpu") / sigma
    torch.autograd.gradcheck(
        lambda a, b: _KernelProducts.apply(a / sigma, b, ctr, kernel, 0.0, 4), (x, w))


@pytest.mark.parametrize("kernel", ["inverse-quadratic", "rbf"])
@pytest.mark.parametrize("intensity_scale", [True, False])
def test_gradcheck_histogram(kernel, intensity_scale):
    # wide bins and sigma so every pixel sits in the kernel's slope, not its far tail
    x = (0.3 + 0.4 * torch.rand(2, 3, 3, 4, generator=torch.Generator().manual_seed(7),
                                dtype=torch.float64)).requires_grad_(True)
    torch.autograd.gradcheck(
        lambda im: rgbuv_histogram(im, bins=5, kernel=kernel, sigma=0.3, bounds=(-1.0, 1.0),
                                   intensity_scale=intensity_scale, chunk=5), (x,))


def test_thresholding_gradient_flows_only_through_intensity():
    x = _images(8).requires_grad_(True)
    rgbuv_histogram(x, kernel="thresholding", bins=16)[:, 0, 3:9, 3:9].sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().max() > 0
    y = _images(8).requires_grad_(True)
    rgbuv_histogram(y, kernel="thresholding", bins=16, intensity_scale=False).sum().backward()
    assert y.grad is None or y.grad.abs().max() == 0


# --- properties -----------------------------------------------------------------------------

def test_constant_colour_mass_is_where_the_formula_puts_it():
    rgb = (0.5, 0.25, 0.125)
    x = torch.tensor(rgb, dtype=torch.float64).view(1, 3, 1, 1).expand(1, 3, 6, 5)
    eps, sigma = 1e-6, 0.02
    hist = rgbuv_histogram(x, eps=eps, sigma=sigma)[0].numpy()
    # independent numpy evaluation of TRAINING.md for one pixel repeated N times
    t = np.linspace(-3, 3, 64)
    lg = np.log(np.array(rgb) + eps)
    iy = np.sqrt(np.sum(np.square(rgb)) + eps)
    n = 30
    expected = []
    for c, (c1, c2) in enumerate(((1, 2), (0, 2), (0, 1))):
        k_u = 1 / (1 + (np.abs(lg[c] - lg[c1] - t) / sigma) ** 2)
        k_v = 1 / (1 + (np.abs(lg[c] - lg[c2] - t) / sigma) ** 2)
        expected.append(n * iy * np.outer(k_u, k_v))
    expected = np.stack(expected)
    expected /= expected.sum() + eps
    np.testing.assert_allclose(hist, expected, rtol=1e-9, atol=1e-15)
    # and the peak of H_R is the bin nearest (u, v) = (log 2, log 4)
    i, j = np.unravel_index(hist[0].argmax(), hist[0].shape)
    assert (i, j) == (np.abs(t - math.log(2)).argmin(), np.abs(t - math.log(4)).argmin())
    assert hist.sum() == pytest.approx(1.0, abs=1e-6)


def test_pixel_permutation_leaves_histogram_unchanged():
    x = _images(9, shape=(2, 3, 30, 40), dtype=torch.float32)
    perm = torch.randperm(30 * 40, generator=torch.Generator().manual_seed(10))
    shuffled = x.flatten(2)[:, :, perm].view_as(x)
    torch.testing.assert_close(rgbuv_histogram(shuffled), rgbuv_histogram(x),
                               rtol=1e-5, atol=1e-9)


def test_float32_default_float64_on_request_half_computed_in_float32():
    x = _images(11, dtype=torch.float32)
    assert rgbuv_histogram(x).dtype == torch.float32
    assert rgbuv_histogram(x.double()).dtype == torch.float64
    half = rgbuv_histogram(x.to(torch.bfloat16))
    assert half.dtype == torch.float32
    torch.testing.assert_close(half, rgbuv_histogram(x.to(torch.bfloat16).float()))


@pytest.mark.parametrize("fill", ["zeros", "ones", "constant", "identical"])
def test_safe_loss_gradients_are_finite(fill):
    target = _images(12, dtype=torch.float32)
    pred = {"zeros": torch.zeros_like(target), "ones": torch.ones_like(target),
            "constant": torch.tensor([0.9, 0.0, 0.2]).view(1, 3, 1, 1).expand_as(target),
            "identical": target}[fill].clone().requires_grad_(True)
    for kernel in KERNELS:
        loss = HistogramLoss(kernel=kernel)(pred, target)
        (grad,) = torch.autograd.grad(loss, pred, allow_unused=True, materialize_grads=True)
        assert torch.isfinite(loss) and torch.isfinite(grad).all(), kernel


def test_exact_form_is_not_finite_where_the_safe_one_is():
    target = _images(13, dtype=torch.float32)
    pred = target.clone().requires_grad_(True)
    h_p, h_t = rgbuv_histogram(pred), rgbuv_histogram(target)
    (grad,) = torch.autograd.grad(hellinger_loss_loop(h_p, h_t), pred)
    assert not torch.isfinite(grad).all()          # identical inputs: 0/0 in the authors' form
    (grad,) = torch.autograd.grad(hellinger_distance(rgbuv_histogram(pred), h_t), pred)
    assert torch.isfinite(grad).all()


# --- errors ---------------------------------------------------------------------------------

@pytest.mark.parametrize("bad, message", [
    (dict(img=torch.rand(3, 8, 8)), "B×3×H×W"),
    (dict(img=torch.rand(1, 4, 8, 8)), "B×3×H×W"),
    (dict(img=torch.zeros(1, 3, 8, 8, dtype=torch.uint8)), "floating-point"),
    (dict(kernel="gauss"), "unknown kernel"),
    (dict(bounds=(-2.0, 3.0)), "symmetric"),
])
def test_bad_arguments_raise_clear_errors(bad, message):
    kw = dict(img=torch.rand(1, 3, 8, 8))
    kw.update(bad)
    with pytest.raises(HdrispError, match=message):
        rgbuv_histogram(**kw)
