"""The RGB-uv histogram and Hellinger loss written literally from the formula.

A plain loop over images and projections with the kernel maths in float64, the way the
authors' training code computes it. It is slow and memory-hungry (it builds and keeps every
N×h kernel matrix for autograd) and is here for three readers only: the tests (an independent
oracle for the kernels, switches and gradients that the golden vectors do not cover), the
benchmark (the baseline that :func:`hdrisp.losses.rgbuv_histogram` is timed against) and
the notebooks (the derivation, line by line). Training uses :mod:`hdrisp.losses.histogram`.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from hdrisp.errors import ConfigError

_PARTNERS = {0: (1, 2), 1: (0, 2), 2: (0, 1)}  # (c1, c2) of the projections R, G, B


def _kernel(d: torch.Tensor, kernel: str, sigma: float, bins: int,
            bounds: tuple[float, float]) -> torch.Tensor:
    if kernel == "inverse-quadratic":
        return 1.0 / (1.0 + d**2 / sigma**2)
    if kernel == "rbf":
        return torch.exp(-(d**2) / sigma**2)
    if kernel == "thresholding":
        return (d <= (bounds[1] - bounds[0]) / bins / 2.0).to(d.dtype)
    raise ConfigError(f"unknown kernel {kernel!r}")


def rgbuv_histogram_loop(img: torch.Tensor, bins: int = 64, size: int | None = 150,
                         kernel: str = "inverse-quadratic", sigma: float = 0.02,
                         intensity_scale: bool = True,
                         bounds: tuple[float, float] = (-3.0, 3.0),
                         eps: float = 1e-6) -> torch.Tensor:
    """B×3×H×W in [0, 1] → B×3×bins×bins, one image and one projection at a time.

    Same arguments and result as :func:`hdrisp.losses.rgbuv_histogram`; the result has the
    input's dtype, the kernel matrices and products are float64.
    """
    x = img.clamp(0.0, 1.0)
    if size is not None and (x.shape[-2] > size or x.shape[-1] > size):
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    centres = torch.linspace(bounds[0], bounds[1], bins, dtype=torch.float64, device=img.device)
    hists = []
    for image in x:                                   # image: 3×H×W
        pixels = image.reshape(3, -1).T.to(torch.float64)   # N×3
        if intensity_scale:
            weight = torch.sqrt((pixels**2).sum(1, keepdim=True) + eps)   # N×1
        else:
            weight = torch.ones_like(pixels[:, :1])
        per_projection = []
        for c in range(3):
            c1, c2 = _PARTNERS[c]
            u = torch.log(pixels[:, c] + eps) - torch.log(pixels[:, c1] + eps)
            v = torch.log(pixels[:, c] + eps) - torch.log(pixels[:, c2] + eps)
            k_u = _kernel((u[:, None] - centres[None, :]).abs(), kernel, sigma, bins, bounds)
            k_v = _kernel((v[:, None] - centres[None, :]).abs(), kernel, sigma, bins, bounds)
            per_projection.append((weight * k_u).T @ k_v)   # bins×bins
        hist = torch.stack(per_projection)
        hists.append(hist / (hist.sum() + eps))
    return torch.stack(hists).to(img.dtype)


def hellinger_loss_loop(h_pred: torch.Tensor, h_target: torch.Tensor) -> torch.Tensor:
    """The authors' composition: (1/√2)·√(Σ_batch,bins (√H_t − √H_p)²) / B."""
    return (1.0 / math.sqrt(2.0)) * torch.sqrt(
        ((torch.sqrt(h_target) - torch.sqrt(h_pred)) ** 2).sum()) / h_pred.shape[0]
