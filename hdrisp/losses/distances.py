"""Distances between batches of normalised histograms (B×C×h×w, each image summing to 1).

:func:`hellinger_distance` is the paper's colour loss. The others are for exploration (the
notebooks compare what each one rewards); all are symmetric in their two arguments and 0 for
identical inputs. ``reduction``: ``"none"`` → one value per image (B), ``"mean"`` → their
mean, ``"sum"`` → their sum; Hellinger also has ``"authors"`` (see there).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import torch
import torch.distributed.nn.functional as dist_nn

from hdrisp.errors import ConfigError, InputShapeError, check_same_shape

Reduction = Literal["authors", "mean", "sum", "none"]

#: δ under the square roots of the safe Hellinger form: √(h + δ). Changes the golden loss by
#: ~3e-7, and makes the gradient at an empty bin 1/(2√δ) = 5e4 instead of infinite.
SAFE_BIN_DELTA = 1e-10
#: δ under the outer square root of the safe form (identical inputs: gradient 0, not NaN).
SAFE_TOTAL_DELTA = 1e-12


def _check_pair(h_pred: torch.Tensor, h_target: torch.Tensor, name: str) -> None:
    check_same_shape(h_pred, h_target, name)
    if h_pred.ndim < 2:
        raise InputShapeError(f"{name}: expected B×… histograms, got shape {tuple(h_pred.shape)}")


def _reduce(per_image: torch.Tensor, reduction: str, name: str) -> torch.Tensor:
    if reduction == "none":
        return per_image
    if reduction == "mean":
        return per_image.mean()
    if reduction == "sum":
        return per_image.sum()
    raise ConfigError(f"{name}: unknown reduction {reduction!r} (none, mean, sum)")


def hellinger_distance(h_pred: torch.Tensor, h_target: torch.Tensor,
                       reduction: Reduction = "authors", safe: bool = True) -> torch.Tensor:
    """Hellinger distance (1/√2)·‖√H_target − √H_pred‖₂ between histograms.

    Rewards matching the histograms' shape everywhere, weighting each bin by the square
    root of its mass: rare colours count more than under L2, but it saturates (at 1) once the
    two histograms no longer overlap, however far apart their colours are.

    Examples:
        >>> import torch
        >>> h = torch.tensor([[0.5, 0.5, 0.0]])
        >>> round(float(hellinger_distance(h, h)), 4)            # identical: 0
        0.0
        >>> round(float(hellinger_distance(h, torch.tensor([[0.0, 0.0, 1.0]]))), 4)  # disjoint
        1.0

    Args:
        h_pred, h_target: B×… histograms, each image's bins summing to 1.
        reduction: ``"authors"``: the paper code's composition, the batch's squared
            differences summed *inside* one square root, divided by B:
            (1/√2)·√(Σ_batch,bins (√H_t − √H_p)²) / B  (not a mean of per-image distances;
            it shrinks like 1/√B for the same per-image error). ``"none"``: the per-image
            distances (B); ``"mean"`` / ``"sum"`` of those.
        safe: use √(h + δ) for the bins and √(S + δ') for the total (δ = 1e-10,
            δ' = 1e-12): finite gradients at empty bins and for identical inputs, and within
            3e-7 of the exact value on the golden vectors (inverse-quadratic histograms have
            no empty bins; against exactly empty bins the error is up to ~2e-5). ``False`` is
            the exact formula, whose gradient is infinite at an empty bin and NaN when the two
            inputs are equal.

    Returns:
        a scalar, or B values for ``"none"``.
    """
    _check_pair(h_pred, h_target, "hellinger_distance")
    d_bin = SAFE_BIN_DELTA if safe else 0.0
    d_tot = SAFE_TOTAL_DELTA if safe else 0.0
    sq = (torch.sqrt(h_target + d_bin) - torch.sqrt(h_pred + d_bin)) ** 2
    if reduction == "authors":
        return torch.sqrt(sq.sum() + d_tot) / (math.sqrt(2.0) * h_pred.shape[0])
    per_image = torch.sqrt(sq.flatten(1).sum(1) + d_tot) / math.sqrt(2.0)
    return _reduce(per_image, reduction, "hellinger_distance")


def hellinger_over_processes(h_pred: torch.Tensor, h_target: torch.Tensor,
                             safe: bool = True, group: object | None = None) -> torch.Tensor:
    """The authors' Hellinger composition over the images of *every* process of a
    distributed run: what one process holding the whole global batch computes.

    ``(1/√2)·√(Σ_processes Σ_batch,bins (√H_t − √H_p)²) / B_global``, the same scalar on every
    process. The sum and the image count cross the processes with a differentiable
    all-reduce, whose backward sums the processes' gradients again; with
    ``DistributedDataParallel`` averaging the parameters' gradients over the W processes,
    each update then equals the single-process one (the per-process form,
    ``reduction="authors"`` on B/W images, is √W too large in value and gradient).

    Args:
        h_pred, h_target: this process's B×… histograms.
        safe: as in :func:`hellinger_distance`.
        group: the process group (None: the default one).
    """
    _check_pair(h_pred, h_target, "hellinger_over_processes")
    d_bin = SAFE_BIN_DELTA if safe else 0.0
    d_tot = SAFE_TOTAL_DELTA if safe else 0.0
    sq = (torch.sqrt(h_target + d_bin) - torch.sqrt(h_pred + d_bin)) ** 2
    local = torch.stack([sq.sum(), sq.new_tensor(float(h_pred.shape[0]))])
    kwargs = {} if group is None else {"group": group}
    total = dist_nn.all_reduce(local, **kwargs)
    return torch.sqrt(total[0] + d_tot) / (math.sqrt(2.0) * total[1])


def l1_distance(h_pred: torch.Tensor, h_target: torch.Tensor,
                reduction: Reduction = "mean") -> torch.Tensor:
    """Total variation ½·Σ|H_p − H_t| per image, in [0, 1].

    Rewards putting the right mass in each bin, with the same pull (the sign) on every wrong
    bin however small: robust to a few badly wrong bins, blind to *where* misplaced mass went.
    """
    _check_pair(h_pred, h_target, "l1_distance")
    return _reduce(0.5 * (h_pred - h_target).abs().flatten(1).sum(1), reduction, "l1_distance")


def chi_squared_distance(h_pred: torch.Tensor, h_target: torch.Tensor,
                         reduction: Reduction = "mean", delta: float = 1e-10) -> torch.Tensor:
    """Symmetric χ²: ½·Σ (H_p − H_t)² / (H_p + H_t + δ) per image, in [0, 1].

    Rewards relative agreement: a difference in a sparsely filled bin costs more than the
    same difference in a full one, so rare colours weigh more than under L1 or Hellinger.
    """
    _check_pair(h_pred, h_target, "chi_squared_distance")
    per_bin = (h_pred - h_target) ** 2 / (h_pred + h_target + delta)
    return _reduce(0.5 * per_bin.flatten(1).sum(1), reduction, "chi_squared_distance")


def jensen_shannon_divergence(h_pred: torch.Tensor, h_target: torch.Tensor,
                              reduction: Reduction = "mean", delta: float = 1e-12
                              ) -> torch.Tensor:
    """Jensen–Shannon divergence ½·KL(H_p‖M) + ½·KL(H_t‖M), M = (H_p + H_t)/2, in nats.

    Rewards overlap of the two distributions in the information sense, bounded by log 2;
    like Hellinger it stops caring how far apart non-overlapping colours are.
    """
    _check_pair(h_pred, h_target, "jensen_shannon_divergence")
    m = 0.5 * (h_pred + h_target)

    def kl(p: torch.Tensor) -> torch.Tensor:
        return (p * (torch.log(p + delta) - torch.log(m + delta))).flatten(1).sum(1)

    return _reduce(0.5 * kl(h_pred) + 0.5 * kl(h_target), reduction,
                   "jensen_shannon_divergence")


def wasserstein_marginals(h_pred: torch.Tensor, h_target: torch.Tensor,
                          reduction: Reduction = "mean",
                          bounds: tuple[float, float] = (-3.0, 3.0)) -> torch.Tensor:
    """The 1-D earth mover's distances of the u and v *marginals*, averaged over projections.

    For each projection (B×C×h×w → C u-marginals of h bins and C v-marginals of w bins, each
    renormalised to 1) the 1-D EMD is Σ|CDF_p − CDF_t|·Δ in log-chroma units (Δ the bin
    spacing). Rewards moving colour mass a *short distance*: a small hue shift costs little and
    a large one a lot, which bin-wise distances cannot tell apart. It is not the earth mover's
    distance of the 2-D histograms (an optimal transport over the u–v plane, far costlier): it
    ignores the joint u–v structure, so two histograms with equal marginals are at distance 0.
    Registered in :data:`DISTANCES` as ``"marginal_emd"``.
    """
    _check_pair(h_pred, h_target, "wasserstein_marginals")
    if h_pred.ndim != 4:
        raise InputShapeError(f"wasserstein_marginals: expected B×C×h×w, got {tuple(h_pred.shape)}")
    out = []
    for dim in (3, 2):   # sum over v → u-marginal; over u → v-marginal
        mp, mt = h_pred.sum(dim), h_target.sum(dim)                 # B×C×bins
        mp = mp / mp.sum(-1, keepdim=True).clamp_min(1e-12)
        mt = mt / mt.sum(-1, keepdim=True).clamp_min(1e-12)
        spacing = (bounds[1] - bounds[0]) / (mp.shape[-1] - 1)
        out.append((mp.cumsum(-1) - mt.cumsum(-1)).abs().sum(-1) * spacing)   # B×C
    per_image = torch.stack(out, -1).flatten(1).mean(1)
    return _reduce(per_image, reduction, "wasserstein_marginals")


Distance = Callable[..., torch.Tensor]

#: name → distance function (all take ``(h_pred, h_target, reduction=...)``).
DISTANCES: dict[str, Distance] = {
    "hellinger": hellinger_distance,
    "l1": l1_distance,
    "chi2": chi_squared_distance,
    "js": jensen_shannon_divergence,
    "marginal_emd": wasserstein_marginals,
}
